"""Plan: checked rows and assistants -> a send day, an assistant and a sequence per row,
within every assistant's daily limit (followups included), on the sending calendar.

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
- Then the rest, by the count program (`counts`): the last first-email day as early as
  the limits allow, then the fewest new leads on the busiest assistant-day, then the
  earliest days (with `end`: spread evenly up to it); the counts are dealt to rows in
  input order (`planner`), every email checked against its assistant's cap that day
  (`days`: limit, days off, ramp-up), the pace and the per-company cap. Without `end`, a
  row with no room within HORIZON_DAYS is unplaceable.
- A row's sequence: its own, else the `rotation` (an even share each, sharing each
  day), else the assistant's default. Sequence mode: every lead is created on the start
  day and gets the sequence whose start delay lands its first email on its planned day; `PlanRow.send_date` is that
  first-email day and `Plan.release_date(row)` the day to create the lead.
"""

from __future__ import annotations

from .calendar import Clock, SendingCalendar, today_in, utc_now
from .days import email_days
from .pins import AssistantNames, pin_problems
from .placing import HORIZON_DAYS
from .planner import plan_leads
from .result import Plan, Proof, effective_limit

__all__ = [
    "HORIZON_DAYS",
    "AssistantNames",
    "Clock",
    "Plan",
    "Proof",
    "SendingCalendar",
    "effective_limit",
    "email_days",
    "pin_problems",
    "plan_leads",
    "today_in",
    "utc_now",
]
