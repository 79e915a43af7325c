"""The results workbook: write it (values only, atomically) and read a plan or results
workbook back, with the input's own columns re-validated.

A row's outcome lives beside its plan decision in `ResultRow`. A row that succeeded
(status created/updated/stopped, or any leadId) is proof that it must never be sent
again, even when the journal beside the workbook is gone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from python_calamine import CalamineError, CalamineWorkbook

from .errors import InputFileError
from .models import (
    ACTIONS,
    SUCCEEDED,
    SUCCESS_FOR_ACTION,
    PlanRow,
    RowError,
    RowStatus,
    SourceRow,
)
from .workbooks import PLAN_COLUMNS
from .xlsx import Cell, SheetSpec, cell_text, write_workbook

OUTCOME_COLUMNS = ["leadId", "nextScheduleTime", "httpStatus", "attempts", "sentAt"]
RESULT_COLUMNS = [*PLAN_COLUMNS, *OUTCOME_COLUMNS]
STATUS_ORDER = [s.value for s in RowStatus if s is not RowStatus.PLANNED]


@dataclass
class Outcome:
    """What became of one row: its results status and what the API answered."""

    status: RowStatus
    error: str = ""
    lead_id: int | None = None
    next_schedule_time: str | None = None
    http_status: int | None = None
    attempts: int = 0
    sent_at: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when this row must never be sent again (its leadId is proof enough)."""
        return self.status in SUCCEEDED or self.lead_id is not None


@dataclass
class ResultRow:
    """One input row: the plan's decision and its outcome (so far)."""

    plan: PlanRow
    outcome: Outcome
    echo: dict[str, str] = field(default_factory=dict)  # email/name of rows without a lead
    recorded: RowStatus | None = None  # the status a workbook read back showed

    @property
    def row(self) -> int:
        return self.plan.row

    def cells(self, headers: Sequence[str]) -> list[Cell]:
        plan, out, src = self.plan, self.outcome, self.plan.source
        valid = src.has_lead
        action = src.action if valid else self.echo.get("action", "")
        return [
            plan.row,
            out.status.value,
            out.error,
            plan.send_date,
            plan.assistant_email,
            plan.schedule_id,
            plan.schedule_name,
            action,
            src.email if valid else self.echo.get("email", ""),
            src.name if valid else self.echo.get("name", ""),
            out.lead_id,
            out.next_schedule_time,
            out.http_status,
            out.attempts or None,
            out.sent_at,
            *(plan.source.values.get(h, "") for h in headers),
        ]


def unsent(plan: PlanRow, fields: Mapping[str, str] | None = None) -> ResultRow:
    """A row as the plan left it: planned rows are `pending` until a send succeeds.

    `fields` (a LeadSheet's header -> field map) lets a row without a valid lead still
    show its email and name.
    """
    status = RowStatus.PENDING if plan.status is RowStatus.PLANNED else plan.status
    echo: dict[str, str] = {}
    if not plan.source.has_lead and fields:
        for header, name in fields.items():
            if name in ("email", "name", "action") and name not in echo:
                echo[name] = plan.source.values.get(header, "")
    return ResultRow(plan, Outcome(status, error=plan.error), echo)


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
    results = SheetSpec(
        name="Results",
        headers=[*RESULT_COLUMNS, *input_headers],
        rows=(r.cells(input_headers) for r in ordered),
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


# --- reading a plan or results workbook back -------------------------------------------


@dataclass
class ReadBack:
    """A plan or results workbook, read back: the input's own headers and every row."""

    path: Path
    kind: Literal["plan", "results"]
    headers: list[str]
    rows: list[ResultRow]
    about: dict[str, str] = field(default_factory=dict)  # a plan's settings (mode, start...)


def read_back(path: str | Path) -> ReadBack:
    """Read a Plan or Results workbook; the input's own columns are re-parsed (and so
    re-validated) with `reader.parse_rows`; the fixed block's sendDate, assistantEmail,
    sequence and action are honoured as the user left them."""
    from .reader import parse_rows  # the reader imports nothing of ours; keep import cheap

    source = Path(path)
    kind, grid, about = _load_grid(source)
    fixed = RESULT_COLUMNS if kind == "results" else PLAN_COLUMNS
    header = [cell_text(v) for v in grid[0]]
    if header[: len(fixed)] != fixed:
        raise InputFileError(source, f"not a leadbatch {kind} workbook: its first columns "
                             f"should be {', '.join(fixed)}")
    headers = header[len(fixed):]
    while headers and not headers[-1]:
        headers.pop()  # trailing empty columns some editors add
    records: list[tuple[int, int, dict[str, Any], list[object]]] = []
    for line, cells in enumerate(grid[1:], start=2):
        cells = list(cells) + [None] * (len(header) - len(cells))
        if all(cell_text(v) == "" for v in cells):
            continue
        block = dict(zip(fixed, cells[: len(fixed)], strict=True))
        try:
            number = int(float(cell_text(block["row"])))
        except ValueError:
            number = line  # the row number was erased: fall back to the workbook's own
        records.append((line, number, block, cells[len(fixed): len(fixed) + len(headers)]))
    if not records:
        raise InputFileError(source, "no data rows")
    # Parsed by workbook line, which is unique even when the user copied a row, so that
    # duplicates are caught; then each row gets its input row number back.
    # `today` far in the past: a pinned sendDate that was valid when planned stays valid.
    parsed = parse_rows(headers, [(line, c) for line, _, _, c in records], source=str(source),
                        today=dt.date(1900, 1, 1))
    number_of = {line: number for line, number, _, _ in records}
    by_line = {s.row: s for s in parsed.rows}
    rows = []
    for line, number, block, _ in records:
        src = by_line.get(line) or SourceRow(line, {}, None, [
            RowError(line, None, "the input's own columns are empty")])
        src = src.replace(row=number, duplicate_of=number_of.get(src.duplicate_of or 0))
        rows.append(_row(src, block, kind))
    return ReadBack(source, kind, headers, rows, about)


def _load_grid(path: Path) -> tuple[Literal["plan", "results"], list[list[Any]], dict[str, str]]:
    if not path.is_file():
        raise InputFileError(path, "no such file")
    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            names = book.sheet_names
            name = "Results" if "Results" in names else "Plan" if "Plan" in names else None
            if name is None:
                raise InputFileError(path, "not a leadbatch plan or results workbook "
                                     "(no sheet named Plan or Results)")
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            summary = book.get_sheet_by_name("Summary").to_python() if "Summary" in names else []
    except (CalamineError, OSError, ValueError) as exc:
        raise InputFileError(path, f"cannot read this workbook: {exc}") from None
    if not grid:
        raise InputFileError(path, f"the {name} sheet is empty")
    return ("results" if name == "Results" else "plan"), grid, _settings_block(summary)


def _settings_block(summary: list[list[Any]]) -> dict[str, str]:
    """The plan workbook's Summary lists its settings in `plan` / `value` columns."""
    if not summary:
        return {}
    header = [cell_text(v) for v in summary[0]]
    if "plan" not in header or "value" not in header:
        return {}
    k, v = header.index("plan"), header.index("value")
    return {cell_text(r[k]): cell_text(r[v]) for r in summary[1:]
            if len(r) > max(k, v) and cell_text(r[k])}


def _row(src: SourceRow, block: Mapping[str, Any], kind: str) -> ResultRow:
    text = {k: cell_text(v) for k, v in block.items()}
    recorded = _status(text["status"])
    echo = {k: text[k] for k in ("email", "name", "action")}
    problems: list[str] = []
    send_date = _date(block["sendDate"], problems)
    schedule_id = _int(text["scheduleId"], "scheduleId", problems)
    action = text["action"].lower() or src.action
    if action not in ACTIONS:
        problems.append(f"action: must be one of {', '.join(ACTIONS)}, not {text['action']!r}")
    elif src.has_lead and action != src.action:
        src = src.replace(action=action)
    plan = PlanRow(src, RowStatus.PLANNED, text["assistantEmail"].lower() or None, send_date,
                   schedule_id, text["scheduleName"] or None)
    if src.status is not None:
        plan.status, plan.error = src.status, src.error_text
    elif problems:
        plan.status, plan.error = RowStatus.INVALID, "; ".join(problems)
    elif recorded in _NOT_PLACED:
        # the planner's verdict stands; to send such a row, set its status to planned
        plan.status, plan.error = recorded, text["error"]
    elif recorded is None:
        plan.status = RowStatus.INVALID
        plan.error = f"status: {text['status']!r} is not a leadbatch status"
    elif plan.assistant_email is None or plan.send_date is None:
        plan.status = RowStatus.INVALID
        plan.error = "assistantEmail and sendDate: both are needed to send this row"
    if kind == "plan":
        return ResultRow(plan, unsent(plan).outcome, echo, recorded)
    lead_id = _int(text["leadId"], "leadId", [])
    outcome = Outcome(
        recorded or plan.status,
        error=text["error"],
        lead_id=lead_id,
        next_schedule_time=text["nextScheduleTime"] or None,
        http_status=_int(text["httpStatus"], "httpStatus", []),
        attempts=_int(text["attempts"], "attempts", []) or 0,
        sent_at=text["sentAt"] or None,
    )
    if lead_id is not None and outcome.status not in SUCCEEDED:
        # a leadId is proof the API has the lead, whatever the status cell says
        outcome.status = SUCCESS_FOR_ACTION[action if action in ACTIONS else "create"]
    elif not outcome.succeeded and plan.status is not RowStatus.PLANNED:
        outcome = Outcome(plan.status, error=plan.error)
    elif not outcome.succeeded and outcome.status is not RowStatus.FAILED:
        outcome.status = RowStatus.PENDING
    return ResultRow(plan, outcome, echo, recorded)


_NOT_PLACED = (RowStatus.INVALID, RowStatus.DUPLICATE, RowStatus.UNPLACEABLE)


def _status(text: str) -> RowStatus | None:
    try:
        return RowStatus(text.strip().lower())
    except ValueError:
        return None


def _date(value: Any, problems: list[str]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        problems.append(f"sendDate: {text!r} is not a date (use YYYY-MM-DD)")
        return None


def _int(text: str, column: str, problems: list[str]) -> int | None:
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        problems.append(f"{column}: {text!r} is not a whole number")
        return None
