"""The phases of `leadbatch plan`, timed one by one through the library.

read = sheetfile.read_cells (every row materialised), validate = reader.parse_rows on
those cells, plan = planner.plan_leads, write = workbooks.write_plan_workbook. The same
calls `leadbatch plan` makes, in the same order, with a clock around each.

    python -m bench.phases INPUT OUTPUT.xlsx --assistants A.json --start 2030-01-07
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from .harness import emit


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("--assistants", type=Path, required=True)
    ap.add_argument("--start", type=dt.date.fromisoformat, required=True)
    args = ap.parse_args()

    from leadbatch.assistants import load_assistants
    from leadbatch.config import load_plan_settings
    from leadbatch.planner import plan_leads
    from leadbatch.reader import parse_rows
    from leadbatch.sheetfile import read_cells
    from leadbatch.workbooks import write_plan_workbook

    today = dt.date.today()
    assistants = load_assistants(args.assistants)
    settings = load_plan_settings(None, start=args.start)
    t0 = time.perf_counter()
    cells = read_cells(args.input)
    header = [str(h) for h in cells.header]
    rows = list(cells.rows)
    t1 = time.perf_counter()
    sheet = parse_rows(header, rows, source=str(args.input), today=today)
    del rows
    t2 = time.perf_counter()
    plan = plan_leads(sheet.rows, assistants, settings, today=today)
    t3 = time.perf_counter()
    write_plan_workbook(args.output, plan, sheet)
    t4 = time.perf_counter()
    emit(
        {
            "read": t1 - t0,
            "validate": t2 - t1,
            "plan": t3 - t2,
            "write": t4 - t3,
            "total": t4 - t0,
            "rows": len(sheet.rows),
            "valid": len(sheet.valid_rows),
            "planned": sum(1 for r in plan.rows if r.status == "planned"),
            "days": len({d for _, d in plan.load}),
        }
    )


if __name__ == "__main__":
    main()
