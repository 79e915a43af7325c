"""A hostile 7Targets look-alike on a real loopback socket, and a forwarding HTTP proxy.

`HostileServer(mode)` speaks just enough HTTP/1.1 (asyncio streams, in a thread of its
own) to answer the token endpoint, `POST /leads` and `GET /leads/assistant` the way real
servers sometimes do: dripping a body a byte at a time, flooding an endless one, never
answering, echoing the request's headers in a 400, sending ids no API holds, closing in
the middle of a body, redirecting, answering HTML with 200. It counts what it was sent
(POSTs per email, token requests) and remembers every token it issued, so a test can
search every output for them.

`ForwardingProxy` is an absolute-URI HTTP proxy (no CONNECT: the targets are http://)
that counts the requests it forwarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import json
import secrets
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Reply = Callable[[asyncio.StreamWriter, "Request"], Awaitable[bool]]  # True: keep alive


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    return Request(method, target, headers, body)


def answer(status: int, body: bytes, content_type: str = "application/json",
           extra: str = "") -> bytes:
    reason = {200: "OK", 201: "Created", 302: "Found", 400: "Bad Request",
              429: "Too Many Requests"}.get(status, "Status")
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


@dataclass
class HostileServer:
    """Serve `mode` (see `MODES`) on 127.0.0.1 in a background thread.

    `drip` is the seconds between the bytes of a dripping body."""

    mode: str
    drip: float = 2.0
    port: int = 0
    posts: Counter[str] = field(default_factory=Counter)
    token_requests: int = 0
    assistant_pages: int = 0
    tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stopped: asyncio.Event | None = None

    # --- running ------------------------------------------------------------------------

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopped.wait()
        server.close()
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await read_request(reader)) is not None:
                if not await self._route(writer, request):
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    # --- the answers --------------------------------------------------------------------

    async def _route(self, writer: asyncio.StreamWriter, request: Request) -> bool:
        if request.path == "/oauth2/token":
            self.token_requests += 1
            return await self._token(writer)
        if request.path == "/leads/assistant":
            self.assistant_pages += 1
            page = int(request.target.split("page=", 1)[1].split("&", 1)[0])
            body = [{"id": page * 10 + i, "name": f"A{page}-{i}",
                     "emailid": f"a{page}-{i}@7targets.example", "perDayEmailLimit": 100}
                    for i in range(10)]
            writer.write(answer(200, json.dumps(body).encode()))
            await writer.drain()
            return True
        email = str(json.loads(request.body or b"{}").get("email", ""))
        self.posts[email] += 1
        return await self._lead(writer, request, email)

    async def _token(self, writer: asyncio.StreamWriter) -> bool:
        token = secrets.token_urlsafe(24)
        good = json.dumps({"access_token": token, "expires_in": 3600,
                           "token_type": "Bearer"}).encode()
        if self.mode == "stall-token":
            await asyncio.sleep(3600)
        if self.mode == "token-429":
            writer.write(answer(429, b'{"error": "slow down"}', extra="Retry-After: 0\r\n"))
        elif self.mode == "token-without-access-token":
            writer.write(answer(200, b'{"token_type": "Bearer", "expires_in": 3600}'))
        elif self.mode == "rejected-secret":
            writer.write(answer(400, b'{"error": "invalid_client"}'))
        elif self.mode == "drip-token":
            self.tokens.append(token)
            await self._drip(writer, 200, good)
            return False
        else:
            self.tokens.append(token)
            writer.write(answer(200, good))
        await writer.drain()
        return True

    async def _lead(self, writer: asyncio.StreamWriter, request: Request, email: str) -> bool:
        lead = json.dumps({"id": 4242, "email": email, "nextScheduleTime": None}).encode()
        mode = self.mode
        if mode == "drip":
            await self._drip(writer, 201, lead)
            return False
        if mode == "stall":
            await asyncio.sleep(3600)
        if mode == "flood":
            writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b" " * 65536
            while True:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        elif mode == "echo-headers":
            echoed = ", ".join(f"{k}: {v}" for k, v in request.headers.items())
            writer.write(answer(400, json.dumps(
                {"message": f"invalid lead; your request had {echoed}"}).encode()))
        elif mode == "huge-id":
            writer.write(answer(201, json.dumps(
                {"id": 2**63, "email": email, "nextScheduleTime": None}).encode()))
        elif mode == "close-mid-body":
            writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 400\r\n\r\n" + lead[:20])
            await writer.drain()
            return False
        elif mode == "gzip-bomb":
            writer.write(answer(201, gzip_bomb(), extra="Content-Encoding: gzip\r\n"))
        elif mode == "redirect":
            writer.write(answer(302, b"", extra=f"Location: {self.url}/leads\r\n"))
        elif mode == "html-200":
            writer.write(answer(200, b"<html><body><h1>Welcome to the hotel Wi-Fi</h1>"
                                     b"</body></html>", content_type="text/html"))
        else:
            writer.write(answer(201, lead))
        await writer.drain()
        return True

    async def _drip(self, writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
        writer.write(f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        for byte in body:
            writer.write(b"1\r\n" + bytes([byte]) + b"\r\n")
            await writer.drain()
            await asyncio.sleep(self.drip)
        writer.write(b"0\r\n\r\n")
        await writer.drain()


MODES = ("normal", "drip", "drip-token", "flood", "stall", "stall-token", "echo-headers",
         "huge-id", "close-mid-body", "redirect", "html-200", "token-429",
         "token-without-access-token", "rejected-secret", "full-pages", "gzip-bomb")


@functools.cache
def gzip_bomb() -> bytes:
    """64 MB of zeros in about 64 KB: 64 times the client's cap, unpacked."""
    return gzip.compress(b"0" * (64 << 20), compresslevel=6)


class ForwardingProxy:
    """An absolute-URI forwarding proxy on 127.0.0.1 (a thread of its own); `forwarded`
    counts the requests that went through it."""

    def __init__(self) -> None:
        self.forwarded = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ForwardingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader)
            if request is None or not request.target.startswith("http://"):
                writer.write(answer(400, b"absolute-URI requests only"))
                return
            rest = request.target.removeprefix("http://")
            hostport, _, path = rest.partition("/")
            host, _, port = hostport.partition(":")
            up_reader, up_writer = await asyncio.open_connection(host, int(port or 80))
            headers = {k: v for k, v in request.headers.items()
                       if k not in ("connection", "proxy-connection", "keep-alive")}
            head = f"{request.method} /{path} HTTP/1.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
            up_writer.write(head.encode("latin-1") + request.body)
            await up_writer.drain()
            self.forwarded += 1
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
            up_writer.close()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                await writer.drain()
                writer.close()
