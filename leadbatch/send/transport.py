"""The HTTP transports the client can use, and how their low-level errors read.

Two stacks give the same httpx API: httpx's own (httpcore), and aiohttp under the
`httpx-aiohttp` package's transport, which costs far less CPU per request (BENCHMARKS.md).
It replaced a transport of our own (~150 lines) that spared a little of the package's work
per request (parsing the URL again, copying httpx's headers through their mapping
interface, streaming a small body through async iterators): measured against it, the
package costs 1.00-1.09x its client CPU per request (medians of 18 interleaved runs at 0
and 20 ms latency, concurrency 1, 8 and 32; 1.055x over all; issue 11), within the 10% the
project allows. Single sessions of 9 runs ranged up to 1.13x: the margin is small.
`AiohttpTransport` below is the package's, with one edge of ours around it:

- Errors. The package turns aiohttp's exceptions into httpx's by a table in which every
  `ClientConnectionError` that is nothing more specific, a dropped connection
  (`ServerDisconnectedError`) among them, becomes `ConnectTimeout`; a few aiohttp errors it
  passes on untouched. Here every failure, the package's mapped ones included, is mapped
  again from the original aiohttp exception (the package's `__cause__`) by
  `_as_httpx_error`, so the httpx type names what happened: a dropped connection is a
  `ReadError`, which the client retries like any network error and words as `DROPPED`.
- The answer is read whole before the transport returns, so that a connection lost in the
  middle of the body fails here too, inside the edge, and not later in httpx's reading.
- Its aiohttp session is ours to make (the package takes a factory): no cookie jar (the API
  sets none, and aiohttp's jar would send back whatever a server sets), and not aiohttp's
  `trust_env` (it would also read ~/.netrc). The environment's proxies (HTTP_PROXY,
  HTTPS_PROXY, NO_PROXY) are looked up here per URL, by the standard library's rules.
- Bounds (issue 15): every request has a total deadline, connection, sending, headers and
  body together (aiohttp's read timeout alone restarts on every byte, so a body dripping a
  byte a second never ends), and an answer is read only up to `max_body` bytes. A deadline
  passed is `DeadlineExceeded` (a read timeout: retried); an answer past the cap is the
  terminal `AnswerTooLarge`, raised without reading the rest.

Whatever the stack, the kind of failure is read from the exception *types* in the chain,
innermost first, never from message text.
"""

from __future__ import annotations

import asyncio
import urllib.request
import zlib
from typing import Literal

import aiohttp
import httpx
import httpx_aiohttp

from ..errors import AnswerTooLarge, BadAnswer

TransportKind = Literal["aiohttp", "httpx"]
TRANSPORT_KINDS: tuple[TransportKind, ...] = ("aiohttp", "httpx")
DEFAULT_TRANSPORT: TransportKind = "aiohttp"


# The API's answers are a lead (a few KB) or a page of ten assistants (about 5 KB); a
# token answer is under 2 KB. A mebibyte is two hundred times the largest of them.
MAX_BODY = 1 << 20
DEFAULT_DEADLINE = 15.0  # seconds; a real API answers in one or two


class DeadlineExceeded(httpx.ReadTimeout):
    """No complete answer within the request's total deadline."""


def make_transport(
    kind: TransportKind = DEFAULT_TRANSPORT, *, max_connections: int = 32,
    deadline: float = DEFAULT_DEADLINE, max_body: int = MAX_BODY, proxies: bool = True,
) -> httpx.AsyncBaseTransport:
    """A transport with one connection pool of `max_connections`, each request bounded by
    `deadline` seconds and `max_body` bytes of answer; `proxies`: use the environment's."""
    if kind == "aiohttp":
        return AiohttpTransport(max_connections=max_connections, deadline=deadline,
                                max_body=max_body, proxies=proxies)
    if kind == "httpx":
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        return httpx.AsyncHTTPTransport(limits=limits)
    raise ValueError(f"unknown transport {kind!r}: use one of {', '.join(TRANSPORT_KINDS)}")


def env_proxy(url: httpx.URL) -> str | None:
    """The proxy the environment names for `url` (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
    NO_PROXY, any case), or None."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(url.host):
        return None
    return proxy


async def read_capped(stream: httpx.AsyncByteStream, cap: int, url: httpx.URL) -> bytes:
    """A body's bytes, stopping with `AnswerTooLarge` once past `cap`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > cap:
            raise AnswerTooLarge(f"{url.path}: the answer is larger than {cap:,} bytes "
                                 "(no API answer is): stopped reading it")
        chunks.append(chunk)
    return b"".join(chunks)


# What aiohttp raises for a failed request: its own errors, and its timeouts (which are
# also TimeoutError).
_AIOHTTP_ERRORS = (aiohttp.ClientError, TimeoutError)


class AiohttpTransport(httpx_aiohttp.AiohttpTransport):
    """httpx_aiohttp's transport (HTTP/1.1, one keep-alive pool) with our error edge.

    Each answer is read whole before it is handed to httpx: the API's answers are small
    JSON documents that the client reads whole anyway. So `stream=True` gains nothing here.
    """

    def __init__(self, *, max_connections: int = 32, keepalive: float = 5.0,
                 deadline: float | None = DEFAULT_DEADLINE, max_body: int = MAX_BODY,
                 proxies: bool = False) -> None:
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=keepalive,
        )
        # Its SSL context is httpx's, so that certificates are checked as with httpx's stack.
        super().__init__(limits=limits, client=self._new_session)
        self.deadline = deadline
        self.max_body = max_body
        self.proxies = proxies
        self._proxy_of: dict[tuple[str, str, int | None], httpx.Proxy | None] = {}

    def _new_session(self) -> aiohttp.ClientSession:
        # Called by the package on first use, inside the event loop that will run the
        # session (aiohttp binds to it), and again after `aclose`.
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
        )

    def _proxy(self, url: httpx.URL) -> httpx.Proxy | None:
        where = (url.scheme, url.host, url.port)
        if where not in self._proxy_of:
            found = env_proxy(url) if self.proxies else None
            self._proxy_of[where] = httpx.Proxy(found) if found else None
        return self._proxy_of[where]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            async with asyncio.timeout(self.deadline):
                return await self._bounded(request)
        except TimeoutError as exc:
            if isinstance(exc, aiohttp.ClientError):  # aiohttp's own: mapped in `_bounded`
                raise
            raise DeadlineExceeded(f"no complete answer within {self.deadline:g} s",
                                   request=request) from None

    async def _bounded(self, request: httpx.Request) -> httpx.Response:
        # The package reads `self.proxy` before its first await: set here, it is this
        # request's alone, however many run at once on the loop.
        self.proxy = self._proxy(request.url)
        try:
            response = await super().handle_async_request(request)
            stream = response.stream
            assert isinstance(stream, httpx.AsyncByteStream)  # the package's aiohttp stream
            whole = False
            try:
                length = response.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > self.max_body:
                    raise AnswerTooLarge(f"{request.url.path}: the answer is {int(length):,} "
                                         f"bytes, more than the {self.max_body:,} any API "
                                         "answer takes: not read")
                content = await read_capped(stream, self.max_body, request.url)
                whole = True
            finally:
                if whole:
                    await stream.aclose()  # gives the connection back to the pool
                else:  # a body left unread (too large, deadline, error): drop the connection
                    _drop(stream)
        except httpx.TransportError as exc:
            # The package's mapping: what really happened is the aiohttp exception under it.
            cause = exc.__cause__
            if not isinstance(cause, _AIOHTTP_ERRORS):
                raise
            raise _as_httpx_error(cause, request) from cause
        except _AIOHTTP_ERRORS as exc:  # the ones the package lets through unmapped
            raise _as_httpx_error(exc, request) from exc
        return _decoded(response, content, self.max_body)

    async def aclose(self) -> None:
        await super().aclose()
        self.client = self._new_session  # a later request opens a fresh session


def _decoded(response: httpx.Response, content: bytes, cap: int) -> httpx.Response:
    """The answer over its bytes as they came (still encoded, as httpx expects of a stream;
    httpx's client swaps a response's stream the same way), read, and readable again by
    whatever wraps this transport. A compressed body (the client asks for none; a server
    may send one anyway) is first unpacked up to `cap` and refused past it, so that a
    small gzip bomb does not unpack to gigabytes in httpx's reading."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        if encoding not in ("gzip", "x-gzip", "deflate"):
            raise BadAnswer(f"{response.request.url.path}: the answer is in an encoding not "
                            f"asked for ({encoding[:40]!r})", status=response.status_code)
        unpack = zlib.decompressobj(wbits=47 if "gzip" in encoding else 15)
        try:
            size = len(unpack.decompress(content, cap + 1))
        except zlib.error:
            raise BadAnswer(f"{response.request.url.path}: the answer's {encoding} body is "
                            "damaged", status=response.status_code) from None
        if size > cap:
            raise AnswerTooLarge(f"{response.request.url.path}: the answer unpacks to more "
                                 f"than {cap:,} bytes (no API answer does): not read")
    response.stream = httpx.ByteStream(content)
    response.read()
    return response


def _drop(stream: httpx.AsyncByteStream) -> None:
    """Close the connection under a half-read answer, so that it is never reused."""
    raw = getattr(stream, "_aiohttp_response", None)
    if isinstance(raw, aiohttp.ClientResponse):
        raw.close()


def _as_httpx_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception type that names what happened (the aiohttp one stays chained)."""
    error: type[httpx.TransportError]
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout
    elif isinstance(exc, aiohttp.ClientConnectorError):
        error = httpx.ConnectError
    elif isinstance(exc, TimeoutError):
        error = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        error = httpx.ReadError
    elif isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        error = httpx.UnsupportedProtocol
    else:
        error = httpx.RemoteProtocolError
    return error(str(exc) or type(exc).__name__, request=request)

DROPPED = "the connection was dropped before an answer came back"
READ_TIMEOUT = "no answer before the read timeout"
DEADLINE = "no complete answer within the deadline (--timeout)"
CONNECT_TIMEOUT = "timed out connecting"
CONNECT_FAILED = "could not connect"

# Library types, matched innermost first (the innermost is what really happened).
_HTTPX_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (httpx.RemoteProtocolError, DROPPED),
    (httpx.ReadError, DROPPED),
    (httpx.WriteError, DROPPED),
    (DeadlineExceeded, DEADLINE),
    (httpx.ReadTimeout, READ_TIMEOUT),
    (httpx.WriteTimeout, READ_TIMEOUT),
    (httpx.ConnectTimeout, CONNECT_TIMEOUT),
    (httpx.PoolTimeout, CONNECT_TIMEOUT),
    (httpx.ConnectError, CONNECT_FAILED),
)
_AIOHTTP_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (aiohttp.ServerDisconnectedError, DROPPED),
    (aiohttp.ClientPayloadError, DROPPED),
    (aiohttp.SocketTimeoutError, READ_TIMEOUT),
    (aiohttp.ConnectionTimeoutError, CONNECT_TIMEOUT),
    (aiohttp.ClientConnectorError, CONNECT_FAILED),
)
# Plain OS errors, consulted only when no library type matched.
_OS_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, CONNECT_FAILED),
    (ConnectionResetError, DROPPED),
    (BrokenPipeError, DROPPED),
    (TimeoutError, READ_TIMEOUT),
)


def is_network_error(exc: BaseException) -> bool:
    """True for the failures of the way to the server (not of the server's answer)."""
    return isinstance(exc, httpx.RequestError | OSError | aiohttp.ClientError)


_CONNECT_TYPES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                  httpx.UnsupportedProtocol, aiohttp.ClientConnectorError,
                  aiohttp.ConnectionTimeoutError, ConnectionRefusedError)


def is_connect_error(exc: BaseException) -> bool:
    """True when no connection was made, so the request never left: its innermost cause
    (by type) is a failed or timed-out connect."""
    chain = _chain(exc)
    return isinstance(chain[-1], _CONNECT_TYPES) or (
        isinstance(chain[0], _CONNECT_TYPES)
        and not any(isinstance(e, httpx.ReadError | httpx.ReadTimeout) for e in chain))


def is_timeout(exc: BaseException) -> bool:
    """True when the request ran out of time (its deadline or a read timeout), by type."""
    return any(isinstance(e, httpx.TimeoutException | TimeoutError) for e in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe_network_error(exc: BaseException) -> str:
    """What went wrong, in words, from the exception types in `exc`'s chain."""
    chain = _chain(exc)
    for table in (_HTTPX_KINDS + _AIOHTTP_KINDS, _OS_KINDS):
        for error in reversed(chain):
            for cls, text in table:
                if isinstance(error, cls):
                    return text
    return f"network error ({type(exc).__name__})"
