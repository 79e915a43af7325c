"""The raw read alone, as a process: python-calamine's first sheet, every row as Python
values, no checking. What `leadbatch validate FILE` is held against (bench/speed.py).

    python -m bench.raw_read INPUT.xlsx
"""

from __future__ import annotations

import sys

import python_calamine


def main() -> None:
    with open(sys.argv[1], "rb") as fh:
        book = python_calamine.CalamineWorkbook.from_filelike(fh)
    rows = sum(1 for _ in book.get_sheet_by_index(0).iter_rows())
    print(f"{rows} rows")


if __name__ == "__main__":
    main()
