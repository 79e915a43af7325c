"""Shared fixtures: the sandbox API, over real loopback sockets.

`sandbox` is a started `SandboxServer` in a background thread (one per test);
`sandbox_env` is the environment for a subprocess pointed at it; `spawn_sandbox` starts
`python -m leadbatch sandbox --port 0` as a separate process (for tests that kill the
client or the server) and stops it at teardown.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from sandbox_process import SandboxProcess, start_sandbox_process

from leadbatch.sandbox import SandboxServer


@pytest.fixture(autouse=True)
def own_ledger(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test its own ledger: never the developer's, never another test's. Through
    LEADBATCH_LEDGER, and XDG_DATA_HOME for children whose environment drops LEADBATCH_*."""
    home = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.setenv("LEADBATCH_LEDGER", str(home / "ledger.sqlite"))


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox API with the seed's two assistants and no faults."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox_env(sandbox: SandboxServer) -> dict[str, str]:
    """os.environ plus the LEADBATCH_* variables pointing at `sandbox`."""
    return {**os.environ, **sandbox.env()}


@pytest.fixture
def spawn_sandbox() -> Iterator[Callable[..., SandboxProcess]]:
    """A factory: spawn_sandbox("--drop", "0.1") -> a running SandboxProcess."""
    started: list[SandboxProcess] = []

    def spawn(*args: str, env: dict[str, str] | None = None) -> SandboxProcess:
        started.append(start_sandbox_process(*args, env=env))
        return started[-1]

    yield spawn
    for process in started:
        process.stop()
        if process.proc.stdout is not None:
            process.proc.stdout.close()
        process.stderr.close()
