"""The jobs that send nothing: `validate_job` (read, and check what the rows pin against
the planning calendar and the assistants) and `plan_job` (read, plan, write the plan
workbook); and reading leadbatch's own workbooks back.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from python_calamine import CalamineError, CalamineWorkbook

from .. import limits
from ..config import (
    PlanSettings,
    ReadSettings,
    account_from_env,
    load_api_settings,
    read_from_about,
)
from ..errors import UsageError
from ..models import Assistant, RowStatus, SourceRow
from ..plan import Clock, Plan, SendingCalendar, pin_problems, plan_leads, utc_now
from ..read import LeadSheet, load_assistants, parse_rows, read_leads

if TYPE_CHECKING:
    from ..workbook import ReadBack


def workbook_kind(path: Path) -> Literal["plan", "results"] | None:
    """'plan' / 'results' for leadbatch's own workbooks, None for anything else."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return None
    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            names = book.sheet_names
    except (CalamineError, OSError, ValueError):
        return None
    return "results" if "Results" in names else "plan" if "Plan" in names else None


@dataclass
class PlanResult:
    plan: Plan
    sheet: LeadSheet
    workbook: Path

    @property
    def exit_code(self) -> int:
        """0 every row planned; 1 some rows are invalid, duplicate or unplaceable."""
        planned = self.plan.counts()[RowStatus.PLANNED]
        return 0 if planned == len(self.plan.rows) else 1


def find_assistants(path: str | None) -> list[Assistant]:
    """Assistants from --assistants FILE, else from the API (read only)."""
    if path is not None:
        found = load_assistants(path)
    else:
        from ..send import fetch_assistants  # the HTTP stack loads only when it is needed

        found = fetch_assistants(load_api_settings())
    if not found:
        where = path or "the API"
        raise UsageError(f"no assistants in {where}: nothing can be planned")
    return found


def validate_job(source: Path, *, read: ReadSettings | None = None,
                 settings: PlanSettings | None = None,
                 assistants: Callable[[], Sequence[Assistant]] | None = None,
                 clock: Clock = utc_now) -> LeadSheet:
    """`leadbatch validate`: read `source`, then check what its rows pin with the settings
    `plan` uses (a send day that is no sending day, an unknown assistant), so that a sheet
    that validates also plans. Assistants are checked when `assistants` is given."""
    settings = settings or PlanSettings()
    today = SendingCalendar.from_settings(settings).today(clock)
    sheet = read_leads(source, today=today, settings=read)
    column_of = {f: h for h, f in reversed(sheet.fields.items())}
    by_number = {row.row: row for row in sheet.rows}
    known = assistants() if assistants is not None else None
    for error in pin_problems(sheet.rows, settings, known, today, column_of):
        by_number[error.row].fail(error)
    return sheet


def plan_job(source: Path, output: Path, *, settings: PlanSettings,
             assistants: Callable[[], Sequence[Assistant]], read: ReadSettings | None = None,
             clock: Clock = utc_now, booked: Sequence[Path] = ()) -> PlanResult:
    """`leadbatch plan`: read `source`, plan every row, write the plan workbook.

    `booked`: plan or results workbooks whose planned and sent leads' emails count
    against the days they land on (campaigns the ledger does not know, e.g. a dry run)."""
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {output}: the plan is an Excel workbook: use a name ending in .xlsx")
    if output.resolve() == source.resolve():
        raise UsageError(f"-o {output} is the input file: choose another name")
    today = SendingCalendar.from_settings(settings).today(clock)
    if settings.start is not None and settings.start < today:
        raise UsageError(
            f"start {settings.start} is in the past (today is {today} in {settings.timezone})"
        )
    sheet = read_leads(source, today=today, settings=read)
    check_columns(source, sheet.headers)
    load = Counter(_from_ledger(sheet.rows, today))
    load.update(booked_in(booked, settings, today, {r.email for r in sheet.rows if r.email}))
    plan = plan_leads(sheet.rows, assistants(), settings, today=today, booked=dict(load))
    from ..workbook import write_plan_workbook  # the writer (xlsxwriter): not for validate

    return PlanResult(plan, sheet, write_plan_workbook(output, plan, sheet))


def check_columns(source: Path, headers: Sequence[str]) -> None:
    """Refuse a sheet whose results would not fit Excel's columns (leadbatch's own columns
    go before the input's) before anything is planned or sent, as too many rows are: a
    plan that fits is one whose results fit."""
    from ..workbook import RESULT_COLUMNS

    width = len(headers) + len(RESULT_COLUMNS)
    if width > limits.MAX_SHEET_COLUMNS:
        raise UsageError(f"{source}: {len(headers):,} columns and leadbatch's "
                         f"{len(RESULT_COLUMNS)} do not fit in one sheet (Excel's limit is "
                         f"{limits.MAX_SHEET_COLUMNS:,} columns): remove columns you do not "
                         "need to send")


def _from_ledger(rows: Sequence[SourceRow], today: dt.date) -> dict[tuple[str, dt.date], int]:
    """When the environment names the account, its ledger: the assistant each update or
    stop row's lead has, and what earlier campaigns booked (a dry run plans around it as
    `run` would)."""
    account = account_from_env()
    if account is None:
        return {}
    from ..send import Ledger, account_of, default_ledger_path
    from .campaign import own_assistants

    path = default_ledger_path(*account)
    if not path.is_file():
        return {}  # nothing was ever sent for this account: a dry run makes no ledger
    with Ledger(path, account_of(*account)) as ledger:
        own_assistants(rows, ledger)
        return ledger.load(since=today)


def booked_in(paths: Sequence[Path], settings: PlanSettings, today: dt.date,
              skip: set[str]) -> Counter[tuple[str, dt.date]]:
    """The emails per (assistant, day) from `today` on that the workbooks' planned and sent
    create rows book, with this plan's sequences; leads in `skip` (the sheet being
    planned) are left out: they are planned again."""
    from .campaign import booked_days

    calendar = SendingCalendar.from_settings(settings)
    load: Counter[tuple[str, dt.date]] = Counter()
    for path in paths:
        for row in read_back(path).rows:
            days = booked_days(row, calendar, settings)
            assistant = row.plan.assistant_email
            if days is None or assistant is None or row.plan.source.email in skip:
                continue
            load.update({(assistant, day): count for day, count in days if day >= today})
    return load


def read_back(path: str | Path) -> ReadBack:
    """A plan or results workbook read back, its input columns re-validated by the reader."""
    from ..workbook import read_back as _read_back

    return _read_back(path, _reparse)


def _reparse(headers: Sequence[str], rows: Sequence[tuple[int, Sequence[object]]], *,
             source: str, today: dt.date, about: Mapping[str, str]) -> list[SourceRow]:
    # Read with the settings the workbook was written with (its Summary lists them).
    return parse_rows(headers, rows, source=source, today=today,
                      settings=read_from_about(about)).rows


