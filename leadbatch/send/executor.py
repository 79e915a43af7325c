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
import enum
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

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
from .group_commit import JournalWriter
from .journal import Journal, SendRecord, SendState, merge, row_key
from .ledger import Claim
from .ledger import Verdict as ClaimVerdict

if TYPE_CHECKING:
    from .client import Sent  # the HTTP stack loads only with a client

Scope = Literal["run", "retry"]
Mode = Literal["release", "sequence"]
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


def is_due(row: ResultRow, *, through: dt.date, mode: Mode, start: dt.date | None) -> bool:
    """Whether the day the row's lead goes to the API has come by `through`.

    That day is the planner's `Plan.release_date`: the sendDate in release mode; the
    plan's start in sequence mode, where every lead is created at once and its sequence's
    start delay times the first email. It is worked out again here because a retry has
    no `Plan`, only a results workbook read back (its rows' sendDate and its Summary's
    start), and the send stage does not import the planner. An unknown start (a workbook
    without one) counts as come. The row's status is not looked at: `decide` does that.
    """
    if mode == "sequence":
        return start is None or start <= through
    day = row.plan.send_date
    return day is not None and day <= through


class Verdict(enum.Enum):
    """What `select` does with one row."""

    SEND = "send"  # shown with what the journal knows, and sent now
    SKIP = "skip"  # shown with what the journal knows, not sent now
    CARRY = "carry"  # kept exactly as it came: not a send, or the workbook proves success
    DUPLICATE = "duplicate"  # a second row with an earlier row's send key: never sent


@dataclass(frozen=True)
class RowFacts:
    """What `decide` needs to know of a row (besides its journal record)."""

    planned: bool  # its plan status is `planned`
    keyed: bool  # it has a send key (an email)
    seen: bool  # an earlier row of this batch has the same send key
    succeeded: bool  # the workbook proves the API has the lead
    failed: bool  # the workbook recorded or shows `failed`
    recorded_pending: bool  # the workbook recorded `pending`
    due: bool  # see `is_due`

    @classmethod
    def of(cls, row: ResultRow, *, keyed: bool, seen: bool, due: bool) -> RowFacts:
        return cls(row.plan.status is RowStatus.PLANNED, keyed, seen, row.outcome.succeeded,
                   RowStatus.FAILED in (row.recorded, row.outcome.status),
                   row.recorded is RowStatus.PENDING, due)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    adopt: bool = False  # record the workbook's outcome in the journal, which lacks it
    in_scope: bool = False  # a retry's exit code answers for this row (see Report)


def decide(row: RowFacts, journal: SendState | None, scope: Scope) -> Decision:
    """The never-send-twice rule for one row: a success (journal or workbook) is final;
    a lost answer (`in_flight`) is the one case of a second send; a failure is sent again
    only by a retry; anything else goes once due. `journal` is the state of the row's
    send key in the journal (None: no record)."""
    in_scope = scope == "retry" and (row.failed or (row.recorded_pending and row.due))
    if not (row.planned and row.keyed):
        return Decision(Verdict.CARRY, in_scope=in_scope)
    if row.seen:  # e.g. a row copied in an edited workbook: one send per key
        return Decision(Verdict.DUPLICATE, in_scope=in_scope)
    adopt = journal is None and (row.succeeded or row.failed)  # the workbook is the proof
    if row.succeeded:
        verdict = Verdict.CARRY
    elif journal is SendState.SUCCEEDED:
        verdict = Verdict.SKIP
    elif journal is SendState.IN_FLIGHT:
        verdict = Verdict.SEND
    elif row.failed or journal is SendState.FAILED:
        verdict = Verdict.SEND if scope == "retry" else Verdict.SKIP
    else:
        verdict = Verdict.SEND if row.due else Verdict.SKIP
    return Decision(verdict, adopt, in_scope)


def select(rows: Sequence[ResultRow], journal: Journal, *, scope: Scope, through: dt.date,
           mode: Mode = "release", start: dt.date | None = None
           ) -> tuple[list[ResultRow], list[int], set[int]]:
    """Each row with what is known of it, the indexes of the rows to send now (see
    `decide`), and the row numbers in scope. Adopts into the journal what the workbook
    proves."""
    records = journal.records()
    known: list[ResultRow] = []
    send: list[int] = []
    in_scope: set[int] = set()
    first_row: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = row_key(row.plan)
        record = records.get(key) if key is not None else None
        facts = RowFacts.of(row, keyed=key is not None, seen=key in first_row,
                            due=is_due(row, through=through, mode=mode, start=start))
        decision = decide(facts, record.state if record else None, scope)
        if decision.in_scope:
            in_scope.add(row.row)
        if key is not None and facts.planned:
            first_row.setdefault(key, row.row)
        if decision.adopt:
            assert key is not None
            journal.adopt(key, row.plan, row.outcome)
        if decision.verdict is Verdict.CARRY:
            known.append(row)
        elif decision.verdict is Verdict.DUPLICATE:
            assert key is not None
            why = f"duplicate of row {first_row[key]} (same email)"
            plan = replace(row.plan, status=RowStatus.DUPLICATE, error=why)
            known.append(replace(row, plan=plan, outcome=Outcome(RowStatus.DUPLICATE, why)))
        else:
            known.append(merge(row, record))
            if decision.verdict is Verdict.SEND:
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
    claims: LedgerClaims | None = None,
    give_up_after: int = GIVE_UP_AFTER,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Report:
    """Send the rows that are due (see `select`) and return every row's outcome.

    `rows` are a plan's rows (outcome: unsent) or a results workbook's, read back. With
    `claims`, each send is first claimed in the account's ledger: a lead another run,
    output or folder already created is recorded as created, not sent again.
    After `give_up_after` rows in a row got no answer (or once the token endpoint failed
    after its retries), the run stops taking rows (`Report.server_gone`): the rows it did
    not try stay pending, and so do those whose request never left.
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

    def tell() -> None:
        if progress is not None:
            progress(Progress(len(todo), done, failed, flying, clock() - started))

    def gone(exc: ApiError, why: str) -> None:
        if report.server_gone is None:
            report.server_gone = ServerGone(
                f"{why} ({exc.message}); stopped: the rows not sent are left pending; run "
                "the same command again once the server answers")
        stop.set()

    async def worker() -> None:
        nonlocal done, failed, flying, unanswered
        while not stop.is_set():
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
