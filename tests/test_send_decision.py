"""The never-send-twice rule as a table: `decide` for every case, then over every input."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import fields

import pytest

from leadbatch.models import Lead, Outcome, PlanRow, ResultRow, RowStatus, SourceRow, unsent
from leadbatch.send import Decision, RowFacts, Scope, SendState, Verdict, decide

SEND, SKIP, CARRY, DUPLICATE = Verdict.SEND, Verdict.SKIP, Verdict.CARRY, Verdict.DUPLICATE
IN_FLIGHT, SUCCEEDED, FAILED, PENDING = (SendState.IN_FLIGHT, SendState.SUCCEEDED,
                                         SendState.FAILED, SendState.PENDING)


def facts(**kw: bool) -> RowFacts:
    """A planned row with a send key, first of its key, unsent, due; `kw` changes that."""
    return RowFacts(**{"planned": True, "keyed": True, "seen": False, "succeeded": False,
                       "failed": False, "recorded_pending": False, "due": True, **kw})


# (case, row facts, journal state, scope, decision)
TABLE: list[tuple[str, RowFacts, SendState | None, Scope, Decision]] = [
    ("a row the planner did not place is carried as it is",
     facts(planned=False), None, "run", Decision(CARRY)),
    ("an unplaced row the workbook shows failed is in a retry's scope, never sent",
     facts(planned=False, failed=True), None, "retry", Decision(CARRY, in_scope=True)),
    ("a row without an email is carried as it is",
     facts(keyed=False), None, "run", Decision(CARRY)),
    ("a second row with the same send key is a duplicate, due or not",
     facts(seen=True), None, "run", Decision(DUPLICATE)),
    ("a duplicate adopts nothing, even a success its cells show",
     facts(seen=True, succeeded=True), None, "run", Decision(DUPLICATE)),
    ("a duplicate of a lost answer is not sent",
     facts(seen=True), IN_FLIGHT, "run", Decision(DUPLICATE)),
    ("a success the workbook shows and the journal lacks is adopted, and carried",
     facts(succeeded=True), None, "run", Decision(CARRY, adopt=True)),
    ("a success the workbook shows beats a lost answer: never sent again",
     facts(succeeded=True), IN_FLIGHT, "run", Decision(CARRY)),
    ("a success beats a failed status cell; the retry counts the row in scope",
     facts(succeeded=True, failed=True), None, "retry",
     Decision(CARRY, adopt=True, in_scope=True)),
    ("a success the journal has is never sent again, even by a retry",
     facts(), SUCCEEDED, "retry", Decision(SKIP)),
    ("a journal success beats a failed workbook row",
     facts(failed=True), SUCCEEDED, "retry", Decision(SKIP, in_scope=True)),
    ("a lost answer is sent once more, due or not",
     facts(due=False), IN_FLIGHT, "run", Decision(SEND)),
    ("a lost answer is sent once more even when the workbook shows a failure",
     facts(failed=True), IN_FLIGHT, "run", Decision(SEND)),
    ("a failure the journal lacks is adopted; a run does not send it",
     facts(failed=True), None, "run", Decision(SKIP, adopt=True)),
    ("a failure the journal lacks is adopted, and a retry sends it",
     facts(failed=True, due=False), None, "retry", Decision(SEND, adopt=True, in_scope=True)),
    ("a failure the journal has: a run does not send it, due or not",
     facts(), FAILED, "run", Decision(SKIP)),
    ("a failure the journal has: a retry sends it, even outside its scope",
     facts(due=False), FAILED, "retry", Decision(SEND)),
    ("a failed workbook row the journal has pending: the retry sends it, nothing to adopt",
     facts(failed=True), PENDING, "retry", Decision(SEND, in_scope=True)),
    ("a new row is sent once due",
     facts(), None, "run", Decision(SEND)),
    ("a pending row is sent once due",
     facts(), PENDING, "run", Decision(SEND)),
    ("a row not due yet waits",
     facts(due=False), PENDING, "run", Decision(SKIP)),
    ("a retry sends a row recorded pending once due, in its scope",
     facts(recorded_pending=True), PENDING, "retry", Decision(SEND, in_scope=True)),
    ("a retry leaves a row recorded pending for a later day, out of its scope",
     facts(recorded_pending=True, due=False), None, "retry", Decision(SKIP)),
    ("a run has no scope: failed or pending rows are not marked",
     facts(failed=True, recorded_pending=True), FAILED, "run", Decision(SKIP)),
]


@pytest.mark.parametrize(("row", "journal", "scope", "expected"),
                         [case[1:] for case in TABLE], ids=[case[0] for case in TABLE])
def test_decision_table(row: RowFacts, journal: SendState | None, scope: Scope,
                        expected: Decision) -> None:
    assert decide(row, journal, scope) == expected


def every_input() -> list[tuple[RowFacts, SendState | None, Scope]]:
    flags = [dict(zip([f.name for f in fields(RowFacts)], values, strict=True))
             for values in itertools.product((False, True), repeat=len(fields(RowFacts)))]
    states: list[SendState | None] = [None, *SendState]
    scopes: list[Scope] = ["run", "retry"]
    return [(RowFacts(**f), s, scope) for f in flags for s in states for scope in scopes]


def test_every_input_keeps_the_never_send_twice_rule() -> None:
    for row, journal, scope in every_input():
        d = decide(row, journal, scope)
        sendable = row.planned and row.keyed and not row.seen
        if d.verdict is SEND:
            assert sendable and not row.succeeded and journal is not SUCCEEDED
            assert journal is IN_FLIGHT or scope == "retry" or (
                row.due and not row.failed and journal is not FAILED)
        if sendable and not row.succeeded and journal is IN_FLIGHT:
            assert d.verdict is SEND  # a lost answer is always sent once more
        assert (d.verdict is DUPLICATE) == (row.planned and row.keyed and row.seen)
        assert (d.verdict is CARRY) == (not (row.planned and row.keyed) or (
            not row.seen and row.succeeded))
        assert d.adopt == (sendable and journal is None and (row.succeeded or row.failed))
        assert d.in_scope == (scope == "retry" and (
            row.failed or (row.recorded_pending and row.due)))


def test_row_facts_read_the_plan_the_outcome_and_the_recorded_status() -> None:
    lead = Lead(name="A", email="a@x.io")
    plan = PlanRow(SourceRow(2, {}, lead), RowStatus.PLANNED, "b@x.io", dt.date(2026, 3, 2))
    # a leadId proves success whatever the status cell said
    shown = ResultRow(plan, Outcome(RowStatus.CREATED, lead_id=7), recorded=RowStatus.FAILED)
    assert RowFacts.of(shown, keyed=True, seen=False, due=False) == RowFacts(
        planned=True, keyed=True, seen=False, succeeded=True, failed=True,
        recorded_pending=False, due=False)
    waiting = ResultRow(plan, unsent(plan).outcome, recorded=RowStatus.PENDING)
    assert RowFacts.of(waiting, keyed=True, seen=True, due=True) == RowFacts(
        planned=True, keyed=True, seen=True, succeeded=False, failed=False,
        recorded_pending=True, due=True)
    invalid = unsent(PlanRow(SourceRow(3, {}, None), RowStatus.INVALID, error="Email: empty"))
    assert not RowFacts.of(invalid, keyed=False, seen=False, due=True).planned
