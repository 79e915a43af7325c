"""The phases of `leadbatch plan`, timed one by one through the library.

read = read.read_cells with every row materialised (timed on its own first, then
dropped), validate = read.read_leads (what `leadbatch plan` calls: it reads and
validates as one stream) minus that read, plan = plan.plan_leads, write =
workbook.write_plan_workbook. The same calls `leadbatch plan` makes, in the same order.

    python -m bench.phases INPUT OUTPUT.xlsx --assistants A.json --start 2030-01-07
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
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

    from leadbatch.cli import GC_THRESHOLDS
    from leadbatch.config import load_plan_settings
    from leadbatch.plan import plan_leads
    from leadbatch.read import load_assistants, read_cells, read_leads
    from leadbatch.workbook import write_plan_workbook

    today = dt.date.today()
    assistants = load_assistants(args.assistants)
    settings = load_plan_settings(None, start=args.start)
    gc.set_threshold(*GC_THRESHOLDS)  # as `leadbatch` sets it
    # The read alone, then read_leads as the CLI calls it (reading and validating as one
    # stream): validate = read_leads - read.
    t0 = time.perf_counter()
    cells = read_cells(args.input)
    rows = list(cells.rows)
    read = time.perf_counter() - t0
    del rows, cells
    gc.collect()
    t1 = time.perf_counter()
    sheet = read_leads(args.input, today=today)
    t2 = time.perf_counter()
    plan = plan_leads(sheet.rows, assistants, settings, today=today)
    t3 = time.perf_counter()
    write_plan_workbook(args.output, plan, sheet)
    t4 = time.perf_counter()
    emit(
        {
            "read": read,
            "validate": t2 - t1 - read,
            "plan": t3 - t2,
            "write": t4 - t3,
            "total": t4 - t1,
            "rows": len(sheet.rows),
            "valid": len(sheet.valid_rows),
            "planned": sum(1 for r in plan.rows if r.status == "planned"),
            "days": len({d for _, d in plan.load}),
        }
    )


if __name__ == "__main__":
    main()
