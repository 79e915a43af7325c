"""Plan: checked rows and assistants -> a send day, assistant and sequence per row,
within every assistant's daily limit (followups included), on the sending calendar.
"""

from __future__ import annotations

from .calendar import Clock, SendingCalendar, today_in, utc_now
from .planner import HORIZON_DAYS, Plan, effective_limit, plan_leads

__all__ = [
    "HORIZON_DAYS",
    "Clock",
    "Plan",
    "SendingCalendar",
    "effective_limit",
    "plan_leads",
    "today_in",
    "utc_now",
]
