"""What a plan is: a PlanRow per input row and the loads it makes (`Plan`), and the daily
limit the planner holds each assistant to (`effective_limit`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from ..config import PlanSettings
from ..models import Assistant, PlanRow, RowStatus
from .calendar import SendingCalendar


@dataclass(frozen=True)
class Proof:
    """What the plan achieves against what the limits allow (the solver's bounds).

    `last_first` is the plan's last first-email day and `earliest` the earliest day any
    plan could have it, given the limits, pins and calendar; `peak` the most new leads on
    one assistant-day and `smoothest` the smallest peak among plans that end as early.
    `optimal` is False when the solver stopped at its time limit (the plan is valid, the
    bounds may not be tight)."""

    last_first: dt.date | None
    earliest: dt.date | None
    peak: int
    smoothest: int
    optimal: bool = True

    def lines(self) -> list[str]:
        if self.last_first is None:
            return []
        if self.earliest is not None and self.earliest >= self.last_first:
            when = "the limits allow no earlier"
        elif self.earliest is not None:
            when = f"the limits allow {self.earliest} at the earliest"
        else:
            when = "no bound known"
        lines = [f"last first email {self.last_first} ({when})"]
        even = ("as even as the limits allow" if self.peak <= self.smoothest
                else f"the smoothest plan ending as early has {self.smoothest}")
        leads = "new lead" if self.peak == 1 else "new leads"
        lines.append(f"at most {self.peak} {leads} per assistant a day ({even})")
        if not self.optimal:
            lines.append("the solver hit its time limit: the plan is valid but may not be optimal")
        return lines


@dataclass
class Plan:
    """The plan for one sheet: a PlanRow per input row, in input order, and the loads."""

    rows: list[PlanRow]
    assistants: list[Assistant]
    settings: PlanSettings
    start: dt.date
    end: dt.date | None
    load: dict[tuple[str, dt.date], int]  # emails per (assistant, day): followups, booked load
    limits: dict[str, int]  # assistant email -> effective daily limit
    new_leads: dict[tuple[str, dt.date], int] = field(default_factory=dict)  # by sendDate
    booked: dict[tuple[str, dt.date], int] = field(default_factory=dict)  # others' load, counted
    proof: Proof | None = None  # how the plan compares with what the limits allow
    caps: dict[tuple[str, dt.date], int] = field(default_factory=dict)  # below the limit

    def proof_lines(self) -> list[str]:
        """The plan's proof as sentences for a terminal or a Summary sheet ([] if none)."""
        return self.proof.lines() if self.proof is not None else []

    def summary(self) -> list[tuple[dt.date, str, int, int]]:
        """(day, assistant, emails, limit) for every sending day with load (through `end`);
        the limit is the assistant's cap that day (lower on its days off or ramping up)."""
        days = {d for _, d in self.load} | {d for _, d in self.new_leads}
        if not days and self.end is None:
            return []
        last = max([*days, *([self.end] if self.end else [])])
        cal = SendingCalendar.from_settings(self.settings)
        emails = sorted(self.limits)
        return [
            (d, a, self.load.get((a, d), 0), self.caps.get((a, d), self.limits[a]))
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



def effective_limit(assistant: Assistant, settings: PlanSettings) -> int:
    """The daily cap the planner uses for `assistant` (see the module docstring)."""
    base = assistant.per_day_email_limit
    if settings.max_per_day is not None:
        base = min(base, settings.max_per_day)
    # Decimal: 10 * (1 - 0.9) must be 1, not 0.999... floored to 0.
    return math.floor(base * (1 - Decimal(str(settings.headroom))))
