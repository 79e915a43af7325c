"""Many short `leadbatch` commands, each in its own bounded process, without paying for
Python's start-up and leadbatch's imports every time.

A server process (this file run as a script) imports `leadbatch.cli` once; for each
command it forks a child that sets its limits (address space, file size), moves to the
command's folder and environment, sends stdout/stderr to files and calls
`leadbatch.cli.main(args)`, exactly what the `leadbatch` script does. The server kills a
child that outlives its timeout. An exception escaping `main` is printed as Python would
print it (a traceback on stderr, exit 1), so tests see it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class ForkRunner:
    """The test side: `runner.run(args, cwd=..., env=...)` -> CompletedProcess."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, str(HERE / "forkrun.py")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(HERE)})
        self._lock = threading.Lock()

    def run(self, args: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 60,
            memory: int | None = None, file_size: int | None = None, debug_log: bool = False
            ) -> subprocess.CompletedProcess[str]:
        """`leadbatch ARGS` in a bounded child; `debug_log` sends every library's logging
        at DEBUG level to its stderr."""
        with tempfile.TemporaryDirectory() as tmp:
            out, err = Path(tmp) / "out", Path(tmp) / "err"
            request = {"args": args, "cwd": str(cwd), "env": dict(env), "timeout": timeout,
                       "memory": memory, "file_size": file_size, "debug_log": debug_log,
                       "stdout": str(out),
                       "stderr": str(err)}
            assert self._proc.stdin is not None and self._proc.stdout is not None
            with self._lock:
                self._proc.stdin.write(json.dumps(request) + "\n")
                self._proc.stdin.flush()
                answer = json.loads(self._proc.stdout.readline())
            if answer["timed_out"]:
                raise subprocess.TimeoutExpired(["leadbatch", *args], timeout)
            return subprocess.CompletedProcess(["leadbatch", *args], answer["code"],
                                               out.read_text("utf-8", "replace"),
                                               err.read_text("utf-8", "replace"))

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(10)
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def _child(request: dict[str, Any]) -> None:
    """In the forked child: limits, folder, environment, redirections, then the CLI."""
    code = 1
    try:
        from kit import limited  # imported by the server already

        limited(request["memory"], request["file_size"])()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        if request["debug_log"]:
            import logging

            logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, force=True)
        from leadbatch.cli import main

        try:
            main(list(request["args"]))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> None:
    # What every child would import: leadbatch, and what its commands load lazily.
    import kit  # noqa: F401
    import rich.console  # noqa: F401

    import leadbatch.cli
    import leadbatch.jobs
    import leadbatch.plan
    import leadbatch.workbook  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        deadline = time.monotonic() + float(request["timeout"])
        timed_out, status = False, 0
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                timed_out = True
                break
            time.sleep(0.002)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"code": code, "timed_out": timed_out}), flush=True)


if __name__ == "__main__":
    serve()
