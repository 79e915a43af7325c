"""Sandbox: a local 7Targets-compatible API (token endpoint and the four lead calls) on
127.0.0.1, with fault options, to rehearse against and to test with real sockets.
Independent of every other stage.

Test hooks, none of which changes what the sandbox does unless a test asks for it:
- the hold: `SandboxState.hold(passing=N)` (or `PUT /_sandbox/hold` with
  {"holding": true, "passing": N}) lets the next N lead calls through, then keeps every
  further one waiting inside the sandbox (counted, its body read, not yet checked or
  acted on) until `release()` ({"holding": false}), or until the server stops;
  `held` (`GET /_sandbox/hold`) says how many wait. A test can then act at a known
  moment of a run (N calls answered, the next ones in flight) instead of after a sleep.
- `SandboxState.wait_for(predicate, timeout)`: blocks until the predicate on the state
  holds, woken by each change of the counters, leads or hold (no polling).
- `SandboxServer(wall_clock=...)`: the clock that dates nextScheduleTime (`clock`
  already times tokens).
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
