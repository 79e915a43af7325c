"""The planner: a send day, an assistant and a sequence for every lead, within daily limits.

Rules (DESIGN.md "Planner rules"), and how they are applied here:

- An assistant's daily limit is `perDayEmailLimit`, lowered to `max_per_day` if that is
  smaller, less the `headroom` share (floored). It caps every email of the day: a lead
  planned on day D occupies D + each step offset of its sequence (first email and
  followups). An email landing on a non-sending day is counted on the next sending day,
  where the assistant would send it if it does not work that day: never under-counted.
  A sequence whose steps are not configured counts its first email only.
- Only `create` rows take capacity: update/stop start no new sequence. They keep their
  own sendDate (else the first sending day) and assistant (else the one with the fewest
  such rows so far), and never get a rotation sequence (a blank keeps the lead's own).
- Rows with a fixed day (own sendDate; in sequence mode also an own sequence, whose delay
  fixes the day) are placed first, those with an assistant too before those without, in
  input order. A fixed row that does not fit is `unplaceable` with the reason, never moved.
- Then the rest, day by day from the start: on each sending day rows pinned to an
  assistant or sequence come first, then the others, each to the assistant with the most
  room that day (ties by email). With `end`, each day takes only its even share of what
  is left, then a second pass fills any room left before `end`. Without `end`, a row with
  no room within HORIZON_DAYS is unplaceable.
- A row's sequence: its own, else the `rotation` (the least used that day for that
  assistant, then the least used overall, then rotation order), else the assistant's
  default. Sequence mode: every lead is created on the start day and gets the sequence
  whose start delay lands its first email on its planned day; `PlanRow.send_date` is that
  first-email day and `Plan.release_date(row)` the day to create the lead.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from ..config import PlanSettings, SequenceSpec, check_span
from ..errors import UsageError
from ..models import Assistant, PlanRow, RowStatus, SourceRow
from .calendar import SendingCalendar

HORIZON_DAYS = 366  # without --end, how far ahead a lead may be planned


@dataclass
class Plan:
    """The plan for one sheet: a PlanRow per input row, in input order, and the loads."""

    rows: list[PlanRow]
    assistants: list[Assistant]
    settings: PlanSettings
    start: dt.date
    end: dt.date | None
    load: dict[tuple[str, dt.date], int]  # emails per (assistant, day), followups included
    limits: dict[str, int]  # assistant email -> effective daily limit
    new_leads: dict[tuple[str, dt.date], int] = field(default_factory=dict)  # by sendDate

    def summary(self) -> list[tuple[dt.date, str, int, int]]:
        """(day, assistant, emails, limit) for every sending day with load (through `end`)."""
        days = {d for _, d in self.load} | {d for _, d in self.new_leads}
        if not days and self.end is None:
            return []
        last = max([*days, *([self.end] if self.end else [])])
        cal = SendingCalendar.from_settings(self.settings)
        emails = sorted(self.limits)
        return [
            (d, a, self.load.get((a, d), 0), self.limits[a])
            for d in cal.sending_days(self.start, last)
            for a in emails
        ]

    def release_date(self, row: PlanRow) -> dt.date | None:
        """The day the lead is sent to the API: its sendDate, or the start in sequence mode."""
        if row.status is not RowStatus.PLANNED:
            return None
        return self.start if self.settings.mode == "sequence" else row.send_date

    def counts(self) -> Counter[RowStatus]:
        return Counter(r.status for r in self.rows)


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


def effective_limit(assistant: Assistant, settings: PlanSettings) -> int:
    """The daily cap the planner uses for `assistant` (see the module docstring)."""
    base = assistant.per_day_email_limit
    if settings.max_per_day is not None:
        base = min(base, settings.max_per_day)
    # Decimal: 10 * (1 - 0.9) must be 1, not 0.999... floored to 0.
    return math.floor(base * (1 - Decimal(str(settings.headroom))))


def plan_leads(
    rows: Sequence[SourceRow],
    assistants: Sequence[Assistant],
    settings: PlanSettings,
    *,
    today: dt.date,
) -> Plan:
    """Plan every row; `today` (in the settings' time zone) is the default start."""
    start = settings.start or today
    try:
        check_span(start, settings.end)  # the start may be today's, not the settings'
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return _Planner(rows, assistants, settings, start).run()


class _Planner:
    def __init__(
        self,
        rows: Sequence[SourceRow],
        assistants: Sequence[Assistant],
        settings: PlanSettings,
        start: dt.date,
    ) -> None:
        self.rows, self.settings, self.start, self.end = rows, settings, start, settings.end
        self.cal = SendingCalendar.from_settings(settings)
        self.sequence_mode = settings.mode == "sequence"
        unique: dict[str, Assistant] = {}
        for a in assistants:
            unique.setdefault(a.email, a)
        self.assistants = list(unique.values())
        self.emails = sorted(unique)  # index = rank: ties go to the lower email
        self.index = {e: i for i, e in enumerate(self.emails)}
        self.limit = [effective_limit(unique[e], settings) for e in self.emails]
        by_id = {s.id: s for s in settings.sequences if s.id is not None}
        self.by_id, self.by_name = by_id, {s.name: s for s in settings.sequences if s.name}
        self.interned: dict[tuple[int | None, str | None, tuple[int, ...]], _Seq] = {}
        self.default = [self._default_seq(unique[e]) for e in self.emails]
        self.rotation = tuple(self._spec_seq(self.by_name[n]) for n in settings.rotation)
        self.by_delay: dict[int, tuple[_Seq, ...]] = {}
        for s in settings.sequences:
            self.by_delay[s.delay] = (*self.by_delay.get(s.delay, ()), self._spec_seq(s))
        # Day offsets from start; `counted[o]` is the sending day an email due on o counts on.
        self.sending: list[bool] = []
        self.dates: list[dt.date] = []
        self.counted: list[int] = []
        self.load: list[list[int]] = [[] for _ in self.emails]
        self.offsets: dict[tuple[int, _Seq], tuple[tuple[int, int], ...]] = {}
        self.turns: Counter[tuple[int, int, _Seq]] = Counter()  # rotation use per (a, day)
        self.turns_total: Counter[tuple[int, _Seq]] = Counter()
        self.out: list[PlanRow | None] = [None] * len(rows)

    # --- days and loads ----------------------------------------------------------------

    def _ensure(self, n: int) -> None:
        """Make day offsets [0, n) resolvable (the last known day is always a sending day)."""
        if n <= len(self.counted):
            return
        while len(self.sending) < n or not self.sending[-1]:
            day = self.start + dt.timedelta(days=len(self.sending))
            self.dates.append(day)
            self.sending.append(self.cal.is_sending_day(day))
        old, m = len(self.counted), len(self.sending)
        tail, nxt = [0] * (m - old), m - 1
        for o in range(m - 1, old - 1, -1):
            if self.sending[o]:
                nxt = o
            tail[o - old] = nxt
        self.counted.extend(tail)
        for load in self.load:
            load.extend([0] * (m - len(load)))

    def _emails(self, created: int, seq: _Seq) -> tuple[tuple[int, int], ...]:
        """(counted day, number of emails) for a lead created on offset `created`."""
        key = (created, seq)
        found = self.offsets.get(key)
        if found is None:
            steps = seq.steps
            self._ensure(created + steps[-1] + 1)
            found = tuple(sorted(Counter(self.counted[created + s] for s in steps).items()))
            self.offsets[key] = found
        return found

    def _fits(self, a: int, emails: tuple[tuple[int, int], ...]) -> bool:
        load, lim = self.load[a], self.limit[a]
        if len(emails) == 1:
            o, n = emails[0]
            return load[o] + n <= lim
        return all(load[o] + n <= lim for o, n in emails)

    def _created(self, off: int) -> int:
        return 0 if self.sequence_mode else off

    def _choose(self, a: int, off: int, want: _Want) -> _Seq | None:
        """The first sequence for `want` on (a, off) whose emails all fit, else None."""
        if want.own is not None:
            options: Sequence[_Seq] = (want.own,)
        elif self.sequence_mode:
            options = self.by_delay.get(off, ())
        elif self.rotation:
            options = self.rotation
        else:
            options = (self.default[a],)
        if len(options) > 1:
            turns, total, configured = self.turns, self.turns_total, options
            options = sorted(  # least used that day, then overall, then configured order
                configured, key=lambda s: (turns[a, off, s], total[a, s], configured.index(s))
            )
        created = self._created(off)
        for s in options:
            if self._fits(a, self._emails(created, s)):
                return s
        return None

    def _take(self, i: int, a: int, off: int, seq: _Seq, want: _Want) -> None:
        load = self.load[a]
        for o, n in self._emails(self._created(off), seq):
            load[o] += n
        if want.own is None and (self.rotation or self.sequence_mode):
            self.turns[a, off, seq] += 1
            self.turns_total[a, seq] += 1
        self.out[i] = PlanRow(
            self.rows[i],
            RowStatus.PLANNED,
            assistant_email=self.emails[a],
            send_date=self.dates[off],
            schedule_id=seq.schedule_id,
            schedule_name=seq.schedule_name,
        )

    def _reject(self, i: int, reason: str) -> None:
        """Unplaceable: the row keeps what it asked for, so the workbook shows it."""
        lead = self.rows[i]
        self.out[i] = PlanRow(
            self.rows[i],
            RowStatus.UNPLACEABLE,
            assistant_email=lead.assistant_email,
            send_date=lead.send_date,
            schedule_id=lead.schedule_id,
            schedule_name=lead.schedule_name,
            error=reason,
        )

    # --- sequences ----------------------------------------------------------------------

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

    def _seq(self, sid: int | None, name: str | None, steps: tuple[int, ...]) -> _Seq:
        return self.interned.setdefault((sid, name, steps), _Seq(sid, name, steps))

    def _spec_seq(self, spec: SequenceSpec) -> _Seq:
        return self._seq(spec.id, spec.name, spec.steps)

    def _own(self, i: int) -> tuple[_Seq | None, SequenceSpec | None]:
        lead = self.rows[i]
        if lead.schedule_id is None and lead.schedule_name is None:
            return None, None
        if lead.schedule_id is not None:
            spec = self.by_id.get(lead.schedule_id)
        else:
            spec = self.by_name.get(lead.schedule_name or "")
        steps = spec.steps if spec is not None else (0,)
        return self._seq(lead.schedule_id, lead.schedule_name, steps), spec

    # --- the plan -----------------------------------------------------------------------

    def run(self) -> Plan:
        fixed: list[tuple[int, int]] = []  # (0 with assistant / 1 without, row index)
        flexible: list[int] = []
        others: list[int] = []
        for i, src in enumerate(self.rows):
            status = src.status
            if status is not None:
                self.out[i] = PlanRow(src, status, error=src.error_text)
            elif src.action != "create":
                others.append(i)
            elif src.send_date is not None or (self.sequence_mode and self._own(i)[0] is not None):
                fixed.append((0 if src.assistant_email else 1, i))
            else:
                flexible.append(i)
        if not self.emails:
            for i in [i for _, i in fixed] + flexible + others:
                self._reject(i, "no assistants to send from")
        else:
            for _, i in sorted(fixed):
                self._place_fixed(i)
            self._place_flexible(flexible)
            self._place_others(others)
        return self._plan()

    def _day_of(self, i: int) -> tuple[int | None, _Seq | None, str]:
        """A fixed row's day offset and own sequence, or a reason it has no usable day."""
        lead = self.rows[i]
        own, spec = self._own(i)
        day = lead.send_date
        if self.sequence_mode and own is not None:
            if spec is None:
                return None, own, (
                    f"sequence {_label(own)} is not in [[sequences]], so when its first "
                    "email goes out is unknown (mode = sequence)"
                )
            seq_day = self.start + dt.timedelta(days=spec.delay)
            if day is not None and day != seq_day:
                return None, own, (
                    f"sendDate {day} does not match sequence {_label(own)}, whose first "
                    f"email goes out {_days(spec.delay)} after the start {self.start} ({seq_day})"
                )
            day = seq_day
        assert day is not None
        if day < self.start:
            return None, own, f"sendDate {day} is before the plan's start {self.start}"
        if not self.cal.is_sending_day(day):
            return None, own, self.cal.why_not(day)
        off = (day - self.start).days
        if self.sequence_mode and own is None and off not in self.by_delay:
            delays = ", ".join(str(d) for d in sorted(self.by_delay))
            return None, own, (
                f"no sequence starts {_days(off)} after the start {self.start}, so nothing "
                f"can go out on {day} (mode = sequence; start delays configured: {delays})"
            )
        return off, own, ""

    def _assistant(self, i: int) -> tuple[int | None, str]:
        lead = self.rows[i]
        if not lead.assistant_email:
            return None, ""
        a = self.index.get(lead.assistant_email)
        if a is None:
            return None, f"assistant {lead.assistant_email} is not one of the assistants"
        return a, ""

    def _place_fixed(self, i: int) -> None:
        off, own, why = self._day_of(i)
        a, why_a = self._assistant(i)
        if off is None or why_a:
            self._reject(i, why or why_a)
            return
        want = _Want(a, own)
        self._ensure(off + 1)
        if a is not None:
            seq = self._choose(a, off, want)
            if seq is None:
                self._reject(i, self._why_full(a, off, want))
            else:
                self._take(i, a, off, seq, want)
            return
        ranked = sorted(range(len(self.emails)), key=lambda b: (self.load[b][off] - self.limit[b], b))
        for b in ranked:
            seq = self._choose(b, off, want)
            if seq is not None:
                self._take(i, b, off, seq, want)
                return
        day = self.start + dt.timedelta(days=off)
        if all(self.load[b][off] >= self.limit[b] for b in ranked):
            self._reject(i, f"every assistant is at its daily limit on {day}")
        else:
            self._reject(i, f"no assistant has room on {day} for this lead and its followups")

    def _why_full(self, a: int, off: int, want: _Want) -> str:
        if want.own is not None:
            seq = want.own
        elif self.sequence_mode:
            seq = self.by_delay[off][0]
        else:
            seq = self.rotation[0] if self.rotation else self.default[a]
        email, lim = self.emails[a], self.limit[a]
        for o, n in self._emails(self._created(off), seq):
            if self.load[a][o] + n > lim:
                day = self.start + dt.timedelta(days=o)
                what = "is full on" if o == off else "would be over its limit with a followup on"
                return (
                    f"assistant {email} {what} {day} "
                    f"({self.load[a][o]} of {lim} emails a day already planned)"
                )
        return f"assistant {email} has no room on {self.start + dt.timedelta(days=off)}"

    def _days(self) -> list[int]:
        """Offsets of the days flexible rows may use, in order."""
        last = (self.end - self.start).days if self.end else HORIZON_DAYS
        offs = sorted(self.by_delay) if self.sequence_mode else range(last + 1)
        return [
            o for o in offs
            if o <= last and self.cal.is_sending_day(self.start + dt.timedelta(days=o))
        ]

    def _place_flexible(self, rows: list[int]) -> None:
        queues: dict[_Want, deque[int]] = {}
        unknown: list[int] = []
        for i in rows:
            a, why = self._assistant(i)
            if why:
                unknown.append(i)
                self._reject(i, why)
                continue
            queues.setdefault(_Want(a, self._own(i)[0]), deque()).append(i)
        days = self._days()
        if days:
            self._ensure(days[-1] + 1)
        left = len(rows) - len(unknown)
        passes = [True, False] if self.end is not None else [False]
        for even in passes:
            for n, off in enumerate(days):
                if not left:
                    break
                quota = math.ceil(left / (len(days) - n)) if even else left
                left -= self._fill_day(off, queues, quota)
        for want, queue in queues.items():
            for i in queue:
                self._reject(i, self._why_left(want, days))

    def _fill_day(self, off: int, queues: dict[_Want, deque[int]], quota: int) -> int:
        """Place up to `quota` queued rows on day `off`; pinned queues first, input order."""
        kinds = [(w, q) for w, q in queues.items() if q]
        # (unpinned?, next row, kind): pinned kinds first, then input order
        heads = [(w.assistant is None and w.own is None, q[0], k) for k, (w, q) in enumerate(kinds)]
        heapq.heapify(heads)
        free = [(load[off] - lim, a) for a, (load, lim) in enumerate(zip(self.load, self.limit, strict=True))]
        free = [r for r in free if r[0] < 0]  # (minus room, rank): most room first
        heapq.heapify(free)
        placed = 0
        while heads and free and placed < quota:
            pinned, i, k = heads[0]
            want, queue = kinds[k]
            a = want.assistant
            if a is not None:
                seq = self._choose(a, off, want)
            else:
                a, seq = self._most_room(off, want, free)
            if seq is None or a is None:
                heapq.heappop(heads)  # nothing of this kind fits today; loads only grow
                continue
            self._take(i, a, off, seq, want)
            queue.popleft()
            placed += 1
            if queue:
                heapq.heapreplace(heads, (pinned, queue[0], k))
            else:
                heapq.heappop(heads)
        return placed

    def _most_room(
        self, off: int, want: _Want, free: list[tuple[int, int]]
    ) -> tuple[int | None, _Seq | None]:
        """The assistant with the most room on `off` that can take `want`.

        `free` is a lazy heap: keys go stale as rooms shrink and are refreshed when seen.
        """
        tried: list[int] = []
        found: tuple[int | None, _Seq | None] = (None, None)
        load, limit = self.load, self.limit
        while free:
            key, a = free[0]
            now = load[a][off] - limit[a]
            if now >= 0:
                heapq.heappop(free)  # full today
            elif now != key:
                heapq.heapreplace(free, (now, a))
            else:
                seq = self._choose(a, off, want)
                if seq is not None:
                    found = (a, seq)
                    break
                tried.append(heapq.heappop(free)[1])
        for a in tried:
            heapq.heappush(free, (load[a][off] - limit[a], a))
        return found

    def _why_left(self, want: _Want, days: list[int]) -> str:
        if not days:
            if self.sequence_mode:
                return "no sequence start delay lands on a sending day" + (
                    f" on or before {self.end}" if self.end else ""
                )
            return f"no sending day from {self.start} to {self.end}"
        first = self.start + dt.timedelta(days=days[0])
        last = self.start + dt.timedelta(days=days[-1])
        if self.sequence_mode:
            allowed = ", ".join(str(self.start + dt.timedelta(days=o)) for o in days)
            if len(days) > 5:
                allowed = f"{len(days)} days from {first} to {last}"
            who = (f"assistant {self.emails[want.assistant]} is at its daily limit"
                   if want.assistant is not None else "every assistant is at its daily limit")
            return f"no room on the days the sequences' start delays allow ({allowed}): {who}"
        span = f"on or before {self.end}" if self.end else f"within {HORIZON_DAYS} days of {self.start}"
        if want.assistant is not None:
            a = want.assistant
            return (
                f"no room {span}: assistant {self.emails[a]} is at its limit of "
                f"{self.limit[a]} emails a day on every sending day from {first} to {last}"
            )
        if not any(self.limit):
            return "no room: every assistant's daily limit is 0"
        return f"no room {span}: every assistant is at its daily limit from {first} to {last}"

    def _place_others(self, rows: list[int]) -> None:
        share = [0] * len(self.emails)
        for i in rows:
            lead = self.rows[i]
            a, why = self._assistant(i)
            day = lead.send_date or self.cal.next_sending_day(self.start)
            if not why and day < self.start:
                why = f"sendDate {day} is before the plan's start {self.start}"
            if not why and not self.cal.is_sending_day(day):
                why = self.cal.why_not(day)
            if why:
                self._reject(i, why)
                continue
            if a is None:
                a = min(range(len(self.emails)), key=lambda b: (share[b], b))
            share[a] += 1
            self.out[i] = PlanRow(
                self.rows[i],
                RowStatus.PLANNED,
                assistant_email=self.emails[a],
                send_date=day,
                schedule_id=lead.schedule_id,
                schedule_name=lead.schedule_name,
            )

    def _plan(self) -> Plan:
        load: dict[tuple[str, dt.date], int] = {}
        for a, email in enumerate(self.emails):
            for o, n in enumerate(self.load[a]):
                if n:
                    load[email, self.start + dt.timedelta(days=o)] = n
        new: Counter[tuple[str, dt.date]] = Counter()
        rows: list[PlanRow] = []
        for r in self.out:
            assert r is not None
            rows.append(r)
            if r.status is RowStatus.PLANNED and r.source.action == "create":
                assert r.assistant_email is not None and r.send_date is not None
                new[r.assistant_email, r.send_date] += 1
        return Plan(
            rows=rows,
            assistants=self.assistants,
            settings=self.settings,
            start=self.start,
            end=self.end,
            load=load,
            limits=dict(zip(self.emails, self.limit, strict=True)),
            new_leads=dict(new),
        )


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _label(seq: _Seq) -> str:
    return repr(seq.schedule_name) if seq.schedule_id is None else f"id {seq.schedule_id}"
