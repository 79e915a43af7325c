"""Which rows of a batch go now: the never-send-twice decision, row by row.

`decide` is the rule for one row (its facts and its journal record); `select` applies it
to a batch, adopting into the journal what a workbook proves. Kept apart from the
executor, which only sends what `select` chose.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ..models import Outcome, ResultRow, RowStatus
from .journal import Journal, SendState, merge, row_key

Scope = Literal["run", "retry"]
Mode = Literal["release", "sequence"]


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
