"""The reasons a user reads for an unplaceable row: what was full, where, and until when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence


def days_text(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def label(schedule_id: int | None, schedule_name: str | None) -> str:
    return repr(schedule_name) if schedule_id is None else f"id {schedule_id}"


def no_room_left(days: Sequence[dt.date], *, start: dt.date, end: dt.date | None, horizon: int,
                 sequence_mode: bool, any_limit: bool, assistant: tuple[str, int] | None) -> str:
    """Why a flexible row found no day: `days` are the days it could have used, in order;
    `assistant` the (email, daily limit) it was pinned to, if any; `any_limit` whether any
    assistant may send at all."""
    if not days:
        if sequence_mode:
            return "no sequence start delay lands on a sending day" + (
                f" on or before {end}" if end else ""
            )
        return f"no sending day from {start} to {end}"
    first, last = days[0], days[-1]
    if sequence_mode:
        allowed = ", ".join(str(day) for day in days)
        if len(days) > 5:
            allowed = f"{len(days)} days from {first} to {last}"
        who = (f"assistant {assistant[0]} is at its daily limit" if assistant is not None
               else "every assistant is at its daily limit")
        return f"no room on the days the sequences' start delays allow ({allowed}): {who}"
    span = f"on or before {end}" if end else f"within {horizon} days of {start}"
    if assistant is not None:
        return (f"no room {span}: assistant {assistant[0]} is at its limit of "
                f"{assistant[1]} emails a day on every sending day from {first} to {last}")
    if not any_limit:
        return "no room: every assistant's daily limit is 0"
    return f"no room {span}: every assistant is at its daily limit from {first} to {last}"


def assistant_full(email: str, limit: int, date: dt.date,
                   over: tuple[dt.date, int] | None) -> str:
    """Why a row pinned to an assistant and a day does not fit: `over` is the first day
    its emails would go over the limit, with the emails already planned there."""
    if over is None:
        return f"assistant {email} has no room on {date}"
    over_date, planned = over
    what = "is full on" if over_date == date else "would be over its limit with a followup on"
    return f"assistant {email} {what} {over_date} ({planned} of {limit} emails a day already planned)"
