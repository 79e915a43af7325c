"""A local 7Targets-compatible API to rehearse with and to test against.

`SandboxServer` runs uvicorn (httptools when installed) in a background thread on
127.0.0.1, serving the app from `sandbox_app` over the state in `sandbox_state`. It is
seeded with the seed's two assistants, or with an assistants list. Its `state` is the
`SandboxState` (counters, faults, and for tests the hold and `wait_for`); `stop` first
releases whatever the hold keeps waiting. `serve_forever` is what `leadbatch sandbox`
runs: it prints the environment lines to use it and serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import Any, ClassVar, TextIO

import uvicorn

from ..config import SequenceSpec
from ..errors import UsageError
from ..models import Assistant
from .app import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_USER,
    TOKEN_PATH,
    Connections,
    build_app,
)
from .state import Faults, SandboxState, utc_now

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_USER",
    "SEED_ASSISTANTS",
    "Faults",
    "SandboxServer",
    "serve_forever",
]

_P = '<p style="font-size: 14px; line-height: 16px; margin: 0;">'
# The seed's two assistants, every field as the seed shows them.
SEED_ASSISTANTS: tuple[dict[str, Any], ...] = (
    {
        "id": 61,
        "name": "Ashley",
        "organisationId": 45,
        "completeSignature": (
            f"{_P}<strong>Ashley</strong> | <strong style=\"color: rgb(136, 136, 136);\">"
            f"<em><u>Business Assistant</u></em></strong></p>{_P}"
            '<a href="https://7targets.ai" rel="noopener noreferrer" target="_blank">BMC Software</a>'
            ' | <a href="https://www.7targets.com" rel="noopener noreferrer" target="_blank">'
            "www.7targets.com</a> |"
            '<a href="https://rahiashutosh.github.io" rel="noopener noreferrer" target="_blank">'
            f" +918209755095</a> | www.7targets.com</p>{_P}<br></p>{_P}${{NURTURING_LINE}}</p>"
        ),
        "emailid": "missashley@7targets.7ts-d.com",
        "description": "7Targets AI Assistant is helping the Sales team productivity",
        "role": "BDE",
        "defaultScheduleId": 127,
        "defaultScheduleIdForEmailCC": 3618,
        "perDayEmailLimit": 200,
    },
    {
        "id": 135,
        "name": "Lyraa",
        "organisationId": 45,
        "completeSignature": (
            f'{_P}<strong class="ql-font-comicsansms">Lyra</strong></p>'
            f'{_P}<span class="ql-font-comicsansms">Business Development Assistant</span></p>'
            f'{_P}<span class="ql-font-comicsansms">7targets.ai</span></p>{_P}<br></p>'
            f'{_P}<span class="ql-font-comicsansms">${{NURTURING_LINE}}</span></p>'
        ),
        "emailid": "lyra@7targets.7ts-d.com",
        "description": None,
        "role": None,
        "defaultScheduleId": 135,
        "defaultScheduleIdForEmailCC": 3619,
        "perDayEmailLimit": 200,
    },
)


class _TrackConnections(asyncio.Protocol):
    """Mixed into uvicorn's HTTP protocol: remembers each connection's transport by peer."""

    sandbox_transports: ClassVar[Connections]
    _peer: tuple[str, int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._peer = (str(peer[0]), int(peer[1]))
            self.sandbox_transports[self._peer] = transport
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._peer is not None:
            self.sandbox_transports.pop(self._peer, None)
        super().connection_lost(exc)


def _protocol_class(connections: Connections) -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.auto import AutoHTTPProtocol  # httptools if installed, else h11

    return type(
        "SandboxHTTPProtocol", (_TrackConnections, AutoHTTPProtocol), {"sandbox_transports": connections}
    )


class SandboxServer:
    """The sandbox in a background thread: `with SandboxServer() as s: ... s.url ...`."""

    def __init__(
        self,
        *,
        port: int = 0,
        faults: Faults = Faults(),  # noqa: B008 (frozen)
        assistants: Sequence[Assistant] | None = None,
        sequences: Sequence[SequenceSpec] = (),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        """`sequences` makes those known (with their first-step delay); `clock` times tokens;
        `wall_clock` (aware, UTC by default) dates the leads' nextScheduleTime."""
        seeded = (
            [a.model_dump(by_alias=True, mode="json") for a in assistants]
            if assistants is not None
            else list(SEED_ASSISTANTS)
        )
        self.state = SandboxState(seeded, faults, sequences=sequences, clock=clock,
                                  wall_clock=wall_clock)
        self.port = port
        self.url = ""
        self.token_url = ""
        self._server: uvicorn.Server | None = None
        self._transports: Connections = {}
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        if self._server is not None:
            return self  # already serving
        # proto must say TCP: asyncio sets TCP_NODELAY on accepted sockets only then, and
        # without it every keep-alive answer waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.port))
        except OSError as exc:
            sock.close()
            raise UsageError(
                f"cannot listen on 127.0.0.1:{self.port}: {exc.strerror or exc} "
                "(try another --port, or 0 for any free one)"
            ) from None
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.token_url = self.url + TOKEN_PATH
        connections: Connections = {}
        self._transports = connections  # peer -> transport of every open connection
        config = uvicorn.Config(
            build_app(self.state, connections),
            http=_protocol_class(connections),
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            backlog=2048,
            timeout_keep_alive=60,  # longer than clients keep idle connections: no reuse races
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="leadbatch-sandbox", daemon=True
        )
        thread.start()
        while not server.started:
            if not thread.is_alive():
                sock.close()
                raise RuntimeError("the sandbox server failed to start")
            thread.join(0.01)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self.state.release()  # a stopping sandbox holds nothing back: held calls are answered
        self._server.should_exit = True
        self._thread.join(10)
        self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The LEADBATCH_* variables that point leadbatch at this sandbox."""
        return {
            "LEADBATCH_API_URL": self.url,
            "LEADBATCH_TOKEN_URL": self.token_url,
            "LEADBATCH_CLIENT_ID": SANDBOX_CLIENT_ID,
            "LEADBATCH_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "LEADBATCH_USER_IDENTIFIER": SANDBOX_USER,
        }


def serve_forever(server: SandboxServer, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
    """Start `server`, print its environment lines, serve until SIGINT/SIGTERM, stop cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        for name, value in server.env().items():
            print(f"{name}={value}", file=out)
        out.flush()
        count = len(server.state.assistants)
        print(
            f"leadbatch sandbox: serving a 7Targets-compatible API on {server.url} "
            f"({count} assistant{'s' if count != 1 else ''}); Ctrl-C to stop",
            file=err,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("leadbatch sandbox: stopped", file=err, flush=True)
