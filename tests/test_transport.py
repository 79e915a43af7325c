"""leadbatch's aiohttp transport (httpx_aiohttp's, with our error edge) and the client's
prebuilt requests: what goes on the wire, how answers are read (gzip, chunked), and how
aiohttp's failures map to httpx's types.

A raw asyncio server stands in for the API here, so the bytes on the wire are the test's
own and the transport's work is seen without httpx or aiohttp on the server side; the
sandbox serves the one test of its `drop` fault."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import httpx
import pytest
from pydantic import SecretStr

from leadbatch.config import ApiSettings
from leadbatch.sandbox import Faults, SandboxServer
from leadbatch.send import LeadsClient
from leadbatch.send.auth import ClientCredentialsAuth
from leadbatch.send.transport import (
    CONNECT_FAILED,
    CONNECT_TIMEOUT,
    DEADLINE,
    DROPPED,
    READ_TIMEOUT,
    AiohttpTransport,
    DeadlineExceeded,
    _as_httpx_error,
    describe_network_error,
)

T = TypeVar("T")
TOKEN = b'{"access_token": "tok", "expires_in": 3600}'
LEAD = b'{"id": 7, "email": "ren\xc3\xa9@example.com", "assistantId": 135}'


def answer(status: str, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", *headers]
    if not any(h.lower().startswith("transfer-encoding") for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chunked(body: bytes, size: int = 7) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


class RawServer:
    """Answers each request on a keep-alive connection with the next canned answer, and
    records what it was sent: (request line and headers, body)."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.seen: list[tuple[list[str], bytes]] = []
        self.connections = 0
        self.netloc = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")[:-2]
                length = next(
                    (int(h.split(":")[1]) for h in head if h.lower().startswith("content-length")),
                    0,
                )
                self.seen.append((head, await reader.readexactly(length)))
                writer.write(self.answers.pop(0))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        writer.close()


def with_server(answers: list[bytes], work: Callable[[str], Awaitable[T]]) -> tuple[T, RawServer]:
    server = RawServer(answers)

    async def go() -> T:
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listening.sockets[0].getsockname()[1]
        server.netloc = f"127.0.0.1:{port}"
        try:
            return await work(f"http://127.0.0.1:{port}")
        finally:
            listening.close()

    return asyncio.run(go()), server


def settings(url: str) -> ApiSettings:
    return ApiSettings(client_id="a", client_secret=SecretStr("b"), user_identifier="c",
                       api_url=url, token_url=f"{url}/oauth2/token")


def headers_of(head: list[str]) -> dict[str, str]:
    pairs = [line.split(":", 1) for line in head[1:]]
    return {name.strip().lower(): value.strip() for name, value in pairs}


def test_a_lead_goes_out_as_json_with_its_headers_and_comes_back_parsed() -> None:
    body: dict[str, Any] = {"name": "René", "email": "rené@example.com", "assistantEmail": "x@y.z"}

    async def work(url: str) -> Any:
        async with LeadsClient(settings(url)) as client:
            return await client.create_lead(body)

    sent, server = with_server([answer("200 OK", TOKEN), answer("201 Created", LEAD)], work)
    assert (sent.http_status, sent.lead.id, sent.lead.email) == (201, 7, "rené@example.com")
    (_, _), (head, raw) = server.seen
    assert head[0] == "POST /leads HTTP/1.1"
    assert json.loads(raw) == body
    assert raw == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = headers_of(head)
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(raw))
    assert headers["host"] == server.netloc
    assert headers["authorization"] == "Bearer tok" and headers["7ts-user-identifier"] == "c"
    assert server.connections == 1  # token and lead over one kept-alive connection


def test_a_base_url_with_a_path_keeps_it() -> None:
    async def work(url: str) -> Any:
        async with LeadsClient(settings(url + "/api/")) as client:
            return await client.send("stop", {"id": 7, "email": "a@b.c"})

    _, server = with_server([answer("200 OK", TOKEN), answer("200 OK", LEAD)], work)
    assert server.seen[1][0][0] == "PUT /api/leads/stop/followup HTTP/1.1"


def test_gzip_and_chunked_answers_are_decoded_by_httpx() -> None:
    packed = gzip.compress(LEAD)
    answers = [
        answer("200 OK", TOKEN),
        answer("201 Created", chunked(packed), "Content-Encoding: gzip", "Transfer-Encoding: chunked"),
    ]

    async def work(url: str) -> Any:
        async with LeadsClient(settings(url)) as client:
            return await client.create_lead({"email": "a@b.c"})

    sent, _ = with_server(answers, work)
    assert sent.lead.id == 7


def test_cookies_are_neither_kept_nor_sent() -> None:
    answers = [
        answer("200 OK", TOKEN, "Set-Cookie: session=abc; Path=/"),
        answer("201 Created", LEAD, "Set-Cookie: other=def; Path=/"),
        answer("201 Created", LEAD),
    ]

    async def work(url: str) -> LeadsClient:
        async with LeadsClient(settings(url)) as client:
            await client.create_lead({"email": "a@b.c"})
            await client.create_lead({"email": "a@b.c"})
            return client

    client, server = with_server(answers, work)
    assert all("cookie" not in headers_of(head) for head, _ in server.seen)
    assert len(client._http.cookies) == 0
    with pytest.raises(TypeError):
        client._http.cookies = {"a": "b"}


def test_the_transport_alone_speaks_httpx() -> None:
    async def work(url: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=AiohttpTransport(max_connections=2)) as http:
            return await http.get(f"{url}/leads/assistant", params={"page": 2, "q": "a b"})

    response, server = with_server([answer("200 OK", b"[]", "X-Extra: 1")], work)
    assert response.status_code == 200 and response.json() == []
    assert response.headers["x-extra"] == "1" and response.reason_phrase == "OK"
    assert server.seen[0][0][0] == "GET /leads/assistant?page=2&q=a+b HTTP/1.1"


@pytest.mark.parametrize(
    ("error", "mapped", "words"),
    [
        (aiohttp.ServerDisconnectedError(), httpx.ReadError, DROPPED),
        (aiohttp.ClientPayloadError("cut short"), httpx.ReadError, DROPPED),
        (aiohttp.SocketTimeoutError("slow"), httpx.ReadTimeout, READ_TIMEOUT),
        (aiohttp.ConnectionTimeoutError("slow"), httpx.ConnectTimeout, CONNECT_TIMEOUT),
        (
            aiohttp.ClientConnectorError(
                aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None),
                ConnectionRefusedError(111, "refused"),
            ),
            httpx.ConnectError,
            CONNECT_FAILED,
        ),
    ],
)
def test_aiohttp_failures_map_to_the_httpx_type_that_names_them(
    error: Exception, mapped: type[httpx.TransportError], words: str
) -> None:
    request = httpx.Request("POST", "http://127.0.0.1:1/leads")
    converted = _as_httpx_error(error, request)
    assert type(converted) is mapped and converted.request is request
    try:
        raise converted from error
    except httpx.TransportError as exc:
        assert describe_network_error(exc) == words


def test_a_dropped_connection_is_a_read_error_that_reads_as_dropped(sandbox: SandboxServer) -> None:
    # httpx_aiohttp alone would raise ConnectTimeout here ("timed out connecting").
    api = ApiSettings(client_id="sandbox-client-id", client_secret=SecretStr("sandbox-client-secret"),
                      user_identifier="sandbox-user", api_url=sandbox.url, token_url=sandbox.token_url)

    async def go() -> BaseException:
        auth = ClientCredentialsAuth.from_settings(api)
        async with httpx.AsyncClient(transport=AiohttpTransport(), auth=auth) as http:
            await http.get(f"{sandbox.url}/leads/assistant")  # token and connection, no fault
            sandbox.state.set_faults(Faults(drop=1.0))
            with pytest.raises(httpx.TransportError) as caught:
                await http.post(f"{sandbox.url}/leads", json={"email": "a@b.c"})
            return caught.value

    error = asyncio.run(go())
    assert type(error) is httpx.ReadError
    assert isinstance(error.__cause__, aiohttp.ServerDisconnectedError)
    assert describe_network_error(error) == DROPPED
    assert sandbox.state.post_counts == {"a@b.c": 1}  # the server did act: only the answer is lost


def test_an_answer_cut_short_fails_inside_the_transport_as_dropped() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[1, 2"

    async def work(url: str) -> BaseException:
        transport = AiohttpTransport()
        request = httpx.Request("GET", f"{url}/leads/assistant")
        try:
            with pytest.raises(httpx.TransportError) as caught:
                await transport.handle_async_request(request)  # the body is read in here
        finally:
            await transport.aclose()
        return caught.value

    error, _ = with_server([cut], work)
    assert type(error) is httpx.ReadError and error.request.url.path == "/leads/assistant"
    assert isinstance(error.__cause__, aiohttp.ClientPayloadError)
    assert describe_network_error(error) == DROPPED


def test_the_answer_comes_back_read_with_its_bytes_readable_again() -> None:
    packed = gzip.compress(LEAD)

    async def work(url: str) -> tuple[bytes, bytes]:
        async with AiohttpTransport() as transport:
            response = await transport.handle_async_request(httpx.Request("GET", url))
            assert isinstance(response.stream, httpx.AsyncByteStream)
            raw = b"".join([chunk async for chunk in response.stream])  # as a wrapper would
            return response.content, raw

    (content, raw), _ = with_server([answer("200 OK", packed, "Content-Encoding: gzip")], work)
    assert content == LEAD and raw == packed


def test_the_transport_opens_a_fresh_session_after_it_is_closed() -> None:
    async def work(url: str) -> list[int]:
        transport = AiohttpTransport()
        statuses = []
        for _ in range(2):
            async with httpx.AsyncClient(transport=transport) as http:
                statuses.append((await http.get(f"{url}/leads/assistant")).status_code)
        return statuses

    statuses, server = with_server([answer("200 OK", b"[]"), answer("200 OK", b"[]")], work)
    assert statuses == [200, 200] and server.connections == 2


def test_a_body_json_cannot_carry_is_refused_before_sending() -> None:
    async def work(url: str) -> None:
        async with LeadsClient(settings(url)) as client:
            await client.create_lead({"email": "a@b.c", "score": float("nan")})

    with pytest.raises(ValueError, match="JSON compliant"):
        with_server([answer("200 OK", TOKEN)], work)


def endless(first: bytes, then: bytes, every: float) -> Callable[..., Awaitable[None]]:
    """A handler that reads a request, writes `first`, then `then` every `every` s, forever."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(first)
            while True:
                writer.write(then)
                await writer.drain()
                await asyncio.sleep(every)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    return handle


def bounded_call(handler: Callable[..., Awaitable[None]], **bounds: Any) -> tuple[Exception, float]:
    """What one GET through an `AiohttpTransport(**bounds)` raises, and after how long."""
    from leadbatch.errors import AnswerTooLarge

    async def go() -> tuple[Exception, float]:
        listening = await asyncio.start_server(handler, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/leads"
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with AiohttpTransport(**bounds) as transport:
                await transport.handle_async_request(httpx.Request("GET", url))
        except (httpx.TransportError, AnswerTooLarge) as exc:
            return exc, loop.time() - started
        finally:
            listening.close()
        raise AssertionError("the answer was accepted")

    return asyncio.run(go())


HEAD_CHUNKED = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_a_body_dripping_a_byte_at_a_time_ends_at_the_deadline() -> None:
    # a byte every 0.1 s: the read timeout (1 s) restarts on each, the deadline does not
    error, took = bounded_call(endless(HEAD_CHUNKED, b"1\r\n \r\n", 0.1), deadline=0.6)
    assert isinstance(error, DeadlineExceeded) and 0.5 < took < 2.0
    assert describe_network_error(error) == DEADLINE


def test_an_endless_body_stops_at_the_cap() -> None:
    from leadbatch.errors import AnswerTooLarge

    chunk = b" " * 16384
    error, took = bounded_call(endless(HEAD_CHUNKED, b"%x\r\n%s\r\n" % (len(chunk), chunk), 0),
                               max_body=1 << 20)
    assert isinstance(error, AnswerTooLarge) and "1,048,576 bytes" in str(error)
    assert took < 5


def test_a_content_length_past_the_cap_is_not_read() -> None:
    from leadbatch.errors import AnswerTooLarge

    head = b"HTTP/1.1 201 Created\r\nContent-Length: 10000000000\r\n\r\n"
    error, _ = bounded_call(endless(head, b" ", 1.0), max_body=1 << 20)
    assert isinstance(error, AnswerTooLarge) and "not read" in str(error)
