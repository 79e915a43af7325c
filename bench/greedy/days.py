# The planner before issue 14 (greedy: each day filled to the limit), kept as the
# baseline `make bench` measures the optimiser against. Not used by leadbatch.
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

from leadbatch.config import PlanSettings
from leadbatch.plan.calendar import SendingCalendar

Emails = tuple[tuple[int, int], ...]  # (sending day it counts on, emails), by day
Emails_by_date = tuple[tuple[dt.date, int], ...]


class HasSteps(Protocol):
    """A sequence as the ledger sees it: its step offsets. Hashed by identity (the
    planner interns its sequences), which keeps the cache below cheap."""

    @property
    def steps(self) -> tuple[int, ...]: ...


class DayBook:
    """Emails per assistant per day offset, against each assistant's daily limit."""

    def __init__(self, calendar: SendingCalendar, start: dt.date, limits: list[int]) -> None:
        self.calendar, self.start, self.limits = calendar, start, limits
        self.sending: list[bool] = []
        self.dates: list[dt.date] = []
        self.counted: list[int] = []  # offset -> the sending day an email due then counts on
        self.load: list[list[int]] = [[] for _ in limits]
        self._emails: dict[tuple[int, HasSteps], Emails] = {}

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def is_sending(self, day: int) -> bool:
        return self.calendar.is_sending_day(self.date(day))

    def ensure(self, days: int) -> None:
        """Make day offsets [0, days) resolvable."""
        if days <= len(self.counted):
            return
        while len(self.sending) < days or not self.sending[-1]:
            date = self.date(len(self.sending))
            self.dates.append(date)
            self.sending.append(self.calendar.is_sending_day(date))
        known, total = len(self.counted), len(self.sending)
        tail, next_sending = [0] * (total - known), total - 1
        for day in range(total - 1, known - 1, -1):
            if self.sending[day]:
                next_sending = day
            tail[day - known] = next_sending
        self.counted.extend(tail)
        for load in self.load:
            load.extend([0] * (total - len(load)))

    def emails(self, created: int, seq: HasSteps) -> Emails:
        """The emails of a lead created on day `created` with `seq`, by the day they count on."""
        key = (created, seq)
        found = self._emails.get(key)
        if found is None:
            steps = seq.steps
            self.ensure(created + steps[-1] + 1)
            found = tuple(sorted(Counter(self.counted[created + s] for s in steps).items()))
            self._emails[key] = found
        return found

    def fits(self, assistant: int, emails: Emails) -> bool:
        load, limit = self.load[assistant], self.limits[assistant]
        if len(emails) == 1:  # the common case, a sequence of one email, without a generator
            day, count = emails[0]
            return load[day] + count <= limit
        return all(load[day] + count <= limit for day, count in emails)

    def add(self, assistant: int, emails: Emails) -> None:
        load = self.load[assistant]
        for day, count in emails:
            load[day] += count

    def room(self, assistant: int, day: int) -> int:
        return self.limits[assistant] - self.load[assistant][day]

    def first_over(self, assistant: int, emails: Emails) -> int | None:
        """The first day on which `emails` would take the assistant over its limit."""
        load, limit = self.load[assistant], self.limits[assistant]
        return next((day for day, count in emails if load[day] + count > limit), None)

    def loads(self, emails: list[str]) -> dict[tuple[str, dt.date], int]:
        """Emails per (assistant email, date), for every day with any."""
        return {(email, self.date(day)): count
                for assistant, email in enumerate(emails)
                for day, count in enumerate(self.load[assistant]) if count}


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
