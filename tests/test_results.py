"""The results workbook: values only, colours, Summary; reading plan/results workbooks back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from leadbatch.errors import InputFileError
from leadbatch.jobs import read_back
from leadbatch.models import Lead, Outcome, PlanRow, ResultRow, RowStatus, SourceRow
from leadbatch.workbook import PLAN_COLUMNS, RESULT_COLUMNS, STATUS_COLOURS, write_results_workbook

DAY = dt.date(2026, 3, 2)
TRICKY = ['=HYPERLINK("http://evil.example","click")', "+44 20 7946 0958", "@x", "-1+2",
          "=1+1", "0012"]
HEADERS = ["First Name", "Email", "Note"]


def row(n: int, email: str, status: RowStatus, note: str = "", **outcome: Any) -> ResultRow:
    lead = Lead(name=f"N{n}", email=email)
    plan = PlanRow(SourceRow(n, {"First Name": f"N{n}", "Email": email, "Note": note}, lead),
                   RowStatus.PLANNED, "bot@7targets.io", DAY, None, "Recommended")
    return ResultRow(plan, Outcome(status, **outcome))


def sheet_dicts(path: Path, name: str = "Results") -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[name]
    header = [c.value for c in ws[1]]
    return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_every_cell_is_a_value_and_tricky_text_stays_text(tmp_path: Path) -> None:
    rows = [row(i + 2, f"p{i}@x.io", RowStatus.CREATED, note=t, lead_id=100 + i)
            for i, t in enumerate(TRICKY)]
    out = write_results_workbook(tmp_path / "r.xlsx", rows, HEADERS)
    book = openpyxl.load_workbook(out)
    for ws in book.worksheets:
        for cells in ws.iter_rows():
            assert all(c.data_type != "f" for c in cells), f"formula in {ws.title}"
    got = sheet_dicts(out)
    assert [r["Note"] for r in got] == TRICKY
    assert [c.value for c in book["Results"][1]] == [*RESULT_COLUMNS, *HEADERS]
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_status_colours_frozen_header_autofilter(tmp_path: Path) -> None:
    rows = [row(2, "a@x.io", RowStatus.CREATED, lead_id=1), row(3, "b@x.io", RowStatus.FAILED),
            row(4, "c@x.io", RowStatus.PENDING)]
    out = write_results_workbook(tmp_path / "r.xlsx", rows, HEADERS)
    ws = openpyxl.load_workbook(out)["Results"]
    status_col = RESULT_COLUMNS.index("status") + 1
    for r, status in ((2, "created"), (3, "failed"), (4, "pending")):
        cell = ws.cell(r, status_col)
        assert cell.value == status
        assert cell.fill.fgColor.rgb == "FF" + STATUS_COLOURS[status].lstrip("#")
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")


def test_summary_counts_statuses_and_sent_per_day_and_assistant(tmp_path: Path) -> None:
    rows = [row(2, "a@x.io", RowStatus.CREATED, lead_id=1),
            row(3, "b@x.io", RowStatus.CREATED, lead_id=2),
            row(4, "c@x.io", RowStatus.FAILED)]
    out = write_results_workbook(tmp_path / "r.xlsx", rows, HEADERS, about={"mode": "release"})
    got = sheet_dicts(out, "Summary")
    counts = {r["status"]: r["rows"] for r in got if r["status"]}
    assert counts == {"created": 2, "failed": 1, "total": 3}
    about = {r["plan"]: r["value"] for r in got if r["plan"]}
    assert about.pop("needs you").startswith("1 row (1 failed): the To fix sheet")
    assert about == {"mode": "release"}
    per_day = [(r["sendDate"], r["assistantEmail"], r["sent"], r["failed"]) for r in got
               if r["sendDate"]]
    assert per_day == [("2026-03-02", "bot@7targets.io", 2, 1)]


def write_results_by_hand(path: Path, rows: list[list[Any]], headers: list[str] = HEADERS) -> Path:
    """A results workbook as a user's spreadsheet program saves it (openpyxl, not ours)."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Results"
    ws.append([*RESULT_COLUMNS, *headers])
    for r in rows:
        ws.append(r)
    book.create_sheet("Summary").append(["status", "rows", "", "plan", "value"])
    book["Summary"].append(["created", 1, None, "mode", "release"])
    book.save(path)
    return path


def fixed(n: int, status: str, email: str, *, lead_id: Any = None, error: str = "",
          send_date: Any = "2026-03-02", assistant: str = "bot@7targets.io") -> list[Any]:
    return [n, status, error, "", send_date, assistant, None, None, "create", email, f"N{n}",
            "", lead_id, None, None, None, None]


def test_read_back_takes_the_edited_cells_and_honours_proof_of_success(tmp_path: Path) -> None:
    path = write_results_by_hand(tmp_path / "r.xlsx", [
        [*fixed(2, "created", "a@x.io", lead_id=11), "Ann", "a@x.io", ""],
        # the user fixed the email of a failed row in the input's own column
        [*fixed(3, "failed", "bad@", error="invalid email"), "Bob", "bob@x.io", ""],
        # a leadId is proof enough, whatever the status says
        [*fixed(4, "failed", "c@x.io", lead_id=12), "Cy", "c@x.io", ""],
        [*fixed(5, "pending", "d@x.io", send_date=dt.datetime(2026, 3, 9)), "Di", "d@x.io", ""],
        [*fixed(6, "failed", "e@x.io"), "Ed", "not-an-email", ""],
        [*fixed(7, "pending", "f@x.io", assistant=""), "Flo", "f@x.io", ""],
        [*fixed(8, "pending", "g@x.io", send_date="someday"), "Gus", "g@x.io", ""],
    ])
    back = read_back(path)
    assert (back.kind, back.headers, back.about) == ("results", HEADERS, {"mode": "release"})
    by_row = {r.row: r for r in back.rows}
    assert by_row[2].outcome.succeeded and by_row[2].outcome.lead_id == 11
    fixed_row = by_row[3]
    assert fixed_row.plan.status is RowStatus.PLANNED and fixed_row.plan.lead is not None
    assert fixed_row.plan.lead.email == "bob@x.io"
    assert (fixed_row.outcome.status, fixed_row.recorded) == (RowStatus.FAILED, RowStatus.FAILED)
    assert by_row[4].outcome.status is RowStatus.CREATED and by_row[4].outcome.succeeded
    assert by_row[5].plan.send_date == dt.date(2026, 3, 9)
    assert by_row[5].outcome.status is RowStatus.PENDING
    assert by_row[6].plan.status is RowStatus.INVALID
    assert by_row[6].outcome.status is RowStatus.INVALID and "Email" in by_row[6].outcome.error
    assert by_row[7].plan.status is RowStatus.INVALID
    assert by_row[7].plan.error == "assistantEmail and sendDate: both are needed to send this row"
    assert by_row[8].plan.error == "sendDate: 'someday' is not a date (use YYYY-MM-DD)"


def test_read_back_of_a_plan_workbook_keeps_the_planner_verdicts(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Plan"
    ws.append([*PLAN_COLUMNS, *HEADERS])
    ws.append([2, "planned", "", "", "2026-03-02", "bot@7targets.io", None, "Seq B", "create",
               "a@x.io", "Ann", "phone: +44 (as sent: not read back)", "Ann", "a@x.io",
               "+44 20 7946 0958"])
    ws.append([3, "unplaceable", "no room", "", "2026-03-02", "bot@7targets.io", None, None,
               "create", "b@x.io", "Bob", "", "Bob", "b@x.io", ""])
    book.save(tmp_path / "plan.xlsx")
    back = read_back(tmp_path / "plan.xlsx")
    first, second = back.rows
    assert back.kind == "plan"
    assert (first.plan.status, first.plan.schedule_name, first.outcome.status) == (
        RowStatus.PLANNED, "Seq B", RowStatus.PENDING)
    assert first.plan.source.values["Note"] == "+44 20 7946 0958"
    assert (second.plan.status, second.plan.error) == (RowStatus.UNPLACEABLE, "no room")


def test_a_workbook_that_is_not_ours_is_one_clear_error(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Results"
    ws.append(["name", "email"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(InputFileError, match="not a leadbatch results workbook"):
        read_back(tmp_path / "x.xlsx")
    with pytest.raises(InputFileError, match="no such file"):
        read_back(tmp_path / "missing.xlsx")


def test_a_row_copied_in_the_workbook_is_a_duplicate_not_a_second_send(tmp_path: Path) -> None:
    line = [*fixed(3, "failed", "b@x.io"), "Bob", "b@x.io", ""]
    path = write_results_by_hand(tmp_path / "r.xlsx", [
        [*fixed(2, "created", "a@x.io", lead_id=1), "Ann", "a@x.io", ""], line, line])
    first, second = read_back(path).rows[1:]
    assert (first.row, first.plan.status) == (3, RowStatus.PLANNED)
    assert (second.row, second.plan.status, second.outcome.status) == (
        3, RowStatus.DUPLICATE, RowStatus.DUPLICATE)
    assert second.outcome.error == "duplicate of row 3 (same email)"
