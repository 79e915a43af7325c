"""Reading and checking a sheet, in one process: per-row µs by phase, and whether the
reading could share the second core.

read  = read.read_cells with every row materialised (python-calamine: the workbook's
        parse, then its rows as Python lists);
check = the reader's checking over those rows (read.rows._parse: headers, every cell,
        duplicates), exactly what read_leads does after the read.
Rounds alternate read, check, read, check...; CPU time (process_time) per phase, medians.

The overlap probe: the calamine parse of the sheet (get_sheet_by_index) runs in a thread
while the main thread counts in a loop; the count against the same loop alone says how
much of the main thread the parse leaves (1.0: it holds no GIL while it parses).
The hand-over: half the checked rows pickled and unpickled, what a second process that
checked them would add.

    python -m bench.reading INPUT [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import threading
import time
from pathlib import Path

from .harness import emit

TODAY = dt.date(2026, 12, 1)


def phases(path: Path, rounds: int) -> dict[str, float]:
    from leadbatch.read import read_cells
    from leadbatch.read import rows as rows_module

    reads: list[float] = []
    checks: list[float] = []
    count = 0
    for _ in range(rounds):
        t0 = time.process_time()
        cells = read_cells(path)
        rows = list(cells.rows)
        t1 = time.process_time()
        sheet = rows_module._parse(cells.header, iter(rows), source=str(path), today=TODAY,
                                   first_column=cells.first_column, settings=None,
                                   header_row=cells.header_row, nul=cells.nul)
        t2 = time.process_time()
        reads.append(t1 - t0)
        checks.append(t2 - t1)
        count = len(sheet.rows)
        del sheet, rows, cells
        gc.collect()
    read, check = statistics.median(reads), statistics.median(checks)
    return {"rows": count, "read": read, "check": check,
            "read_us": 1e6 * read / count, "check_us": 1e6 * check / count,
            **_handover(path)}


def _handover(path: Path) -> dict[str, float]:
    """What checking half the rows in a second process would cost to hand back: the
    checked rows pickled there and unpickled here (a forked child has the cells already)."""
    import pickle

    from leadbatch.read import read_leads

    rows = read_leads(path, today=TODAY).rows
    half = rows[len(rows) // 2 :]
    t0 = time.process_time()
    data = pickle.dumps(half, protocol=pickle.HIGHEST_PROTOCOL)
    t1 = time.process_time()
    pickle.loads(data)
    t2 = time.process_time()
    return {"half_dumps": t1 - t0, "half_loads": t2 - t1}


def _spin(seconds: float) -> int:
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        n += 1
    return n


def overlap(path: Path) -> dict[str, float]:
    """Main-thread progress while calamine parses the sheet in a thread, as a share of
    its progress alone (the same loop, just before and after)."""
    import python_calamine

    with path.open("rb") as fh:
        book = python_calamine.CalamineWorkbook.from_filelike(fh)
    took: list[float] = []

    def parse() -> None:
        t = time.perf_counter()
        book.get_sheet_by_index(0)
        took.append(time.perf_counter() - t)

    alone_before = _spin(0.3) / 0.3
    worker = threading.Thread(target=parse)
    start = time.perf_counter()
    worker.start()
    n = 0
    while worker.is_alive():
        time.perf_counter()  # the same work per turn as _spin's loop
        n += 1
    during = n / (time.perf_counter() - start)
    alone_after = _spin(0.3) / 0.3
    t = time.perf_counter()
    sheet = book.get_sheet_by_index(0)
    parse_alone = time.perf_counter() - t
    t = time.perf_counter()
    for _ in sheet.iter_rows():
        pass
    to_python = time.perf_counter() - t
    return {"parse_in_thread": took[0], "parse_alone": parse_alone, "rows_to_python": to_python,
            "main_thread_share": during / ((alone_before + alone_after) / 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from leadbatch.cli import GC_THRESHOLDS

    gc.set_threshold(*GC_THRESHOLDS)  # as `leadbatch` sets it
    emit({**phases(args.input, args.rounds), **overlap(args.input)})


if __name__ == "__main__":
    main()
