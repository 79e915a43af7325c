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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..config import PlanSettings, ReadSettings, read_about
from ..models import Assistant, PlanRow, RowStatus
from ..sent import SENT_FORMAT, sent_text
from .columns import contract_columns, picker, shown_headers
from .fixes import Need, fix_sheet, needs, summary_line
from .summary import GRID_TITLE, about_head, grid_block, load_chart, side_by_side
from .typed import DIGITS, typed_cell, typed_columns
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
    f"sent: {SENT_FORMAT}",
]
# Derived, not edited: what the API receives for the row (read_back skips it).
SENT_COLUMN = PLAN_COLUMNS[-1]
SUMMARY_COLUMNS = ["day", "assistant", "new leads", "emails", "limit", "room"]


class Plan(Protocol):
    """What the plan workbook needs of a planner's Plan (the workbook stage does not
    import the plan stage)."""

    rows: list[PlanRow]
    assistants: list[Assistant]
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
    # The rows that need the user are noted while the Plan sheet's rows are written (a
    # second pass over a big plan cost 3% of the write); the Summary and To fix sheets,
    # written after it, read them.
    flagged = _Flagged()
    found: list[list[Need]] = []

    def needing() -> list[Need]:
        # The writer writes sheets in order, so the Plan sheet's rows are all written.
        if not flagged.complete:
            raise RuntimeError("the To fix rows were asked for before the Plan rows were written")
        if not found:
            found.append(list(needs(_needs(flagged.rows, sheet))))
        return found[0]

    return write_workbook(
        path,
        [_plan_sheet(plan, sheet, flagged), _summary_sheet(plan, sheet, summary, days, needing),
         fix_sheet(needing, "plan", contract_columns(sheet.fields)),
         _load_sheet(plan, days)],
        properties={"title": "leadbatch plan", "created": created},
    )


@dataclass
class _Flagged:
    """The Plan sheet's rows that need the user (line, row), noted as they are written."""

    rows: list[tuple[int, PlanRow]] = field(default_factory=list)
    complete: bool = False


def _needs(flagged: list[tuple[int, PlanRow]], sheet: _Sheet) -> Iterator[Need]:
    email_header = next((h for h, f in sheet.fields.items() if f == "email"), "")
    for line, r in flagged:
        src = r.source
        email = src.email if src.has_lead else src.values.get(email_header, "")
        yield Need(line, r.status, src, email or "", r.error)


def _plan_sheet(plan: Plan, sheet: _Sheet, flagged: _Flagged) -> SheetSpec:
    echo_of = {f: h for h, f in reversed(sheet.fields.items())}  # lead field -> first header
    own = shown_headers(sheet.headers, contract_columns(sheet.fields))
    headers = [*PLAN_COLUMNS, *own]
    typed = [len(PLAN_COLUMNS) + i for i in typed_columns(own, sheet.fields)]
    defaults = {a.email: a.default_schedule_id for a in plan.assistants}
    memo: dict[object, object] = {}
    pick = picker(own)
    status_text = {s: s.value for s in RowStatus}  # a dict lookup, not the enum's property

    def rows() -> Iterator[list[Cell]]:
        # Once a row of a big plan: the row's checked fields are read from their dict
        # (`checked`) rather than through a property each.
        planned, flag = RowStatus.PLANNED, flagged.rows.append
        for line, r in enumerate(plan.rows, start=2):
            src = r.source
            if r.status is not planned or src.warnings:
                flag((line, r))
            values, checked = src.values, src.checked
            if checked is not None:
                action = checked.get("action") or "create"
                email, name = checked.get("email"), checked.get("name")
                sent = sent_text(r, defaults, memo)
            else:
                action = values.get(echo_of.get("action", ""), "")
                email = values.get(echo_of.get("email", ""), "")
                name = values.get(echo_of.get("name", ""), "")
                sent = ""
            cells: list[Cell] = [
                src.row,
                status_text[r.status],
                r.error,
                src.warning_text if src.warnings else "",
                r.send_date,
                r.assistant_email,
                r.schedule_id,
                r.schedule_name,
                action,
                email,
                name,
                sent,
                *pick(values),
            ]
            for i in typed:  # as type_cells, inline: a call a row was 5% of the write
                v = cells[i]
                if type(v) is str and v and v[0] in DIGITS:
                    cells[i] = typed_cell(v)
            yield cells
        flagged.complete = True

    return SheetSpec(
        name="Plan",
        headers=headers,
        rows=rows(),
        widths=_widths(headers, (r.source.values for r in plan.rows[:2000]), plan),
        status_column="status",
        derived=(SENT_COLUMN,),
        print_columns=len(PLAN_COLUMNS),
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
                     ("scheduleName", r.schedule_name or ""),
                     (SENT_COLUMN, sent_text(r) if r.source.has_lead else "")):
            widest[h] = max(widest[h], len(v))
        if r.source.has_lead:
            widest["email"] = max(widest["email"], len(r.source.email or ""))
            widest["name"] = max(widest["name"], len(r.source.name or ""))
    fixed = {"row": 7.0, "status": 13.0, "sendDate": 12.0, "action": 9.0, "scheduleId": 11.0}
    # error and warning can be long: 50 keeps the printed page legible (the cell shows all).
    cap = {"error": 50, "warning": 50}
    return {h: fixed.get(h, float(min(cap.get(h, 60), max(9, widest[h] + 2)))) for h in headers}


def _about(plan: Plan, sheet: _Sheet, found: list[Need]) -> list[tuple[str, Cell]]:
    """The side block of the Summary sheet: what needs the user and the planner's proof,
    counts by status, then what the plan was made from."""
    counts = plan.counts()
    s = plan.settings
    sequences = "; ".join(
        f"{q.label}: days {','.join(str(x) for x in q.steps)}" for q in s.sequences
    )
    block: list[tuple[str, Cell]] = [
        *about_head(summary_line(found, "plan"), plan.proof_lines(), plan.load, plan.limits),
        *((status.value, counts.get(status, 0))
        for status in (RowStatus.PLANNED, RowStatus.UNPLACEABLE, RowStatus.INVALID,
                       RowStatus.DUPLICATE)),
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
    plan: Plan, sheet: _Sheet, summary: list[tuple[dt.date, str, int, int]], days: list[dt.date],
    needing: Callable[[], list[Need]],
) -> SheetSpec:
    table: list[list[Cell]] = [
        [d, a, plan.new_leads.get((a, d), 0), emails, limit, limit - emails]
        for d, a, emails, limit in summary
    ]
    width = len(SUMMARY_COLUMNS)
    emails = sorted(plan.limits)
    grid, grid_header, paint = grid_block(days, emails, plan.load, plan.limits)
    grid_col = width + 4  # table, gap, plan/value, gap, then the grid

    def rows() -> Iterator[list[Cell]]:
        # Lazily: what needs the user is known once the Plan sheet's rows are written.
        about = _about(plan, sheet, needing())
        about_rows.append(len(about))
        yield from side_by_side([(table, width), ([list(p) for p in about], 2),
                                 (grid, len(grid_header))])

    about_rows: list[int] = []

    def finish(book: Workbook, ws: Worksheet, _last: int) -> None:
        ws.autofilter(0, 0, max(len(table), 1), width - 1)
        paint(book, ws, grid_col)
        if days:
            # Under the plan/value block, beside the grid: on the first printed page.
            ws.insert_chart(about_rows[0] + 2, width + 1, load_chart(
                book, plan.load, plan.limits, days, emails), {"x_offset": 4, "y_offset": 4})

    return SheetSpec(
        name="Summary",
        headers=[*SUMMARY_COLUMNS, "", "plan", "value", "", *grid_header],
        rows=rows(),
        widths={"day": 12, "assistant": 30, "": 3, "plan": 22, "value": 60,
                GRID_TITLE: 14, **{a: max(10.0, min(30.0, len(a) + 2.0)) for a in emails}},
        autofilter=False,
        finish=finish,
        # Printed: what needs the user, the proof, the settings and the coloured grid (the
        # long day-by-assistant table on the left says the same again, row by row).
        print_first=width + 1,
    )


def _load_sheet(plan: Plan, days: list[dt.date]) -> SheetSpec:
    emails = sorted(plan.limits)
    capacity = sum(plan.limits.values())
    # One column per distinct limit: the chart draws each assistant's own limit from them.
    distinct = sorted(set(plan.limits.values()))
    rows: list[list[Cell]] = []
    for d in days:
        per = [plan.load.get((a, d), 0) for a in emails]
        rows.append([d, *per, sum(per), capacity, *distinct])
    return SheetSpec(
        name="Load",
        headers=["day", *emails, "total", "capacity", *(f"limit {n}" for n in distinct)],
        rows=rows,
        widths={"day": 12, **{a: max(12.0, min(30.0, len(a) + 2.0)) for a in emails}},
    )
