"""The sandbox API in its own process, with its CPU time read from /proc.

The executor cases run the client in one process and `leadbatch sandbox` in another, so
that the sandbox's CPU time can be shown next to the client's: on two cores shared by
both, this says which side limits.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO

from .harness import PYTHON, ROOT, CaseFailed

_TICK = os.sysconf("SC_CLK_TCK")


class SandboxProcess:
    """`python -m leadbatch sandbox --port 0`, its environment and its CPU counter."""

    def __init__(self, log: Path, argv: list[str] | None = None) -> None:
        self.log = log
        self.argv = argv or [PYTHON, "-m", "leadbatch", "sandbox", "--port", "0"]
        self.env: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._err: IO[bytes] | None = None

    def __enter__(self) -> SandboxProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._err = open(self.log, "wb")
        proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=self._err,
            cwd=ROOT,
        )
        self._proc = proc
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while "LEADBATCH_API_URL" not in self.env or "LEADBATCH_USER_IDENTIFIER" not in self.env:
            line = proc.stdout.readline().decode().strip()
            if not line:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise CaseFailed(f"the sandbox did not start (see {self.log})")
                continue
            key, sep, value = line.removeprefix("export ").partition("=")
            if sep and key.startswith("LEADBATCH_"):
                self.env[key] = value.strip().strip("'\"")
        # Keep draining its stdout so that it never blocks on a full pipe.
        threading.Thread(target=lambda: proc.stdout and proc.stdout.read(), daemon=True).start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._err is not None:
            self._err.close()

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def url(self) -> str:
        return self.env["LEADBATCH_API_URL"].rstrip("/")

    def cpu(self) -> float:
        """User + system seconds the sandbox process has used so far (all its threads)."""
        assert self._proc is not None
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK

    def _call(self, method: str, path: str, data: dict[str, object] | None = None) -> None:
        body = json.dumps(data).encode() if data is not None else b""
        req = urllib.request.Request(
            self.url + path, data=body, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as answer:
            answer.read()

    def set_latency(self, seconds: float) -> None:
        self._call("PUT", "/_sandbox/faults", {"latency": seconds})

    def reset(self) -> None:
        self._call("POST", "/_sandbox/reset")

    def child_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}
