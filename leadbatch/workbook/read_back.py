"""Reading a plan or results workbook back: the fixed block as the user left it, the
input's own columns re-parsed (and so re-validated) by the parser the caller gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from python_calamine import CalamineError, CalamineWorkbook

from ..errors import InputFileError
from ..models import (
    ACTIONS,
    MAX_ID,
    SUCCEEDED,
    SUCCESS_FOR_ACTION,
    Outcome,
    PlanRow,
    ResultRow,
    RowError,
    RowStatus,
    SourceRow,
    iso_date,
    unsent,
)
from ..text import clean_text
from .columns import CONTRACT_HELD
from .plan import PLAN_COLUMNS, SENT_COLUMN
from .results import RESULT_COLUMNS


class RowParser(Protocol):
    """What reads the input's own columns into rows: the reader's `parse_rows`, given by
    the caller (the workbook stage does not import the read stage)."""

    def __call__(self, headers: Sequence[str], rows: Sequence[tuple[int, Sequence[object]]], *,
                 source: str, today: dt.date, about: Mapping[str, str]) -> Sequence[SourceRow]:
        ...


@dataclass
class ReadBack:
    """A plan or results workbook, read back: the input's own headers and every row."""

    path: Path
    kind: Literal["plan", "results"]
    headers: list[str]
    rows: list[ResultRow]
    about: dict[str, str] = field(default_factory=dict)  # a plan's settings (mode, start...)


def read_back(path: str | Path, parse: RowParser) -> ReadBack:
    """Read a Plan or Results workbook; the input's own columns are re-parsed (and so
    re-validated) with `parse`; the fixed block's sendDate, assistantEmail, sequence and
    action are honoured as the user left them."""
    source = Path(path)
    kind, grid, about = _load_grid(source)
    fixed = RESULT_COLUMNS if kind == "results" else PLAN_COLUMNS
    header = [clean_text(v) for v in grid[0]]
    if "warning" not in header[: len(fixed)]:
        fixed = [c for c in fixed if c != "warning"]  # written before rows had warnings
    if SENT_COLUMN not in header[: len(fixed)]:
        fixed = [c for c in fixed if c != SENT_COLUMN]  # written before it was shown
    if header[: len(fixed)] != fixed:
        raise InputFileError(source, f"not a leadbatch {kind} workbook: its first columns "
                             f"should be {', '.join(fixed)}")
    headers = header[len(fixed):]
    while headers and not headers[-1]:
        headers.pop()  # trailing empty columns some editors add
    # The input's email and name columns live in the contract's columns: put back under
    # their own headers, so the cells the user edited there are read as the sheet's.
    held = [(about[label], name) for label, name in CONTRACT_HELD.items()
            if about.get(label) and about[label] not in headers]
    headers[:0] = [own for own, _ in held]
    records: list[tuple[int, int, dict[str, Any], list[object]]] = []
    for line, cells in enumerate(grid[1:], start=2):
        cells = list(cells) + [None] * (len(header) - len(cells))
        if all(clean_text(v) == "" for v in cells):
            continue
        block = dict(zip(fixed, cells[: len(fixed)], strict=True))
        try:
            number = int(float(clean_text(block["row"])))
            if not 0 < number <= MAX_ID:
                raise ValueError(number)
        except (ValueError, OverflowError):
            number = line  # the row number was erased: fall back to the workbook's own
        own_cells = [block[name] for _, name in held] + \
            cells[len(fixed): len(fixed) + len(headers) - len(held)]
        records.append((line, number, block, own_cells))
    if not records:
        raise InputFileError(source, "no data rows")
    # Parsed by workbook line, which is unique even when the user copied a row, so that
    # duplicates are caught; then each row gets its input row number back.
    # `today` far in the past: a pinned sendDate that was valid when planned stays valid.
    parsed = parse(headers, [(line, c) for line, _, _, c in records], source=str(source),
                        today=dt.date(1900, 1, 1), about=about)
    number_of = {line: number for line, number, _, _ in records}
    by_line = {s.row: s for s in parsed}
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
    header = [clean_text(v) for v in summary[0]]
    if "plan" not in header or "value" not in header:
        return {}
    k, v = header.index("plan"), header.index("value")
    return {clean_text(r[k]): clean_text(r[v]) for r in summary[1:]
            if len(r) > max(k, v) and clean_text(r[k])}


def _row(src: SourceRow, block: Mapping[str, Any], kind: str) -> ResultRow:
    text = {k: clean_text(v) for k, v in block.items()}
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


_NOT_PLACED = (RowStatus.INVALID, RowStatus.DUPLICATE, RowStatus.UNPLACEABLE,
               RowStatus.ALREADY_SENT)


def _status(text: str) -> RowStatus | None:
    try:
        return RowStatus(text.strip().lower())
    except ValueError:
        return None


def _date(value: Any, problems: list[str]) -> dt.date | None:
    try:
        return iso_date(value)
    except ValueError:
        problems.append(f"sendDate: {clean_text(value)!r} is not a date (use YYYY-MM-DD)")
        return None


def _int(text: str, column: str, problems: list[str]) -> int | None:
    if not text:
        return None
    try:
        number = int(float(text))
    except (ValueError, OverflowError):  # OverflowError: 1e400 is inf
        problems.append(f"{column}: {text!r} is not a whole number")
        return None
    if abs(number) > MAX_ID:  # 1e300: no id, status or count is that large
        problems.append(f"{column}: {text!r} is larger than any 7Targets id")
        return None
    return number
