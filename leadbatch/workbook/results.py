"""The results workbook, written atomically and as values: a `Results` sheet (the plan's
columns, the outcome's, then the input's own) and a `Summary` sheet.

A row that succeeded (status created/updated/stopped, or any leadId) is proof that it
must never be sent again, even when the journal beside the workbook is gone:
`read_back` reads it so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..models import SUCCEEDED, ResultRow, RowStatus
from .columns import shown_headers
from .plan import PLAN_COLUMNS
from .writer import Cell, SheetSpec, write_workbook

OUTCOME_COLUMNS = ["leadId", "nextScheduleTime", "httpStatus", "attempts", "sentAt"]
RESULT_COLUMNS = [*PLAN_COLUMNS, *OUTCOME_COLUMNS]
STATUS_ORDER = [s.value for s in RowStatus if s is not RowStatus.PLANNED]


def result_cells(result: ResultRow, headers: Sequence[str]) -> list[Cell]:
    """One row of the Results sheet: the fixed columns, then the input's own `headers`."""
    plan, out, src = result.plan, result.outcome, result.plan.source
    valid = src.has_lead
    echo = result.echo
    action = src.action if valid else echo.get("action", "")
    return [
        plan.row,
        out.status.value,
        out.error,
        src.warning_text,
        plan.send_date,
        plan.assistant_email,
        plan.schedule_id,
        plan.schedule_name,
        action,
        src.email if valid else echo.get("email", ""),
        src.name if valid else echo.get("name", ""),
        out.lead_id,
        out.next_schedule_time,
        out.http_status,
        out.attempts or None,
        out.sent_at,
        *(src.values.get(h, "") for h in headers),
    ]


def write_results_workbook(
    path: str | Path,
    rows: Sequence[ResultRow],
    input_headers: Sequence[str],
    *,
    about: Mapping[str, str] | None = None,
) -> Path:
    """Write RESULTS.xlsx atomically: a `Results` sheet and a `Summary` sheet.

    `about` (mode, start, through, source...) is listed on the Summary sheet, where
    `read_back` finds it again.
    """
    ordered = sorted(rows, key=lambda r: r.row)
    own = shown_headers(input_headers, about or {})
    results = SheetSpec(
        name="Results",
        headers=[*RESULT_COLUMNS, *own],
        rows=(result_cells(r, own) for r in ordered),
        widths={"row": 7, "status": 12, "error": 40, "sendDate": 12, "assistantEmail": 28,
                "email": 30, "nextScheduleTime": 22, "sentAt": 22},
        status_column="status",
    )
    return write_workbook(path, [results, _summary(ordered, about or {})])


SUMMARY_COLUMNS = ["status", "rows", "", "plan", "value", "",
                   "sendDate", "assistantEmail", "sent", "failed", "pending"]


def _summary(rows: Sequence[ResultRow], about: Mapping[str, str]) -> SheetSpec:
    """Counts by status; the run's settings; sent/failed/pending per day and assistant."""
    counts = Counter(r.outcome.status.value for r in rows)
    per_day: dict[tuple[str, str], Counter[str]] = {}
    for r in rows:
        if r.plan.send_date is not None and r.plan.assistant_email:
            key = (r.plan.send_date.isoformat(), r.plan.assistant_email)
            per_day.setdefault(key, Counter())[r.outcome.status.value] += 1
    status_rows: list[list[Cell]] = [[s, counts[s]] for s in STATUS_ORDER if counts[s]]
    status_rows.append(["total", len(rows)])
    about_rows: list[list[Cell]] = [[k, v] for k, v in about.items()]
    day_rows: list[list[Cell]] = [
        [day, who, sum(c[s.value] for s in SUCCEEDED), c["failed"], c["pending"]]
        for (day, who), c in sorted(per_day.items())
    ]
    height = max(len(status_rows), len(about_rows), len(day_rows))

    def pad(block: list[list[Cell]], i: int, width: int) -> list[Cell]:
        return block[i] if i < len(block) else [None] * width

    table = [[*pad(status_rows, i, 2), None, *pad(about_rows, i, 2), None, *pad(day_rows, i, 5)]
             for i in range(height)]
    return SheetSpec(
        name="Summary", headers=SUMMARY_COLUMNS, rows=table, status_column="status",
        widths={"": 3, "plan": 12, "value": 24, "sendDate": 12, "assistantEmail": 30},
        autofilter=False,
    )
