"""The crash-safe journal: a SQLite file beside the results workbook.

`RESULTS.xlsx` -> `RESULTS.xlsx.journal.sqlite`. Every send is keyed by action and
normalised email (so the same prospect is never created twice, even if rows move between
runs), and its state is committed durably (WAL, synchronous=FULL) *before* the request
(`in_flight`) and *after* it (`succeeded` / `failed`). After a kill -9 or a power cut,
`in_flight` rows are the only ones sent once more: POST /leads creates or assigns by email,
so that is safe. The journal also keeps a snapshot of the run's rows, so the results
workbook can be rebuilt from it at any time. No credential is ever stored here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ..errors import JournalError, UsageError
from ..models import (
    SUCCESS_FOR_ACTION,
    Lead,
    Outcome,
    PlanRow,
    ResultRow,
    RowStatus,
    SourceRow,
    iso_date,
)

T = TypeVar("T")
JOURNAL_SUFFIX = ".journal.sqlite"
SCHEMA_VERSION = "1"
ABOUT = "about"  # meta: the run's mode, start, through... as the results Summary lists them

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sends (
    key TEXT PRIMARY KEY, row INTEGER NOT NULL, action TEXT NOT NULL, email TEXT NOT NULL,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, http_status INTEGER,
    lead_id INTEGER, next_schedule_time TEXT, error TEXT NOT NULL DEFAULT '', sent_at TEXT,
    assistant_email TEXT, send_date TEXT, schedule_id INTEGER, schedule_name TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot (
    seq INTEGER PRIMARY KEY, row INTEGER NOT NULL, key TEXT, plan_status TEXT NOT NULL, error TEXT NOT NULL,
    assistant_email TEXT, send_date TEXT, schedule_id INTEGER, schedule_name TEXT,
    lead TEXT, cells TEXT NOT NULL, echo TEXT NOT NULL, outcome TEXT NOT NULL
);
"""


class SendState(enum.StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def journal_path(results: str | Path) -> Path:
    """The journal that belongs to a results workbook."""
    path = Path(results)
    return path.with_name(path.name + JOURNAL_SUFFIX)


def send_key(action: str, email: str) -> str:
    """What identifies one send: the action and the email, ignoring case and spaces."""
    return f"{action}:{''.join(email.split()).lower()}"


def row_key(row: PlanRow) -> str | None:
    src = row.source
    return send_key(src.action, src.email) if src.email is not None else None


@dataclass(frozen=True)
class SendRecord:
    """One send as the journal knows it."""

    key: str
    row: int
    action: str
    email: str
    state: SendState
    attempts: int
    http_status: int | None
    lead_id: int | None
    next_schedule_time: str | None
    error: str
    sent_at: str | None
    assistant_email: str | None
    send_date: dt.date | None
    schedule_id: int | None
    schedule_name: str | None

    def outcome(self) -> Outcome | None:
        """The row's outcome, or None when it has not been sent (or its answer was lost)."""
        if self.state is SendState.SUCCEEDED:
            status = SUCCESS_FOR_ACTION.get(self.action, RowStatus.CREATED)
        elif self.state is SendState.FAILED:
            status = RowStatus.FAILED
        else:
            return None
        return Outcome(status, self.error, self.lead_id, self.next_schedule_time,
                       self.http_status, self.attempts, self.sent_at)


class Journal:
    """The journal of one results workbook; one process at a time may hold it open."""

    def __init__(self, path: str | Path, *,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.path = Path(path)
        self._now = now  # stamps sentAt / updated_at
        folder = self.path.parent
        if folder.is_dir() and not os.access(folder, os.W_OK):
            # SQLite would only say "disk I/O error" or "unable to open database file".
            raise UsageError(f"{folder}: the folder is read-only; leadbatch keeps the "
                             f"journal {self.path.name} there: make it writable, or write "
                             "the results elsewhere with -o")
        try:
            # isolation_level=None: each statement commits on its own, unless BEGIN is used.
            # check_same_thread=False: `JournalWriter` commits from a worker thread, one
            # batch at a time; nothing else touches the connection meanwhile.
            self._db = sqlite3.connect(self.path, timeout=0, isolation_level=None,
                                       check_same_thread=False)
        except sqlite3.Error as exc:
            raise UsageError(f"{self.path}: cannot open the journal: {exc}") from None
        try:
            # EXCLUSIVE before WAL: no shared memory, and a second `leadbatch run` on the
            # same results cannot send the same rows at the same time.
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("BEGIN EXCLUSIVE")
            self._db.executescript(_SCHEMA)  # executescript commits, keeping the lock
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        except sqlite3.OperationalError as exc:
            self._db.close()
            if "locked" in str(exc):
                raise UsageError(f"{self.path}: another leadbatch run is using this journal; "
                                 "wait for it to finish") from None
            raise UsageError(f"{self.path}: cannot use the journal: {exc}") from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise UsageError(f"{self.path}: not a leadbatch journal ({exc}); move it "
                             "away to start afresh") from None

    @classmethod
    def for_results(cls, results: str | Path) -> Journal:
        return cls(journal_path(results))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def meta(self, name: str) -> str | None:
        found = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(found[0]) if found else None

    def set_meta(self, name: str, value: str) -> None:
        with self._transaction("BEGIN"):
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    # --- sends ---------------------------------------------------------------------------

    def get(self, key: str) -> SendRecord | None:
        cur = self._db.execute("SELECT * FROM sends WHERE key = ?", (key,))
        found = cur.fetchone()
        return _record(found) if found else None

    def records(self) -> dict[str, SendRecord]:
        return {r[0]: _record(r) for r in self._db.execute("SELECT * FROM sends")}

    def start(self, key: str, row: PlanRow) -> SendRecord | None:
        """Mark `row` in flight (durable once committed): before its request goes out.
        Returns the record as it was, for `restore`."""
        lead = row.source
        assert lead.email is not None
        before = self.get(key)
        stamp = self._stamp()
        values = (key, row.row, lead.action, lead.email, row.assistant_email,
                  _iso(row.send_date), row.schedule_id, row.schedule_name, stamp)
        self._db.execute(
            "INSERT INTO sends (key, row, action, email, state, assistant_email, send_date, "
            "schedule_id, schedule_name, updated_at) VALUES (?,?,?,?,'in_flight',?,?,?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET row=excluded.row, "
            # an answer lost to a crash still cost an attempt
            "attempts = attempts + (state = 'in_flight'), state='in_flight', "
            "assistant_email=excluded.assistant_email, send_date=excluded.send_date, "
            "schedule_id=excluded.schedule_id, schedule_name=excluded.schedule_name, "
            "updated_at=excluded.updated_at",
            values,
        )
        return before

    def restore(self, key: str, before: SendRecord | None) -> None:
        """Undo `start` for a request that never went out (stopped while waiting its turn)."""
        if before is None:
            self._db.execute("DELETE FROM sends WHERE key=?", (key,))
        else:
            self._db.execute("UPDATE sends SET state=?, attempts=?, error=? WHERE key=?",
                             (before.state.value, before.attempts, before.error, key))

    def succeeded(self, key: str, *, http_status: int, attempts: int, lead_id: int | None,
                  next_schedule_time: str | None) -> SendRecord:
        return self._finish(key, SendState.SUCCEEDED, http_status, attempts, "", lead_id,
                            next_schedule_time)

    def failed(self, key: str, *, http_status: int | None, attempts: int,
               error: str) -> SendRecord:
        return self._finish(key, SendState.FAILED, http_status, attempts, error, None, None)

    def release(self, key: str, *, attempts: int, error: str) -> SendRecord:
        """Back to pending: the request was refused before the API took it (bad token)."""
        self._db.execute(
            "UPDATE sends SET state='pending', attempts=attempts+?, error=?, updated_at=? "
            "WHERE key=?", (attempts, error, self._stamp(), key))
        found = self.get(key)
        assert found is not None
        return found

    def _finish(self, key: str, state: SendState, http_status: int | None, attempts: int,
                error: str, lead_id: int | None, next_time: str | None) -> SendRecord:
        stamp = self._stamp()
        self._db.execute(
            "UPDATE sends SET state=?, attempts=attempts+?, http_status=?, error=?, lead_id=?, "
            "next_schedule_time=?, sent_at=?, updated_at=? WHERE key=?",
            (state.value, attempts, http_status, error, lead_id, next_time, stamp, stamp, key),
        )
        found = self.get(key)
        assert found is not None
        return found

    def absorb(self, other: Journal) -> None:
        """Take every send `other` knows and this journal does not (retry -o OUT)."""
        rows = other._db.execute("SELECT * FROM sends").fetchall()
        self.batch([partial(self._db.executemany,
                            "INSERT OR IGNORE INTO sends VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            rows)])

    def adopt(self, key: str, row: PlanRow, outcome: Outcome) -> None:
        """Record an outcome proven elsewhere (a results workbook) that the journal lacks."""
        lead = row.source
        if lead.email is None or self.get(key) is not None:
            return
        state = SendState.SUCCEEDED if outcome.succeeded else SendState.FAILED
        self._db.execute(
            "INSERT INTO sends VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (key, row.row, lead.action, lead.email, state.value, outcome.attempts,
             outcome.http_status, outcome.lead_id, outcome.next_schedule_time, outcome.error,
             outcome.sent_at, row.assistant_email, _iso(row.send_date), row.schedule_id,
             row.schedule_name, self._stamp()),
        )

    def batch(self, ops: Sequence[Callable[[], T]]) -> list[T]:
        """Run journal calls in one transaction: one fsync for the lot, all or nothing."""
        with self._transaction("BEGIN IMMEDIATE"):
            return [op() for op in ops]

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        """A transaction whose sqlite errors (a full disk, a read-only folder) become one
        JournalError line: the caller stops sending rather than send what it cannot record."""
        try:
            self._db.execute(begin)
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # sqlite may have rolled back already
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise JournalError(
                f"{self.path}: cannot write the journal ({exc}); nothing more was sent: "
                "make room or fix the folder, then run the same command again"
            ) from None

    # --- snapshot of the run's rows, to rebuild the workbook from -------------------------

    def save_snapshot(self, headers: Sequence[str], rows: Sequence[ResultRow]) -> None:
        """Replace the snapshot with this run's rows (one transaction, durable)."""
        stamp = self._stamp()
        # sends not made yet are `pending`, so the journal alone lists what is left to do
        pending = [
            (key, r.row, r.plan.source.action, r.plan.source.email, r.plan.assistant_email,
             _iso(r.plan.send_date), r.plan.schedule_id, r.plan.schedule_name, stamp)
            for r in rows
            if r.plan.status is RowStatus.PLANNED and (key := row_key(r.plan)) is not None
        ]
        with self._transaction("BEGIN"):
            self._db.execute("DELETE FROM snapshot")
            self._db.executemany("INSERT INTO snapshot VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                 [(i, *_snap(r)) for i, r in enumerate(rows)])
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('headers', ?)",
                             (json.dumps(list(headers)),))
            self._db.executemany(
                "INSERT OR IGNORE INTO sends (key, row, action, email, state, assistant_email, "
                "send_date, schedule_id, schedule_name, updated_at) "
                "VALUES (?,?,?,?,'pending',?,?,?,?,?)", pending)

    def result_rows(self) -> tuple[list[str], list[ResultRow]]:
        """The snapshot's rows with every outcome the journal knows: the results as of now."""
        found = self._db.execute("SELECT value FROM meta WHERE name='headers'").fetchone()
        headers: list[str] = json.loads(found[0]) if found else []
        records = self.records()
        rows = []
        for _, *snap in self._db.execute("SELECT * FROM snapshot ORDER BY seq"):
            rows.append(merge(_unsnap(snap), records.get(snap[1]) if snap[1] else None))
        return headers, rows

    def _stamp(self) -> str:
        return self._now().astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def merge(row: ResultRow, record: SendRecord | None) -> ResultRow:
    """A row's outcome with what the journal knows added: the journal is newer, except
    that a success the row already shows is never undone."""
    if row.outcome.succeeded or record is None or row.plan.status is not RowStatus.PLANNED:
        return row
    outcome = record.outcome()
    if outcome is not None and record.state is SendState.SUCCEEDED:
        # what was sent, not what this run's plan would have sent
        plan = PlanRow(row.plan.source, row.plan.status, record.assistant_email,
                       record.send_date, record.schedule_id, record.schedule_name)
        return replace(row, plan=plan, outcome=outcome)
    if outcome is not None:
        return replace(row, outcome=outcome)
    if record.state is SendState.IN_FLIGHT:
        lost = "sent, but no answer was recorded: the next run sends it once more (safe)"
        return replace(row, outcome=Outcome(RowStatus.PENDING, lost, attempts=record.attempts))
    if record.error:
        return replace(row, outcome=Outcome(RowStatus.PENDING, record.error,
                                            attempts=record.attempts))
    return row


def _snap(r: ResultRow) -> tuple[Any, ...]:
    p, o = r.plan, r.outcome
    lead = p.lead
    return (p.row, row_key(p) if lead else None, p.status.value, p.error, p.assistant_email,
            _iso(p.send_date), p.schedule_id, p.schedule_name,
            lead.model_dump_json() if lead else None, json.dumps(p.source.values),
            json.dumps(r.echo), json.dumps(o.__dict__, default=str))


def _unsnap(s: Sequence[Any]) -> ResultRow:
    n, _, status, error, assistant, day, sid, sname, lead, cells, echo, outcome = s
    src = SourceRow(n, json.loads(cells), Lead.model_validate_json(lead) if lead else None)
    plan = PlanRow(src, RowStatus(status), assistant, iso_date(day), sid, sname, error)
    data = json.loads(outcome)
    data["status"] = RowStatus(data["status"])
    return ResultRow(plan, Outcome(**data), json.loads(echo))


def _record(r: tuple[Any, ...]) -> SendRecord:
    return SendRecord(r[0], r[1], r[2], r[3], SendState(r[4]), r[5], r[6], r[7], r[8], r[9],
                      r[10], r[11], iso_date(r[12]), r[13], r[14])


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None
