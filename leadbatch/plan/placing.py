"""The rows the planner places: the count program's counts (`counts`) dealt to rows in
input order, each lead on the class member with the fewest new leads that day that has
room for every email; the state a pass changes, to undo it; the checks every placement
makes (caps, pace, per-company). `planner` builds on this with the pinned rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple, cast

from ..config import PlanSettings
from ..errors import UsageError
from ..models import Assistant, PlanRow, RowStatus, SourceRow
from .calendar import SendingCalendar
from .companies import company_of
from .counts import Counts, Group, Key, Outcome
from .days import AssistantDays, DayBook, HasSteps
from .pins import AssistantNames
from .reasons import no_room_left
from .result import effective_limit
from .sequences import Seq, Sequences
from .solver import INF

HORIZON_DAYS = 366  # without --end, how far ahead a lead may be planned


class _Want(NamedTuple):
    """What a flexible row pins, short of a day; rows wanting the same thing form a group."""

    assistant: int | None
    own: Seq | None


class _Queue:
    """A group's rows in the order they are placed: input order, except that the rows of a
    company over the per-company cap are spread evenly through it (its k-th of n rows
    sits k/n of the way along), so that it is not left to the last days."""

    def __init__(self, rows: list[int], companies: list[str | None], cap: int | None) -> None:
        if cap is not None:
            sizes = Counter(c for c in companies if c is not None)
            seen: Counter[str] = Counter()
            keys: list[tuple[float, int]] = []
            for position, (row, company) in enumerate(zip(rows, companies, strict=True)):
                if company is not None and sizes[company] > cap:
                    keys.append((seen[company] * len(rows) / sizes[company], row))
                    seen[company] += 1
                else:
                    keys.append((float(position), row))
            order = sorted(range(len(rows)), key=lambda i: keys[i])
            rows, companies = [rows[i] for i in order], [companies[i] for i in order]
        self.rows, self.companies = rows, companies
        self.done = [False] * len(rows)
        self.head = 0

    def left(self) -> int:
        return sum(1 for d in self.done[self.head:] if not d)

    def pending(self) -> list[int]:
        return [r for r, d in zip(self.rows[self.head:], self.done[self.head:], strict=True) if not d]


@dataclass
class _State:
    """The planner's state a pass of the count program changes (`_Planner._saved`)."""

    load: list[list[int]]
    new: list[Counter[int]]
    all_new: list[Counter[int]]
    company_day: Counter[tuple[int, int, str]]
    day_turns: Counter[tuple[int, int, Seq]]
    turns: Counter[Seq]
    out: list[PlanRow | None]
    queues: list[_Queue]
    groups: list[Group]


def _own_days(calendar: SendingCalendar, email: str, limit: int,
              settings: PlanSettings) -> AssistantDays:
    """The assistant's own calendar; a bad [assistant."email"] holidays code names it."""
    try:
        return AssistantDays(calendar, limit, settings.assistant.get(email.lower()))
    except UsageError as exc:
        raise UsageError(f"[assistant.\"{email}\"] {exc}") from None


class Placer:
    """The state of one planning run and the placing of its flexible rows. Assistants are
    indexes into `emails` (sorted: ties go to the lower email); days are offsets from
    `start`; rows are indexes into `rows`."""

    def __init__(self, rows: Sequence[SourceRow], assistants: Sequence[Assistant],
                 settings: PlanSettings, start: dt.date,
                 booked: Mapping[tuple[str, dt.date], int]) -> None:
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
        limits = [effective_limit(unique[e], settings) for e in self.emails]
        own = [_own_days(self.calendar, email, limit, settings)
               for email, limit in zip(self.emails, limits, strict=True)]
        if self.emails:
            known = {e.lower() for e in self.emails}
            # a mistyped email would leave a ramping mailbox at its full limit, silently
            unknown = sorted(set(settings.assistant) - known)
            if unknown:
                raise UsageError(f"[assistant.\"{unknown[0]}\"] in the settings is not one of "
                                 f"the {len(known)} assistants (check the email)")
        self.book = DayBook(self.calendar, start, limits, own)
        self.seqs = Sequences(settings, [unique[e] for e in self.emails])
        self.out: list[PlanRow | None] = [None] * len(rows)
        self.new: list[Counter[int]] = [Counter() for _ in self.emails]  # placed here, per day
        self.all_new: list[Counter[int]] = [Counter() for _ in self.emails]  # pinned ones too
        self.company_day: Counter[tuple[int, int, str]] = Counter()
        self.day_turns: Counter[tuple[int, int, Seq]] = Counter()  # sequences given per day
        self.companies = [company_of(r.email, settings.free_mail) if settings.per_company else None
                          for r in rows]
        self.outcome: Outcome | None = None
        self.new_fixed_peak = 0
        self.days: list[int] = []
        self.booked = {k: n for k, n in booked.items() if k[0] in self.index and k[1] >= start}
        for (email, date), count in self.booked.items():
            day = (date - start).days
            self.book.ensure(day + 1)
            self.book.load[self.index[email]][day] += count

    def _created(self, day: int) -> int:
        """The day the lead is created: its first-email day, or the start in sequence mode."""
        return 0 if self.sequence_mode else day

    def _room_for(self, row: int, assistant: int, day: int, seq: Seq, peak: float) -> bool:
        """Whether the lead fits on (assistant, day) with `seq`: every email under its cap,
        the pace, the peak of this round and the per-company cap."""
        if self.new[assistant][day] >= peak or (self.settings.pace is not None
                                                and self.all_new[assistant][day] >= self.settings.pace):
            return False
        company = self.companies[row]
        cap = self.settings.per_company
        if company is not None and cap is not None and \
                self.company_day[assistant, day, company] >= cap:
            return False
        return self.book.fits(assistant, self.book.emails(assistant, self._created(day), seq))

    def _take(self, row: int, assistant: int, day: int, seq: Seq, *, pinned: bool = False) -> None:
        self.book.add(assistant, self.book.emails(assistant, self._created(day), seq))
        self.all_new[assistant][day] += 1
        if not pinned:
            self.new[assistant][day] += 1
        self.day_turns[assistant, day, seq] += 1
        company = self.companies[row]
        if company is not None:
            self.company_day[assistant, day, company] += 1
        if self.rows[row].action != "create":  # a move: its room counted, its sequence its own
            seq = self.seqs.get(self.rows[row].schedule_id, self.rows[row].schedule_name, seq.steps)
        self.out[row] = PlanRow(self.rows[row], RowStatus.PLANNED,
                                assistant_email=self.emails[assistant],
                                send_date=self.book.dates[day],
                                schedule_id=seq.schedule_id, schedule_name=seq.schedule_name)

    def _reject(self, row: int, reason: str) -> None:
        """Unplaceable: the row keeps what it asked for, so the workbook shows it."""
        lead = self.rows[row]
        self.out[row] = PlanRow(lead, RowStatus.UNPLACEABLE, assistant_email=lead.assistant_email,
                                send_date=lead.send_date, schedule_id=lead.schedule_id,
                                schedule_name=lead.schedule_name, error=reason)

    def _assistant(self, row: int) -> tuple[int | None, str]:
        """The row's own assistant (by email, or by name), or why it names none we have."""
        email, why = self.names.resolve(self.rows[row])
        return (None, why) if email is None else (self.index[email], "")

    # --- rows the planner places -------------------------------------------------------

    def _flexible_days(self) -> list[int]:
        """The days flexible rows may use, in order."""
        last = (self.end - self.start).days if self.end else HORIZON_DAYS
        candidates = sorted(self.seqs.by_delay) if self.sequence_mode else range(last + 1)
        return [day for day in candidates if day <= last and self.book.is_sending(day)]

    def _place_flexible(self, rows: list[int]) -> None:
        wanted: dict[_Want, list[int]] = {}
        for row in rows:
            assistant, why = self._assistant(row)
            if why:
                self._reject(row, why)
                continue
            own = self.seqs.own(self.rows[row])[0]
            wanted.setdefault(_Want(assistant, own), []).append(row)
        if not wanted:
            return
        days = self._flexible_days()
        if days:
            self.book.ensure(days[-1] + self.seqs.longest + 1)
        pinned = {w.assistant for w in wanted if w.assistant is not None}
        self.classes = self._classes(pinned, days)
        of = {a: c for c, members in enumerate(self.classes) for a in members}
        self.days = days
        saved = self._saved()
        first = self._solve(wanted, of, at=self._company_bound(days))
        reached = self._last_flexible()
        bound = first.earliest
        if bound is not None and self.end is None and reached > max(bound, self._company_bound(days)):
            # Whole leads needed a later last day than the program's bound: plan again for
            # that day from the start, so the peak is the least for the day reached.
            better = self._saved()
            for margin in (0.0, 0.1, 0.2):
                self._restore(saved)
                second = self._solve(wanted, of, at=reached, margin=margin)
                if self._last_flexible() <= reached:
                    first = Outcome(bound, second.smoothest, first.optimal and second.optimal)
                    break
            else:
                self._restore(better)
        self.outcome = first
        groups = self.groups
        for g, group in enumerate(groups):  # what the solver left (time limit): greedy
            for day in days:
                if not group.left:
                    break
                self._place_quotas({(g, c, day, s): group.left for c in group.classes
                                    for s in group.seqs(c, day)}, INF)
        for want, queue in zip(wanted, self.queues, strict=True):
            if self.settings.per_company is None:
                self._in_input_order(queue.rows)
            for row in queue.pending():
                self._reject(row, self._why_left(row, want, days))

    def _in_input_order(self, rows: list[int]) -> None:
        """Rounds of the count program place a group's rows out of order (the last round's
        leftovers go back to early days); the group's rows are alike, so they are dealt
        to its slots again in input order: by day, and within a day in turns."""
        placed = sorted(r for r in rows if self.out[r] is not None)
        dates = [row.send_date for r in placed if (row := self.out[r]) is not None]
        if all(a is not None and b is not None and a <= b for a, b in pairwise(dates)):
            return  # one round placed them all, in order (the common case)
        seen: Counter[tuple[dt.date, str, object]] = Counter()
        slots = []
        names = {s.schedule_name: i for i, s in enumerate(self.seqs.rotation)}
        for r in placed:
            plan_row = self.out[r]
            assert plan_row is not None and plan_row.send_date and plan_row.assistant_email
            key = (plan_row.send_date, plan_row.assistant_email, plan_row.schedule_name)
            slots.append((plan_row.send_date, seen[key], self.index[plan_row.assistant_email],
                          names.get(plan_row.schedule_name, 0), plan_row))
            seen[key] += 1
        slots.sort(key=lambda s: s[:4])
        for r, (*_, slot) in zip(placed, slots, strict=True):
            if slot is self.out[r]:
                continue  # already in its place
            self.out[r] = PlanRow(self.rows[r], RowStatus.PLANNED, assistant_email=slot.assistant_email,
                                  send_date=slot.send_date, schedule_id=slot.schedule_id,
                                  schedule_name=slot.schedule_name)

    def _solve(self, wanted: dict[_Want, list[int]], of: dict[int, int], at: int,
               margin: float = 0.0) -> Outcome:
        """One pass of the count program over the flexible rows, from day index `at`."""
        self.queues = [_Queue(rs, [self.companies[r] for r in rs], self.settings.per_company)
                       for rs in wanted.values()]
        self.groups = []
        for want, queue in zip(wanted, self.queues, strict=True):
            classes = (of[want.assistant],) if want.assistant is not None else tuple(
                range(len(self.classes)))
            self.groups.append(Group(len(queue.rows), classes, self._seqs_for(want),
                                     self._shares(want, len(queue.rows))))
        counts = Counts(self.book, self.classes, self.groups, self.days, self._created,
                        new=self.new, all_new=self.all_new, pace=self.settings.pace,
                        time_limit=self.settings.time_limit)
        return counts.run(self._place_quotas, at, spread=self.end is not None, margin=margin)

    def _last_flexible(self) -> int:
        """The day index of the last flexible row placed (-1 if none)."""
        last = max((day for counts in self.new for day, n in counts.items() if n), default=-1)
        return max((i for i, day in enumerate(self.days) if day <= last), default=-1)

    def _saved(self) -> _State:
        """What a pass of the count program changes, to undo it."""
        return _State([list(x) for x in self.book.load], [Counter(n) for n in self.new],
                      [Counter(n) for n in self.all_new], Counter(self.company_day),
                      Counter(self.day_turns), Counter(self.seqs.turns), list(self.out),
                      getattr(self, "queues", []), getattr(self, "groups", []))

    def _restore(self, saved: _State) -> None:
        """Back to a `_saved()` state (copied again, so it can be restored twice)."""
        self.book.load = [list(x) for x in saved.load]
        self.new = [Counter(n) for n in saved.new]
        self.all_new = [Counter(n) for n in saved.all_new]
        self.company_day = Counter(saved.company_day)
        self.day_turns = Counter(saved.day_turns)
        self.seqs.turns = Counter(saved.turns)
        self.out = list(saved.out)
        self.queues, self.groups = saved.queues, saved.groups

    def _seqs_for(self, want: _Want) -> Callable[[int, int], Sequence[Seq]]:
        if want.own is not None:
            only = (want.own,)
            return lambda c, d: only
        if self.sequence_mode:
            return lambda c, d: self.seqs.by_delay.get(d, ())
        if self.seqs.rotation:
            rotation = self.seqs.rotation
            return lambda c, d: rotation
        return lambda c, d: (self.seqs.default[self.classes[c][0]],)

    def _shares(self, want: _Want, size: int) -> dict[HasSteps, tuple[int, int]] | None:
        """A/B rotation: each sequence's even share of the group (pinned-day rows' turns
        count too); the count program departs from it only where keeping it costs days."""
        rotation = self.seqs.rotation
        if want.own is not None or self.sequence_mode or not rotation:
            return None
        total = size + sum(self.seqs.turns[s] for s in rotation)
        low, high = total // len(rotation), -(-total // len(rotation))
        return {s: (low - self.seqs.turns[s], high - self.seqs.turns[s]) for s in rotation}

    def _classes(self, pinned: set[int], days: list[int]) -> list[list[int]]:
        """Assistants grouped where the count program cannot tell them apart."""
        book = self.book
        by_key: dict[object, list[int]] = {}
        for a in range(len(self.emails)):
            if a in pinned:
                by_key[("pinned", a)] = [a]
                continue
            key = (book.limits[a], book.own[a].rules, self.seqs.default[a], tuple(book.caps[a]),
                   tuple(book.load[a]), tuple(sorted(self.all_new[a].items())))
            by_key.setdefault(key, []).append(a)
        return list(by_key.values())

    def _company_bound(self, days: list[int]) -> int:
        """The first day index by which the largest company's rows can all go out at the
        per-company cap (0 without a cap): the count program does not see companies."""
        cap = self.settings.per_company
        sizes = Counter(c for c in self.companies if c is not None)
        if cap is None or not sizes or not days:
            return 0
        largest = max(sizes.values())
        total = 0
        for rank, day in enumerate(days):
            total += cap * sum(1 for a in range(len(self.emails)) if self.book.works(a, day))
            if total >= largest:
                return rank
        return len(days) - 1

    def _place_quotas(self, quotas: dict[Key, int], peak: float) -> dict[Key, int]:
        """Place each (group, class, day)'s quotas of its group's rows, in queue order, each
        on the class member with the fewest new leads that day that has room, with the
        sequence least used there (then overall). Returns how many each quota placed."""
        by_slot: dict[tuple[int, int, int], dict[Seq, int]] = {}
        for (g, c, day, steps), count in quotas.items():
            # the count program hands back the sequences it was given
            by_slot.setdefault((g, c, day), {})[cast(Seq, steps)] = count
        placed: Counter[Key] = Counter()
        for (g, c, day), wanted in by_slot.items():
            group = self.groups[g]
            members = sorted(self.classes[c],
                             key=lambda a: (self.all_new[a][day], -self.book.room(a, day), a))
            turn = 0
            while members and group.left and any(wanted.values()):
                a = members[turn % len(members)]
                found = self._next_row(self.queues[g], a, day, wanted, peak)
                if found is None:
                    members.remove(a)
                    continue
                row, seq = found
                self._take(row, a, day, seq)
                self.seqs.turns[seq] += 1
                wanted[seq] -= 1
                if group.shares is not None:
                    low, high = group.shares[seq]
                    group.shares[seq] = (low - 1, high - 1)
                placed[g, c, day, seq] += 1
                group.left -= 1
                turn += 1
        return placed

    def _pick_seq(self, row: int, a: int, day: int, wanted: dict[Seq, int],
                  peak: float) -> Seq | None:
        options = [s for s, n in wanted.items() if n > 0]
        if len(options) > 1:
            options.sort(key=lambda s: (self.day_turns[a, day, s], self.seqs.turns[s],
                                        self._order(s)))
        return next((s for s in options if self._room_for(row, a, day, s, peak)), None)

    def _order(self, seq: Seq) -> int:
        rotation = self.seqs.rotation
        return rotation.index(seq) if seq in rotation else 0

    def _next_row(self, queue: _Queue, a: int, day: int, wanted: dict[Seq, int],
                  peak: float) -> tuple[int, Seq] | None:
        """The first row of `queue` that fits on (a, day) with one of the wanted
        sequences, marked done; None if none does."""
        done, rows = queue.done, queue.rows
        while queue.head < len(rows) and done[queue.head]:
            queue.head += 1
        if queue.head == len(rows):
            return None
        # a company at its cap here: a later row of another company may still fit
        reach = queue.head + (2000 if self.settings.per_company is not None else 1)
        for i in range(queue.head, min(len(rows), reach)):
            if done[i]:
                continue
            seq = self._pick_seq(rows[i], a, day, wanted, peak)
            if seq is not None:
                done[i] = True
                return rows[i], seq
        return None

    def _why_left(self, row: int, want: _Want, days: list[int]) -> str:
        company, cap = self.companies[row], self.settings.per_company
        if company is not None and cap is not None:
            return (f"no room {'on or before ' + str(self.end) if self.end else 'in the plan'} "
                    f"under the per-company cap: at most {cap} new leads at {company} per "
                    "assistant a day")
        pinned = want.assistant
        return no_room_left(
            [self.book.date(day) for day in days], start=self.start, end=self.end,
            horizon=HORIZON_DAYS, sequence_mode=self.sequence_mode, any_limit=any(self.book.limits),
            assistant=None if pinned is None else (self.emails[pinned], self.book.limits[pinned]))
