"""How fast can the Plan sheet be written? The same cells through other writers.

The Plan sheet of an N-row input is N x (10 + 15) cells. This measures the same cells
(read with python-calamine, shaped like bench/floor.py's) through:

- `leadbatch`: `write_workbook` as leadbatch writes every workbook (the floor's writer):
  xlsxwriter for the structure, the rows rendered and compressed by leadbatch.workbook.render;
- `xlsxwriter`: xlsxwriter's own cell writer in constant-memory mode, as leadbatch wrote
  the rows before (6 µs a cell: most of `leadbatch plan` then);
- `xlsxwriter-sst`: its default mode (shared strings, every cell held in memory);
- `stream`: a values-only sheet streamed as XML into a zip by the standard library with
  no styles and no escaping rules (the prototype of leadbatch's writer);
- `rustpy`: rustpy-xlsxwriter (Rust), if installed.

    python -m bench.writers INPUT WRITER OUTPUT.xlsx
"""

from __future__ import annotations

import argparse
import re
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

from .floor import FIXED, leadbatch_writer, plan_header, plan_rows, read_raw, write_raw
from .harness import emit

WRITERS = ("leadbatch", "xlsxwriter", "xlsxwriter-sst", "stream", "rustpy")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_xlsxwriter(path: Path, rows: list[list[object]], *, constant_memory: bool) -> None:
    """xlsxwriter's cell writer, as leadbatch's write_workbook used it for every cell."""
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
    ws.write_row(0, 0, plan_header(rows))
    planned = book.add_format({"bg_color": "#DDEBF7"})
    write_string, write_number = ws.write_string, ws.write_number
    for r, cells in enumerate(plan_rows(rows), start=1):
        for c, v in enumerate(cells):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                write_string(r, c, v, planned) if c == 1 else write_string(r, c, v)
            elif isinstance(v, int | float):
                write_number(r, c, v)
            else:
                write_string(r, c, str(v))
    book.close()


_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def write_stream(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A minimal values-only xlsx: inline strings and numbers, streamed row by row."""
    from leadbatch.workbook.render import column_name

    cols = [column_name(i) for i in range(len(header))]
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
    xlsx = leadbatch_writer() if args.writer == "leadbatch" else None
    raw = read_raw(args.input)
    t0, c0 = time.perf_counter(), time.process_time()
    if args.writer == "leadbatch":
        write_raw(args.output, raw, xlsx)
    elif args.writer == "xlsxwriter":
        write_xlsxwriter(args.output, raw, constant_memory=True)
    elif args.writer == "xlsxwriter-sst":
        write_xlsxwriter(args.output, raw, constant_memory=False)
    elif args.writer == "stream":
        write_stream(args.output, plan_header(raw), plan_rows(raw))
    else:
        from rustpy_xlsxwriter import FastExcel

        header = plan_header(raw)
        records = [dict(zip(header, row, strict=True)) for row in plan_rows(raw)]
        FastExcel(str(args.output)).sheet("Plan", records).save()
    write, cpu = time.perf_counter() - t0, time.process_time() - c0
    cells = (len(raw) - 1) * (FIXED + len(raw[0]))
    emit({"write": write, "write_cpu": cpu, "cells": cells, "us_per_cell": 1e6 * write / cells,
          "cpu_us_per_cell": 1e6 * cpu / cells})


if __name__ == "__main__":
    main()
