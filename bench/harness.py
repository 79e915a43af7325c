"""Running one case in a fresh process and measuring it: wall time, CPU time, peak RSS.

Each run is its own child process (no warm caches, no memory left over from an earlier
case); `os.wait4` hands back the child's own rusage, so peak RSS and CPU time are the
child's and nothing else's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Run:
    """One run of one case."""

    wall: float  # seconds
    cpu: float  # user + sys seconds of the child
    rss_mb: float  # peak resident set size of the child, MiB
    code: int
    report: dict[str, Any] = field(default_factory=dict)  # the child's own JSON line, if any


@dataclass
class Stat:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        return cls(statistics.median(values), min(values), max(values))


@dataclass
class Case:
    """A measured case: its runs and the summary of each figure."""

    name: str
    runs: list[Run]

    @property
    def wall(self) -> Stat:
        return Stat.of([r.wall for r in self.runs])

    @property
    def cpu(self) -> Stat:
        return Stat.of([r.cpu for r in self.runs])

    @property
    def rss(self) -> Stat:
        return Stat.of([r.rss_mb for r in self.runs])

    def figure(self, key: str) -> Stat:
        """A number the child reported (e.g. a phase's seconds), over the runs."""
        return Stat.of([float(r.report[key]) for r in self.runs])


class CaseFailed(RuntimeError):
    pass


def run_once(
    argv: Sequence[str],
    *,
    log: Path,
    env: dict[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
    timeout: float = 1800.0,
) -> Run:
    """Run `argv` in a fresh process; its stdout/stderr go to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise CaseFailed(f"{' '.join(argv)}: timed out after {timeout:.0f} s (log: {log})")
            time.sleep(0.005)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    code = proc.returncode
    if code not in ok_codes:
        tail = log.read_text(errors="replace")[-2000:]
        raise CaseFailed(f"{' '.join(argv)}: exit {code} (log: {log})\n{tail}")
    report: dict[str, Any] = {}
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith("BENCH-JSON "):
            report = json.loads(line[len("BENCH-JSON ") :])
            break
    # Linux reports ru_maxrss in KiB.
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code, report)


def measure(
    name: str,
    argv: Sequence[str],
    *,
    runs: int,
    logs: Path,
    env: dict[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
    before: Callable[[], None] | None = None,
    after: Callable[[Run], None] | None = None,
) -> Case:
    """Run a case `runs` times, each in a fresh process."""
    done: list[Run] = []
    for i in range(runs):
        if before is not None:
            before()
        slug = "".join(ch if ch.isalnum() else "_" for ch in name)
        run = run_once(argv, log=logs / f"{slug}.{i}.log", env=env, ok_codes=ok_codes)
        if after is not None:
            after(run)
        done.append(run)
        print(
            f"  {name} [{i + 1}/{runs}]: {run.wall:.2f} s wall, {run.cpu:.2f} s cpu, "
            f"{run.rss_mb:.0f} MiB",
            flush=True,
        )
    return Case(name, done)


def measure_together(
    cases: dict[str, tuple[Sequence[str], Sequence[int]]], *, runs: int, logs: Path
) -> dict[str, Case]:
    """Cases compared by a ratio, run in turn (a, b, c, a, b, c...) rather than one after
    the other: on a shared virtual machine the CPU's speed drifts by tens of per cent over
    minutes, and a drift must not land on one side of a ratio only."""
    done: dict[str, list[Run]] = {name: [] for name in cases}
    for i in range(runs):
        for name, (argv, ok_codes) in cases.items():
            slug = "".join(ch if ch.isalnum() else "_" for ch in name)
            run = run_once(argv, log=logs / f"{slug}.{i}.log", ok_codes=ok_codes)
            done[name].append(run)
            print(
                f"  {name} [{i + 1}/{runs}]: {run.wall:.2f} s wall, {run.cpu:.2f} s cpu, "
                f"{run.rss_mb:.0f} MiB",
                flush=True,
            )
    return {name: Case(name, found) for name, found in done.items()}


def loop_figures(total: int, failures: int, wall: float, cpu: float) -> dict[str, float]:
    """What a client's sending loop reports: the same keys for the library and bare."""
    return {
        "requests": total,
        "failures": failures,
        "wall": wall,
        "cpu": cpu,
        "rps": total / wall,
        "cpu_ms_per_request": 1000 * cpu / total,
    }


def emit(report: dict[str, Any]) -> None:
    """Used by drivers: hand figures back to the harness on one stdout line."""
    print("BENCH-JSON " + json.dumps(report), flush=True)
