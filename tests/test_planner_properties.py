"""Invariants of the planner on random leads, assistants, limits, pins and sequences.

The loads are recomputed here from the planned rows alone, with the calendar, so a plan
that under-counts its own followups cannot pass by agreeing with itself.
"""

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadbatch.config import WEEKDAYS, PlanSettings, SequenceSpec
from leadbatch.models import Assistant, Lead, RowError, RowStatus, SourceRow
from leadbatch.plan import HORIZON_DAYS, Plan, SendingCalendar, plan_leads

STARTS = [dt.date(2026, 3, 2), dt.date(2026, 12, 23), dt.date(2026, 7, 2)]
TODAY = dt.date(2026, 1, 1)


@dataclass
class Case:
    rows: list[SourceRow]
    assistants: list[Assistant]
    settings: PlanSettings


steps_st = st.lists(st.integers(0, 9), min_size=1, max_size=4, unique=True).map(
    lambda xs: tuple(sorted(xs))
)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    limits = draw(st.lists(st.integers(0, 5), max_size=4))
    assistants = [
        Assistant(emailid=f"a{i}@s.com", perDayEmailLimit=lim,
                  defaultScheduleId=draw(st.sampled_from([None, 1])))
        for i, lim in enumerate(limits)
    ]
    mode = draw(st.sampled_from(["release", "release", "sequence"]))
    n_seq = draw(st.integers(1 if mode == "sequence" else 0, 3))
    sequences = tuple(
        SequenceSpec(name=f"S{k}", id=draw(st.sampled_from([None, k + 1])), steps=draw(steps_st))
        for k in range(n_seq)
    )
    names = [s.name for s in sequences if s.name]
    rotation: tuple[str, ...] = ()
    if mode == "release" and names:
        rotation = tuple(draw(st.lists(st.sampled_from(names), unique=True, max_size=3)))
    start = draw(st.sampled_from(STARTS))
    plan_settings = PlanSettings(
        start=start,
        end=draw(st.none() | st.integers(0, 25).map(lambda n: start + dt.timedelta(days=n))),
        days=tuple(draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True))),
        holidays=draw(st.sampled_from([None, "US"])),
        max_per_day=draw(st.none() | st.integers(1, 4)),
        headroom=draw(st.sampled_from([0.0, 0.25, 0.5])),
        mode=mode,
        sequences=sequences,
        rotation=rotation,
        default_steps=draw(st.none() | steps_st) if mode == "release" else None,
    )
    emails = [a.email for a in assistants] + ["zz@s.com"]
    rows: list[SourceRow] = []
    for n in range(draw(st.integers(0, 25))):
        number = n + 2
        kind = draw(st.sampled_from(["valid"] * 8 + ["invalid", "duplicate"]))
        if kind == "invalid":
            rows.append(SourceRow(number, {}, None, [RowError(number, "Email", "bad email")]))
            continue
        seq = draw(st.sampled_from([None, None, None, "name", "id", "unknown"]))
        spec = draw(st.sampled_from(sequences)) if sequences and seq in ("name", "id") else None
        lead = Lead(
            name=f"L{n}",
            email=f"l{n}@x.com",
            action=draw(st.sampled_from(["create"] * 6 + ["update", "stop"])),
            send_date=draw(st.none() | st.none() | st.integers(-3, 25).map(
                lambda d: start + dt.timedelta(days=d))),
            assistant_email=draw(st.none() | st.none() | st.sampled_from(emails)),
            schedule_name="Unknown" if seq == "unknown" else (
                spec.name if spec and (seq == "name" or spec.id is None) else None),
            schedule_id=spec.id if spec and seq == "id" else None,
        )
        dup = 2 if kind == "duplicate" and number > 2 else None
        rows.append(SourceRow(number, {}, lead, duplicate_of=dup))
    return Case(rows, assistants, plan_settings)


def expected_limit(a: Assistant, s: PlanSettings) -> int:
    base = a.per_day_email_limit if s.max_per_day is None else min(
        a.per_day_email_limit, s.max_per_day)
    return math.floor(base * (1 - Fraction(str(s.headroom))))


def steps_of(row: Any, case: Case) -> tuple[int, ...]:
    """The step offsets a planned create row loads, worked out from the row alone."""
    s, lead = case.settings, row.lead
    own = lead.schedule_id is not None or lead.schedule_name is not None
    if own:
        sid, name = lead.schedule_id, lead.schedule_name
    else:
        sid, name = row.schedule_id, row.schedule_name
    if sid is None and name is None:
        if s.default_steps is not None:
            return s.default_steps
        assistant = next(a for a in case.assistants if a.email == row.assistant_email)
        spec = next((q for q in s.sequences if q.id is not None
                     and q.id == assistant.default_schedule_id), None)
        return spec.steps if spec else (0,)
    if sid is not None:
        spec = next((q for q in s.sequences if q.id == sid), None)
    else:
        spec = next((q for q in s.sequences if q.name == name), None)
    if not own:
        assert spec is not None  # a sequence the planner chose is always a configured one
        assert s.mode == "sequence" or spec.name in s.rotation
    return spec.steps if spec else (0,)


def check(plan: Plan, case: Case) -> None:
    s, cal = case.settings, SendingCalendar.from_settings(case.settings)
    assert s.start is not None
    limits = {a.email: expected_limit(a, s) for a in case.assistants}
    assert plan.limits == limits
    assert [r.row for r in plan.rows] == [r.row for r in case.rows]
    load: Counter[tuple[str, dt.date]] = Counter()
    for r, src in zip(plan.rows, case.rows, strict=True):
        assert r.source is src
        if src.status is not None:  # invalid and duplicate rows keep their status and reason
            assert (r.status, r.error) == (src.status, src.error_text)
            continue
        lead = src.lead
        assert lead is not None
        if r.status is not RowStatus.PLANNED:
            assert r.status is RowStatus.UNPLACEABLE and r.error  # every row has its reason
            continue
        assert r.error == "" and r.assistant_email in limits and r.send_date is not None
        # No non-sending day is ever used, nor a day before the start.
        assert cal.is_sending_day(r.send_date) and r.send_date >= s.start
        # Pins are kept exactly.
        if lead.send_date is not None:
            assert r.send_date == lead.send_date
        if lead.assistant_email is not None:
            assert r.assistant_email == lead.assistant_email
        if lead.schedule_id is not None or lead.schedule_name is not None:
            assert (r.schedule_id, r.schedule_name) == (lead.schedule_id, lead.schedule_name)
        if lead.action != "create":
            continue
        if s.end is not None and lead.send_date is None and s.mode == "release":
            assert r.send_date <= s.end
        steps = steps_of(r, case)
        created = s.start if s.mode == "sequence" else r.send_date
        if s.mode == "sequence":
            assert created + dt.timedelta(days=steps[0]) == r.send_date
        for step in steps:
            day = cal.next_sending_day(created + dt.timedelta(days=step))
            load[r.assistant_email, day] += 1
    # The plan's loads are exactly the emails of its rows, and never over a limit.
    assert plan.load == dict(load)
    for (email, _day), n in load.items():
        assert n <= limits[email]


def check_no_room_left(plan: Plan, case: Case) -> None:
    """Leads with one email each: an unpinned lead is unplaceable only if every day is full."""
    s, cal = case.settings, SendingCalendar.from_settings(case.settings)
    assert s.start is not None
    free = [r for r in plan.rows if r.status is RowStatus.UNPLACEABLE and r.lead is not None
            and r.lead.action == "create" and r.lead.send_date is None
            and r.lead.assistant_email is None and r.lead.schedule_name is None
            and r.lead.schedule_id is None]
    if not free:
        return
    last = s.end or s.start + dt.timedelta(days=HORIZON_DAYS)
    for day in cal.sending_days(s.start, last):
        for email, limit in plan.limits.items():
            assert plan.load.get((email, day), 0) >= limit, (email, day)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_plan_invariants(case: Case) -> None:
    plan = plan_leads(case.rows, case.assistants, case.settings, today=TODAY)
    check(plan, case)
    # Determinism: the same input gives the same plan.
    again = plan_leads(case.rows, case.assistants, case.settings, today=TODAY)
    assert again.rows == plan.rows and again.load == plan.load


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_single_email_leads_use_all_the_room(case: Case) -> None:
    flat = case.settings.model_copy(update={
        "mode": "release", "sequences": (), "rotation": (), "default_steps": None})
    flat_case = Case(case.rows, case.assistants, PlanSettings.model_validate(flat.model_dump()))
    plan = plan_leads(flat_case.rows, flat_case.assistants, flat_case.settings, today=TODAY)
    check(plan, flat_case)
    check_no_room_left(plan, flat_case)
