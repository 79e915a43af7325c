"""The checks `validate` makes of what rows pin, with the settings `plan` uses: a send day
that is no sending day (a weekend, a holiday) or comes before the plan's start, and an
assistant that is not one of the assistants. So a sheet that validates also plans.

Also where an Assistant cell that holds a name ("Lyra") becomes that assistant's email.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from ..config import PlanSettings
from ..models import Assistant, RowError, SourceRow
from .calendar import SendingCalendar


class AssistantNames:
    """Assistants by email and by name (case-insensitive; a name two assistants share
    names neither)."""

    def __init__(self, assistants: Iterable[Assistant]) -> None:
        self.emails = {a.email for a in assistants}
        by_name: dict[str, str | None] = {}
        for a in assistants:
            if a.name:
                key = a.name.strip().casefold()
                by_name[key] = None if key in by_name and by_name[key] != a.email else a.email
        self._by_name = by_name

    def resolve(self, row: SourceRow) -> tuple[str | None, str]:
        """(the row's assistant email or None, why it has none although it names one)."""
        if row.assistant_email:
            if row.assistant_email in self.emails:
                return row.assistant_email, ""
            return None, f"assistant {row.assistant_email} is not one of the assistants"
        name = row.assistant_name
        if not name:
            return None, ""
        key = name.strip().casefold()
        if key in self._by_name and self._by_name[key] is None:
            return None, f'assistant "{name}": two assistants have this name; use its email'
        email = self._by_name.get(key)
        if email is None:
            return None, f'assistant "{name}" is not the name or email of one of the assistants'
        return email, ""


def pin_problems(rows: Sequence[SourceRow], settings: PlanSettings,
                 assistants: Sequence[Assistant] | None, today: dt.date,
                 columns: Mapping[str, str]) -> list[RowError]:
    """A RowError for each row whose pinned day or assistant `plan` could not honour;
    assistants are checked only when they are known. `columns` names the sheet's column
    of each field (send_date, assistant_email), for the messages."""
    calendar = SendingCalendar.from_settings(settings)
    start = settings.start or today
    names = AssistantNames(assistants) if assistants is not None else None
    found: list[RowError] = []
    for row in rows:
        if row.status is not None:
            continue
        day = row.send_date
        if day is not None:
            if day < start:
                found.append(RowError(row.row, columns.get("send_date"),
                                      f"sendDate {day} is before the plan's start {start}"))
            elif not calendar.is_sending_day(day):
                found.append(RowError(row.row, columns.get("send_date"),
                                      f"{calendar.why_not(day)}: the next sending day is "
                                      f"{calendar.next_sending_day(day)}"))
        if names is not None:
            _, why = names.resolve(row)
            if why:
                found.append(RowError(row.row, columns.get("assistant_email"), why))
    return found
