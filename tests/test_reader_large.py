"""A 100,000-row sheet reads completely, with the right row numbers (speed: see `make bench`)."""

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from leadbatch.models import RowStatus
from leadbatch.read import read_leads

ROWS = 100_000


@pytest.mark.slow
def test_hundred_thousand_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["First_Name", "Email_ID", "Country_Code", "Phone_Number", "Lead Industry"])
    for r in range(1, ROWS + 1):
        email = "lead.1@x.io" if r == ROWS else f"Lead.{r}@X.io"  # the last row repeats row 2
        ws.write_row(r, 0, [f"Lead {r}", email, 91, 9000000000 + r, "Software"])
    book.close()

    sheet = read_leads(path, today=dt.date(2026, 1, 15))
    assert len(sheet.rows) == ROWS
    assert sheet.rows[-1].row == ROWS + 1
    assert [(r.row, r.duplicate_of) for r in sheet.duplicate_rows] == [(ROWS + 1, 2)]
    assert len(sheet.valid_rows) == ROWS - 1
    assert sheet.rows[-2].status is None
    lead = sheet.rows[-2].lead
    assert lead is not None and lead.phone == f"+91{9000000000 + ROWS - 1}"
    assert sheet.rows[-1].status is RowStatus.DUPLICATE
