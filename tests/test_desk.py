"""Issue 17: the workbooks as the user's desk. Written by us, read by openpyxl and calamine
(independent readers); the input sheets are made with the csv module or openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from leadbatch.config import PlanSettings
from leadbatch.models import Assistant, PlanRow, RowStatus, unsent
from leadbatch.plan import Plan, Proof, plan_leads
from leadbatch.read import parse_rows, read_leads
from leadbatch.text import clean_text
from leadbatch.workbook import (
    PLAN_COLUMNS,
    contract_columns,
    write_plan_workbook,
    write_results_workbook,
)
from leadbatch.workbook.plan import SENT_COLUMN
from leadbatch.workbook.typed import typed_cell

MON = dt.date(2026, 3, 2)
HEADERS = ["First Name", "Last Name", "Email", "Phone", "Country", "Budget", "Create Date",
           "Zip", "Account ID", "Notes", "Sequence"]
ROWS = [
    ["Ann", "Lee", "ann@x.io", "020 7946 0958", "UK", "1250.5", "2026-01-15", "02134", "77",
     "-5", ""],
    ["Bob", "Ray", "bob@x.io", "", "", "5000", "2025-12-01", "94105", "991", "1.50", "Intro B"],
    ["", "", "broken@", "", "", "12", "", "", "", "", ""],
    ["Cy", "", "cy@x.io", "not a phone", "", "", "", "", "", "+44 20", ""],
]


def _csv(path: Path, rows: list[list[str]] = ROWS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        w.writerows(rows)
    return path


def _plan(tmp_path: Path, proof: Proof | None = None) -> tuple[Plan, Path]:
    sheet = read_leads(_csv(tmp_path / "leads.csv"), today=dt.date(2026, 3, 1))
    assistants = [Assistant(emailid="a@s.com", perDayEmailLimit=4, defaultScheduleId=7)]
    plan = plan_leads(sheet.rows, assistants, PlanSettings(start=MON), today=dt.date(2026, 3, 1))
    if proof is not None:
        plan.proof = proof
    return plan, write_plan_workbook(tmp_path / "plan.xlsx", plan, sheet)


def _grid(path: Path, name: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[name]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_custom_numbers_and_dates_come_back_typed_and_codes_stay_text(tmp_path: Path) -> None:
    _, out = _plan(tmp_path)
    grid = _grid(out, "Plan")
    head = grid[0]
    ann = dict(zip(head, grid[1], strict=True))
    bob = dict(zip(head, grid[2], strict=True))
    assert ann["Budget"] == 1250.5 and bob["Budget"] == 5000  # numbers: sums and sorts work
    assert ann["Create Date"] == dt.datetime(2026, 1, 15)  # a real date...
    ws = openpyxl.load_workbook(out)["Plan"]
    cell = ws.cell(2, head.index("Create Date") + 1)
    assert cell.number_format == "yyyy-mm-dd"  # ...shown as a day
    assert ann["Zip"] == "02134" and bob["Zip"] == "94105"  # a code header stays text
    assert ann["Account ID"] == "77"  # an id stays text
    assert ann["Notes"] == "-5" and bob["Notes"] == "1.50"  # would not read back the same
    assert ann["Phone"] == "020 7946 0958"  # a lead field stays as read
    for row in openpyxl.load_workbook(out)["Plan"].iter_rows():
        assert all(c.data_type != "f" for c in row)


def test_typed_cells_read_back_as_the_same_text() -> None:
    for text in ["0", "7", "1250.5", "5000", "0.25", "123456789", "2026-01-15"]:
        value = typed_cell(text)
        assert not isinstance(value, str), text
        assert clean_text(value) == text  # what read_back (retry) sees is unchanged
    for text in ["02134", "1.50", ".5", "-5", "+44", "1234567890", "12345678901234567",
                 "2026-02-30", "1e5", "1,000", "20. Nov. 2024", " 5"]:
        assert typed_cell(text) == text, text


def test_what_is_sent_matches_the_api_body(tmp_path: Path) -> None:
    plan, out = _plan(tmp_path)
    grid = _grid(out, "Plan")
    sent = {r[PLAN_COLUMNS.index("email")]: r[PLAN_COLUMNS.index(SENT_COLUMN)] for r in grid[1:]}
    for r in plan.rows:
        if not r.source.has_lead:
            assert sent.get(r.source.values.get("Email")) is None
            continue
        body = r.api_body()
        text = sent[r.source.email]
        assert isinstance(text, str)
        last, phone, count, sequence = text.split(" | ")
        assert last == body.get("lastName", "·")
        assert phone == body.get("phone", "·")
        assert int(count) == len(body.get("customFields", []))
        if "scheduleId" in body:
            assert sequence == f"id {body['scheduleId']}"
        elif "scheduleName" in body:
            assert sequence == body["scheduleName"]
        else:
            assert sequence == "default (id 7)"  # the assistant's, resolved
    assert sent["ann@x.io"] == "Lee | +442079460958 | 6 | default (id 7)"
    assert sent["bob@x.io"].endswith(" | Intro B")


def test_summary_shows_needs_proof_and_a_grid_coloured_against_each_limit(
    tmp_path: Path,
) -> None:
    proof = Proof(last_first=MON, earliest=MON, peak=3, smoothest=3)
    _, out = _plan(tmp_path, proof)
    grid = _grid(out, "Summary")
    head = grid[0]
    k, v = head.index("plan"), head.index("value")
    about = {r[k]: r[v] for r in grid[1:] if r[k]}
    assert about["needs you"].startswith("2 rows (1 invalid, 1 warning): the To fix sheet")
    assert about["proof"] == "last first email 2026-03-02 (the limits allow no earlier)"
    assert about["proof 2"] == "at most 3 new leads per assistant a day (as even as the limits allow)"
    assert about["busiest assistant-day"] == "2026-03-02 a@s.com: 3 of 4 emails (75%)"
    g = head.index("emails / limit")
    assert head[g + 1] == "a@s.com"
    assert grid[1][g:g + 2] == ["limit", 4]
    assert grid[2][g:g + 2] == ["2026-03-02", 3]
    ws = openpyxl.load_workbook(out)["Summary"]
    rules = [r for rng in ws.conditional_formatting for r in rng.rules]
    scale = rules[0].colorScale
    assert rules[0].type == "colorScale"
    assert [float(c.val) for c in scale.cfvo] == [0, 3, 4]  # 0, 3/4 of the limit, the limit


def test_the_to_fix_sheet_names_each_row_and_column(tmp_path: Path) -> None:
    _, out = _plan(tmp_path)
    fixes = _grid(out, "To fix")
    assert fixes[0] == ["line", "row", "status", "email", "column to edit", "what to do", "why"]
    invalid = [r for r in fixes[1:] if r[2] == "invalid"]
    assert invalid and all(r[0] == 4 and r[1] == 4 for r in invalid)  # Plan line 4, input row 4
    # A plan's rows are fixed in the input sheet, under its own headers.
    assert {r[4] for r in invalid} == {"Email", "First Name"}
    warned = [r for r in fixes[1:] if r[2] == "warning"]
    assert [(r[3], r[4]) for r in warned] == [("cy@x.io", "Phone")]
    assert all("the input sheet (row " in str(r[5]) for r in fixes[1:])
    plan_sheet = _grid(out, "Plan")
    for r in fixes[1:]:
        line = int(str(r[0]))
        assert plan_sheet[line - 1][0] == r[1]  # the line named is the row's


def test_sheets_print_landscape_one_page_wide_with_the_header_on_every_page(
    tmp_path: Path,
) -> None:
    _, out = _plan(tmp_path)
    book = openpyxl.load_workbook(out)
    for name in book.sheetnames:
        ws = book[name]
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        # fitToWidth 1 is the file format's default, so it is left out of the XML
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.freeze_panes == "A2", name
    assert book["Plan"].auto_filter.ref is not None
    assert book["To fix"].auto_filter.ref is not None
    with zipfile.ZipFile(out) as z:
        assert b'<pageSetUpPr fitToPage="1"/>' in z.read("xl/worksheets/sheet1.xml")


def test_results_type_and_show_what_was_sent_and_what_to_fix(tmp_path: Path) -> None:
    rows_in = [(n + 2, r) for n, r in enumerate(ROWS)]
    sheet = parse_rows(HEADERS, rows_in, source="leads.csv", today=dt.date(2026, 3, 1))
    results = [unsent(PlanRow(r, RowStatus.PLANNED, "a@s.com", MON) if r.has_lead
                      else PlanRow(r, RowStatus.INVALID, error=r.error_text), sheet.fields)
               for r in sheet.rows]
    results[0].outcome.status = RowStatus.FAILED
    results[0].outcome.error = "HTTP 400: phone is not valid"
    about = {"mode": "release", **contract_columns(sheet.fields)}  # as `run` writes it
    out = write_results_workbook(tmp_path / "r.xlsx", results, sheet.headers,
                                 about=about, fields=sheet.fields)
    with CalamineWorkbook.from_path(str(out)) as book:
        assert book.sheet_names == ["Results", "Summary", "To fix"]
        grid = book.get_sheet_by_name("Results").to_python()
        fixes = book.get_sheet_by_name("To fix").to_python()
    head = grid[0]
    ann = dict(zip(head, grid[1], strict=False))
    assert ann["Budget"] == 1250.5 and ann["Create Date"] == dt.date(2026, 1, 15)  # a date
    assert ann["Zip"] == "02134"
    assert str(ann[SENT_COLUMN]).startswith("Lee | +442079460958 | ")
    statuses = [r[2] for r in fixes[1:]]
    assert statuses == sorted(statuses, key=["invalid", "failed", "warning"].index)
    assert set(statuses) == {"invalid", "failed", "warning"}
    failed = next(r for r in fixes[1:] if r[2] == "failed")
    assert "Results line 2" in failed[5] and "retry" in failed[5]
    invalid = [r for r in fixes[1:] if r[2] == "invalid"]
    # The input's Email column is held by the contract's `email` column: edit that one.
    assert {r[4] for r in invalid} == {"email", "name"}


@pytest.mark.parametrize("keep_sent", [True, False])
def test_retry_reads_back_the_same_text_with_or_without_the_sent_column(
    tmp_path: Path, keep_sent: bool
) -> None:
    from leadbatch.jobs import read_back

    plan, out = _plan(tmp_path)
    if not keep_sent:  # a workbook written before the column existed
        book = openpyxl.load_workbook(out)
        book["Plan"].delete_cols(PLAN_COLUMNS.index(SENT_COLUMN) + 1)
        book.save(out)
    back = read_back(out)
    by_row = {r.row: r.plan.source.values for r in back.rows}
    for r in plan.rows:
        if r.source.has_lead:
            got = by_row[r.row]
            # the typed cells (Budget, Create Date) read back as the text they were
            assert got["Budget"] == r.source.values["Budget"]
            assert got["Create Date"] == r.source.values["Create Date"]
            assert got["Zip"] == r.source.values["Zip"]
    assert SENT_COLUMN not in back.headers


def test_results_without_the_field_map_type_only_custom_columns(tmp_path: Path) -> None:
    headers = ["First Name", "Email", "Country_Code", "Phone_Number", "Budget"]
    sheet = parse_rows(headers, [(2, ["Ann", "ann@x.io", "49", "1704351002", "300"])],
                       source="leads.csv", today=dt.date(2026, 3, 1))
    results = [unsent(PlanRow(r, RowStatus.PLANNED, "a@s.com", MON)) for r in sheet.rows]
    out = write_results_workbook(tmp_path / "r.xlsx", results, sheet.headers)  # no fields=
    with CalamineWorkbook.from_path(str(out)) as book:
        grid = book.get_sheet_by_name("Results").to_python()
    row = dict(zip(grid[0], grid[1], strict=False))
    assert row["Country_Code"] == "49" and row["Phone_Number"] == "1704351002"  # lead fields
    assert row["Budget"] == 300  # a custom column, typed


def test_the_cell_the_to_fix_sheet_names_is_the_one_retry_reads(tmp_path: Path) -> None:
    from leadbatch.jobs import read_back

    rows_in = [(n + 2, r) for n, r in enumerate(ROWS)]
    sheet = parse_rows(HEADERS, rows_in, source="leads.csv", today=dt.date(2026, 3, 1))
    results = [unsent(PlanRow(r, RowStatus.PLANNED, "a@s.com", MON) if r.has_lead
                      else PlanRow(r, RowStatus.INVALID, error=r.error_text), sheet.fields)
               for r in sheet.rows]
    about = {"mode": "release", **contract_columns(sheet.fields)}
    out = write_results_workbook(tmp_path / "r.xlsx", results, sheet.headers, about=about,
                                 fields=sheet.fields)
    fixes = _grid(out, "To fix")
    line, column = next((int(str(r[0])), str(r[4])) for r in fixes[1:] if r[4] == "email")
    # The user follows the sheet: edits that cell (openpyxl, not our writer) and saves.
    book = openpyxl.load_workbook(out)
    ws = book["Results"]
    header = [c.value for c in ws[1]]
    ws.cell(line, header.index(column) + 1).value = "fixed@x.io"
    ws.cell(line, header.index("name") + 1).value = "Fay"
    book.save(out)
    back = {r.row: r for r in read_back(out).rows}
    fixed = back[line]  # input row 4 is Results line 4 (rows sorted by input row)
    assert fixed.plan.source.email == "fixed@x.io" and fixed.plan.source.name == "Fay"
    assert fixed.plan.source.status is None  # valid now: retry plans and sends it


def test_small_sheets_fit_their_columns_to_the_content(tmp_path: Path) -> None:
    from leadbatch.jobs import write_ledger_workbook

    results = "/home/ops/campaigns/2026-03/spring-results.xlsx"
    out = write_ledger_workbook(tmp_path / "ledger.xlsx", [], [{
        "email": "a@x.io", "action": "create", "state": "succeeded", "assistant": "a@s.com",
        "leadId": 7, "sentAt": "2026-03-02T09:00:00", "results": results, "row": 2,
        "source": "l.csv", "error": ""}])
    ws = openpyxl.load_workbook(out)["Sends"]
    width = {ws.cell(1, c).value: ws.column_dimensions[ws.cell(1, c).column_letter].width
             for c in range(1, ws.max_column + 1)}
    assert width["results"] >= len(results) and width["row"] <= 12
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"


def test_an_xlsx_sources_numbers_and_dates_come_back_typed(tmp_path: Path) -> None:
    book = openpyxl.Workbook()  # the source, written by openpyxl
    ws = book.active
    assert ws is not None
    ws.append(["First Name", "Email", "Budget", "Create Date", "Employees", "Phone"])
    ws.append(["Ann", "ann@x.io", 1250.5, dt.datetime(2026, 1, 15), 40, 4155550100])
    ws.append(["Bob", "bob@x.io", 5000, dt.date(2025, 12, 1), 12345678901, None])
    book.save(tmp_path / "leads.xlsx")
    sheet = read_leads(tmp_path / "leads.xlsx", today=dt.date(2026, 3, 1))
    assistants = [Assistant(emailid="a@s.com", perDayEmailLimit=4)]
    plan = plan_leads(sheet.rows, assistants, PlanSettings(start=MON), today=dt.date(2026, 3, 1))
    out = write_plan_workbook(tmp_path / "plan.xlsx", plan, sheet)
    with CalamineWorkbook.from_path(str(out)) as wb:  # read back by calamine, not us
        grid = wb.get_sheet_by_name("Plan").to_python()
    ann, bob = (dict(zip(grid[0], r, strict=False)) for r in grid[1:3])
    assert (ann["Budget"], bob["Budget"]) == (1250.5, 5000)
    assert (ann["Create Date"], bob["Create Date"]) == (dt.date(2026, 1, 15), dt.date(2025, 12, 1))
    assert ann["Employees"] == 40
    assert bob["Employees"] == "12345678901"  # 11 digits: phone-like, stays text
    assert ann["Phone"] == "4155550100"  # a lead field, as read


def test_code_headers_stay_text() -> None:
    from leadbatch.workbook.typed import typed_columns

    headers = ["Budget", "Paid", "Notes", "Account ID", "leadId", "CRM_ID", "Zip", "Postal Code",
               "Phone 2", "Ref", "Employees", "Create Date", "SKU"]
    typed = [headers[i] for i in typed_columns(headers, {})]
    assert typed == ["Budget", "Paid", "Notes", "Employees", "Create Date"]
    assert typed_columns(["Budget"], {"Budget": "phone"}) == []  # a lead field stays text
