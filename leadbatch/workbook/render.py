"""The fast path for big sheets: data rows rendered to SpreadsheetML by our own code.

xlsxwriter costs about 6 µs a cell, most of a plan's time on a big sheet. It still writes
every workbook's structure (styles, header row, widths, freeze pane, autofilter, charts,
properties); only the data rows of a sheet are rendered here, as the same XML its
constant-memory mode writes for them (inline strings, numbers, booleans), compressed as
they are rendered, and spliced into the sheet part xlsxwriter wrote when the finished
workbook is assembled (`splice.assemble`).

Cells are values only: text is never a formula, whatever it starts with. Text is written
exactly as xlsxwriter writes it (tests/test_sheetxml.py compares the XML): `& < >` as
entities; control characters XML cannot hold as `_xHHHH_` (and a literal `_xHHHH_` as
`_x005F_xHHHH_`, so that readers give it back unchanged); `xml:space="preserve"` when it
starts or ends with whitespace; cut at Excel's limit of 32,767 UTF-16 units.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
import zlib
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .. import limits
from ..errors import UsageError

# xlsxwriter's own rules (xmlwriter.py, utility.py): the same text gives the same XML.
_CONTROL = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_EDGE_SPACE = re.compile(r"^\s|\s$")
_STRMAX = 32767  # Excel's limit on a cell's text, in UTF-16 units
LEVEL = 1  # zlib: 3.5x faster than the default (6) on this XML, the file a quarter bigger
_CHUNK = 60_000  # cells (and row tags) a chunk: a few MB of XML, compressed as one piece
_TEXT = '" t="inlineStr"><is><t>'
_FLOAT_MAX_EXACT = 10**16  # beyond this xlsxwriter writes an int like a float ("1E+16")


@dataclass
class RenderedRows:
    """A sheet's data rows as one raw-deflate stream (flushed to a byte boundary, not
    final), ready to sit between xlsxwriter's header row and `</sheetData>`."""

    part: str  # the worksheet part, e.g. "xl/worksheets/sheet1.xml"
    data: IO[bytes]
    crc: int
    size: int  # uncompressed bytes
    last: int  # index of the last data row (the header is row 0), empty rows included
    bounds: tuple[int, int, int, int] | None  # first row, first col, last row, last col

    def close(self) -> None:
        self.data.close()


def column_name(col: int) -> str:
    name, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        name = chr(65 + rem) + name
    return name


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _truncate(text: str) -> str:
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > _STRMAX:
            return text[:i]
    return text


def _control(match: re.Match[str]) -> str:
    found = match.group()
    return "_x005F" + found if len(found) > 1 else f"_x{ord(found):04X}_"


def inline_text(text: str) -> str:
    """The end of an inline-string cell (after its `r` and `s`), as xlsxwriter writes it:
    cut to Excel's limit, control characters as `_xHHHH_`, `xml:space="preserve"` for
    whitespace at either end, `& < >` escaped. Unlike xlsxwriter, text that looks like
    its rich-string markup (`<r>...</r>`) is escaped too: it is text."""
    if len(text) > _STRMAX // 2 and _utf16_len(text) > _STRMAX:
        text = _truncate(text)
    text = _CONTROL.sub(_control, text)
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _other_cell(head: str, v: Any) -> str:
    """A cell of any type but plain text and ordinary numbers; "" for an empty one."""
    if isinstance(v, bool):
        return f'{head}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | float):  # also enums: their value, not their name
        number = float(v)
        if math.isfinite(number):
            return f'{head}"><v>{v:.16G}</v></c>'
        # Excel has no NaN or infinity (xlsxwriter refuses them): keep the word, as text.
        text = str(number)
    elif isinstance(v, dt.date):
        text = v.isoformat()  # ISO text, not an Excel serial: the same in every locale
    elif isinstance(v, str):
        text = str.__str__(v)  # a str enum's value, not its name
    else:
        text = str(v)
    return f'{head}"{inline_text(text)}' if text else ""


class _Deflater:
    """Compresses chunks in a worker thread into a temporary file: zlib releases the GIL,
    so on a second core compression overlaps the rendering of the next chunks."""

    def __init__(self, folder: Path) -> None:
        # Closed by RenderedRows.close, or on failure by render_rows.
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115
        self._zip = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[bytes]] = deque()
        self.crc = 0
        self.size = 0

    def add(self, text: str) -> None:
        data = text.encode("utf-8", "replace")  # "replace": lone surrogates have no UTF-8
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="leadbatch-deflate")
        self._pending.append(self._pool.submit(self._zip.compress, data))
        while len(self._pending) > 2:  # bounded: at most a few chunks held in memory
            self.file.write(self._pending.popleft().result())

    def finish(self) -> None:
        """Write out the rest, ending on a byte boundary without a final block."""
        try:
            while self._pending:
                self.file.write(self._pending.popleft().result())
        finally:
            self.stop()
        self.file.write(self._zip.flush(zlib.Z_SYNC_FLUSH))
        self.file.seek(0)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def render_rows(
    rows: Iterable[Sequence[Any]],
    part: str,
    folder: Path,
    *,
    style_column: int = -1,
    styles: Mapping[str, int] | None = None,
    date_styles: tuple[int, int] = (0, 0),
) -> RenderedRows:
    """Render `rows` as `<row>` elements from sheet row 2 on (row 1 is the header).

    Text in `style_column` found in `styles` gets that cell style (an xf index: the
    status colours). None and "" are left out, as by `write_workbook` before; a row with
    no cells is left out too, but still counts. The compressed XML is kept in a temporary
    file in `folder`, beside the workbook it will be part of.
    """
    out = _Deflater(folder)
    try:
        bounds, last = _render(rows, out, style_column, styles or {}, date_styles)
        out.finish()
    except BaseException:
        out.stop()
        out.file.close()
        raise
    return RenderedRows(part, out.file, out.crc, out.size, last, bounds)


def _render(
    rows: Iterable[Sequence[Any]], out: _Deflater, style_column: int, styles: Mapping[str, int],
    date_styles: tuple[int, int] = (0, 0),
) -> tuple[tuple[int, int, int, int] | None, int]:
    # The innermost loop of a big plan, about 0.4 µs a cell: a prefix per column, types
    # checked by identity, and a few cheap tests send the rare text that needs more than
    # copying (escapes, spaces at an end, control characters, huge) to inline_text.
    prefixes: list[str] = []
    style_of = {text: f' s="{xf}"' for text, xf in styles.items()}
    days: dict[dt.date, str] = {}
    long = _STRMAX // 2  # shorter text cannot be over Excel's limit, in any encoding
    parts: list[str] = []
    put = parts.append
    top = bottom = -1
    left, right = 1 << 14, -1
    r = 0
    for r, values in enumerate(rows, start=1):
        if r >= limits.MAX_SHEET_ROWS:  # looked up here: tests lower the limit
            raise UsageError(f"more than {limits.MAX_SHEET_ROWS - 1:,} rows do not fit in one sheet (Excel's "
                             "limit): split the input into smaller files")
        if len(values) > limits.MAX_SHEET_COLUMNS:
            raise UsageError(f"{len(values):,} columns do not fit in one sheet (Excel's limit "
                             f"is {limits.MAX_SHEET_COLUMNS:,}): remove columns from the input")
        while len(prefixes) < len(values):
            prefixes.append(f'<c r="{column_name(len(prefixes))}')
        rs = str(r + 1)
        mark = len(parts)
        put(f'<row r="{rs}">')
        for c, v in enumerate(values):
            t = type(v)
            if t is str:
                if not v:
                    continue
                if (
                    v.isprintable() and v[0] != " " != v[-1] and len(v) <= long
                    and "&" not in v and "<" not in v and ">" not in v and "_x" not in v
                ):
                    if c == style_column:
                        put(f'{prefixes[c]}{rs}"{style_of.get(v, "")}{_TEXT[1:]}{v}</t></is></c>')
                    else:
                        put(f"{prefixes[c]}{rs}{_TEXT}{v}</t></is></c>")
                else:
                    style = style_of.get(v, "") if c == style_column else ""
                    put(f'{prefixes[c]}{rs}"{style}{inline_text(v)}')
            elif t is int and -_FLOAT_MAX_EXACT < v < _FLOAT_MAX_EXACT:
                put(f'{prefixes[c]}{rs}"><v>{v}</v></c>')
            elif t is float and math.isfinite(v):
                put(f'{prefixes[c]}{rs}"><v>{v:.16G}</v></c>')
            elif t is dt.date:  # ISO text, not an Excel serial: the same in every locale
                day = days.get(v)
                if day is None:  # a plan has a few hundred distinct days: each made once
                    day = v.isoformat()
                    if len(days) < 100_000:
                        days[v] = day
                put(f"{prefixes[c]}{rs}{_TEXT}{day}</t></is></c>")
            elif t is dt.datetime:  # the input's own date: a serial, shown as a date
                xf = date_styles[bool(v.hour or v.minute or v.second or v.microsecond)]
                put(f'{prefixes[c]}{rs}" s="{xf}"><v>{excel_serial(v):.16G}</v></c>')
            elif v is not None:
                cell = _other_cell(f"{prefixes[c]}{rs}", v)
                if cell:
                    put(cell)
        if len(parts) == mark + 1:
            parts.pop()  # no cells: xlsxwriter writes no <row> either
            continue
        put("</row>")
        bottom = r
        if top < 0:
            top = r
        if left:
            left = min(left, next(i for i, v in enumerate(values) if _filled(v)))
        if right < len(values) - 1:
            right = max(right, next(i for i in range(len(values) - 1, -1, -1)
                                    if _filled(values[i])))
        if len(parts) > _CHUNK:
            out.add("".join(parts))
            parts.clear()
    if parts:
        out.add("".join(parts))
    return ((top, left, bottom, right) if top >= 0 else None), r


_EPOCH = dt.datetime(1899, 12, 30)  # Excel's day 0 in the 1900 system, past its 1900 leap bug


def excel_serial(v: dt.datetime) -> float:
    """A naive datetime as Excel's serial day number (as xlsxwriter computes it)."""
    delta = v.replace(tzinfo=None) - _EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


def _filled(v: Any) -> bool:
    return v is not None and not (isinstance(v, str) and not v)
