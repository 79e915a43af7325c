# The planner before issue 14 (greedy: each day filled to the limit), kept as the
# baseline `make bench` measures the optimiser against. Not used by leadbatch.
"""The placement of every row on a day, an assistant and a sequence (the rules are in
the stage's docstring, `leadbatch/plan/__init__.py`). The days and loads live in
`days.DayBook`; the messages for rows that do not fit in `reasons`.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from leadbatch.config import PlanSettings, SequenceSpec, check_span
from leadbatch.errors import UsageError
from leadbatch.models import Assistant, PlanRow, RowStatus, SourceRow
from leadbatch.plan.calendar import SendingCalendar
from leadbatch.plan.pins import AssistantNames
from leadbatch.plan.reasons import assistant_full, days_text, label, no_room_left
from leadbatch.plan.result import Plan, effective_limit

from .days import DayBook

HORIZON_DAYS = 366  # without --end, how far ahead a lead may be planned


@dataclass(frozen=True, slots=True, eq=False)
class _Seq:
    """A sequence a lead can get: what the PlanRow shows and the step offsets it loads.

    Interned by `_Planner._seq` and compared by identity: hashing stays cheap in hot loops.
    """

    schedule_id: int | None
    schedule_name: str | None
    steps: tuple[int, ...]


class _Want(NamedTuple):
    """What a create row pins, short of a day; rows wanting the same thing share a queue."""

    assistant: int | None
    own: _Seq | None


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


class _Planner:
    """One planning run. Assistants are indexes into `emails` (sorted: ties go to the
    lower email); days are offsets from `start`; rows are indexes into `rows`."""

    def __init__(
        self,
        rows: Sequence[SourceRow],
        assistants: Sequence[Assistant],
        settings: PlanSettings,
        start: dt.date,
        booked: Mapping[tuple[str, dt.date], int],
    ) -> None:
        self.rows, self.settings, self.start, self.end = rows, settings, start, settings.end
        self.calendar = SendingCalendar.from_settings(settings)
        self.sequence_mode = settings.mode == "sequence"
        unique: dict[str, Assistant] = {}
        for assistant in assistants:
            unique.setdefault(assistant.email, assistant)
        self.assistants = list(unique.values())
        self.emails = sorted(unique)
        self.index = {email: rank for rank, email in enumerate(self.emails)}
        self.names = AssistantNames(self.assistants)
        self.book = DayBook(self.calendar, start,
                            [effective_limit(unique[e], settings) for e in self.emails])
        self.by_id = {s.id: s for s in settings.sequences if s.id is not None}
        self.by_name = {s.name: s for s in settings.sequences if s.name}
        self.interned: dict[tuple[int | None, str | None, tuple[int, ...]], _Seq] = {}
        self.default = [self._default_seq(unique[e]) for e in self.emails]
        self.rotation = tuple(self._spec_seq(self.by_name[n]) for n in settings.rotation)
        self.by_delay: dict[int, tuple[_Seq, ...]] = {}
        for spec in settings.sequences:
            self.by_delay[spec.delay] = (*self.by_delay.get(spec.delay, ()), self._spec_seq(spec))
        # How often each rotation sequence was given, per (assistant, day) and overall.
        self.turns: Counter[tuple[int, int, _Seq]] = Counter()
        self.turns_total: Counter[tuple[int, _Seq]] = Counter()
        self.out: list[PlanRow | None] = [None] * len(rows)
        self.booked = {k: n for k, n in booked.items() if k[0] in self.index and k[1] >= start}
        for (email, date), count in self.booked.items():
            day = (date - start).days
            self.book.ensure(day + 1)
            self.book.load[self.index[email]][day] += count

    def _created(self, day: int) -> int:
        """The day the lead is created: its first-email day, or the start in sequence mode."""
        return 0 if self.sequence_mode else day

    def _choose(self, assistant: int, day: int, want: _Want) -> _Seq | None:
        """The first sequence for `want` on (assistant, day) whose emails all fit, else None."""
        if want.own is not None:
            options: Sequence[_Seq] = (want.own,)
        elif self.sequence_mode:
            options = self.by_delay.get(day, ())
        elif self.rotation:
            options = self.rotation
        else:
            options = (self.default[assistant],)
        if len(options) > 1:
            turns, total, configured = self.turns, self.turns_total, options
            options = sorted(  # least used that day, then overall, then configured order
                configured,
                key=lambda s: (turns[assistant, day, s], total[assistant, s], configured.index(s)),
            )
        created = self._created(day)
        for seq in options:
            if self.book.fits(assistant, self.book.emails(created, seq)):
                return seq
        return None

    def _take(self, row: int, assistant: int, day: int, seq: _Seq, want: _Want) -> None:
        self.book.add(assistant, self.book.emails(self._created(day), seq))
        if self.rows[row].action != "create":  # a move: its room counted, its sequence its own
            seq = self._seq(self.rows[row].schedule_id, self.rows[row].schedule_name, seq.steps)
        if want.own is None and (self.rotation or self.sequence_mode):
            self.turns[assistant, day, seq] += 1
            self.turns_total[assistant, seq] += 1
        self.out[row] = PlanRow(
            self.rows[row],
            RowStatus.PLANNED,
            assistant_email=self.emails[assistant],
            send_date=self.book.dates[day],
            schedule_id=seq.schedule_id,
            schedule_name=seq.schedule_name,
        )

    def _reject(self, row: int, reason: str) -> None:
        """Unplaceable: the row keeps what it asked for, so the workbook shows it."""
        lead = self.rows[row]
        self.out[row] = PlanRow(
            lead,
            RowStatus.UNPLACEABLE,
            assistant_email=lead.assistant_email,
            send_date=lead.send_date,
            schedule_id=lead.schedule_id,
            schedule_name=lead.schedule_name,
            error=reason,
        )

    def _default_seq(self, assistant: Assistant) -> _Seq:
        steps = self.settings.default_steps
        if steps is None:
            spec = next(
                (s for s in self.settings.sequences if s.id == assistant.default_schedule_id
                 and s.id is not None),
                None,
            )
            steps = spec.steps if spec is not None else (0,)
        return self._seq(None, None, steps)

    def _seq(self, schedule_id: int | None, name: str | None, steps: tuple[int, ...]) -> _Seq:
        return self.interned.setdefault((schedule_id, name, steps), _Seq(schedule_id, name, steps))

    def _spec_seq(self, spec: SequenceSpec) -> _Seq:
        return self._seq(spec.id, spec.name, spec.steps)

    def _own(self, row: int) -> tuple[_Seq | None, SequenceSpec | None]:
        lead = self.rows[row]
        if lead.schedule_id is None and lead.schedule_name is None:
            return None, None
        if lead.schedule_id is not None:
            spec = self.by_id.get(lead.schedule_id)
        else:
            spec = self.by_name.get(lead.schedule_name or "")
        steps = spec.steps if spec is not None else (0,)
        return self._seq(lead.schedule_id, lead.schedule_name, steps), spec

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
            elif src.send_date is not None or (self.sequence_mode and self._own(row)[0] is not None):
                fixed.append((0 if src.assistant_email or src.assistant_name else 1, row))
            else:
                flexible.append(row)
        if not self.emails:
            for row in [row for _, row in fixed] + flexible + others:
                self._reject(row, "no assistants to send from")
        else:
            for _, row in sorted(fixed):
                self._place_fixed(row)
            self._place_flexible(flexible)
            self._place_others(others)
        return self._plan()

    def _day_of(self, row: int) -> tuple[int | None, _Seq | None, str]:
        """A fixed row's day and own sequence, or a reason it has no usable day."""
        lead = self.rows[row]
        own, spec = self._own(row)
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
        if self.sequence_mode and own is None and day not in self.by_delay:
            delays = ", ".join(str(d) for d in sorted(self.by_delay))
            return None, own, (
                f"no sequence starts {days_text(day)} after the start {self.start}, so nothing "
                f"can go out on {date} (mode = sequence; start delays configured: {delays})"
            )
        return day, own, ""

    def _assistant(self, row: int) -> tuple[int | None, str]:
        """The row's own assistant (by email, or by name), or why it names none we have."""
        email, why = self.names.resolve(self.rows[row])
        return (None, why) if email is None else (self.index[email], "")

    def _place_fixed(self, row: int) -> None:
        day, own, why = self._day_of(row)
        assistant, why_assistant = self._assistant(row)
        if day is None or why_assistant:
            self._reject(row, why or why_assistant)
            return
        want = _Want(assistant, own)
        self.book.ensure(day + 1)
        if assistant is not None:
            seq = self._choose(assistant, day, want)
            if seq is None:
                self._reject(row, self._why_full(assistant, day, want))
            else:
                self._take(row, assistant, day, seq, want)
            return
        book = self.book
        by_room = sorted(range(len(self.emails)), key=lambda other: (-book.room(other, day), other))
        for other in by_room:
            seq = self._choose(other, day, want)
            if seq is not None:
                self._take(row, other, day, seq, want)
                return
        date = book.date(day)
        if all(book.room(other, day) <= 0 for other in by_room):
            self._reject(row, f"every assistant is at its daily limit on {date}")
        else:
            self._reject(row, f"no assistant has room on {date} for this lead and its followups")

    def _why_full(self, assistant: int, day: int, want: _Want) -> str:
        if want.own is not None:
            seq = want.own
        elif self.sequence_mode:
            seq = self.by_delay[day][0]
        else:
            seq = self.rotation[0] if self.rotation else self.default[assistant]
        book = self.book
        over = book.first_over(assistant, book.emails(self._created(day), seq))
        return assistant_full(self.emails[assistant], book.limits[assistant], book.date(day),
                              None if over is None else (book.date(over), book.load[assistant][over]))

    def _flexible_days(self) -> list[int]:
        """The days flexible rows may use, in order."""
        last = (self.end - self.start).days if self.end else HORIZON_DAYS
        candidates = sorted(self.by_delay) if self.sequence_mode else range(last + 1)
        return [day for day in candidates if day <= last and self.book.is_sending(day)]

    def _place_flexible(self, rows: list[int]) -> None:
        queues: dict[_Want, deque[int]] = {}
        unknown: list[int] = []
        for row in rows:
            assistant, why = self._assistant(row)
            if why:
                unknown.append(row)
                self._reject(row, why)
                continue
            queues.setdefault(_Want(assistant, self._own(row)[0]), deque()).append(row)
        days = self._flexible_days()
        if days:
            self.book.ensure(days[-1] + 1)
        left = len(rows) - len(unknown)
        passes = [True, False] if self.end is not None else [False]
        for even in passes:
            for done, day in enumerate(days):
                if not left:
                    break
                quota = math.ceil(left / (len(days) - done)) if even else left
                left -= self._fill_day(day, queues, quota)
        for want, queue in queues.items():
            for row in queue:
                pinned = want.assistant
                self._reject(row, no_room_left(
                    [self.book.date(day) for day in days], start=self.start, end=self.end,
                    horizon=HORIZON_DAYS, sequence_mode=self.sequence_mode,
                    any_limit=any(self.book.limits),
                    assistant=None if pinned is None else (self.emails[pinned],
                                                           self.book.limits[pinned])))

    def _fill_day(self, day: int, queues: dict[_Want, deque[int]], quota: int) -> int:
        """Place up to `quota` queued rows on `day`; pinned queues first, input order."""
        kinds = [(want, queue) for want, queue in queues.items() if queue]
        # (unpinned?, next row, kind): pinned kinds first, then input order
        heads = [(want.assistant is None and want.own is None, queue[0], kind)
                 for kind, (want, queue) in enumerate(kinds)]
        heapq.heapify(heads)
        book = self.book
        # (minus room, assistant): a heap whose top has the most room
        free = [(-room, a) for a in range(len(self.emails)) if (room := book.room(a, day)) > 0]
        heapq.heapify(free)
        placed = 0
        while heads and free and placed < quota:
            unpinned, row, kind = heads[0]
            want, queue = kinds[kind]
            assistant = want.assistant
            if assistant is not None:
                seq = self._choose(assistant, day, want)
            else:
                assistant, seq = self._most_room(day, want, free)
            if seq is None or assistant is None:
                heapq.heappop(heads)  # nothing of this kind fits today; loads only grow
                continue
            self._take(row, assistant, day, seq, want)
            queue.popleft()
            placed += 1
            if queue:
                heapq.heapreplace(heads, (unpinned, queue[0], kind))
            else:
                heapq.heappop(heads)
        return placed

    def _most_room(
        self, day: int, want: _Want, free: list[tuple[int, int]]
    ) -> tuple[int | None, _Seq | None]:
        """The assistant with the most room on `day` that can take `want`.

        `free` is a lazy heap: keys go stale as rooms shrink and are refreshed when seen.
        """
        tried: list[int] = []
        found: tuple[int | None, _Seq | None] = (None, None)
        book = self.book
        while free:
            key, assistant = free[0]
            now = -book.room(assistant, day)
            if now >= 0:
                heapq.heappop(free)  # full today
            elif now != key:
                heapq.heapreplace(free, (now, assistant))
            else:
                seq = self._choose(assistant, day, want)
                if seq is not None:
                    found = (assistant, seq)
                    break
                tried.append(heapq.heappop(free)[1])
        for assistant in tried:
            heapq.heappush(free, (-book.room(assistant, day), assistant))
        return found

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
            self.out[row] = PlanRow(
                lead,
                RowStatus.PLANNED,
                assistant_email=self.emails[assistant],
                send_date=date,
                schedule_id=lead.schedule_id,
                schedule_name=lead.schedule_name,
            )

    def _plan(self) -> Plan:
        new: Counter[tuple[str, dt.date]] = Counter()
        rows: list[PlanRow] = []
        for planned in self.out:
            assert planned is not None
            rows.append(planned)
            if planned.status is RowStatus.PLANNED and planned.source.action == "create":
                assert planned.assistant_email is not None and planned.send_date is not None
                new[planned.assistant_email, planned.send_date] += 1
        return Plan(
            rows=rows,
            assistants=self.assistants,
            settings=self.settings,
            start=self.start,
            end=self.end,
            load=self.book.loads(self.emails),
            limits=dict(zip(self.emails, self.book.limits, strict=True)),
            new_leads=dict(new),
            booked=self.booked,
        )
