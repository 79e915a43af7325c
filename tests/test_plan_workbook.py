import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from leadbatch.config import PlanSettings, SequenceSpec
from leadbatch.models import Assistant
from leadbatch.plan import Plan, plan_leads
from leadbatch.read import LeadSheet, parse_rows
from leadbatch.workbook import PLAN_COLUMNS, SUMMARY_COLUMNS, write_plan_workbook

MON = dt.date(2026, 3, 2)
HEADERS = ["First Name", "E-mail", "Assistant", "Send Date", "Company", "Notes"]
CELLS: list[list[object]] = [
    ["Ann", "ann@example.com", "", "", "Acme", "=HYPERLINK(\"http://x\")"],
    ["Bob", "bob@example.com", "b@s.com", "2026-03-03", "Beta", "+44 20 7946 0000"],
    ["Cy", "ANN@example.com", "", "", "Dup Inc", ""],
    ["", "not-an-email", "", "", "Bad", "@mention"],
    ["Ed", "ed@example.com", "", "2026-03-07", "Weekend", ""],
    ["Flo", "flo@example.com", "", "", "Fine", "-5"],
]


@pytest.fixture
def sheet() -> LeadSheet:
    rows = [(n + 2, cells) for n, cells in enumerate(CELLS)]
    return parse_rows(HEADERS, rows, source="exports/leads.csv", today=dt.date(2026, 3, 1))


def make_plan(sheet: LeadSheet) -> Plan:
    assistants = [
        Assistant(emailid="a@s.com", perDayEmailLimit=2),
        Assistant(emailid="b@s.com", perDayEmailLimit=3),
    ]
    settings = PlanSettings(
        start=MON,
        holidays="US",
        sequences=(SequenceSpec(name="A", steps=(0, 3)), SequenceSpec(name="B", steps=(0, 7))),
        rotation=("A", "B"),
    )
    return plan_leads(sheet.rows, assistants, settings, today=dt.date(2026, 3, 1))


def test_plan_sheet_rows_in_input_order(tmp_path: Path, sheet: LeadSheet) -> None:
    out = write_plan_workbook(tmp_path / "plan.xlsx", make_plan(sheet), sheet)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Plan", "Summary", "To fix", "Load"]
    ws = book["Plan"]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    # The input's name and email columns are not repeated: the contract's hold them.
    assert grid[0] == [*PLAN_COLUMNS, *HEADERS[2:]]
    fixed = [r[: len(PLAN_COLUMNS)] for r in grid[1:]]
    assert fixed == [
        # Bob (pinned, placed first) already took "A"; Ann gets B, on a Monday.
        [2, "planned", None, None, "2026-03-02", "a@s.com", None, "B", "create",
         "ann@example.com", "Ann", "· | · | 2 | B"],
        [3, "planned", None, None, "2026-03-03", "b@s.com", None, "A", "create",
         "bob@example.com", "Bob", "· | · | 2 | A"],
        [4, "duplicate", "duplicate of row 2 (same email)", None, None, None, None, None,
         "create", "ann@example.com", "Cy", "· | · | 1 | default"],
        [5, "invalid", grid[4][2], None, None, None, None, None, None, "not-an-email", None,
         None],
        [6, "unplaceable", "2026-03-07 is a Saturday, not a sending day (mon,tue,wed,thu,fri)",
         None, "2026-03-07", None, None, None, "create", "ed@example.com", "Ed",
         "· | · | 1 | default"],
        [7, "planned", None, None, "2026-03-02", "b@s.com", None, "A", "create",
         "flo@example.com", "Flo", "· | · | 2 | A"],
    ]
    assert "not-an-email" in grid[4][2]
    # The input's own columns, as read: text that looks like a formula stays text.
    assert grid[1][len(PLAN_COLUMNS):] == [c or None for c in CELLS[0][2:]]
    assert grid[6][len(PLAN_COLUMNS):] == [None, None, "Fine", "-5"]
    for name in book.sheetnames:
        for cells in book[name].iter_rows():
            assert all(c.data_type != "f" for c in cells)


def test_plan_sheet_is_readable(tmp_path: Path, sheet: LeadSheet) -> None:
    out = write_plan_workbook(tmp_path / "plan.xlsx", make_plan(sheet), sheet)
    ws = openpyxl.load_workbook(out)["Plan"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:P7"  # the fixed columns and the input's other four
    widths = {ws.cell(1, c).value: ws.column_dimensions[ws.cell(1, c).column_letter].width
              for c in range(1, ws.max_column + 1)}
    assert widths["error"] > 40  # fits the longest reason
    assert widths["email"] >= len("flo@example.com")
    assert ws["B2"].fill.fgColor.rgb.endswith("DDEBF7")  # planned
    assert ws["B5"].fill.fgColor.rgb.endswith("FFC7CE")  # invalid
    assert ws["B6"].fill.fgColor.rgb.endswith("F8CBAD")  # unplaceable


def test_summary_sheet_loads_counts_and_settings(tmp_path: Path, sheet: LeadSheet) -> None:
    plan = make_plan(sheet)
    out = write_plan_workbook(tmp_path / "plan.xlsx", plan, sheet)
    book = openpyxl.load_workbook(out)
    ws = book["Summary"]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    assert grid[0][:6] == SUMMARY_COLUMNS
    table = [r[:6] for r in grid[1:] if r[0] is not None]
    assert table[:4] == [
        ["2026-03-02", "a@s.com", 1, 1, 2, 1],
        ["2026-03-02", "b@s.com", 1, 1, 3, 2],
        ["2026-03-03", "a@s.com", 0, 0, 2, 2],
        ["2026-03-03", "b@s.com", 1, 1, 3, 2],
    ]
    assert len(table) == len(plan.summary())
    # Followups of the "A" leads (day 3) land on Thursday and Friday.
    assert ["2026-03-05", "b@s.com", 0, 1, 3, 2] in table
    about = {r[7]: r[8] for r in grid[1:] if r[7] is not None}
    assert about["planned"] == 3
    assert about["unplaceable"] == 1
    assert about["invalid"] == 1
    assert about["duplicate"] == 1
    assert about["total rows"] == 6
    assert about["source"] == "leads.csv"
    assert about["holidays"] == "US"
    assert about["rotation"] == "A, B"
    assert about["sequences"] == "A: days 0,3; B: days 0,7"
    load = [list(r) for r in book["Load"].iter_rows(values_only=True)]
    assert load[0] == ["day", "a@s.com", "b@s.com", "total", "capacity", "limit 2", "limit 3"]
    assert load[1] == ["2026-03-02", 1, 1, 2, 5, 2, 3]


def test_summary_has_a_native_chart(tmp_path: Path, sheet: LeadSheet) -> None:
    out = write_plan_workbook(tmp_path / "plan.xlsx", make_plan(sheet), sheet)
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts == ["xl/charts/chart1.xml"]
        xml = z.read(charts[0]).decode()
        rels = z.read("xl/worksheets/_rels/sheet2.xml.rels").decode()  # Summary is sheet 2
    # One bar per assistant (clustered, not stacked), each against its own limit's line
    # (Load's "limit 2" and "limit 3" columns), not the sum of all limits.
    assert "<c:barChart>" in xml and "<c:grouping val=\"clustered\"/>" in xml
    assert "<c:lineChart>" in xml
    assert "Load!$B$2:$B$" in xml and "Load!$C$2:$C$" in xml
    assert "Load!$F$2:$F$" in xml and "Load!$G$2:$G$" in xml
    assert "Load!$E$2" not in xml  # the combined capacity flattened the bars
    assert "drawing" in rels


def test_same_plan_same_bytes(tmp_path: Path, sheet: LeadSheet) -> None:
    first = write_plan_workbook(tmp_path / "one.xlsx", make_plan(sheet), sheet)
    second = write_plan_workbook(tmp_path / "two.xlsx", make_plan(sheet), sheet)
    assert first.read_bytes() == second.read_bytes()
    props = openpyxl.load_workbook(first).properties
    assert props.created == dt.datetime(2026, 3, 2, 0, 0)


def test_empty_plan_still_writes(tmp_path: Path, sheet: LeadSheet) -> None:
    plan = plan_leads(sheet.rows, [], PlanSettings(start=MON), today=MON)
    out = write_plan_workbook(tmp_path / "plan.xlsx", plan, sheet)
    book = openpyxl.load_workbook(out)
    statuses = [r[1] for r in book["Plan"].iter_rows(min_row=2, values_only=True)]
    assert statuses == ["unplaceable", "unplaceable", "duplicate", "invalid", "unplaceable",
                        "unplaceable"]
    with zipfile.ZipFile(out) as z:
        assert not [n for n in z.namelist() if n.startswith("xl/charts/")]
