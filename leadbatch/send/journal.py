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
from dataclasses import dataclass, fields, replace
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
# Every statement names its columns: a journal written by another version, whose columns
# may stand in another order, still reads right. The sends columns are SendRecord's fields
# and `updated_at`; before its answer, a send has these (the rest keep their defaults):
UNANSWERED = ("key", "row", "action", "email", "state", "assistant_email", "send_date",
              "schedule_id", "schedule_name", "updated_at")
SNAPSHOT = ("seq", "row", "key", "plan_status", "error", "assistant_email", "send_date",
            "schedule_id", "schedule_name", "lead", "cells", "echo", "outcome")


def _insert(table: str, columns: Sequence[str], verb: str = "INSERT") -> str:
    """`INSERT INTO table (a, b) VALUES (:a, :b)`: parameters are passed by name."""
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES (:{', :'.join(columns)})"


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


SENDS = (*(f.name for f in fields(SendRecord)), "updated_at")


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
            self._db.row_factory = sqlite3.Row  # columns are read by name
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
            self._db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', ?)",
                             (SCHEMA_VERSION,))
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
        return str(found["value"]) if found else None

    def set_meta(self, name: str, value: str) -> None:
        with self._transaction("BEGIN"):
            self._db.execute(_insert("meta", ("name", "value"), "INSERT OR REPLACE"),
                             {"name": name, "value": value})

    # --- sends ---------------------------------------------------------------------------

    def get(self, key: str) -> SendRecord | None:
        found = self._db.execute("SELECT * FROM sends WHERE key = ?", (key,)).fetchone()
        return _record(found) if found else None

    def records(self) -> dict[str, SendRecord]:
        return {r["key"]: _record(r) for r in self._db.execute("SELECT * FROM sends")}

    def start(self, key: str, row: PlanRow) -> SendRecord | None:
        """Mark `row` in flight (durable once committed): before its request goes out.
        Returns the record as it was, for `restore`."""
        before = self.get(key)
        self._db.execute(
            _insert("sends", UNANSWERED) + " ON CONFLICT(key) DO UPDATE SET row=excluded.row, "
            # an answer lost to a crash still cost an attempt
            "attempts = attempts + (state = 'in_flight'), state='in_flight', "
            "assistant_email=excluded.assistant_email, send_date=excluded.send_date, "
            "schedule_id=excluded.schedule_id, schedule_name=excluded.schedule_name, "
            "updated_at=excluded.updated_at",
            _unanswered(key, row, SendState.IN_FLIGHT, self._stamp()),
        )
        return before

    def restore(self, key: str, before: SendRecord | None) -> None:
        """Undo `start` for a request that never went out (stopped while waiting its turn)."""
        if before is None:
            self._db.execute("DELETE FROM sends WHERE key=:key", {"key": key})
        else:
            self._db.execute(
                "UPDATE sends SET state=:state, attempts=:attempts, error=:error WHERE key=:key",
                {"state": before.state.value, "attempts": before.attempts,
                 "error": before.error, "key": key})

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
            "UPDATE sends SET state='pending', attempts=attempts+:attempts, error=:error, "
            "updated_at=:updated_at WHERE key=:key",
            {"attempts": attempts, "error": error, "updated_at": self._stamp(), "key": key})
        found = self.get(key)
        assert found is not None
        return found

    def _finish(self, key: str, state: SendState, http_status: int | None, attempts: int,
                error: str, lead_id: int | None, next_time: str | None) -> SendRecord:
        stamp = self._stamp()
        self._db.execute(
            "UPDATE sends SET state=:state, attempts=attempts+:attempts, "
            "http_status=:http_status, error=:error, lead_id=:lead_id, "
            "next_schedule_time=:next_schedule_time, sent_at=:stamp, updated_at=:stamp "
            "WHERE key=:key",
            {"state": state.value, "attempts": attempts, "http_status": http_status,
             "error": error, "lead_id": lead_id, "next_schedule_time": next_time,
             "stamp": stamp, "key": key},
        )
        found = self.get(key)
        assert found is not None
        return found

    def absorb(self, other: Journal) -> None:
        """Take every send `other` knows and this journal does not (retry -o OUT)."""
        theirs = other._db.execute(f"SELECT {', '.join(SENDS)} FROM sends")
        rows = [{c: r[c] for c in SENDS} for r in theirs]
        self.batch([partial(self._db.executemany, _insert("sends", SENDS, "INSERT OR IGNORE"),
                            rows)])

    def adopt(self, key: str, row: PlanRow, outcome: Outcome) -> None:
        """Record an outcome proven elsewhere (a results workbook) that the journal lacks."""
        if row.source.email is None or self.get(key) is not None:
            return
        state = SendState.SUCCEEDED if outcome.succeeded else SendState.FAILED
        # the columns of an answer (attempts, http_status...) are named after Outcome's fields
        answer = {c: getattr(outcome, c) for c in SENDS if c not in UNANSWERED}
        self._db.execute(_insert("sends", SENDS),
                         {**_unanswered(key, row, state, self._stamp()), **answer})

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
            _unanswered(key, r.plan, SendState.PENDING, stamp)
            for r in rows
            if r.plan.status is RowStatus.PLANNED and (key := row_key(r.plan)) is not None
        ]
        with self._transaction("BEGIN"):
            self._db.execute("DELETE FROM snapshot")
            self._db.executemany(_insert("snapshot", SNAPSHOT),
                                 [_snap(i, r) for i, r in enumerate(rows)])
            self._db.execute(_insert("meta", ("name", "value"), "INSERT OR REPLACE"),
                             {"name": "headers", "value": json.dumps(list(headers))})
            self._db.executemany(_insert("sends", UNANSWERED, "INSERT OR IGNORE"), pending)

    def result_rows(self) -> tuple[list[str], list[ResultRow]]:
        """The snapshot's rows with every outcome the journal knows: the results as of now."""
        found = self._db.execute("SELECT value FROM meta WHERE name='headers'").fetchone()
        headers: list[str] = json.loads(found["value"]) if found else []
        records = self.records()
        rows = []
        for snap in self._db.execute("SELECT * FROM snapshot ORDER BY seq"):
            rows.append(merge(_unsnap(snap), records.get(snap["key"]) if snap["key"] else None))
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


def _unanswered(key: str, row: PlanRow, state: SendState, stamp: str) -> dict[str, Any]:
    """The `UNANSWERED` columns of a send: the lead, and where the plan placed it."""
    assert row.source.email is not None
    return {"key": key, "row": row.row, "action": row.source.action,
            "email": row.source.email, "state": state.value,
            "assistant_email": row.assistant_email, "send_date": _iso(row.send_date),
            "schedule_id": row.schedule_id, "schedule_name": row.schedule_name,
            "updated_at": stamp}


def _snap(seq: int, r: ResultRow) -> dict[str, Any]:
    p, o = r.plan, r.outcome
    lead = p.lead
    return {"seq": seq, "row": p.row, "key": row_key(p) if lead else None,
            "plan_status": p.status.value, "error": p.error,
            "assistant_email": p.assistant_email, "send_date": _iso(p.send_date),
            "schedule_id": p.schedule_id, "schedule_name": p.schedule_name,
            "lead": lead.model_dump_json() if lead else None,
            "cells": json.dumps(p.source.values), "echo": json.dumps(r.echo),
            "outcome": json.dumps(o.__dict__, default=str)}


def _unsnap(s: sqlite3.Row) -> ResultRow:
    lead = s["lead"]
    src = SourceRow(s["row"], json.loads(s["cells"]),
                    Lead.model_validate_json(lead) if lead else None)
    plan = PlanRow(src, RowStatus(s["plan_status"]), s["assistant_email"],
                   iso_date(s["send_date"]), s["schedule_id"], s["schedule_name"], s["error"])
    data = json.loads(s["outcome"])
    data["status"] = RowStatus(data["status"])
    return ResultRow(plan, Outcome(**data), json.loads(s["echo"]))


def _record(r: sqlite3.Row) -> SendRecord:
    named = {f.name: r[f.name] for f in fields(SendRecord)}
    return SendRecord(**{**named, "state": SendState(r["state"]),
                         "send_date": iso_date(r["send_date"])})


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None
