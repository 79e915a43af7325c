"""Sending a plan: which rows go now, bounded concurrency, a rate cap, the journal.

`execute()` takes every row of a plan (or of a results workbook read back), decides which
are due (`decision.select`), and sends them through a `LeadsClient`, writing each row's state to the journal
durably before and after its request. A row that succeeded (in the journal or in the
workbook) is never sent again; a row whose answer was lost (`in_flight`) is sent once
more. Setting `stop` stops taking new rows; in-flight requests finish. Cancelling the
task stops even those (their rows stay `in_flight`, to be sent once more next time).

A row whose request never reached the API (credentials rejected, no token, no connection)
stays pending and is counted in `Report.not_sent`, never as failed or sent. When the
server is gone (rows in a row without an answer, or the token endpoint failing after its
retries) the run stops taking rows and says so in `Report.server_gone` (exit 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import (
    ApiError,
    AuthError,
    NetworkError,
    ServerGone,
    TokenEndpointError,
    TransientApiError,
    Unreachable,
)
from ..models import Action, Outcome, PlanRow, ResultRow, RowStatus
from .claims import LedgerClaims
from .decision import Mode, Scope, select
from .group_commit import JournalWriter
from .journal import Journal, SendRecord, SendState, merge, row_key
from .ledger import Claim
from .ledger import Verdict as ClaimVerdict

if TYPE_CHECKING:
    from .client import Sent  # the HTTP stack loads only with a client

NEEDS_ATTENTION = frozenset(
    {RowStatus.FAILED, RowStatus.INVALID, RowStatus.DUPLICATE, RowStatus.UNPLACEABLE}
)
INTERRUPTED = "due, but not sent: the run was stopped first; run the same command again"
# Rows in a row whose request got no answer (after its retries) before a run decides the
# server is gone and stops taking rows (issue 15): one bad row is not an outage.
GIVE_UP_AFTER = 5


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
    not_sent: int = 0  # rows tried whose request never reached the API (left pending)

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
    sent: int = 0  # rows whose request reached the API in this run (answered or not)
    due_unsent: int = 0  # rows that were due but were not sent (stopped, or auth failed)
    in_scope: set[int] = field(default_factory=set)  # retry: the rows it was asked to send
    interrupted: bool = False
    auth_error: AuthError | None = None
    server_gone: ServerGone | None = None  # the run stopped: the API or token endpoint is gone
    not_sent: Counter[str] = field(default_factory=Counter)  # why rows tried were not sent

    def counts(self) -> Counter[RowStatus]:
        return Counter(r.outcome.status for r in self.rows)

    @property
    def failed(self) -> int:
        return self.counts()[RowStatus.FAILED]

    @property
    def exit_code(self) -> int:
        """2 credentials rejected; 1 rows need attention or due rows were left unsent;
        0 otherwise (rows pending for a later day are expected in release mode)."""
        if self.auth_error is not None or self.server_gone is not None:
            return 2
        # retry's code follows run's: rows still invalid or failed need the user either way
        if self.due_unsent or any(r.outcome.status in NEEDS_ATTENTION for r in self.rows):
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
    claims: LedgerClaims | None = None,
    give_up_after: int = GIVE_UP_AFTER,
    stop_without_token: bool = True,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Report:
    """Send the rows that are due (see `select`) and return every row's outcome.

    `rows` are a plan's rows (outcome: unsent) or a results workbook's, read back. With
    `claims`, each send is first claimed in the account's ledger: a lead another run,
    output or folder already created is recorded as created, not sent again.
    After `give_up_after` rows in a row got no answer (or once the token endpoint failed
    after its retries, unless `stop_without_token` is off), the run stops taking rows
    (`Report.server_gone`): the rows it did not try stay pending, and so do those whose
    request never left.
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
    unanswered = 0  # rows in a row whose request got no answer
    finished = asyncio.Event()  # set each time a request ends

    def tell() -> None:
        if progress is not None:
            progress(Progress(len(todo), done, failed, flying, clock() - started,
                              sum(report.not_sent.values())))

    def gone(exc: ApiError, why: str) -> None:
        if report.server_gone is None:
            report.server_gone = ServerGone(
                f"{why} ({exc.message}); stopped: the rows not sent are left pending; run "
                "the same command again once the server answers")
        stop.set()

    async def worker() -> None:
        nonlocal done, failed, flying, unanswered
        while not stop.is_set():
            # After a row that got no answer, no new row starts until those in flight have
            # ended: were the server gone, they decide it, and no fresh row waits out a
            # deadline (or two) for nothing.
            while unanswered and flying and not stop.is_set():
                finished.clear()
                await finished.wait()
            if stop.is_set():
                return
            i = next(queue, None)
            if i is None:
                return
            row = known[i]
            key = row_key(row.plan)
            assert key is not None
            body = row.plan.api_body()  # the pydantic Lead is built here, not held per row
            claim = await claims.claim(row.plan, sleep, stop) if claims is not None else None
            if claim is not None and claim.verdict is not ClaimVerdict.GO:
                record = await writer.submit(partial(_elsewhere, journal, key, row.plan, claim))
                begun.add(i)  # settled here: `_finish` takes the journal's word for it
                known[i] = merge(rows[i], record)
                done += 1
                tell()
                continue
            before = await writer.submit(partial(journal.start, key, row.plan))
            if stop.is_set():  # asked to stop while the mark was being committed
                await writer.submit(partial(journal.restore, key, before))
                if claims is not None and claim is not None:
                    await claims.release(row.plan, claim)
                return
            if limiter is not None:
                await limiter.wait()  # after the commit, so the cap holds for the requests
                if stop.is_set():
                    await writer.submit(partial(journal.restore, key, before))
                    if claims is not None and claim is not None:
                        await claims.release(row.plan, claim)
                    return
            begun.add(i)
            flying += 1
            try:
                sent = await client.send(row.plan.source.action, body)
            except (AuthError, TokenEndpointError, Unreachable) as exc:
                # The request never reached the API: the row is not sent, not failed.
                if isinstance(exc, AuthError):
                    report.auth_error = exc
                    stop.set()  # nothing more can be sent with these credentials
                    report.not_sent["credentials rejected"] += 1
                elif isinstance(exc, TokenEndpointError):
                    report.not_sent["no token from the token endpoint"] += 1
                    if stop_without_token:  # no row can be sent without a token
                        gone(exc, "the token endpoint failed after its retries")
                else:
                    report.not_sent["the API could not be reached"] += 1
                    unanswered += 1
                    if unanswered >= give_up_after:
                        gone(exc, f"{unanswered} rows in a row could not reach the API")
                op = partial(journal.release, key, attempts=exc.attempts,
                             error=f"not sent: {exc.message}")
                if claims is not None and claim is not None:
                    await claims.release(row.plan, claim)
            except ApiError as exc:
                report.sent += 1
                unanswered = unanswered + 1 if isinstance(exc, NetworkError) else 0
                if unanswered >= give_up_after:
                    gone(exc, f"{unanswered} rows in a row got no answer from the API")
                failed += 1
                op = partial(journal.failed, key, http_status=exc.status,
                             attempts=exc.attempts, error=_describe(exc, retry_command))
                if claims is not None:
                    await claims.finish(row.plan, False, exc.status, exc.attempts, None,
                                        exc.message)
            else:
                report.sent += 1
                unanswered = 0
                op = partial(journal.succeeded, key, http_status=sent.http_status,
                             attempts=sent.attempts, lead_id=sent.lead.id,
                             next_schedule_time=sent.lead.next_schedule_time)
                if claims is not None:
                    await claims.finish(row.plan, True, sent.http_status, sent.attempts,
                                        sent.lead.id, "")
            finally:
                flying -= 1
                finished.set()
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


def _elsewhere(journal: Journal, key: str, plan: PlanRow, claim: Claim) -> SendRecord:
    """The journal's record for a row the ledger says not to send: created by another
    run (DONE), or still being sent by one that is alive (BUSY: left for the next run)."""
    sent = claim.sent
    assert sent is not None
    journal.start(key, plan)
    if claim.verdict is ClaimVerdict.DONE:
        return journal.succeeded(key, http_status=sent.http_status or 201, attempts=0,
                                 lead_id=sent.lead_id, next_schedule_time=None)
    return journal.release(key, attempts=0, error=f"being sent by another leadbatch run (for "
                           f"{Path(sent.campaign).name}): run the same command again once it "
                           "has finished")


def _describe(exc: ApiError, retry_command: str) -> str:
    """The error cell: the server's own message for a rejected row; for a transient
    failure, what happened and the command that sends the row again."""
    if isinstance(exc, TransientApiError):
        return f"{exc.message}; to send it again: {retry_command}"
    return exc.message
