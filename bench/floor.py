"""The floor: the fastest reader's raw read plus leadbatch's own writer's raw write of the
same cells.

No header matching, no validation, no planning: what reading the input and writing a Plan
sheet of the same size costs at the least with the libraries `leadbatch plan` uses. The
write goes through `leadbatch.workbook.writer.write_workbook` (xlsxwriter for the structure, the
rows streamed by leadbatch.workbook.render), with one raw SheetSpec: so a faster writer lowers
the floor as much as the plan, and the plan/floor ratio measures only leadbatch's logic.
The Plan sheet has len(PLAN_COLUMNS) fixed columns before the input's own, so the floor
writes as many: row number, status (coloured, as in a plan), date, assistant, action,
email, name, then every input cell.

    python -m bench.floor INPUT OUTPUT.xlsx
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from python_calamine import CalamineWorkbook

from .harness import emit

FIXED = 10  # len(leadbatch.workbooks.PLAN_COLUMNS)


def read_raw(path: Path) -> list[list[object]]:
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return cast(list[list[object]], list(csv.reader(fh)))
    book = CalamineWorkbook.from_path(str(path))
    return cast(list[list[object]], book.get_sheet_by_index(0).to_python(skip_empty_area=False))


def plan_header(rows: list[list[object]]) -> list[str]:
    return [f"fixed{c}" for c in range(FIXED)] + [str(h) for h in rows[0]]


def plan_rows(rows: list[list[object]]) -> Iterator[list[object]]:
    """The Plan sheet's cells for the raw rows: a fixed block, then the input's own."""
    for r, cells in enumerate(rows[1:], start=1):
        fixed: list[object] = [r + 1, "planned", "", "2030-01-07", "assistant00@bench.example.com"]
        fixed += ["", "", "create", str(cells[2]), str(cells[0])]
        yield fixed + [v.isoformat() if isinstance(v, dt.date) else v for v in cells]


def leadbatch_writer() -> Any:
    """leadbatch.workbook.writer without the package's own __init__, which imports the models and
    settings (pydantic: most of a second) that the writer does not need: the floor is the
    writer's cost, not the CLI's start-up (`baseline` measures that)."""
    root = Path(__file__).resolve().parent.parent / "leadbatch"
    for name, folder in (("leadbatch", root), ("leadbatch.workbook", root / "workbook")):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(folder)]
            sys.modules[name] = package
    from leadbatch.workbook import writer

    return writer


def write_raw(path: Path, rows: list[list[object]], xlsx: Any = None) -> None:
    xlsx = xlsx or leadbatch_writer()
    header = plan_header(rows)
    spec = xlsx.SheetSpec("Plan", header, plan_rows(rows), status_column=header[1])
    xlsx.write_workbook(path, [spec])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    args = ap.parse_args()
    xlsx = leadbatch_writer()
    t0 = time.perf_counter()
    rows = read_raw(args.input)
    t1, c1 = time.perf_counter(), time.process_time()
    write_raw(args.output, rows, xlsx)
    t2, c2 = time.perf_counter(), time.process_time()
    emit({"read": t1 - t0, "write": t2 - t1, "write_cpu": c2 - c1, "rows": len(rows) - 1})


if __name__ == "__main__":
    main()
