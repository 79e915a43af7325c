"""The plan workbook (dry run): what will be sent, when, by whom, and the load it makes.

Sheets: `Plan` (one row per input row, in input order: the fixed PLAN_COLUMNS, then the
input's own columns as read), `Summary` (emails per day and assistant against the limit,
the row counts by status, the source and settings, and a chart) and `Load` (one row per
day, one column per assistant: the chart's data, and a calendar view of the load).
The file is reproducible: the same plan gives the same bytes (its `created` property is
the plan's start, not the clock).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..config import PlanSettings, ReadSettings, read_about
from ..models import PlanRow, RowStatus
from .columns import contract_columns, shown_headers
from .writer import Cell, SheetSpec, write_workbook

PLAN_COLUMNS = [
    "row",
    "status",
    "error",
    "warning",
    "sendDate",
    "assistantEmail",
    "scheduleId",
    "scheduleName",
    "action",
    "email",
    "name",
]
SUMMARY_COLUMNS = ["day", "assistant", "new leads", "emails", "limit", "room"]
_MAX_CHART_SERIES = 30  # beyond this a stacked chart is unreadable: chart the total only


class Plan(Protocol):
    """What the plan workbook needs of a planner's Plan (the workbook stage does not
    import the plan stage)."""

    rows: list[PlanRow]
    settings: PlanSettings
    start: dt.date
    end: dt.date | None
    load: dict[tuple[str, dt.date], int]
    limits: dict[str, int]
    new_leads: dict[tuple[str, dt.date], int]
    booked: dict[tuple[str, dt.date], int]

    def summary(self) -> list[tuple[dt.date, str, int, int]]: ...

    def counts(self) -> Counter[RowStatus]: ...

    def proof_lines(self) -> list[str]: ...


class _Sheet(Protocol):
    """What the plan workbook needs of a reader.LeadSheet."""

    path: Path
    headers: list[str]
    fields: dict[str, str]
    settings: ReadSettings


def write_plan_workbook(path: str | Path, plan: Plan, sheet: _Sheet) -> Path:
    """Write PLAN.xlsx atomically; returns the path written."""
    summary = plan.summary()
    days = sorted({d for d, _, _, _ in summary})
    created = dt.datetime.combine(plan.start, dt.time(), tzinfo=dt.UTC)
    return write_workbook(
        path,
        [_plan_sheet(plan, sheet), _summary_sheet(plan, sheet, summary, days), _load_sheet(plan, days)],
        properties={"title": "leadbatch plan", "created": created},
    )


def _plan_sheet(plan: Plan, sheet: _Sheet) -> SheetSpec:
    echo_of = {f: h for h, f in reversed(sheet.fields.items())}  # lead field -> first header
    own = shown_headers(sheet.headers, contract_columns(sheet.fields))
    headers = [*PLAN_COLUMNS, *own]

    def rows() -> Iterator[list[Cell]]:
        for r in plan.rows:
            src, values = r.source, r.source.values
            valid = src.has_lead
            # The reader keys `values` by the sheet's headers in order: then they are the
            # cells as they are, without a lookup per header (a tenth of the write).
            echo = values.values() if list(values) == own else [values.get(h, "") for h in own]
            yield [
                r.row,
                r.status.value,
                r.error,
                src.warning_text,
                r.send_date,
                r.assistant_email,
                r.schedule_id,
                r.schedule_name,
                src.action if valid else values.get(echo_of.get("action", ""), ""),
                src.email if valid else values.get(echo_of.get("email", ""), ""),
                src.name if valid else values.get(echo_of.get("name", ""), ""),
                *echo,
            ]

    return SheetSpec(
        name="Plan",
        headers=headers,
        rows=rows(),
        widths=_widths(headers, (r.source.values for r in plan.rows[:2000]), plan),
        status_column="status",
    )


def _widths(
    headers: Sequence[str], samples: Iterator[dict[str, str]], plan: Plan
) -> dict[str, float]:
    """Column widths fitted to the header and the first rows' text, within reason."""
    widest = {h: len(h) for h in headers}
    for values in samples:
        for h, v in values.items():
            if h in widest and len(v) > widest[h]:
                widest[h] = len(v)
    for r in plan.rows[:2000]:
        for h, v in (("error", r.error), ("warning", r.source.warning_text),
                     ("assistantEmail", r.assistant_email or ""),
                     ("scheduleName", r.schedule_name or "")):
            widest[h] = max(widest[h], len(v))
        if r.source.has_lead:
            widest["email"] = max(widest["email"], len(r.source.email or ""))
            widest["name"] = max(widest["name"], len(r.source.name or ""))
    fixed = {"row": 7.0, "status": 13.0, "sendDate": 12.0, "action": 9.0, "scheduleId": 11.0}
    return {h: fixed.get(h, float(min(60, max(9, widest[h] + 2)))) for h in headers}


def _about(plan: Plan, sheet: _Sheet) -> list[tuple[str, Cell]]:
    """The side block of the Summary sheet: counts by status, then what the plan was made from."""
    counts = plan.counts()
    s = plan.settings
    sequences = "; ".join(
        f"{q.label}: days {','.join(str(x) for x in q.steps)}" for q in s.sequences
    )
    block: list[tuple[str, Cell]] = [
        (status.value, counts.get(status, 0))
        for status in (RowStatus.PLANNED, RowStatus.UNPLACEABLE, RowStatus.INVALID,
                       RowStatus.DUPLICATE)
    ]
    block += [
        ("total rows", len(plan.rows)),
        ("", None),
        ("source", sheet.path.name),
        ("start", plan.start),
        ("end", plan.end or "none: earliest days first"),
        ("sending days", ",".join(s.days)),
        ("holidays", s.holidays or "none"),
        ("time zone", s.timezone),
        ("max per day", s.max_per_day or "not set"),
        ("headroom", s.headroom),
        ("mode", s.mode),
        ("sequences", sequences or "none configured"),
        ("rotation", ", ".join(s.rotation) or "none"),
        ("default sequence steps", ",".join(str(x) for x in s.default_steps)
         if s.default_steps else "first email only"),
        ("assistants", len(plan.limits)),
        # earlier campaigns' emails (the ledger's) counted in the day totals beside
        ("booked earlier", sum(plan.booked.values())),
        *read_about(sheet.settings).items(),
        *contract_columns(sheet.fields).items(),
    ]
    return block


def _summary_sheet(
    plan: Plan, sheet: _Sheet, summary: list[tuple[dt.date, str, int, int]], days: list[dt.date]
) -> SheetSpec:
    about = _about(plan, sheet)
    table: list[list[Cell]] = [
        [d, a, plan.new_leads.get((a, d), 0), emails, limit, limit - emails]
        for d, a, emails, limit in summary
    ]
    width = len(SUMMARY_COLUMNS)

    def rows() -> Iterator[list[Cell]]:
        # The side block shares rows with the table: the writer streams rows in order.
        for n in range(max(len(table), len(about))):
            left = table[n] if n < len(table) else [None] * width
            yield [*left, None, *(about[n] if n < len(about) else ())]

    def finish(book: Workbook, ws: Worksheet, _last: int) -> None:
        ws.autofilter(0, 0, max(len(table), 1), width - 1)
        if days:
            ws.insert_chart(len(about) + 2, width + 1, _chart(book, plan, days))

    return SheetSpec(
        name="Summary",
        headers=[*SUMMARY_COLUMNS, "", "plan", "value"],
        rows=rows(),
        widths={"day": 12, "assistant": 30, "": 3, "plan": 22, "value": 30},
        autofilter=False,
        finish=finish,
    )


def _load_sheet(plan: Plan, days: list[dt.date]) -> SheetSpec:
    emails = sorted(plan.limits)
    capacity = sum(plan.limits.values())
    rows: list[list[Cell]] = []
    for d in days:
        per = [plan.load.get((a, d), 0) for a in emails]
        rows.append([d, *per, sum(per), capacity])
    return SheetSpec(
        name="Load",
        headers=["day", *emails, "total", "capacity"],
        rows=rows,
        widths={"day": 12, **{a: max(12.0, min(30.0, len(a) + 2.0)) for a in emails}},
    )


def _chart(book: Workbook, plan: Plan, days: list[dt.date]) -> Any:
    """Stacked columns of emails per day per assistant, and the total daily limit as a line."""
    emails = sorted(plan.limits)
    n = len(days)
    cats = ["Load", 1, 0, n, 0]
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    series = [(i + 1, a) for i, a in enumerate(emails)]
    if len(series) > _MAX_CHART_SERIES:
        series = [(len(emails) + 1, "all assistants")]
    for col, label in series:
        chart.add_series({
            "name": label,
            "categories": cats,
            "values": ["Load", 1, col, n, col],
            "gap": 50,
        })
    limit = book.add_chart({"type": "line"})
    cap_col = len(emails) + 2
    limit.add_series({
        "name": "daily limit (all assistants)",
        "categories": cats,
        "values": ["Load", 1, cap_col, n, cap_col],
        "line": {"color": "#C00000", "dash_type": "dash", "width": 1.5},
    })
    chart.combine(limit)
    chart.set_title({"name": "Emails per day (followups included) against the limit"})
    chart.set_x_axis({"name": "day"})
    chart.set_y_axis({"name": "emails"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": 420})
    return chart
