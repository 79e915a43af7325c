"""A results folder that turns read-only, or a disk that fills up, in the middle of a job.

Wanted: one clear `leadbatch: error:` line and exit 2, nothing sent that the journal could
not record first, the journal intact, and once the folder is writable again (or has
room), the same command finishes the job: every row accounted for, no lead twice.

The folder is a small tmpfs mounted for the test (we run as root in CI; without mount
rights a read-only folder is a chmod for a non-root user, and a full disk is a file-size
limit on the child process, which fails writes with EFBIG as a full disk fails them with
ENOSPC).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from forkrun import ForkRunner
from kit import (
    ASSISTANTS,
    Figures,
    FiguresBook,
    clean_env,
    duplicate_figures,
    journal_ok,
    journal_states,
    lost_rows,
    size,
    write_assistants,
    write_leads,
)

from leadbatch.models import Assistant
from leadbatch.sandbox import SandboxServer

LEADS = size(150, 2000)
EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of `size` at `path`; yields False where mounting is not allowed."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs",
                              str(path)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=True)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def digest(folder: Path, prefix: str) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob(prefix + "*")) if p.is_file()}


def _run(forked: ForkRunner, work: Path, env: dict[str, str], *extra: str,
         file_size: int | None = None) -> tuple[int, str, str]:
    done = forked.run(["run", "leads.csv", "-o", "out/results.xlsx", "--assistants",
                       "assistants.json", "--days", EVERY_DAY, "--max-per-day",
                       str(-(-LEADS // 4)), *extra], cwd=work, env=env, file_size=file_size,
                      timeout=size(60, 600))
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def _job(tmp_path: Path) -> tuple[Path, Path, str, list[Assistant]]:
    """A work folder with the leads and assistants; its results folder; tomorrow."""
    work = tmp_path / "work"
    work.mkdir()
    write_leads(work / "leads.csv", LEADS)
    write_assistants(work / "assistants.json")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    return work, work / "out", tomorrow, [Assistant.model_validate(a) for a in ASSISTANTS]


def test_a_read_only_results_folder_is_one_line_and_the_journal_is_untouched(
    tmp_path: Path, forked: ForkRunner, figures: FiguresBook
) -> None:
    work, out, tomorrow, assistants = _job(tmp_path)
    with SandboxServer(assistants=assistants) as sandbox, tmpfs(out, "64m") as mounted:
        if not mounted and os.geteuid() == 0:
            pytest.skip("needs `mount` (root with CAP_SYS_ADMIN) to make a read-only folder")
        env = clean_env(sandbox.env())
        first = _run(forked, work, env)  # today's half is sent, tomorrow's is pending
        assert first[0] == 0, first
        before = digest(out, "results.xlsx")
        sent_before = sandbox.state.post_counts
        if mounted:
            remount(out, "ro")
        else:
            out.chmod(0o555)
        code, _stdout, stderr = _run(forked, work, env, "--through", tomorrow)
        assert sandbox.state.post_counts == sent_before  # nothing it could not record first
        if mounted:
            remount(out, "rw")
        else:
            out.chmod(0o755)
        assert digest(out, "results.xlsx") == before
        assert journal_ok(out / "results.xlsx.journal.sqlite")
        again = _run(forked, work, env, "--through", tomorrow)
        counts = sandbox.state.post_counts
        expected = {i + 2: f"lead{i}@example.org" for i in range(LEADS)}
        lost = lost_rows(out / "results.xlsx", expected)  # before the tmpfs goes
    total, _matched, unexplained = duplicate_figures(counts, {})
    figures.add(Figures("disk", "read-only results folder", rows=LEADS, sent=len(counts),
                        created=len(counts), duplicates=total, unexplained=unexplained,
                        lost_rows=len(lost), notes=f"exit {code}: {stderr.strip()}"))
    assert code == 2
    assert stderr.count("\n") == 1 and stderr.startswith("leadbatch: error: ")
    assert "results.xlsx" in stderr and "the folder is read-only" in stderr
    assert again[0] == 0, again
    assert (lost, total) == ([], 0)
    assert len(counts) == LEADS


def test_a_full_disk_is_one_line_and_the_same_command_finishes_once_there_is_room(
    tmp_path: Path, forked: ForkRunner, figures: FiguresBook
) -> None:
    work, out, tomorrow, assistants = _job(tmp_path)
    room = 256 << 10  # room for the journal's first rows, not for all of them
    with SandboxServer(assistants=assistants) as sandbox, tmpfs(out, f"{room}") as mounted:
        env = clean_env(sandbox.env())
        limit = None if mounted else room
        code, _stdout, stderr = _run(forked, work, env, "--through", tomorrow, file_size=limit)
        states = journal_states(out / "results.xlsx.journal.sqlite")
        in_flight = {k.partition(":")[2]: 1 for k, s in states.items() if s == "in_flight"}
        assert journal_ok(out / "results.xlsx.journal.sqlite")
        if mounted:
            remount(out, "size=256m")
        again = _run(forked, work, env, "--through", tomorrow)
        counts = sandbox.state.post_counts
        expected = {i + 2: f"lead{i}@example.org" for i in range(LEADS)}
        lost = lost_rows(out / "results.xlsx", expected)  # before the tmpfs goes
    total, matched, unexplained = duplicate_figures(counts, in_flight)
    figures.add(Figures("disk", "disk full while sending", rows=LEADS, sent=len(counts),
                        created=len(counts), duplicates=total, resent_after_lost_answer=matched,
                        unexplained=unexplained, lost_rows=len(lost),
                        in_flight_at_kill=len(in_flight), notes=f"exit {code}: {stderr.strip()}"))
    assert code == 2
    errors = [line for line in stderr.splitlines() if line.startswith("leadbatch: error: ")]
    assert "Traceback" not in stderr and len(errors) == 1, stderr  # progress lines may precede
    assert "cannot write the journal" in errors[0] and "run the same command again" in errors[0]
    assert again[0] == 0, again
    assert lost == [] and unexplained == 0
    assert len(counts) == LEADS
