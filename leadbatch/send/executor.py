"""Sending a plan: which rows go now, bounded concurrency, a rate cap, the journal.

`execute()` takes every row of a plan (or of a results workbook read back), decides which
are due, and sends them through a `LeadsClient`, writing each row's state to the journal
durably before and after its request. A row that succeeded (in the journal or in the
workbook) is never sent again; a row whose answer was lost (`in_flight`) is sent once
more. Setting `stop` stops taking new rows; in-flight requests finish. Cancelling the
task stops even those (their rows stay `in_flight`, to be sent once more next time).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..errors import ApiError, AuthError, TransientApiError
from ..models import Action, Outcome, ResultRow, RowStatus
from .journal import Journal, JournalWriter, SendRecord, SendState, merge, row_key

if TYPE_CHECKING:
    from .client import Sent  # the HTTP stack loads only with a client

Scope = Literal["run", "retry"]
Mode = Literal["release", "sequence"]
NEEDS_ATTENTION = frozenset(
    {RowStatus.FAILED, RowStatus.INVALID, RowStatus.DUPLICATE, RowStatus.UNPLACEABLE}
)
INTERRUPTED = "due, but not sent: the run was stopped first; run the same command again"


class Sender(Protocol):
    """What the executor needs of a client (LeadsClient is one)."""

    async def send(self, action: Action, body: dict[str, Any]) -> Sent: ...


@dataclass(frozen=True)
class Progress:
    """How far a run has got, for a progress bar or a log line."""

    total: int  # rows this run sends
    done: int  # rows finished, failed ones included
    failed: int
    in_flight: int
    elapsed: float  # seconds

    @property
    def rate(self) -> float:
        """Rows finished per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, or None before the first row finished."""
        return (self.total - self.done) / self.rate if self.rate > 0 else None


@dataclass
class Report:
    """Every row with its outcome after a run, and what the run did."""

    rows: list[ResultRow]
    scope: Scope
    sent: int = 0  # rows whose request went out in this run
    due_unsent: int = 0  # rows that were due but were not sent (stopped, or auth failed)
    in_scope: set[int] = field(default_factory=set)  # retry: the rows it was asked to send
    interrupted: bool = False
    auth_error: AuthError | None = None

    def counts(self) -> Counter[RowStatus]:
        return Counter(r.outcome.status for r in self.rows)

    @property
    def failed(self) -> int:
        return self.counts()[RowStatus.FAILED]

    @property
    def exit_code(self) -> int:
        """2 credentials rejected; 1 rows need attention or due rows were left unsent;
        0 otherwise (rows pending for a later day are expected in release mode)."""
        if self.auth_error is not None:
            return 2
        rows = self.rows if self.scope == "run" else [
            r for r in self.rows if r.row in self.in_scope
        ]
        if self.due_unsent or any(r.outcome.status in NEEDS_ATTENTION for r in rows):
            return 1
        return 0


class RateLimiter:
    """At most `rate` request starts per second, evenly spaced (a token bucket of one
    token), on the injected clock and sleep."""

    def __init__(self, rate: float, clock: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]]) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next: float | None = None

    async def wait(self) -> None:
        now = self._clock()
        slot = now if self._next is None or self._next < now else self._next
        self._next = slot + self.interval  # reserved before sleeping: callers never share
        if slot > now:
            await self._sleep(slot - now)


def is_due(row: ResultRow, *, through: dt.date, mode: Mode, start: dt.date | None) -> bool:
    """Release mode: planned on or before `through`; sequence mode: everything, once the
    plan's start (its sequences count from the day the lead is created) has come."""
    if mode == "sequence":
        return start is None or start <= through
    day = row.plan.send_date
    return day is not None and day <= through


def select(rows: Sequence[ResultRow], journal: Journal, *, scope: Scope, through: dt.date,
           mode: Mode = "release", start: dt.date | None = None
           ) -> tuple[list[ResultRow], list[int], set[int]]:
    """Each row with what is known of it, the indexes of the rows to send now, and the
    row numbers in scope. Adopts into the journal what the workbook proves."""
    records = journal.records()
    known: list[ResultRow] = []
    send: list[int] = []
    in_scope: set[int] = set()
    first_row: dict[str, int] = {}
    for i, row in enumerate(rows):
        due = is_due(row, through=through, mode=mode, start=start)
        was_failed = RowStatus.FAILED in (row.recorded, row.outcome.status)
        if scope == "retry" and (was_failed or (row.recorded is RowStatus.PENDING and due)):
            in_scope.add(row.row)
        key = row_key(row.plan)
        if row.plan.status is not RowStatus.PLANNED or key is None:
            known.append(row)
            continue
        if key in first_row:  # e.g. a row copied in an edited workbook: one send per key
            why = f"duplicate of row {first_row[key]} (same email)"
            plan = replace(row.plan, status=RowStatus.DUPLICATE, error=why)
            known.append(replace(row, plan=plan, outcome=Outcome(RowStatus.DUPLICATE, why)))
            continue
        first_row[key] = row.row
        record = records.get(key)
        if record is None and (row.outcome.succeeded or was_failed):
            journal.adopt(key, row.plan, row.outcome)  # the workbook is the proof
        if row.outcome.succeeded:
            known.append(row)
            continue
        known.append(merge(row, record))
        if record is not None and record.state is SendState.SUCCEEDED:
            continue
        if record is not None and record.state is SendState.IN_FLIGHT:
            send.append(i)  # the answer was lost: the one case of a second send
        elif was_failed or (record is not None and record.state is SendState.FAILED):
            if scope == "retry":
                send.append(i)
        elif due:
            send.append(i)
    return known, send, in_scope


async def execute(
    rows: Sequence[ResultRow],
    headers: Sequence[str],
    client: Sender,
    journal: Journal,
    *,
    through: dt.date,
    scope: Scope = "run",
    mode: Mode = "release",
    start: dt.date | None = None,
    concurrency: int = 8,
    rate: float | None = None,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    retry_command: str = "leadbatch retry RESULTS.xlsx",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Report:
    """Send the rows that are due (see `select`) and return every row's outcome.

    `rows` are a plan's rows (outcome: unsent) or a results workbook's, read back.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    # one transaction: adopting thousands of outcomes from a workbook costs one fsync
    known, todo, in_scope = journal.batch([partial(
        select, rows, journal, scope=scope, through=through, mode=mode, start=start)])[0]
    journal.save_snapshot(headers, known)
    report = Report(known, scope, in_scope=in_scope)
    limiter = RateLimiter(rate, clock, sleep) if rate else None
    stop = stop or threading.Event()
    queue = iter(todo)
    begun: set[int] = set()
    started, done, failed, flying = clock(), 0, 0, 0

    def tell() -> None:
        if progress is not None:
            progress(Progress(len(todo), done, failed, flying, clock() - started))

    async def worker() -> None:
        nonlocal done, failed, flying
        while not stop.is_set():
            i = next(queue, None)
            if i is None:
                return
            row = known[i]
            key = row_key(row.plan)
            assert key is not None
            body = row.plan.api_body()  # the pydantic Lead is built here, not held per row
            before = await writer.submit(partial(journal.start, key, row.plan))
            if stop.is_set():  # asked to stop while the mark was being committed
                await writer.submit(partial(journal.restore, key, before))
                return
            if limiter is not None:
                await limiter.wait()  # after the commit, so the cap holds for the requests
                if stop.is_set():
                    await writer.submit(partial(journal.restore, key, before))
                    return
            begun.add(i)
            flying += 1
            report.sent += 1
            try:
                sent = await client.send(row.plan.source.action, body)
            except AuthError as exc:
                report.auth_error = exc
                stop.set()  # nothing more can be sent with these credentials
                op = partial(journal.release, key, attempts=exc.attempts,
                             error=f"not sent: {exc.message}")
            except ApiError as exc:
                failed += 1
                op = partial(journal.failed, key, http_status=exc.status,
                             attempts=exc.attempts, error=_describe(exc, retry_command))
            else:
                op = partial(journal.succeeded, key, http_status=sent.http_status,
                             attempts=sent.attempts, lead_id=sent.lead.id,
                             next_schedule_time=sent.lead.next_schedule_time)
            finally:
                flying -= 1
            record = await writer.submit(op)
            known[i] = merge(rows[i], record)
            done += 1
            tell()

    writer = JournalWriter(journal)
    tell()
    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(todo)))]
    try:
        await asyncio.gather(*workers)
    except BaseException as exc:
        # a second Ctrl-C (cancelled) or a bug: stop every worker; their rows in flight stay
        # `in_flight` in the journal, to be sent once more by the next run
        stop.set()
        for w in workers:
            w.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*workers, return_exceptions=True)
        if not isinstance(exc, asyncio.CancelledError):
            raise
    finally:
        await writer.close()
    _finish(report, journal, rows, todo, begun, stop.is_set())
    return report


def _finish(report: Report, journal: Journal, rows: Sequence[ResultRow], todo: list[int],
            begun: set[int], stopped: bool) -> None:
    records = journal.records()
    for i in todo:
        key = row_key(rows[i].plan)
        record: SendRecord | None = records.get(key) if key else None
        if i not in begun:
            report.rows[i] = ResultRow(rows[i].plan, Outcome(RowStatus.PENDING, INTERRUPTED),
                                       rows[i].echo, rows[i].recorded)
            report.due_unsent += 1
            continue
        report.rows[i] = merge(rows[i], record)
        if record is None or record.state in (SendState.PENDING, SendState.IN_FLIGHT):
            report.due_unsent += 1
    report.interrupted = stopped and report.due_unsent > 0


def _describe(exc: ApiError, retry_command: str) -> str:
    """The error cell: the server's own message for a rejected row; for a transient
    failure, what happened and the command that sends the row again."""
    if isinstance(exc, TransientApiError):
        return f"{exc.message}; to send it again: {retry_command}"
    return exc.message
