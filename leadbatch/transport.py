"""The HTTP transports the client can use, and how their low-level errors read.

Two stacks give the same httpx API: httpx's own (httpcore) and aiohttp's through
`httpx_aiohttp`, which costs much less CPU per request (see the README's figures). Their
exceptions differ (aiohttp's are wrapped by httpx_aiohttp into httpx types, not always
the right ones, e.g. a dropped connection becomes `ConnectTimeout`), so the kind of
failure is read from the innermost exception's *type*, never from message text.
aiohttp is imported only when its transport is used.
"""

from __future__ import annotations

import sys
from typing import Literal

import httpx

TransportKind = Literal["aiohttp", "httpx"]
TRANSPORT_KINDS: tuple[TransportKind, ...] = ("aiohttp", "httpx")
DEFAULT_TRANSPORT: TransportKind = "aiohttp"


def make_transport(
    kind: TransportKind = DEFAULT_TRANSPORT, *, max_connections: int = 32
) -> httpx.AsyncBaseTransport:
    """A transport with one connection pool of `max_connections`."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    if kind == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        transport: httpx.AsyncBaseTransport = AiohttpTransport(limits=limits)
        return transport
    if kind == "httpx":
        return httpx.AsyncHTTPTransport(limits=limits)
    raise ValueError(f"unknown transport {kind!r}: use one of {', '.join(TRANSPORT_KINDS)}")


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
