"""The ledger: one SQLite file (per account by default; one file may hold several, each
row marked with its account: API URL + user identifier), the one record of every lead leadbatch sends there and of the emails its plans book per
assistant-day, shared by every run, output file and folder.

- A send is **claimed** before its request: a create by its normalised email (so no two
  runs, output files, folders or symlinks ever create the same lead twice), an update or
  stop by its email within its campaign (the results workbook it is sent for). A claim
  held by a run that is still alive is not taken: the other run waits or leaves the row
  for later. A claim left by a run that died is the one case of a second send (the
  answer was lost; POST /leads creates or assigns by email, so that is safe).
- **Load**: every run books the emails of its rows (first email and followups) on the
  days they count on, so later plans of other sheets count them against each
  assistant-day; a sent row's days are firm, a planned row's are replaced when its
  campaign is planned again.

Durable as the journal is (WAL, synchronous=FULL): a claim is committed before its
request goes out and its outcome right after. A run's liveness is an exclusive lock on a
small file beside the ledger, held while it runs, so a crashed run's claims can be told
from a running one's without trusting process ids. `Ledger` is the only class that knows
it is SQLite: a shared server database could stand behind the same methods later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import JournalError, UsageError

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sends (
    key TEXT PRIMARY KEY, account TEXT NOT NULL, action TEXT NOT NULL, email TEXT NOT NULL, state TEXT NOT NULL,
    owner TEXT, campaign TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', row INTEGER,
    assistant_email TEXT, lead_id INTEGER, http_status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',
    sent_at TEXT, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS load (
    account TEXT NOT NULL, campaign TEXT NOT NULL, row INTEGER NOT NULL, email TEXT NOT NULL,
    assistant_email TEXT NOT NULL, day TEXT NOT NULL, emails INTEGER NOT NULL,
    firm INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS load_by_day ON load (account, day);
CREATE INDEX IF NOT EXISTS load_by_row ON load (account, campaign, row);
CREATE INDEX IF NOT EXISTS sends_by_row ON sends (account, campaign, row);
"""
_BUSY_MS = 30_000  # how long a write waits for another run's transaction


class ClaimState(enum.StrEnum):
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Sent:
    """One send as the ledger knows it."""

    key: str
    action: str
    email: str
    state: ClaimState
    campaign: str
    source: str
    row: int | None
    assistant_email: str | None
    lead_id: int | None
    http_status: int | None
    attempts: int
    error: str
    sent_at: str | None

    @classmethod
    def of(cls, r: sqlite3.Row) -> Sent:
        return cls(r["key"], r["action"], r["email"], ClaimState(r["state"]), r["campaign"],
                   r["source"], r["row"], r["assistant_email"], r["lead_id"], r["http_status"],
                   r["attempts"], r["error"], r["sent_at"])


class Verdict(enum.Enum):
    GO = "go"  # claimed: send it
    DONE = "done"  # succeeded already (see `Claim.sent`)
    BUSY = "busy"  # a run that is alive holds it


@dataclass(frozen=True)
class Claim:
    verdict: Verdict
    sent: Sent | None = None  # the record as found (DONE, BUSY, or a lost answer's GO)


@dataclass(frozen=True)
class Booking:
    """The emails one row books: its assistant and (day, emails) pairs."""

    row: int
    email: str
    assistant_email: str
    days: tuple[tuple[dt.date, int], ...]
    firm: bool = False  # sent: the days stand whatever its campaign does next


def account_of(api_url: str, user_identifier: str) -> str:
    """The account a ledger belongs to, as a short stable name."""
    text = f"{api_url.rstrip('/').lower()}\n{user_identifier.strip()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_path(api_url: str, user_identifier: str,
                 environ: Mapping[str, str] | None = None) -> Path:
    """`LEADBATCH_LEDGER`, else `ledger-<account>.sqlite` in the user's data folder."""
    env = os.environ if environ is None else environ
    if env.get("LEADBATCH_LEDGER", "").strip():
        return Path(env["LEADBATCH_LEDGER"].strip()).expanduser()
    import platformdirs  # only where no path is given

    folder = Path(platformdirs.user_data_dir("leadbatch", appauthor=False))
    return folder / f"ledger-{account_of(api_url, user_identifier)}.sqlite"


def claim_key(action: str, email: str, campaign: str) -> str:
    """A create is one per account; an update or stop one per campaign."""
    normal = "".join(email.split()).lower()
    return f"create:{normal}" if action == "create" else f"{action}:{normal}@{campaign}"


class Ledger:
    """One account's view of a ledger file. Many processes may hold it open at once."""

    def __init__(self, path: str | Path, account: str, *,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.path, self.account, self._now = Path(path), account, now
        self.run_id = uuid.uuid4().hex
        self._lock_all = threading.Lock()  # one connection, written from worker threads
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{folder}: cannot make the ledger's folder ({exc.strerror}); set "
                             "LEADBATCH_LEDGER to a file in a writable folder") from None
        if not os.access(folder, os.W_OK):
            raise UsageError(f"{folder}: the folder is read-only; leadbatch keeps its ledger "
                             f"{self.path.name} there: make it writable or set LEADBATCH_LEDGER")
        self._lock = self._hold_run_lock()
        try:
            self._db = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None,
                                       check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
            with self._write():  # executescript would commit: one statement at a time
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:
            self.close()
            raise UsageError(f"{self.path}: not a leadbatch ledger ({exc}); move it away or "
                             "set LEADBATCH_LEDGER to another file") from None

    # --- the file, the account, the run --------------------------------------------------

    def _hold_run_lock(self) -> IO[bytes] | None:
        """An exclusive lock on this run's own file, held until `close`: how other runs
        know this one is alive (`_alive`)."""
        folder = self._locks()
        folder.mkdir(exist_ok=True)
        handle = (folder / f"{self.run_id}.lock").open("wb")
        with contextlib.suppress(ImportError, OSError):
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return handle

    def _locks(self) -> Path:
        return self.path.with_name(self.path.name + ".runs")

    def _alive(self, run: str | None) -> bool:
        if not run or run == self.run_id:
            return run == self.run_id
        lock = self._locks() / f"{run}.lock"
        if not lock.exists():
            return False
        try:
            import fcntl
        except ImportError:  # no flock (Windows): trust the claim to a live run
            return True
        with lock.open("ab") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        with contextlib.suppress(OSError):
            lock.unlink()  # a dead run's file: nobody holds it any more
        return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._db.close()
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
                (self._locks() / f"{self.run_id}.lock").unlink()
            self._lock = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction; sqlite's failures (a full disk) become one line."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            raise JournalError(f"{self.path}: cannot write the ledger ({exc}); nothing more "
                               "was sent: make room or fix the folder, then run the same "
                               "command again") from None

    def _stamp(self) -> str:
        return self._now().astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    # --- claims ---------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        return f"{self.account}|{key}"

    def get(self, key: str) -> Sent | None:
        found = self._db.execute("SELECT * FROM sends WHERE key = ?", (self._key(key),)).fetchone()
        return Sent.of(found) if found else None

    def sent(self, emails: Iterable[str]) -> dict[str, Sent]:
        """The creates that succeeded, by normalised email, among `emails`."""
        keys = [self._key(claim_key("create", e, "")) for e in emails]
        found: dict[str, Sent] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(
                    f"SELECT * FROM sends WHERE state = 'succeeded' AND key IN ({marks})", chunk):
                found[r["email"]] = Sent.of(r)
        return found

    def by_row(self, campaign: str) -> dict[int, Sent]:
        """A campaign's creates that succeeded, by the sheet row they were sent for."""
        return {r["row"]: Sent.of(r) for r in self._db.execute(
            "SELECT * FROM sends WHERE account=? AND campaign=? AND action='create' AND "
            "state='succeeded' ORDER BY updated_at", (self.account, campaign))}

    def claim(self, key: str, *, action: str, email: str, campaign: str, source: str,
              row: int, assistant_email: str | None) -> Claim:
        """Claim a send before its request: GO (send it), DONE or BUSY (do not)."""
        with self._lock_all, self._write():
            found = self._db.execute("SELECT * FROM sends WHERE key=?", (self._key(key),)).fetchone()
            before = Sent.of(found) if found else None
            if before is not None:
                if before.state is ClaimState.SUCCEEDED:
                    return Claim(Verdict.DONE, before)
                owner = found["owner"]
                if before.state is ClaimState.IN_FLIGHT and owner != self.run_id \
                        and self._alive(owner):
                    return Claim(Verdict.BUSY, before)
            self._db.execute(
                "INSERT INTO sends (key, account, action, email, state, owner, campaign, source, "
                "row, assistant_email, updated_at) VALUES (:key, :account, :action, :email, "
                "'in_flight', :owner, :campaign, :source, :row, :assistant, :now) "
                "ON CONFLICT(key) DO UPDATE SET state='in_flight', owner=:owner, "
                "campaign=:campaign, source=:source, row=:row, assistant_email=:assistant, "
                "updated_at=:now",
                {"key": self._key(key), "account": self.account, "action": action,
                 "email": _normal(email), "owner": self.run_id, "campaign": campaign,
                 "source": source, "row": row, "assistant": assistant_email, "now": self._stamp()})
        return Claim(Verdict.GO, before)

    def finish(self, key: str, *, succeeded: bool, http_status: int | None, attempts: int,
               lead_id: int | None = None, error: str = "") -> None:
        """Record a claimed send's outcome (right after its answer)."""
        with self._lock_all, self._write():
            self._db.execute(
                "UPDATE sends SET state=:state, owner=NULL, http_status=:http, "
                "attempts=attempts+:attempts, lead_id=COALESCE(:lead, lead_id), error=:error, "
                "sent_at=CASE WHEN :ok THEN :now ELSE sent_at END, updated_at=:now WHERE key=:key",
                {"state": ClaimState.SUCCEEDED if succeeded else ClaimState.FAILED,
                 "ok": succeeded, "http": http_status, "attempts": attempts, "lead": lead_id,
                 "error": error, "now": self._stamp(), "key": self._key(key)})

    def release(self, key: str, before: Sent | None) -> None:
        """Undo a claim whose request never went out (stopped first, credentials refused)."""
        with self._lock_all, self._write():
            if before is None:
                self._db.execute("DELETE FROM sends WHERE key=? AND owner=?",
                                 (self._key(key), self.run_id))
            else:
                self._db.execute("UPDATE sends SET state=?, owner=NULL WHERE key=?",
                                 (before.state.value, self._key(key)))

    def adopt(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Take sends proven elsewhere (a per-results journal of an earlier version, a
        results workbook) that the ledger lacks. Returns how many were new."""
        rows = [{**r, "key": self._key(claim_key(r["action"], r["email"], r["campaign"])),
                 "email": _normal(r["email"]), "account": self.account, "now": self._stamp()}
                for r in records]
        with self._lock_all, self._write():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO sends (key, account, action, email, state, campaign, "
                "source, row, assistant_email, lead_id, http_status, attempts, error, sent_at, "
                "updated_at) VALUES (:key, :account, :action, :email, :state, :campaign, :source, "
                ":row, :assistant_email, :lead_id, :http_status, :attempts, :error, :sent_at, "
                ":now)", rows)
            return int(self._db.total_changes - before)

    def forget(self, email: str) -> int:
        """Forget every send to `email` (a deliberate re-send); returns how many."""
        with self._lock_all, self._write():
            gone = self._db.execute("DELETE FROM sends WHERE account=? AND email=?",
                                    (self.account, _normal(email))).rowcount
            self._db.execute("DELETE FROM load WHERE account=? AND email=?",
                             (self.account, _normal(email)))
        return int(gone)

    def sends(self, email: str | None = None) -> list[Sent]:
        query, args = "SELECT * FROM sends WHERE account=?", [self.account]
        if email is not None:
            query, args = query + " AND email=?", [*args, _normal(email)]
        return [Sent.of(r) for r in self._db.execute(query + " ORDER BY sent_at, key", args)]

    # --- load -----------------------------------------------------------------------------

    def book(self, campaign: str, bookings: Iterable[Booking]) -> None:
        """Book a campaign's rows: each row's days replace what it booked before."""
        items = list(bookings)
        with self._lock_all, self._write():
            self._db.executemany("DELETE FROM load WHERE account=? AND campaign=? AND row=?",
                                 [(self.account, campaign, b.row) for b in items])
            self._db.executemany(
                "INSERT INTO load (account, campaign, row, email, assistant_email, day, emails, "
                "firm) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(self.account, campaign, b.row, _normal(b.email), b.assistant_email,
                  d.isoformat(), n, int(b.firm)) for b in items for d, n in b.days])

    def unbook(self, campaign: str, rows: Iterable[int]) -> None:
        """Drop the planned (not firm) days of these rows: they are not to be sent."""
        with self._lock_all, self._write():
            self._db.executemany(
                "DELETE FROM load WHERE account=? AND campaign=? AND row=? AND firm=0",
                [(self.account, campaign, r) for r in rows])

    def load(self, *, since: dt.date, campaign: str | None = None, firm_too: bool = False,
             rows: Iterable[int] | None = None) -> dict[tuple[str, dt.date], int]:
        """Emails booked per (assistant, day) from `since` on, leaving out what `campaign`
        booked for `rows` (all its rows when None): planned days only, or firm ones too
        (`firm_too`), since those rows are being planned again."""
        skip = None if rows is None else set(rows)
        total: dict[tuple[str, dt.date], int] = {}
        for r in self._db.execute("SELECT campaign, row, assistant_email, day, emails, firm "
                                  "FROM load WHERE account=? AND day >= ?",
                                  (self.account, since.isoformat())):
            if r["campaign"] == campaign and (firm_too or not r["firm"]) and (
                    skip is None or r["row"] in skip):
                continue
            key = (r["assistant_email"], dt.date.fromisoformat(r["day"]))
            total[key] = total.get(key, 0) + r["emails"]
        return total

    def days(self) -> list[tuple[str, dt.date, int, int]]:
        """(assistant, day, firm emails, planned emails) for every booked day."""
        found = self._db.execute(
            "SELECT assistant_email, day, SUM(emails * firm) AS firm, "
            "SUM(emails * (1 - firm)) AS planned FROM load WHERE account=? "
            "GROUP BY assistant_email, day ORDER BY day, assistant_email", (self.account,))
        return [(r["assistant_email"], dt.date.fromisoformat(r["day"]), r["firm"], r["planned"])
                for r in found]


def _normal(email: str) -> str:
    return "".join(email.split()).lower()
