"""The planner's ledger of days: day offsets from the plan's start, which of them are
sending days, and how many emails each assistant already has on each.

A lead created on day D occupies D plus each step offset of its sequence. An email due on
a non-sending day is counted on the next sending day, where the assistant would send it
if it does not work that day, so a day's load is never under-counted. The last known
offset is always a sending day, so every email has a day to count on.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Protocol

from ..config import WEEKDAYS, AssistantRules, PlanSettings
from .calendar import SendingCalendar, country_holidays

Emails = tuple[tuple[int, int], ...]  # (sending day it counts on, emails), by day
Emails_by_date = tuple[tuple[dt.date, int], ...]


class HasSteps(Protocol):
    """A sequence as the ledger sees it: its step offsets. Hashed by identity (the
    planner interns its sequences), which keeps the cache below cheap."""

    @property
    def steps(self) -> tuple[int, ...]: ...


class AssistantDays:
    """One assistant's own calendar and daily caps: the plan's sending days less its own
    weekdays and days off, and its limit ramped up from `ramp_start` (AssistantRules)."""

    def __init__(self, calendar: SendingCalendar, limit: int, rules: AssistantRules | None) -> None:
        self.calendar, self.limit, self.rules = calendar, limit, rules
        self.weekdays = (None if rules is None or rules.days is None
                         else frozenset(WEEKDAYS.index(d) for d in rules.days))
        self.off = frozenset(rules.off) if rules is not None else frozenset()
        self.holidays = (country_holidays(rules.holidays)
                         if rules is not None and rules.holidays else None)

    @property
    def own(self) -> bool:
        """Whether its sending days differ from the plan's."""
        return self.weekdays is not None or bool(self.off) or self.holidays is not None

    def works(self, date: dt.date) -> bool:
        return (self.calendar.is_sending_day(date) and date not in self.off
                and (self.weekdays is None or date.weekday() in self.weekdays)
                and (self.holidays is None or date not in self.holidays))

    def caps(self, start: dt.date, dates: list[dt.date]) -> list[int]:
        """Its cap on each of `dates` (consecutive; 0 on a day it does not work)."""
        rules, limit = self.rules, self.limit
        if rules is None or rules.ramp_start is None:
            return [limit if self.works(d) else 0 for d in dates]
        first, step, weekly = rules.ramp_start, rules.ramp_step, rules.ramp_every == "week"
        origin = rules.ramp_from or start
        worked = sum(1 for n in range(max(0, (dates[0] - origin).days)) if dates
                     and self.works(origin + dt.timedelta(days=n)))  # its sending days so far
        caps: list[int] = []
        for date in dates:
            if not self.works(date) or date < origin:  # before its ramp begins it does not send
                caps.append(0)
                continue
            rises = (date - origin).days // 7 if weekly else worked
            caps.append(min(limit, first + step * rises))
            worked += 1
        return caps


class DayBook:
    """Emails per assistant per day offset, against each assistant's cap on that day.

    `limits` are the assistants' daily limits; `caps[a][day]` what it may send that day
    (its limit, 0 on its days off, less while ramping up). Assistants with their own
    calendar count a lead's emails on their own next working day (`counted[a]`)."""

    def __init__(self, calendar: SendingCalendar, start: dt.date, limits: list[int],
                 own: list[AssistantDays] | None = None) -> None:
        self.calendar, self.start, self.limits = calendar, start, limits
        self.own = own if own is not None else [AssistantDays(calendar, n, None) for n in limits]
        self.sending: list[bool] = []
        self.dates: list[dt.date] = []
        # offset -> the day an email due then counts on, per calendar (0: the plan's own)
        self.profile = [a + 1 if days.own else 0 for a, days in enumerate(self.own)]
        self.counted: list[list[int]] = [[] for _ in range(len(limits) + 1)]
        self.caps: list[list[int]] = [[] for _ in limits]
        self.load: list[list[int]] = [[] for _ in limits]
        self._emails: dict[tuple[int, int, HasSteps], Emails] = {}

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def is_sending(self, day: int) -> bool:
        return self.calendar.is_sending_day(self.date(day))

    def works(self, assistant: int, day: int) -> bool:
        """Whether the assistant may get new leads on `day` (it sends that day)."""
        self.ensure(day + 1)
        return self.caps[assistant][day] > 0

    def ensure(self, days: int) -> None:
        """Make day offsets [0, days) resolvable (for every calendar)."""
        if days <= len(self.dates):  # the known days always end on a day every calendar works
            return
        while len(self.sending) < days or not self._closed():
            date = self.date(len(self.sending))
            self.dates.append(date)
            self.sending.append(self.calendar.is_sending_day(date))
        total = len(self.dates)
        for p in set(self.profile):
            works = self.sending if p == 0 else [self.own[p - 1].works(d) for d in self.dates]
            counted, known = self.counted[p], len(self.counted[p])
            tail, next_day = [0] * (total - known), total - 1
            for day in range(total - 1, known - 1, -1):
                if works[day]:
                    next_day = day
                tail[day - known] = next_day
            counted.extend(tail)
        for a, caps in enumerate(self.caps):
            if len(caps) < total:
                caps.extend(self.own[a].caps(self.start, self.dates[len(caps):total]))
        for load in self.load:
            load.extend([0] * (total - len(load)))

    def _closed(self) -> bool:
        """Every calendar's last known day is a day it works, so every email has a day."""
        if not self.sending or not self.sending[-1]:
            return False
        last = self.dates[-1]
        return all(self.own[p - 1].works(last) for p in set(self.profile) if p)

    def emails(self, assistant: int, created: int, seq: HasSteps) -> Emails:
        """The emails of a lead `assistant` gets on day `created` with `seq`, by the day
        they count on."""
        profile = self.profile[assistant]
        key = (profile, created, seq)
        found = self._emails.get(key)
        if found is None:
            steps = seq.steps
            self.ensure(created + steps[-1] + 1)
            counted = self.counted[profile]
            found = tuple(sorted(Counter(counted[created + s] for s in steps).items()))
            self._emails[key] = found
        return found

    def fits(self, assistant: int, emails: Emails) -> bool:
        load, caps = self.load[assistant], self.caps[assistant]
        for day, count in emails:  # noqa: SIM110 (a loop, not all(generator): the hot path)
            if load[day] + count > caps[day]:
                return False
        return True

    def add(self, assistant: int, emails: Emails) -> None:
        load = self.load[assistant]
        for day, count in emails:
            load[day] += count

    def room(self, assistant: int, day: int) -> int:
        return self.caps[assistant][day] - self.load[assistant][day]

    def first_over(self, assistant: int, emails: Emails) -> int | None:
        """The first day on which `emails` would take the assistant over its cap."""
        load, caps = self.load[assistant], self.caps[assistant]
        return next((day for day, count in emails if load[day] + count > caps[day]), None)

    def loads(self, emails: list[str]) -> dict[tuple[str, dt.date], int]:
        """Emails per (assistant email, date), for every day with any."""
        return {(email, self.date(day)): count
                for assistant, email in enumerate(emails)
                for day, count in enumerate(self.load[assistant]) if count}

    def lowered(self, emails: list[str]) -> dict[tuple[str, dt.date], int]:
        """Caps below the assistant's limit on the plan's sending days (ramp-up, days off)."""
        return {(email, self.dates[day]): cap
                for a, email in enumerate(emails)
                for day, cap in enumerate(self.caps[a])
                if cap < self.limits[a] and self.sending[day]}


def email_days(calendar: SendingCalendar, settings: PlanSettings, first: dt.date,
               schedule_id: int | None, schedule_name: str | None,
               default_schedule_id: int | None = None) -> Emails_by_date:
    """The (day, emails) a lead whose first email goes out on `first` counts on, with the
    step offsets the planner uses for its sequence (what a run books in the ledger)."""
    spec = next((s for s in settings.sequences
                 if (schedule_id is not None and s.id == schedule_id)
                 or (schedule_id is None and schedule_name and s.name == schedule_name)), None)
    if spec is not None:
        steps = spec.steps
    elif schedule_id is None and not schedule_name and settings.default_steps is not None:
        steps = settings.default_steps
    else:
        default = next((s for s in settings.sequences if s.id is not None
                        and s.id == default_schedule_id), None)
        steps = default.steps if default is not None and schedule_id is None \
            and not schedule_name else (0,)
    created = first - dt.timedelta(days=steps[0])
    counted = Counter(calendar.next_sending_day(created + dt.timedelta(days=s)) for s in steps)
    return tuple(sorted(counted.items()))
