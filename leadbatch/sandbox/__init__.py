"""Sandbox: a local 7Targets-compatible API (token endpoint and the four lead calls) on
127.0.0.1, with fault options, to rehearse against and to test with real sockets.
Independent of every other stage.
"""

from __future__ import annotations

from .app import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_USER
from .server import SEED_ASSISTANTS, SandboxServer, serve_forever
from .state import Faults, SandboxState

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_USER",
    "SEED_ASSISTANTS",
    "Faults",
    "SandboxServer",
    "SandboxState",
    "serve_forever",
]
