"""How fast can the Plan sheet be written? The same cells through other writers.

The Plan sheet of an N-row input is N x (10 + 15) cells, and xlsxwriter's per-cell cost
makes writing it most of `leadbatch plan`. This measures the same cells (read with
python-calamine, shaped like bench/floor.py's) through:

- `xlsxwriter`: constant-memory mode, as leadbatch writes (the floor's writer);
- `xlsxwriter-sst`: its default mode (shared strings, every cell held in memory);
- `stream`: a values-only sheet streamed as XML into a zip by the standard library (the
  least a Python writer can do: the same inline strings xlsxwriter's constant-memory mode
  writes, without its per-cell bookkeeping);
- `rustpy`: rustpy-xlsxwriter (Rust), if installed.

    python -m bench.writers INPUT WRITER OUTPUT.xlsx
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from .floor import FIXED, read_raw, write_raw
from .harness import emit

WRITERS = ("xlsxwriter", "xlsxwriter-sst", "stream", "rustpy")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def plan_rows(rows: list[list[object]]) -> tuple[list[str], list[list[object]]]:
    header = [f"fixed{c}" for c in range(FIXED)] + [str(h) for h in rows[0]]
    out: list[list[object]] = []
    for r, cells in enumerate(rows[1:], start=1):
        fixed: list[object] = [r + 1, "planned", "", "2030-01-07", "assistant00@bench.example.com"]
        fixed += ["", "", "create", str(cells[2]), str(cells[0])]
        out.append(fixed + [v.isoformat() if isinstance(v, dt.date) else v for v in cells])
    return header, out


def _column(c: int) -> str:
    name, c = "", c + 1
    while c:
        c, r = divmod(c - 1, 26)
        name = chr(65 + r) + name
    return name


_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def write_stream(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A minimal values-only xlsx: inline strings and numbers, streamed row by row."""
    cols = [_column(i) for i in range(len(header))]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            chunk: list[str] = []
            for r, values in enumerate([header, *rows], start=1):
                chunk.append(f'<row r="{r}">')
                for c, v in enumerate(values):
                    if v is None or v == "":
                        continue
                    if isinstance(v, str):
                        text = escape(_CTRL.sub("", v) if _CTRL.search(v) else v)
                        chunk.append(
                            f'<c r="{cols[c]}{r}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                        )
                    else:
                        chunk.append(f'<c r="{cols[c]}{r}"><v>{v}</v></c>')
                chunk.append("</row>")
                if len(chunk) > 20_000:
                    fh.write("".join(chunk).encode())
                    chunk.clear()
            fh.write("".join(chunk).encode())
            fh.write(b"</sheetData></worksheet>")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("writer", choices=WRITERS)
    ap.add_argument("output", type=Path)
    args = ap.parse_args()
    raw = read_raw(args.input)
    t0 = time.perf_counter()
    if args.writer == "xlsxwriter":
        write_raw(args.output, raw, constant_memory=True)
    elif args.writer == "xlsxwriter-sst":
        write_raw(args.output, raw, constant_memory=False)
    elif args.writer == "stream":
        header, rows = plan_rows(raw)
        write_stream(args.output, header, rows)
    else:
        from rustpy_xlsxwriter import FastExcel

        header, rows = plan_rows(raw)
        records = [dict(zip(header, row, strict=True)) for row in rows]
        FastExcel(str(args.output)).sheet("Plan", records).save()
    write = time.perf_counter() - t0
    cells = (len(raw) - 1) * (FIXED + len(raw[0]))
    emit({"write": write, "cells": cells, "us_per_cell": 1e6 * write / cells})


if __name__ == "__main__":
    main()
