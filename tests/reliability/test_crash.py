"""Crash runs: `leadbatch run` killed with SIGKILL at seeded random moments, then the
same command again, until it finishes; the sandbox is a separate process that lives on.

Moments are drawn from a seeded generator: most at a random time into the run (start-up,
planning, sending), some the instant the results workbook's temporary file appears
(during the results write). After each kill: the journal passes SQLite's integrity check,
any results workbook present opens and holds no formula (a kill never leaves half a
file), and every row then in flight is noted: those, and only those, may be POSTed again.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from kit import (
    FULL,
    Figures,
    FiguresBook,
    clean_env,
    duplicate_figures,
    formula_cells,
    journal_ok,
    journal_states,
    lost_rows,
    popen_leadbatch,
    sheet_rows,
    size,
    write_assistants,
    write_leads,
)

LEADS = size(150, 2000)
KILLS = size(4, 24)
PER_CAMPAIGN = size(4, 6)  # kills before a campaign's run may finish; then a new campaign
LATENCY = 0.02  # the sandbox's answer time: a run lasts long enough to be killed in flight
CONCURRENCY = 8
SEED = 20261123


def sandbox_state(url: str) -> dict[str, dict[str, int]]:
    with urllib.request.urlopen(f"{url}/_sandbox/state", timeout=10) as answer:
        state: dict[str, dict[str, int]] = json.load(answer)
    return state


def _temp_files(folder: Path) -> set[Path]:
    return set(folder.glob(".results.xlsx.*.tmp"))


def kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """SIGKILL `proc` as soon as `ready()`; False if it ended first."""
    while proc.poll() is None:
        if ready():
            proc.kill()
            proc.wait(30)
            return True
        time.sleep(0.0005)
    return False


def test_kill_9_at_random_moments_then_the_same_command_finishes_the_job(
    tmp_path: Path, spawn_sandbox: Callable[..., Any], figures: FiguresBook
) -> None:
    rng = random.Random(SEED)
    # a quarter of the kills the instant the results workbook is being written; at least one
    modes = ["write" if rng.random() < 0.25 else "time" for _ in range(KILLS)]
    if "write" not in modes:
        modes[1] = "write"
    assistants = write_assistants(tmp_path / "assistants.json")
    sandbox = spawn_sandbox("--assistants", str(assistants), "--latency", str(LATENCY))
    env, url = clean_env(sandbox.env), sandbox.url
    phases: Counter[str] = Counter()
    kills, campaign = 0, 0
    while kills < KILLS:
        campaign += 1
        folder = tmp_path / f"campaign{campaign}"
        folder.mkdir()
        prefix = f"c{campaign}-lead"
        write_leads(folder / "leads.csv", LEADS, prefix=prefix)
        expected = {i + 2: f"{prefix}{i}@example.org" for i in range(LEADS)}
        results, journal = folder / "results.xlsx", folder / "results.xlsx.journal.sqlite"
        in_flight: Counter[str] = Counter()
        here: Counter[str] = Counter()
        started, mine = time.monotonic(), 0
        while True:
            proc = popen_leadbatch("run", "leads.csv", "-o", "results.xlsx", "--assistants",
                                   str(assistants), "--concurrency", str(CONCURRENCY),
                                   cwd=folder, env=env, log=folder / "log.txt")
            if kills >= KILLS or mine >= PER_CAMPAIGN:  # enough kills: let this one finish
                assert proc.wait(300) == 0, (folder / "log.txt").read_text()
                break
            before = journal_states(journal)
            left = LEADS - sum(s == "succeeded" for s in before.values())
            stray = _temp_files(folder)  # left by earlier kills
            if modes[kills] == "write":
                phase = "writing the results"
                killed = kill_when(proc, lambda: bool(_temp_files(folder) - stray))  # noqa: B023
            else:
                # start-up takes about a second; sending about LATENCY * rows / CONCURRENCY
                at = time.monotonic() + rng.uniform(0.05, 1.2 + left * LATENCY / CONCURRENCY)
                killed = kill_when(proc, lambda: time.monotonic() >= at)  # noqa: B023
                phase = _phase(journal, before, _temp_files(folder) - stray)
            if not killed:
                assert proc.returncode == 0, (folder / "log.txt").read_text()
                break
            kills, mine = kills + 1, mine + 1
            phases[phase] += 1
            here[phase] += 1
            states = journal_states(journal)
            in_flight.update(k.partition(":")[2] for k, s in states.items() if s == "in_flight")
            assert not journal.exists() or journal_ok(journal)
            if results.exists():  # an earlier run's workbook, whole, never half written
                openpyxl.load_workbook(results).close()
                assert formula_cells(results) == []

        log = (folder / "log.txt").read_text()
        assert "Traceback" not in log
        counts = sandbox_state(url)["post_counts"]
        mine_counts = {e: n for e, n in counts.items() if e.startswith(prefix)}
        total, matched, unexplained = duplicate_figures(mine_counts, in_flight)
        rows = sheet_rows(results, "Results")
        lost = lost_rows(results, expected)
        fig = figures.add(Figures(
            "crashes", f"campaign {campaign}", rows=LEADS, sent=len(mine_counts),
            created=sum(r["status"] == "created" for r in rows),
            failed=sum(r["status"] == "failed" for r in rows), duplicates=total,
            resent_after_lost_answer=matched, unexplained=unexplained, lost_rows=len(lost),
            in_flight_at_kill=sum(in_flight.values()), kills=mine,
            seconds=round(time.monotonic() - started, 1),
            notes="killed " + ", ".join(f"{n} x while {p}" for p, n in sorted(here.items())),
            extra={"stray temporary files left by kills": len(_temp_files(folder))}))
        assert lost == []
        assert unexplained == 0, {e: n for e, n in mine_counts.items() if n > 1}
        assert fig.created == LEADS and set(mine_counts) == set(expected.values())
    assert kills >= KILLS
    assert phases["writing the results"] >= 1
    if FULL:
        assert phases["sending"] >= 1


def _phase(journal: Path, before: dict[str, str], new_temp_files: set[Path]) -> str:
    """Where the run was when it was killed, from what it left behind."""
    if new_temp_files:
        return "writing the results"
    states = journal_states(journal)
    if states == before:
        return "starting up (nothing recorded yet)"
    if any(s in ("in_flight", "pending") for s in states.values()):
        return "sending"
    return "between sending and writing the results"
