"""The HTTP transports the client can use, and how their low-level errors read.

Two stacks give the same httpx API: httpx's own (httpcore), and aiohttp under
`AiohttpTransport` below, which costs far less CPU per request (BENCHMARKS.md). The
aiohttp one is ours rather than `httpx_aiohttp`'s because that one spends, per request,
more than the API call itself needs: it re-parses the URL, copies httpx's headers through
their slow mapping interface, builds a ClientTimeout, keeps aiohttp's cookie jar, and
streams a body of a few hundred bytes through two async iterators. It also maps a dropped
connection to `ConnectTimeout`. Whatever the stack, the kind of failure is read from the
innermost exception's *type*, never from message text. aiohttp is imported only when its
transport is used.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal

import httpx

if TYPE_CHECKING:
    import aiohttp
    import yarl

TransportKind = Literal["aiohttp", "httpx"]
TRANSPORT_KINDS: tuple[TransportKind, ...] = ("aiohttp", "httpx")
DEFAULT_TRANSPORT: TransportKind = "aiohttp"


def make_transport(
    kind: TransportKind = DEFAULT_TRANSPORT, *, max_connections: int = 32
) -> httpx.AsyncBaseTransport:
    """A transport with one connection pool of `max_connections`."""
    if kind == "aiohttp":
        return AiohttpTransport(max_connections=max_connections)
    if kind == "httpx":
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        return httpx.AsyncHTTPTransport(limits=limits)
    raise ValueError(f"unknown transport {kind!r}: use one of {', '.join(TRANSPORT_KINDS)}")


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's transport interface over one aiohttp session (HTTP/1.1, keep-alive pool).

    Each answer is read whole before it is handed to httpx: the API's answers are small
    JSON documents that the client reads whole anyway, and a body that is already bytes
    spares httpx its async streaming machinery. So `stream=True` gains nothing here. No
    cookies are kept: the API sets none, and a jar costs work on every request and answer.
    """

    def __init__(self, *, max_connections: int = 32, keepalive: float = 5.0) -> None:
        self._limit = max_connections
        self._keepalive = keepalive
        self._session: aiohttp.ClientSession | None = None
        self._errors: tuple[type[Exception], ...] = ()
        # The client sends to a handful of URLs with one or two timeouts: parse each once.
        self._urls: dict[str, yarl.URL] = {}
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        # Made on first use, inside the event loop that will run it (aiohttp binds to it).
        # httpx's SSL context, so that certificates are checked as with httpx's own stack.
        connector = aiohttp.TCPConnector(
            limit=self._limit, keepalive_timeout=self._keepalive, ssl=httpx.create_ssl_context()
        )
        self._errors = (aiohttp.ClientError, TimeoutError)
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # httpx decodes Content-Encoding itself
            trust_env=False,
        )
        return self._session

    def _url(self, request: httpx.Request) -> yarl.URL:
        text = str(request.url)
        url = self._urls.get(text)
        if url is None:
            import yarl

            url = yarl.URL(text, encoded=True)  # httpx has already percent-encoded it
            if len(self._urls) < 256:  # paged GETs differ only in their query: keep a few
                self._urls[text] = url
        return url

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        given: dict[str, float | None] = request.extensions.get("timeout", {})
        key = (given.get("connect"), given.get("read"), given.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            import aiohttp

            # aiohttp's `connect` covers waiting for a pooled connection, like httpx's pool.
            timeout = aiohttp.ClientTimeout(sock_connect=key[0], sock_read=key[1], connect=key[2])
            self._timeouts[key] = timeout
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = await request.aread()
        try:
            async with session.request(
                request.method,
                self._url(request),
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                timeout=self._timeout(request),
                server_hostname=request.extensions.get("sni_hostname"),
            ) as answer:
                content = await answer.read()
                status, headers, reason = answer.status, answer.raw_headers, answer.reason
        except self._errors as exc:
            raise _as_httpx_error(exc, request) from exc
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if reason:
            extensions["reason_phrase"] = reason.encode("ascii", "replace")
        # A stream read at once costs httpx less than `content=`, which adds headers the
        # answer already has.
        response = httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(content),
            request=request,
            extensions=extensions,
        )
        response.read()
        return response

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _as_httpx_error(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception type that names what happened (the aiohttp one stays chained)."""
    import aiohttp

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
CONNECT_TIMEOUT = "timed out connecting"
CONNECT_FAILED = "could not connect"

# Library types, matched innermost first (the innermost is what really happened).
_HTTPX_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (httpx.RemoteProtocolError, DROPPED),
    (httpx.ReadError, DROPPED),
    (httpx.WriteError, DROPPED),
    (httpx.ReadTimeout, READ_TIMEOUT),
    (httpx.WriteTimeout, READ_TIMEOUT),
    (httpx.ConnectTimeout, CONNECT_TIMEOUT),
    (httpx.PoolTimeout, CONNECT_TIMEOUT),
    (httpx.ConnectError, CONNECT_FAILED),
)
_AIOHTTP_KINDS: tuple[tuple[str, str], ...] = (
    ("ServerDisconnectedError", DROPPED),
    ("ClientPayloadError", DROPPED),
    ("SocketTimeoutError", READ_TIMEOUT),
    ("ConnectionTimeoutError", CONNECT_TIMEOUT),
    ("ClientConnectorError", CONNECT_FAILED),
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
    if isinstance(exc, httpx.RequestError | OSError):
        return True
    aiohttp = sys.modules.get("aiohttp")
    return aiohttp is not None and isinstance(exc, aiohttp.ClientError)


def describe_network_error(exc: BaseException) -> str:
    """What went wrong, in words, from the exception types in `exc`'s chain."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    kinds = list(_HTTPX_KINDS)
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None:
        kinds += [(getattr(aiohttp, name), text) for name, text in _AIOHTTP_KINDS]
    for table in (kinds, _OS_KINDS):
        for error in reversed(chain):
            for cls, text in table:
                if isinstance(error, cls):
                    return text
    return f"network error ({type(exc).__name__})"
