"""A `leadbatch sandbox` server in its own process, for tests that kill client or server."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import IO

ENV_NAMES = (
    "LEADBATCH_API_URL",
    "LEADBATCH_TOKEN_URL",
    "LEADBATCH_CLIENT_ID",
    "LEADBATCH_CLIENT_SECRET",
    "LEADBATCH_USER_IDENTIFIER",
)


@dataclass
class SandboxProcess:
    """A `leadbatch sandbox` process: `env` holds the LEADBATCH_* lines it printed."""

    proc: subprocess.Popen[str]
    env: dict[str, str]
    stderr: IO[str] = field(repr=False)

    @property
    def url(self) -> str:
        return self.env["LEADBATCH_API_URL"]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the process and wait for it; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()


def start_sandbox_process(*args: str, env: dict[str, str] | None = None) -> SandboxProcess:
    """Start `python -m leadbatch sandbox --port 0 ARGS` and read the lines it prints."""
    stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by spawn_sandbox)
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadbatch", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    printed: dict[str, str] = {}
    while len(printed) < len(ENV_NAMES):
        line = proc.stdout.readline()
        if not line:  # the process ended before printing its lines
            proc.wait(10)
            stderr.seek(0)
            raise RuntimeError(f"leadbatch sandbox exited {proc.returncode}: {stderr.read()}")
        name, _, value = line.strip().partition("=")
        if name in ENV_NAMES:
            printed[name] = value
    return SandboxProcess(proc, printed, stderr)
