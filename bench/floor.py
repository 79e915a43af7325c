"""The floor: the fastest reader's raw read plus xlsxwriter's raw write of the same cells.

No header matching, no validation, no planning: what reading the input and writing a Plan
sheet of the same size costs at the least with these libraries. The Plan sheet has
len(PLAN_COLUMNS) fixed columns before the input's own, so the floor writes as many:
row number, status, date, assistant, action, email, name, then every input cell.

    python -m bench.floor INPUT OUTPUT.xlsx [--no-constant-memory]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import time
from pathlib import Path
from typing import cast

import xlsxwriter
from python_calamine import CalamineWorkbook

from .harness import emit

FIXED = 10  # len(leadbatch.workbooks.PLAN_COLUMNS)


def read_raw(path: Path) -> list[list[object]]:
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return cast(list[list[object]], list(csv.reader(fh)))
    book = CalamineWorkbook.from_path(str(path))
    return cast(list[list[object]], book.get_sheet_by_index(0).to_python(skip_empty_area=False))


def write_raw(path: Path, rows: list[list[object]], *, constant_memory: bool) -> None:
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": constant_memory,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    ws = book.add_worksheet("Plan")
    header = rows[0]
    ws.write_row(0, 0, [f"fixed{c}" for c in range(FIXED)] + [str(h) for h in header])
    day = "2030-01-07"
    write_string, write_number = ws.write_string, ws.write_number
    for r, cells in enumerate(rows[1:], start=1):
        email, name = str(cells[2]), str(cells[0])
        write_number(r, 0, r + 1)
        write_string(r, 1, "planned")
        write_string(r, 3, day)
        write_string(r, 4, "assistant00@bench.example.com")
        write_string(r, 7, "create")
        write_string(r, 8, email)
        write_string(r, 9, name)
        for c, v in enumerate(cells, start=FIXED):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                write_string(r, c, v)
            elif isinstance(v, int | float):
                write_number(r, c, v)
            elif isinstance(v, dt.date):
                write_string(r, c, v.isoformat())
            else:
                write_string(r, c, str(v))
    book.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("--no-constant-memory", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = read_raw(args.input)
    t1 = time.perf_counter()
    write_raw(args.output, rows, constant_memory=not args.no_constant_memory)
    t2 = time.perf_counter()
    emit({"read": t1 - t0, "write": t2 - t1, "rows": len(rows) - 1})


if __name__ == "__main__":
    main()
