import datetime as dt
from collections import Counter
from typing import Any

import pytest

from leadbatch.config import PlanSettings, SequenceSpec
from leadbatch.errors import UsageError
from leadbatch.models import Assistant, Lead, PlanRow, RowError, RowStatus, SourceRow
from leadbatch.plan import HORIZON_DAYS, Plan, effective_limit, plan_leads

D = dt.date
MON = D(2026, 3, 2)  # a Monday
TODAY = D(2026, 3, 1)
PLANNED, UNPLACEABLE = RowStatus.PLANNED, RowStatus.UNPLACEABLE


def row(n: int, **lead: Any) -> SourceRow:
    fields: dict[str, Any] = {"name": f"Lead {n}", "email": f"lead{n}@example.com"}
    fields.update(lead)
    return SourceRow(row=n + 1, values={}, lead=Lead(**fields))


def rows(count: int, **lead: Any) -> list[SourceRow]:
    return [row(n, **lead) for n in range(1, count + 1)]


def assistant(email: str, limit: int, default: int | None = None) -> Assistant:
    return Assistant(emailid=email, perDayEmailLimit=limit, defaultScheduleId=default)


def plan(
    source: list[SourceRow], assistants: list[Assistant], today: dt.date = TODAY, **settings: Any
) -> Plan:
    settings.setdefault("start", MON)
    return plan_leads(source, assistants, PlanSettings(**settings), today=today)


def placed(p: Plan) -> list[tuple[str | None, dt.date | None]]:
    return [(r.assistant_email, r.send_date) for r in p.rows]


def per_day(p: Plan) -> Counter[dt.date]:
    return Counter(r.send_date for r in p.rows if r.status is PLANNED and r.send_date)


# --- capacity and the earliest days ----------------------------------------------------------


def test_the_earliest_last_day_then_the_smallest_peak() -> None:
    # 7 leads, room for 5 a day: two days are needed; at most 2 new leads per assistant a
    # day does it (3-and-4 would put 3 on a's Monday).
    p = plan(rows(7), [assistant("b@s.com", 2), assistant("a@s.com", 3)])
    assert placed(p) == [
        ("a@s.com", MON), ("a@s.com", MON), ("b@s.com", MON), ("b@s.com", MON),
        ("a@s.com", D(2026, 3, 3)), ("b@s.com", D(2026, 3, 3)), ("b@s.com", D(2026, 3, 3)),
    ]
    assert p.limits == {"a@s.com": 3, "b@s.com": 2}
    assert all(r.status is PLANNED and r.error == "" for r in p.rows)
    assert p.proof_lines() == [
        "last first email 2026-03-03 (the limits allow no earlier)",
        "at most 2 new leads per assistant a day (as even as the limits allow)",
    ]


def test_start_defaults_to_today_and_skips_weekend() -> None:
    saturday = D(2026, 3, 7)
    p = plan_leads(rows(2), [assistant("a@s.com", 1)], PlanSettings(), today=saturday)
    assert p.start == saturday
    assert [r.send_date for r in p.rows] == [D(2026, 3, 9), D(2026, 3, 10)]


def test_us_christmas_is_skipped() -> None:
    p = plan(rows(3), [assistant("a@s.com", 1)], start=D(2026, 12, 24), holidays="US")
    assert [r.send_date for r in p.rows] == [D(2026, 12, 24), D(2026, 12, 28), D(2026, 12, 29)]


def test_max_per_day_lowers_but_never_raises_the_limit() -> None:
    settings = PlanSettings(max_per_day=5)
    assert effective_limit(assistant("a@s.com", 50), settings) == 5
    assert effective_limit(assistant("a@s.com", 3), settings) == 3


@pytest.mark.parametrize(("limit", "headroom", "expected"), [
    (10, 0.9, 1), (100, 0.7, 30), (50, 0.1, 45), (7, 0.5, 3), (3, 0.0, 3),
])
def test_headroom_floors_exactly(limit: int, headroom: float, expected: int) -> None:
    assert effective_limit(assistant("a@s.com", limit), PlanSettings(headroom=headroom)) == expected


def test_followups_count_against_the_days_they_land_on() -> None:
    # Limit 2, each lead sends on day 0 and day 2: one new lead a day ends on Friday, as
    # filling Monday would (Mon 2, Tue 2, then Wed and Thu are full of followups), but
    # with at most one new lead a day.
    p = plan(rows(5), [assistant("a@s.com", 2)], default_steps=(0, 2))
    assert [r.send_date for r in p.rows] == [MON, *(D(2026, 3, d) for d in (3, 4, 5, 6))]
    assert p.load[("a@s.com", D(2026, 3, 4))] == 2  # Wednesday's lead and Monday's followup
    assert p.load[("a@s.com", D(2026, 3, 9))] == 2  # Thursday's and Friday's (Sunday) followups
    assert ("a@s.com", D(2026, 3, 8)) not in p.load  # Sunday is never loaded
    assert max(p.load.values()) <= 2


def test_followup_on_a_weekend_counts_on_the_next_sending_day() -> None:
    # Friday lead with a followup 1 day later (Saturday) makes Monday full at limit 1.
    friday = D(2026, 3, 6)
    p = plan(rows(2), [assistant("a@s.com", 1)], start=friday, default_steps=(0, 1))
    assert [r.send_date for r in p.rows] == [friday, D(2026, 3, 10)]
    assert p.load[("a@s.com", D(2026, 3, 9))] == 1


def test_known_default_sequence_of_an_assistant_counts_its_followups() -> None:
    seqs = (SequenceSpec(id=7, name="Recommended", steps=(0, 1)),)
    p = plan(rows(2), [assistant("a@s.com", 1, default=7)], sequences=seqs)
    # Day 1 is taken by the first lead's followup, so the second lead waits until Wednesday.
    assert [r.send_date for r in p.rows] == [MON, D(2026, 3, 4)]
    assert [(r.schedule_id, r.schedule_name) for r in p.rows] == [(None, None), (None, None)]


def test_every_limit_zero() -> None:
    p = plan(rows(2), [assistant("a@s.com", 0)])
    assert [r.status for r in p.rows] == [UNPLACEABLE, UNPLACEABLE]
    assert p.rows[0].error == "no room: every assistant's daily limit is 0"


def test_no_room_within_the_horizon() -> None:
    # 2026-03-02 + 366 days = Wednesday 2027-03-03: 52 weeks and 3 days, 263 sending days.
    p = plan(rows(270), [assistant("a@s.com", 1)])
    assert Counter(r.status for r in p.rows) == {PLANNED: 263, UNPLACEABLE: 7}
    assert max(per_day(p)) == MON + dt.timedelta(days=HORIZON_DAYS)
    assert p.rows[-1].error == (
        "no room within 366 days of 2026-03-02: every assistant is at its daily limit "
        "from 2026-03-02 to 2027-03-03"
    )


def test_no_assistants() -> None:
    p = plan(rows(1), [])
    assert p.rows[0].status is UNPLACEABLE
    assert p.rows[0].error == "no assistants to send from"


# --- spreading up to --end -------------------------------------------------------------------


def test_end_spreads_evenly() -> None:
    end = D(2026, 3, 13)  # 10 sending days
    p = plan(rows(100), [assistant("a@s.com", 50), assistant("b@s.com", 50)], end=end)
    days = per_day(p)
    assert sorted(days) == [D(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
    assert set(days.values()) == {10}
    by_assistant = Counter((r.assistant_email, r.send_date) for r in p.rows)
    assert set(by_assistant.values()) == {5}


def test_end_spreads_uneven_counts_by_at_most_one() -> None:
    p = plan(rows(23), [assistant("a@s.com", 50)], end=D(2026, 3, 6))
    assert sorted(per_day(p).values()) == [4, 4, 5, 5, 5]


def test_end_respects_capacity_and_reports_the_rest() -> None:
    p = plan(rows(12), [assistant("a@s.com", 2)], end=D(2026, 3, 6))
    assert Counter(r.status for r in p.rows) == {PLANNED: 10, UNPLACEABLE: 2}
    assert set(per_day(p).values()) == {2}
    assert p.rows[-1].error == (
        "no room on or before 2026-03-06: every assistant is at its daily limit "
        "from 2026-03-02 to 2026-03-06"
    )


def test_end_fills_around_a_full_day() -> None:
    pinned = rows(3, send_date=D(2026, 3, 3))
    free = [row(n) for n in range(10, 16)]
    p = plan(pinned + free, [assistant("a@s.com", 3)], end=D(2026, 3, 5))
    assert per_day(p) == {MON: 2, D(2026, 3, 3): 3, D(2026, 3, 4): 2, D(2026, 3, 5): 2}


def test_end_before_start_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as exc:
        plan_leads(rows(1), [assistant("a@s.com", 1)], PlanSettings(end=D(2026, 2, 1)), today=MON)
    assert str(exc.value) == "end 2026-02-01 is before start 2026-03-02"


# --- pinned rows -----------------------------------------------------------------------------


def test_pinned_rows_are_kept_and_placed_first() -> None:
    source = [row(1), row(2), row(3, send_date=MON, assistant_email="b@s.com"), row(4, send_date=MON)]
    p = plan(source, [assistant("a@s.com", 1), assistant("b@s.com", 1)])
    assert placed(p) == [
        ("a@s.com", D(2026, 3, 3)),
        ("b@s.com", D(2026, 3, 3)),
        ("b@s.com", MON),  # date + assistant: exactly as asked
        ("a@s.com", MON),  # date only: the assistant with room that day
    ]
    # An assistant pinned without a day goes on that assistant's earliest day with room.
    q = plan([row(1, send_date=MON, assistant_email="a@s.com"), row(2, assistant_email="a@s.com")],
             [assistant("a@s.com", 1), assistant("b@s.com", 5)])
    assert placed(q) == [("a@s.com", MON), ("a@s.com", D(2026, 3, 3))]


def test_pinned_row_on_a_full_day_is_unplaceable_not_moved() -> None:
    source = rows(3, send_date=MON, assistant_email="a@s.com")
    p = plan(source, [assistant("a@s.com", 2), assistant("b@s.com", 9)])
    assert [r.status for r in p.rows] == [PLANNED, PLANNED, UNPLACEABLE]
    bad = p.rows[2]
    assert bad.error == "assistant a@s.com is full on 2026-03-02 (2 of 2 emails a day already planned)"
    assert (bad.assistant_email, bad.send_date) == ("a@s.com", MON)  # shows what was asked


def test_pinned_day_full_for_everyone() -> None:
    p = plan(rows(3, send_date=MON), [assistant("a@s.com", 1), assistant("b@s.com", 1)])
    assert p.rows[2].status is UNPLACEABLE
    assert p.rows[2].error == "every assistant is at its daily limit on 2026-03-02"


def test_pinned_row_blocked_by_its_own_followup() -> None:
    source = [row(1, send_date=D(2026, 3, 4), assistant_email="a@s.com"),
              row(2, send_date=MON, assistant_email="a@s.com")]
    p = plan(source, [assistant("a@s.com", 1)], default_steps=(0, 2))
    assert p.rows[1].error == (
        "assistant a@s.com would be over its limit with a followup on 2026-03-04 "
        "(1 of 1 emails a day already planned)"
    )


@pytest.mark.parametrize(("lead", "error"), [
    ({"send_date": D(2026, 12, 25)}, "2026-12-25 is a public holiday in US (Christmas Day)"),
    ({"send_date": D(2026, 3, 7)},
     "2026-03-07 is a Saturday, not a sending day (mon,tue,wed,thu,fri)"),
    ({"send_date": D(2026, 2, 27)}, "sendDate 2026-02-27 is before the plan's start 2026-03-02"),
    ({"assistant_email": "zz@s.com"}, "assistant zz@s.com is not one of the assistants"),
    ({"send_date": MON, "assistant_email": "zz@s.com"},
     "assistant zz@s.com is not one of the assistants"),
])
def test_pinned_row_that_cannot_fit_says_why(lead: dict[str, Any], error: str) -> None:
    p = plan([row(1, **lead)], [assistant("a@s.com", 5)], holidays="US")
    assert p.rows[0].status is UNPLACEABLE
    assert p.rows[0].error == error


def test_own_sequence_is_kept_and_its_steps_counted() -> None:
    seqs = (SequenceSpec(name="Long", steps=(0, 1)),)
    p = plan([row(1, schedule_name="Long"), row(2, schedule_id=42), row(3)],
             [assistant("a@s.com", 2)], sequences=seqs)
    # Two days are needed either way; Long's followup counts on the day after it.
    assert [(r.schedule_id, r.schedule_name) for r in p.rows] == [(None, "Long"), (42, None),
                                                                   (None, None)]
    long_day = p.rows[0].send_date
    assert long_day is not None and max(r.send_date for r in p.rows if r.send_date) == D(2026, 3, 3)
    assert p.load[("a@s.com", long_day + dt.timedelta(days=1))] >= 1
    assert all(n <= 2 for n in p.load.values())


# --- sequences: A/B rotation -----------------------------------------------------------------


def test_rotation_is_balanced_per_assistant_and_day() -> None:
    seqs = (SequenceSpec(name="A"), SequenceSpec(name="B"))
    p = plan(rows(40), [assistant("a@s.com", 10), assistant("b@s.com", 10)],
             sequences=seqs, rotation=("A", "B"))
    split = Counter((r.assistant_email, r.send_date, r.schedule_name) for r in p.rows)
    assert set(split.values()) == {5}
    assert len(split) == 8  # 2 assistants x 2 days x 2 sequences


def test_rotation_odd_days_balance_overall() -> None:
    seqs = (SequenceSpec(name="A"), SequenceSpec(name="B"))
    p = plan(rows(9), [assistant("a@s.com", 3)], sequences=seqs, rotation=("A", "B"))
    names = [r.schedule_name for r in p.rows]
    assert Counter(names) == {"A": 5, "B": 4}
    by_day = Counter((r.send_date, r.schedule_name) for r in p.rows)
    assert all(abs(by_day[d, "A"] - by_day[d, "B"]) == 1 for d in per_day(p))  # 3 a day
    assert [r.send_date for r in p.rows] == [MON] * 3 + [D(2026, 3, 3)] * 3 + [D(2026, 3, 4)] * 3


def test_rotation_takes_the_sequence_that_fits() -> None:
    seqs = (SequenceSpec(name="A", steps=(0, 1)), SequenceSpec(name="B"))
    blocker = row(1, send_date=D(2026, 3, 3), assistant_email="a@s.com", schedule_name="B")
    p = plan([blocker, row(2)], [assistant("a@s.com", 1)], sequences=seqs, rotation=("A", "B"))
    assert (p.rows[1].send_date, p.rows[1].schedule_name) == (MON, "B")


# --- sequence mode ---------------------------------------------------------------------------


SEQUENCE_MODE = {
    "mode": "sequence",
    "sequences": (
        SequenceSpec(name="Now", steps=(0, 3)),
        SequenceSpec(name="In 2 days", id=12, steps=(2, 4)),
        SequenceSpec(name="In 7 days", steps=(7,)),
        SequenceSpec(name="Saturday", steps=(12,)),  # 2026-03-14: never usable
    ),
}


def test_sequence_mode_maps_days_to_start_delays() -> None:
    p = plan(rows(7), [assistant("a@s.com", 2)], **SEQUENCE_MODE)
    assert [(r.send_date, r.schedule_id, r.schedule_name) for r in p.rows] == [
        (MON, None, "Now"), (MON, None, "Now"),
        (D(2026, 3, 4), 12, "In 2 days"), (D(2026, 3, 4), 12, "In 2 days"),
        (D(2026, 3, 9), None, "In 7 days"), (D(2026, 3, 9), None, "In 7 days"),
        (None, None, None),  # day 12 is a Saturday: no usable day is left
    ]
    assert p.rows[6].error == (
        "no room on the days the sequences' start delays allow "
        "(2026-03-02, 2026-03-04, 2026-03-09): every assistant is at its daily limit"
    )
    # Everything is sent on the start day; sendDate is when the first email goes out.
    assert {p.release_date(r) for r in p.rows[:6]} == {MON}
    assert p.release_date(p.rows[6]) is None
    assert p.load[("a@s.com", D(2026, 3, 5))] == 2  # "Now" followups on day 3
    assert p.load[("a@s.com", D(2026, 3, 6))] == 2  # "In 2 days" followups on day 4


def test_sequence_mode_pinned_rows() -> None:
    source = [
        row(1, send_date=D(2026, 3, 4)),
        row(2, schedule_name="In 7 days"),
        row(3, send_date=D(2026, 3, 3)),
        row(4, schedule_name="Unknown"),
        row(5, schedule_name="Now", send_date=D(2026, 3, 4)),
    ]
    p = plan(source, [assistant("a@s.com", 5)], **SEQUENCE_MODE)
    assert [(r.status, r.send_date, r.schedule_name) for r in p.rows[:2]] == [
        (PLANNED, D(2026, 3, 4), "In 2 days"), (PLANNED, D(2026, 3, 9), "In 7 days"),
    ]
    assert p.rows[2].error == (
        "no sequence starts 1 day after the start 2026-03-02, so nothing can go out on "
        "2026-03-03 (mode = sequence; start delays configured: 0, 2, 7, 12)"
    )
    assert p.rows[3].error == (
        "sequence 'Unknown' is not in [[sequences]], so when its first email goes out is "
        "unknown (mode = sequence)"
    )
    assert p.rows[4].error == (
        "sendDate 2026-03-04 does not match sequence 'Now', whose first email goes out "
        "0 days after the start 2026-03-02 (2026-03-02)"
    )


def test_sequence_mode_same_delay_sequences_take_turns() -> None:
    seqs = (SequenceSpec(name="A"), SequenceSpec(name="B"))
    p = plan(rows(4), [assistant("a@s.com", 4)], mode="sequence", sequences=seqs)
    assert [r.schedule_name for r in p.rows] == ["A", "B", "A", "B"]


# --- rows that are not new leads -------------------------------------------------------------


def test_invalid_and_duplicate_rows_pass_through_with_their_error() -> None:
    bad = SourceRow(row=3, values={"Email": "x"}, lead=None,
                    errors=[RowError(3, "Email", "invalid email")])
    dup = SourceRow(row=4, values={}, lead=Lead(name="D", email="lead1@example.com"),
                    duplicate_of=2)
    p = plan([row(1), bad, dup], [assistant("a@s.com", 5)])
    assert [(r.row, r.status, r.error) for r in p.rows] == [
        (2, PLANNED, ""),
        (3, RowStatus.INVALID, "Email: invalid email"),
        (4, RowStatus.DUPLICATE, "duplicate of row 2 (same email)"),
    ]
    assert p.load == {("a@s.com", MON): 1}


def test_update_and_stop_take_no_capacity() -> None:
    source = [
        row(1, action="update", assistant_email="a@s.com"),
        row(2, action="stop", assistant_email="b@s.com", id=99),
        row(3, action="update", assistant_email="a@s.com", send_date=D(2026, 3, 5)),
        row(4),
        row(5, action="stop", assistant_email="a@s.com", send_date=D(2026, 3, 7)),
        row(6, action="update"),
    ]
    p = plan(source, [assistant("a@s.com", 1), assistant("b@s.com", 1)], start=D(2026, 3, 1))
    assert placed(p)[:4] == [
        ("a@s.com", MON),  # its own assistant, the first sending day
        ("b@s.com", MON),  # its own assistant
        ("a@s.com", D(2026, 3, 5)),  # its own day
        ("a@s.com", MON),  # a create still fits: updates took no room
    ]
    assert p.rows[4].error == "2026-03-07 is a Saturday, not a sending day (mon,tue,wed,thu,fri)"
    # The API reassigns a lead to the assistant a PUT names: none is ever guessed.
    assert (p.rows[5].status, p.rows[5].error) == (UNPLACEABLE, "update needs the lead's "
                                                   "assistant: fill Assistant, or send from the "
                                                   "results workbook that created it")
    assert p.new_leads == {("a@s.com", MON): 1}


# --- the plan as a whole ---------------------------------------------------------------------


def test_same_input_same_plan() -> None:
    seqs = (SequenceSpec(name="A", steps=(0, 2)), SequenceSpec(name="B", steps=(0, 4)))
    source = rows(50) + rows(5, send_date=D(2026, 3, 4))
    team = [assistant(f"a{i}@s.com", 3 + i) for i in range(4)]

    def snapshot() -> list[PlanRow]:
        return plan(source, team, sequences=seqs, rotation=("A", "B"), holidays="US").rows

    assert snapshot() == snapshot()


def test_summary_lists_every_sending_day_and_assistant() -> None:
    p = plan(rows(3), [assistant("a@s.com", 1), assistant("b@s.com", 1)], default_steps=(0, 4))
    # Tuesday's lead follows up on Saturday, counted on Monday 9th.
    assert p.summary() == [
        (MON, "a@s.com", 1, 1), (MON, "b@s.com", 1, 1),
        (D(2026, 3, 3), "a@s.com", 1, 1), (D(2026, 3, 3), "b@s.com", 0, 1),
        (D(2026, 3, 4), "a@s.com", 0, 1), (D(2026, 3, 4), "b@s.com", 0, 1),
        (D(2026, 3, 5), "a@s.com", 0, 1), (D(2026, 3, 5), "b@s.com", 0, 1),
        (D(2026, 3, 6), "a@s.com", 1, 1), (D(2026, 3, 6), "b@s.com", 1, 1),
        (D(2026, 3, 9), "a@s.com", 1, 1), (D(2026, 3, 9), "b@s.com", 0, 1),
    ]
    assert p.new_leads == {("a@s.com", MON): 1, ("b@s.com", MON): 1, ("a@s.com", D(2026, 3, 3)): 1}
    assert p.counts() == {PLANNED: 3}


def test_settings_rotation_must_name_configured_sequences() -> None:
    with pytest.raises(ValueError, match="rotation: sequence 'C' is not one of the"):
        PlanSettings(sequences=(SequenceSpec(name="A"),), rotation=("A", "C"))


def test_an_assistant_named_by_its_name_gets_its_email() -> None:
    named = [Assistant(emailid="lyra@s.com", name="Lyra", perDayEmailLimit=5),
             Assistant(emailid="ash@s.com", name="Ashley", perDayEmailLimit=5),
             Assistant(emailid="ash2@s.com", name="ashley", perDayEmailLimit=5)]
    source = [SourceRow(2, {}, fields={"name": "A", "email": "a@x.io", "assistant_name": "LYRA"}),
              SourceRow(3, {}, fields={"name": "B", "email": "b@x.io", "assistant_name": "Ashley"}),
              SourceRow(4, {}, fields={"name": "C", "email": "c@x.io", "assistant_name": "Zed"})]
    p = plan(source, named)
    assert [(r.status, r.assistant_email, r.error) for r in p.rows] == [
        (PLANNED, "lyra@s.com", ""),
        (UNPLACEABLE, None, 'assistant "Ashley": two assistants have this name; use its email'),
        (UNPLACEABLE, None, 'assistant "Zed" is not the name or email of one of the assistants'),
    ]
