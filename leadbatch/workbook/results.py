"""The results workbook, written atomically and as values: a `Results` sheet (the plan's
columns, the outcome's, then the input's own) and a `Summary` sheet.

A row that succeeded (status created/updated/stopped, or any leadId) is proof that it
must never be sent again, even when the journal beside the workbook is gone:
`read_back` reads it so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from ..models import SUCCEEDED, ResultRow, RowStatus
from ..sent import sent_text
from .columns import picker, shown_headers
from .fixes import NEEDS_USER, Need, fix_sheet, needs, summary_line
from .plan import PLAN_COLUMNS, SENT_COLUMN
from .typed import type_cells, typed_columns
from .writer import Cell, SheetSpec, write_workbook

OUTCOME_COLUMNS = ["leadId", "nextScheduleTime", "httpStatus", "attempts", "sentAt"]
RESULT_COLUMNS = [*PLAN_COLUMNS, *OUTCOME_COLUMNS]
STATUS_ORDER = [s.value for s in RowStatus if s is not RowStatus.PLANNED]


def result_cells(result: ResultRow, headers: Sequence[str],
                 defaults: Mapping[str, int | None] | None = None,
                 memo: dict[tuple[object, ...], str] | None = None,
                 pick: Callable[[Mapping[str, str]], Sequence[str]] | None = None) -> list[Cell]:
    """One row of the Results sheet: the fixed columns, then the input's own `headers`
    (as text; `write_results_workbook` types the custom ones)."""
    plan, out, src = result.plan, result.outcome, result.plan.source
    valid = src.has_lead
    echo = result.echo
    action = src.action if valid else echo.get("action", "")
    return [
        plan.row,
        out.status.value,
        out.error,
        src.warning_text if src.warnings else "",
        plan.send_date,
        plan.assistant_email,
        plan.schedule_id,
        plan.schedule_name,
        action,
        src.email if valid else echo.get("email", ""),
        src.name if valid else echo.get("name", ""),
        sent_text(plan, defaults, memo) if valid else "",
        out.lead_id,
        out.next_schedule_time,
        out.http_status,
        out.attempts or None,
        out.sent_at,
        *(pick or picker(headers))(src.values),
    ]


def write_results_workbook(
    path: str | Path,
    rows: Sequence[ResultRow],
    input_headers: Sequence[str],
    *,
    about: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    defaults: Mapping[str, int | None] | None = None,
) -> Path:
    """Write RESULTS.xlsx atomically: `Results`, `Summary` and `To fix` sheets.

    `about` (mode, start, through, source...) is listed on the Summary sheet, where
    `read_back` finds it again. `fields` (header -> lead field) says which of the input's
    columns are custom, and so typed (numbers, dates); without it, the rows' own custom
    columns. `defaults` (assistant -> default sequence id) resolves the sequence sent.
    """
    ordered = sorted(rows, key=lambda r: r.row)
    own = shown_headers(input_headers, about or {})
    typed = [len(RESULT_COLUMNS) + i
             for i in typed_columns(own, fields if fields is not None else _custom(ordered, own))]

    memo: dict[tuple[object, ...], str] = {}
    pick = picker(own)

    def cells() -> Iterator[list[Cell]]:
        for r in ordered:
            line = result_cells(r, own, defaults, memo, pick)
            if typed:
                type_cells(line, typed)  # type: ignore[arg-type]  # Cell is an object
            yield line

    results = SheetSpec(
        name="Results",
        headers=[*RESULT_COLUMNS, *own],
        rows=cells(),
        widths=_widths([*RESULT_COLUMNS, *own], ordered[:2000]),
        status_column="status",
        derived=(SENT_COLUMN, *OUTCOME_COLUMNS),
        print_columns=len(RESULT_COLUMNS),
    )
    found = list(needs(_needs(ordered)))
    return write_workbook(path, [results, _summary(ordered, about or {}, found),
                                 fix_sheet(lambda: found, "results", about)])


def _custom(rows: Sequence[ResultRow], headers: Sequence[str]) -> dict[str, str]:
    """Without the sheet's field map: the rows' own custom headers are custom, every other
    header a lead field (left as text)."""
    custom = {h for r in rows[:2000] for h in r.plan.source.custom_headers}
    return {h: "custom" if h in custom else "field" for h in headers}


def _needs(rows: Sequence[ResultRow]) -> Iterator[Need]:
    for line, r in enumerate(rows, start=2):
        src, status = r.plan.source, r.outcome.status
        if status not in NEEDS_USER and not src.warnings:
            continue
        email = src.email if src.has_lead else r.echo.get("email", "")
        yield Need(line, status, src, email or "", r.outcome.error)


def _widths(headers: Sequence[str], sample: Sequence[ResultRow]) -> dict[str, float]:
    """Widths fitted to the header and the first rows, within reason (50 at most)."""
    widest = {h: len(h) for h in headers}
    for r in sample:
        for h, v in zip(headers, result_cells(r, headers[len(RESULT_COLUMNS):]), strict=True):
            n = len(str(v)) if v is not None else 0
            if n > widest[h]:
                widest[h] = n
    fixed = {"row": 7.0, "status": 13.0, "sendDate": 12.0, "action": 9.0, "attempts": 9.0}
    return {h: fixed.get(h, float(min(50, max(9, widest[h] + 2)))) for h in headers}


SUMMARY_COLUMNS = ["status", "rows", "", "plan", "value", "",
                   "sendDate", "assistantEmail", "sent", "failed", "pending"]


def _summary(rows: Sequence[ResultRow], about: Mapping[str, str], found: list[Need]) -> SheetSpec:
    """Counts by status; what needs the user, then the run's settings; sent/failed/pending
    per day and assistant."""
    counts = Counter(r.outcome.status.value for r in rows)
    per_day: dict[tuple[str, str], Counter[str]] = {}
    for r in rows:
        if r.plan.send_date is not None and r.plan.assistant_email:
            key = (r.plan.send_date.isoformat(), r.plan.assistant_email)
            per_day.setdefault(key, Counter())[r.outcome.status.value] += 1
    status_rows: list[list[Cell]] = [[s, counts[s]] for s in STATUS_ORDER if counts[s]]
    status_rows.append(["total", len(rows)])
    about_rows: list[list[Cell]] = [["needs you", summary_line(found, "results")]]
    about_rows += [[k, v] for k, v in about.items() if k != "needs you"]
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
        widths={"": 3, "plan": 12, "value": 60, "sendDate": 12, "assistantEmail": 30},
        autofilter=False,
    )
