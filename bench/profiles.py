"""Profiles of the hot paths: py-spy samples a child process from outside.

py-spy (a bench-only dependency) records raw collapsed stacks with no code in the
profiled process; they are folded here into the two lists worth reading: where the time
is spent in a function itself ("self"), and what it is spent under ("total").
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .harness import ROOT

_LINE = re.compile(r":\d+\)$")
_IMPORTS = "(<frozen importlib._bootstrap>)"
_IDLE = ("EpollSelector.select ", "select ", "epoll.poll ")
# Frames every stack shares, which say nothing about where the time goes.
_BORING = ("<frozen runpy>", "asyncio/base_events.py", "asyncio/runners.py", "asyncio/events.py")


@dataclass
class Profile:
    samples: int
    self_time: list[tuple[float, str]]  # (share of samples, function)
    total_time: list[tuple[float, str]]


def py_spy() -> str | None:
    found = shutil.which("py-spy", path=str(Path(ROOT, ".venv", "bin"))) or shutil.which("py-spy")
    return found


def record(
    argv: Sequence[str],
    out: Path,
    *,
    focus: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Profile | None:
    """Run `argv` under py-spy; None if py-spy is missing or may not attach.

    With `focus`, only the samples with a frame naming one of those functions count
    (the measured work, not Python's start-up and imports).
    """
    spy = py_spy()
    if spy is None:
        return None
    raw = out.with_suffix(".txt")
    proc = subprocess.run(
        [spy, "record", "--format", "raw", "--rate", "250", "--output", str(raw), "--", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=1800,
    )
    out.with_suffix(".log").write_bytes(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not raw.is_file():
        return None
    return fold(raw.read_text().splitlines(), focus=focus)


def attach(
    pid: int, seconds: int, out: Path, *, focus: Sequence[str] = ()
) -> subprocess.Popen[bytes] | None:
    """Start sampling a running process for `seconds`; `collect` reads the result."""
    spy = py_spy()
    if spy is None:
        return None
    raw = out.with_suffix(".txt")
    log = open(out.with_suffix(".log"), "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            spy,
            "record",
            "--format",
            "raw",
            "--rate",
            "250",
            "--output",
            str(raw),
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def collect(
    proc: subprocess.Popen[bytes] | None, out: Path, *, focus: Sequence[str] = ()
) -> Profile | None:
    if proc is None:
        return None
    try:
        code = proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None
    raw = out.with_suffix(".txt")
    if code != 0 or not raw.is_file():
        return None
    return fold(raw.read_text().splitlines(), focus=focus)


def fold(lines: Sequence[str], *, focus: Sequence[str] = (), top: int = 18) -> Profile:
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_LINE.sub(")", f.strip()) for f in stack.split(";") if f.strip()]
        if not frames or (focus and not any(f.startswith(tuple(focus)) for f in frames)):
            continue
        if any(f.endswith(_IMPORTS) for f in frames):
            continue  # lazy imports: start-up, not the work
        if frames[-1].startswith(_IDLE):
            continue  # an event loop waiting for the network is not busy
        n = int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            under[frame] += n
    if total == 0:
        return Profile(0, [], [])
    interesting = [
        (v / total, k)
        for k, v in under.most_common()
        if not any(b in k for b in _BORING) and "(bench/" not in k and v / total < 0.995
    ]
    return Profile(
        total,
        [(v / total, k) for k, v in own.most_common(top)],
        interesting[:top],
    )


def render(title: str, profile: Profile | None) -> list[str]:
    if profile is None:
        return [f"*{title}: no profile (py-spy missing or not allowed to attach).*", ""]
    lines = [f"**{title}** ({profile.samples} samples at 250 Hz in the measured work)", "", "```"]
    lines.append("self  (time in the function itself)")
    lines += [f"  {100 * s:5.1f}%  {name}" for s, name in profile.self_time]
    lines.append("total (time in the function and what it calls)")
    lines += [f"  {100 * s:5.1f}%  {name}" for s, name in profile.total_time]
    lines += ["```", ""]
    return lines
