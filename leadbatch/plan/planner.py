"""The placement of every row on a day, an assistant and a sequence (the rules are in
the stage's docstring, `leadbatch/plan/__init__.py`): pinned rows here, the rest by the
count program's counts (`counts`, dealt to rows by `placing`), then updates and stops,
and the plan's proof. Days and loads live in `days.DayBook`; the messages for rows
that do not fit in `reasons`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence

from ..config import PlanSettings, check_span
from ..errors import UsageError
from ..models import Assistant, PlanRow, RowStatus, SourceRow
from .placing import Placer
from .reasons import assistant_full, days_text, label
from .result import Plan, Proof
from .sequences import Seq
from .solver import INF


def plan_leads(
    rows: Sequence[SourceRow],
    assistants: Sequence[Assistant],
    settings: PlanSettings,
    *,
    today: dt.date,
    booked: Mapping[tuple[str, dt.date], int] | None = None,
) -> Plan:
    """Plan every row; `today` (in the settings' time zone) is the default start.

    `booked` is load already booked per (assistant, day), e.g. followups of leads sent
    or planned by earlier campaigns: it counts against the days it lands on."""
    start = settings.start or today
    try:
        check_span(start, settings.end)  # the start may be today's, not the settings'
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return _Planner(rows, assistants, settings, start, booked or {}).run()


class _Planner(Placer):
    """One planning run: pinned rows, then the flexible ones (`Placer`), then updates
    and stops; the Plan and its proof."""

    def run(self) -> Plan:
        fixed: list[tuple[int, int]] = []  # (0 with assistant / 1 without, row)
        flexible: list[int] = []
        others: list[int] = []
        for row, src in enumerate(self.rows):
            status = src.status
            if status is not None:
                self.out[row] = PlanRow(src, status, error=src.error_text)
            elif src.action != "create" and not src.moves_from:
                others.append(row)  # a move (see `moves_from`) takes room like a create
            elif src.send_date is not None or (self.sequence_mode and self.seqs.own(src)[0] is not None):
                fixed.append((0 if src.assistant_email or src.assistant_name else 1, row))
            else:
                flexible.append(row)
        if not self.emails:
            for row in [row for _, row in fixed] + flexible + others:
                self._reject(row, "no assistants to send from")
        else:
            for _, row in sorted(fixed):
                self._place_fixed(row)
            self.new_fixed_peak = max((max(n.values(), default=0) for n in self.all_new), default=0)
            self._place_flexible(flexible)
            self._place_others(others)
        return self._plan()

    # --- rows with a day of their own ---------------------------------------------------

    def _day_of(self, row: int) -> tuple[int | None, Seq | None, str]:
        """A fixed row's day and own sequence, or a reason it has no usable day."""
        lead = self.rows[row]
        own, spec = self.seqs.own(lead)
        date = lead.send_date
        if self.sequence_mode and own is not None:
            if spec is None:
                return None, own, (
                    f"sequence {label(own.schedule_id, own.schedule_name)} is not in [[sequences]], so when its first "
                    "email goes out is unknown (mode = sequence)"
                )
            seq_date = self.start + dt.timedelta(days=spec.delay)
            if date is not None and date != seq_date:
                return None, own, (
                    f"sendDate {date} does not match sequence {label(own.schedule_id, own.schedule_name)}, whose first "
                    f"email goes out {days_text(spec.delay)} after the start {self.start} ({seq_date})"
                )
            date = seq_date
        assert date is not None
        if date < self.start:
            return None, own, f"sendDate {date} is before the plan's start {self.start}"
        if not self.calendar.is_sending_day(date):
            return None, own, self.calendar.why_not(date)
        day = (date - self.start).days
        if self.sequence_mode and own is None and not self.seqs.by_delay.get(day):
            delays = ", ".join(str(d) for d in sorted(self.seqs.by_delay))
            return None, own, (
                f"no sequence starts {days_text(day)} after the start {self.start}, so nothing "
                f"can go out on {date} (mode = sequence; start delays configured: {delays})"
            )
        return day, own, ""

    def _place_fixed(self, row: int) -> None:
        day, own, why = self._day_of(row)
        assistant, why_assistant = self._assistant(row)
        if day is None or why_assistant:
            self._reject(row, why or why_assistant)
            return
        self.book.ensure(day + 1)
        book = self.book
        who = [assistant] if assistant is not None else sorted(
            range(len(self.emails)), key=lambda a: (-book.room(a, day), a))
        for a in who:
            for seq in self.seqs.options(a, day, own, self.sequence_mode):
                if book.works(a, day) and self._room_for(row, a, day, seq, INF):
                    self.seqs.turns[seq] += 1
                    self._take(row, a, day, seq, pinned=True)
                    return
        self._reject(row, self._why_fixed(row, who, day, own))

    def _why_fixed(self, row: int, who: list[int], day: int, own: Seq | None) -> str:
        book, date = self.book, self.book.date(day)
        if len(who) > 1:
            if all(book.room(a, day) <= 0 for a in who):
                return f"every assistant is at its daily limit on {date}"
            return f"no assistant has room on {date} for this lead and its followups"
        a = who[0]
        email = self.emails[a]
        if not book.works(a, day):
            return f"assistant {email} does not send on {date} (its own days off or ramp-up)"
        pace, cap = self.settings.pace, self.settings.per_company
        if pace is not None and self.all_new[a][day] >= pace:
            return f"assistant {email} already has {pace} new leads on {date} (pace = {pace})"
        company = self.companies[row]
        if company is not None and cap is not None and self.company_day[a, day, company] >= cap:
            return (f"assistant {email} already has {cap} new leads at {company} on {date} "
                    f"(per_company = {cap})")
        seq = self.seqs.options(a, day, own, self.sequence_mode)[0]
        over = book.first_over(a, book.emails(a, self._created(day), seq))
        return assistant_full(email, book.caps[a][day], date,
                              None if over is None else (book.date(over), book.load[a][over]))

    # --- updates and stops -----------------------------------------------------------

    def _place_others(self, rows: list[int]) -> None:
        # An update or stop is sent with the lead's own assistant: the API reassigns the
        # lead to whichever assistant the request names, so one is never guessed here.
        for row in rows:
            lead = self.rows[row]
            assistant, why = self._assistant(row)
            date = lead.send_date or self.calendar.next_sending_day(self.start)
            if not why and date < self.start:
                why = f"sendDate {date} is before the plan's start {self.start}"
            if not why and not self.calendar.is_sending_day(date):
                why = self.calendar.why_not(date)
            if not why and assistant is None:
                why = (f"{lead.action} needs the lead's assistant: fill Assistant, or send from "
                       "the results workbook that created it")
            if why or assistant is None:
                self._reject(row, why)
                continue
            self.out[row] = PlanRow(lead, RowStatus.PLANNED, assistant_email=self.emails[assistant],
                                    send_date=date, schedule_id=lead.schedule_id,
                                    schedule_name=lead.schedule_name)

    def _plan(self) -> Plan:
        new: Counter[tuple[str, dt.date]] = Counter()
        rows: list[PlanRow] = []
        for planned in self.out:
            assert planned is not None
            rows.append(planned)
            if planned.status is RowStatus.PLANNED and planned.source.action == "create":
                assert planned.assistant_email is not None and planned.send_date is not None
                new[planned.assistant_email, planned.send_date] += 1
        return Plan(rows=rows, assistants=self.assistants, settings=self.settings,
                    start=self.start, end=self.end, load=self.book.loads(self.emails),
                    limits=dict(zip(self.emails, self.book.limits, strict=True)),
                    new_leads=dict(new), booked=self.booked,
                    caps=self.book.lowered(self.emails), proof=self._proof(new))

    def _proof(self, new: Counter[tuple[str, dt.date]]) -> Proof | None:
        if not new:
            return None
        last = max(d for _, d in new)
        peak = max(new.values())
        fixed_last, fixed_peak = self.start, 0
        for planned in self.out:  # the pinned rows' days bound any plan too
            if planned is not None and planned.status is RowStatus.PLANNED and \
                    planned.source.action == "create" and planned.source.send_date is not None:
                fixed_last = max(fixed_last, planned.source.send_date)
        fixed_peak = self.new_fixed_peak
        outcome = self.outcome
        if outcome is None:  # every create row was pinned: the plan is theirs
            return Proof(last, last, peak, peak)
        earliest = None if outcome.earliest is None else max(
            self.book.date(self.days[max(outcome.earliest, self._company_bound(self.days))]),
            fixed_last)
        smoothest = peak if outcome.smoothest == INF else max(
            math.ceil(outcome.smoothest - 1e-6), fixed_peak)
        return Proof(last, earliest, peak, min(smoothest, peak), optimal=outcome.optimal)
