"""Writers for test spreadsheets: every one a different library than the reader under test
(leadbatch reads with python-calamine and the csv module's reader)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import xlsxwriter
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

Value = str | int | float | dt.date | dt.datetime | None
Rows = Sequence[Sequence[Value]]


def write_csv(
    path: Path, rows: Rows, *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def write_openpyxl(path: Path, rows: Rows, *, start: str = "A1") -> Path:
    """An .xlsx (or .xlsm name) by openpyxl; `start` moves the table (e.g. "B3")."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    first = ws[start]
    r0, c0 = first.row, first.column
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.cell(row=r0 + r, column=c0 + c, value=value)
    book.save(path)
    return path


def write_xlsxwriter(path: Path, rows: Rows, *, vba: bool = False) -> Path:
    """An .xlsx by xlsxwriter. A ("=FORMULA", cached) tuple cell is written as a formula
    with its cached value, as Excel saves it; datetimes get a date format."""
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False})
    if vba:  # an .xlsm: macro-enabled content type and a (dummy) VBA project part
        book.add_vba_project(io.BytesIO(b"vba"), is_stream=True)
    ws = book.add_worksheet("Leads")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, tuple):
                ws.write_formula(r, c, value[0], None, value[1])
            elif isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, date)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            elif value:
                ws.write_string(r, c, value)
    book.close()
    return path


def write_xls(path: Path, rows: Rows) -> Path:
    book = xlwt.Workbook()
    ws = book.add_sheet("Leads")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(r, c, value, date)
            elif value is not None:
                ws.write(r, c, value)
    book.save(str(path))
    return path


def write_ods(path: Path, rows: Rows) -> Path:
    doc = OpenDocumentSpreadsheet()
    table = Table(name="Leads")
    for row in rows:
        tr = TableRow()
        for value in row:
            if isinstance(value, str) and value:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
            elif isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            elif isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.isoformat()))
            else:
                cell = TableCell()
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path
