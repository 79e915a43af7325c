"""What the reliability suite shares: its size, the CLI under limits, workbooks, figures.

`LEADBATCH_RELIABILITY=full` (what `make reliability` sets) runs every class at full
size; unset, each runs a quick version in seconds. Figures rows are collected by the
`figures` fixture (conftest.py) and written to RELIABILITY.md in full mode.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

FULL = os.environ.get("LEADBATCH_RELIABILITY", "").strip().lower() == "full"
ROOT = Path(__file__).resolve().parents[2]
GIB = 1 << 30


def size(quick: int, full: int) -> int:
    return full if FULL else quick


# --- the CLI in a subprocess, bounded -------------------------------------------------------


def limited(memory: int | None = None, file_size: int | None = None) -> Callable[[], None]:
    """A preexec_fn capping the child's address space and the size of files it writes.

    SIGXFSZ is ignored so that a write past the file-size cap fails with EFBIG (as on a
    full disk) instead of killing the process.
    """

    def apply() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    return apply


def leadbatch(*args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 60,
              memory: int | None = 2 * GIB, file_size: int | None = None
              ) -> subprocess.CompletedProcess[str]:
    """`python -m leadbatch ARGS` in `cwd`, with a timeout and limits; never a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "leadbatch", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, env=dict(env if env is not None else clean_env()),
        preexec_fn=limited(memory, file_size),
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ without any LEADBATCH_* credentials a developer may have exported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBATCH_")}
    env["COLUMNS"] = "200"  # rich wraps long lines at the terminal width otherwise
    return {**env, **(extra or {})}


def popen_leadbatch(*args: str, cwd: Path, env: Mapping[str, str], log: Path
                    ) -> subprocess.Popen[bytes]:
    """Start `python -m leadbatch ARGS` with stdout and stderr going to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "leadbatch", *args], cwd=cwd,
                                stdout=out, stderr=subprocess.STDOUT, env=dict(env))


# --- inputs --------------------------------------------------------------------------------


def write_leads(path: Path, n: int, *, prefix: str = "lead", domain: str = "example.org") -> Path:
    """n distinct valid leads, by the csv module (not the reader under test)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["First_Name", "Last_Name", "Email_ID", "Lead Company"])
        for i in range(n):
            w.writerow([f"Lead{i}", f"Surname{i}", f"{prefix}{i}@{domain}", f"Company {i % 97}"])
    return path


ASSISTANTS = [
    {"id": 61, "name": "Ashley", "emailid": "ashley@7targets.example", "perDayEmailLimit": 100_000,
     "defaultScheduleId": 127},
    {"id": 135, "name": "Lyra", "emailid": "lyra@7targets.example", "perDayEmailLimit": 100_000,
     "defaultScheduleId": 135},
]


def write_assistants(path: Path) -> Path:
    """Two assistants with room for every lead on one day, so every row is due today."""
    path.write_text(json.dumps(ASSISTANTS), encoding="utf-8")
    return path


# --- workbooks -------------------------------------------------------------------------------


def formula_cells(path: Path) -> list[str]:
    """Every cell of every sheet that openpyxl reads as a formula ("Sheet!A1")."""
    book = openpyxl.load_workbook(path)
    found = [f"{ws.title}!{c.coordinate}" for ws in book.worksheets for row in ws.iter_rows()
             for c in row if c.data_type == "f"]
    book.close()
    return found


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _text(value: Any) -> Any:
    # openpyxl leaves OOXML's escapes of control characters ("_x000D_" for a CR) in
    # inline strings as they are; Excel (and calamine) decode them.
    if isinstance(value, str) and "_x" in value:
        return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), value)
    return value


def sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    """A sheet's rows as header -> value, read by openpyxl (not leadbatch's reader)."""
    book = openpyxl.load_workbook(path, read_only=True)
    grid = list(book[sheet].iter_rows(values_only=True))
    book.close()
    header = [str(h) for h in grid[0]]
    return [dict(zip(header, map(_text, row), strict=False)) for row in grid[1:]]


def file_bytes(path: Path) -> Iterable[tuple[str, bytes]]:
    """(name, bytes) of a file and, for a zip (xlsx), of every member unpacked too."""
    data = path.read_bytes()
    yield str(path), data
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                yield f"{path}:{info.filename}", zf.read(info)


# --- the journal, read from outside ---------------------------------------------------------


def journal_states(journal: Path) -> dict[str, str]:
    """send key -> state, read after the process that held the journal is gone."""
    if not journal.exists():
        return {}
    db = sqlite3.connect(journal)
    # As leadbatch does: an EXCLUSIVE WAL reader needs no -shm file, so it can read the
    # journal on the full disk it was left on.
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
    try:
        return {k: s for k, s in db.execute("SELECT key, state FROM sends")}
    finally:
        db.close()


def journal_ok(journal: Path) -> bool:
    db = sqlite3.connect(journal)
    # As leadbatch does: an EXCLUSIVE WAL reader needs no -shm file, so it can read the
    # journal on the full disk it was left on.
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
    try:
        return bool(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    finally:
        db.close()


# --- figures -------------------------------------------------------------------------------


@dataclass
class Figures:
    """One run's figures: what went in, what came out, what the API saw.

    `duplicates` counts POSTs per email beyond the first that the API acted on;
    `resent_after_lost_answer` those matched by an answer the client saw lost
    (`lost_answers`: dropped connections and read timeouts on POST) or by a row in
    flight at a crash (`in_flight_at_kill`); `unexplained` the rest, which must be 0.
    """

    suite: str
    scenario: str
    rows: int = 0
    sent: int = 0
    created: int = 0
    failed: int = 0
    duplicates: int = 0
    resent_after_lost_answer: int = 0
    unexplained: int = 0
    lost_rows: int = 0
    lost_answers: int = 0
    in_flight_at_kill: int = 0
    kills: int = 0
    after_retry: int | None = None  # created after one `retry` with the faults gone
    seconds: float = 0.0
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FiguresBook:
    """Where tests put their figures rows (the `figures` fixture); conftest writes them."""

    def __init__(self) -> None:
        self.rows: list[Figures] = []

    def add(self, figures: Figures) -> Figures:
        self.rows.append(figures)
        return figures


def duplicate_figures(post_counts: Mapping[str, int], explained: Mapping[str, int]
                      ) -> tuple[int, int, int]:
    """(POSTs beyond the first, those explained by `explained[email]`, the rest)."""
    extra = {e: n - 1 for e, n in post_counts.items() if n > 1}
    matched = sum(min(n, explained.get(e, 0)) for e, n in extra.items())
    total = sum(extra.values())
    return total, matched, total - matched


def lost_rows(results: Path, expected: Mapping[int, str]) -> list[int]:
    """Input rows (row number -> email) that the results workbook does not account for."""
    found = {int(r["row"]): str(r["email"] or "").lower()
             for r in sheet_rows(results, "Results") if r.get("row") is not None}
    return sorted(n for n, email in expected.items() if found.get(n) != email)
