"""The fast path for big sheets: data rows rendered to SpreadsheetML by our own code.

xlsxwriter costs about 6 µs a cell, most of a plan's time on a big sheet. It still writes
every workbook's structure (styles, header row, widths, freeze pane, autofilter, charts,
properties); only the data rows of a sheet are rendered here, as the same XML its
constant-memory mode writes for them (inline strings, numbers, booleans), compressed as
they are rendered, and spliced into the sheet part xlsxwriter wrote when the finished
workbook is assembled (`assemble`).

Cells are values only: text is never a formula, whatever it starts with. Text is written
exactly as xlsxwriter writes it (tests/test_sheetxml.py compares the XML): `& < >` as
entities; control characters XML cannot hold as `_xHHHH_` (and a literal `_xHHHH_` as
`_x005F_xHHHH_`, so that readers give it back unchanged); `xml:space="preserve"` when it
starts or ends with whitespace; cut at Excel's limit of 32,767 UTF-16 units.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import struct
import tempfile
import zipfile
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
_LEVEL = 1  # zlib: 3.5x faster than the default (6) on this XML, the file a quarter bigger
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
        self._zip = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
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
) -> RenderedRows:
    """Render `rows` as `<row>` elements from sheet row 2 on (row 1 is the header).

    Text in `style_column` found in `styles` gets that cell style (an xf index: the
    status colours). None and "" are left out, as by `write_workbook` before; a row with
    no cells is left out too, but still counts. The compressed XML is kept in a temporary
    file in `folder`, beside the workbook it will be part of.
    """
    out = _Deflater(folder)
    try:
        bounds, last = _render(rows, out, style_column, styles or {})
        out.finish()
    except BaseException:
        out.stop()
        out.file.close()
        raise
    return RenderedRows(part, out.file, out.crc, out.size, last, bounds)


def _render(
    rows: Iterable[Sequence[Any]], out: _Deflater, style_column: int, styles: Mapping[str, int]
) -> tuple[tuple[int, int, int, int] | None, int]:
    # The innermost loop of a big plan, about 0.4 µs a cell: a prefix per column, types
    # checked by identity, and a few cheap tests send the rare text that needs more than
    # copying (escapes, spaces at an end, control characters, huge) to inline_text.
    prefixes: list[str] = []
    style_of = {text: f' s="{xf}"' for text, xf in styles.items()}
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
                put(f"{prefixes[c]}{rs}{_TEXT}{v.isoformat()}</t></is></c>")
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


def _filled(v: Any) -> bool:
    return v is not None and not (isinstance(v, str) and not v)


# --- assembling the workbook ------------------------------------------------------------

_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>')
_ZIP64_LIMIT = (1 << 31) - 1  # zipfile's own threshold for ZIP64 records


def assemble(out: IO[bytes], workbook: bytes, rendered: Iterable[RenderedRows]) -> None:
    """Write xlsxwriter's `workbook` (a zip, in memory) to `out` with each rendered
    sheet's rows spliced in before its `</sheetData>`. Other parts are copied as they
    are, compressed bytes and all, so the result is as reproducible as xlsxwriter's."""
    by_part = {r.part: r for r in rendered}
    central: list[bytes] = []
    with zipfile.ZipFile(io.BytesIO(workbook)) as book:
        infos = book.infolist()
        missing = set(by_part) - {i.filename for i in infos}
        if missing:
            raise RuntimeError(f"xlsxwriter wrote no part {min(missing)}")
        for info in infos:
            offset = out.tell()
            rows = by_part.get(info.filename)
            if rows is None:
                name_len, extra_len = struct.unpack_from("<HH", workbook, info.header_offset + 26)
                start = info.header_offset + 30 + name_len + extra_len
                _write_entry(out, info, [workbook[start:start + info.compress_size]])
            else:
                _write_entry(out, info, _spliced(book.read(info), rows, info))
            central.append(_central_record(info, offset))
    _end_records(out, central)


def _spliced(sheet: bytes, rows: RenderedRows, info: zipfile.ZipInfo) -> list[bytes | IO[bytes]]:
    """The compressed pieces of a sheet part with `rows` inside; sets info's CRC and size."""
    cut = sheet.rfind(b"</sheetData>")
    if cut >= 0:
        head, tail = sheet[:cut], sheet[cut:]
    else:  # xlsxwriter writes <sheetData/> when it has no cell of its own
        cut = sheet.index(b"<sheetData/>")
        head, tail = sheet[:cut] + b"<sheetData>", b"</sheetData>" + sheet[cut + 12:]
    if head.count(b"<row ") > (1 if b'<row r="1"' in head else 0):
        # Spliced after them, our rows would be out of order: a file Excel "repairs".
        raise RuntimeError(f"{info.filename}: xlsxwriter wrote cells below the header")
    bounds = rows.bounds
    if bounds is not None:
        # Without cells of its own xlsxwriter's dimension is a placeholder: replace it.
        own = b"<c " in head
        head = _DIMENSION.sub(lambda m: _dimension(m, bounds, own), head, count=1)
    first = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    last = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    info.CRC = zlib.crc32(tail, crc32_combine(zlib.crc32(head), rows.crc, rows.size))
    info.file_size = len(head) + rows.size + len(tail)
    # Raw deflate streams flushed to a byte boundary concatenate into one valid stream.
    return [first.compress(head) + first.flush(zlib.Z_SYNC_FLUSH), rows.data,
            last.compress(tail) + last.flush()]


def _dimension(match: re.Match[bytes], bounds: tuple[int, int, int, int], own: bool) -> bytes:
    """xlsxwriter's `<dimension>` (its own cells: the header row) widened to the rows."""
    top, left, bottom, right = bounds
    if own:
        c1, r1 = match.group(1).decode(), int(match.group(2))
        c2, r2 = (match.group(3) or b"").decode() or c1, int(match.group(4) or r1)
        top, bottom = min(top, r1 - 1), max(bottom, r2 - 1)
        left, right = min(left, _column_index(c1)), max(right, _column_index(c2))
    ref = f"{column_name(left)}{top + 1}"
    if (top, left) != (bottom, right):
        ref += f":{column_name(right)}{bottom + 1}"
    return f'<dimension ref="{ref}"/>'.encode()


def _column_index(name: str) -> int:
    n = 0
    for ch in name:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _write_entry(out: IO[bytes], info: zipfile.ZipInfo, pieces: list[bytes | IO[bytes]]) -> None:
    """A local file header and the compressed data; sets info.compress_size."""
    size = 0
    for piece in pieces:
        if isinstance(piece, bytes):
            size += len(piece)
        else:
            size += piece.seek(0, 2)
            piece.seek(0)
    info.compress_size = size
    info.flag_bits &= ~0x08  # sizes are in the header, so no data descriptor follows
    out.write(info.FileHeader(zip64=info.file_size > _ZIP64_LIMIT or size > _ZIP64_LIMIT))
    for piece in pieces:
        if isinstance(piece, bytes):
            out.write(piece)
        else:
            shutil.copyfileobj(piece, out, 1 << 20)


def _central_record(info: zipfile.ZipInfo, offset: int) -> bytes:
    # As zipfile writes it (ZipFile._write_end_record), ZIP64 fields where needed.
    extra: list[int] = []
    usize, csize, where = info.file_size, info.compress_size, offset
    if usize > _ZIP64_LIMIT or csize > _ZIP64_LIMIT:
        extra += [usize, csize]
        usize = csize = 0xFFFFFFFF
    if offset > _ZIP64_LIMIT:
        extra.append(offset)
        where = 0xFFFFFFFF
    extra_data = info.extra
    version = info.create_version
    if extra:
        extra_data = struct.pack(f"<HH{len(extra)}Q", 1, 8 * len(extra), *extra) + extra_data
        version = max(version, 45)
    d = info.date_time
    dosdate = (d[0] - 1980) << 9 | d[1] << 5 | d[2]
    dostime = d[3] << 11 | d[4] << 5 | (d[5] // 2)
    name = info.filename.encode("utf-8")
    flags = info.flag_bits | (0 if name.isascii() else 0x800)
    record = struct.pack(
        "<4s4B4HL2L5H2L", b"PK\x01\x02", version, info.create_system,
        max(version, info.extract_version), info.reserved, flags, info.compress_type,
        dostime, dosdate, info.CRC, csize, usize, len(name), len(extra_data),
        len(info.comment), 0, info.internal_attr, info.external_attr, where,
    )
    return record + name + extra_data + info.comment


def _end_records(out: IO[bytes], central: list[bytes]) -> None:
    start = out.tell()
    for record in central:
        out.write(record)
    end = out.tell()
    count, size = len(central), end - start
    if count > 0xFFFF or start > _ZIP64_LIMIT or size > _ZIP64_LIMIT:
        out.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0,
                              count, count, size, start))
        out.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1))
        count, size, start = min(count, 0xFFFF), min(size, 0xFFFFFFFF), min(start, 0xFFFFFFFF)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A + B from crc(A), crc(B) and len(B), as zlib's crc32_combine (which
    Python does not expose): the rows are checksummed as they are rendered, before the
    part's beginning, which comes first, is known."""
    # crc(A + B) = crc(A) * x^(8 len B) + crc(B), polynomials modulo the CRC's.
    p, n, k = 1 << 31, len2, 3  # p = x^0; x^(8 len2) = product of x^(2^k) over n's bits
    while n:
        if n & 1:
            p = _multiply(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return _multiply(p, crc1) ^ crc2


def _multiply(a: int, b: int) -> int:
    """a * b modulo the CRC-32 polynomial, bit-reflected as zlib does (a != 0)."""
    m, product = 1 << 31, 0
    while True:
        if a & m:
            product ^= b
            if not a & (m - 1):
                return product
        m >>= 1
        b = (b >> 1) ^ 0xEDB88320 if b & 1 else b >> 1


def _powers() -> list[int]:
    table, p = [], 1 << 30  # x^1
    for _ in range(32):
        table.append(p)
        p = _multiply(p, p)
    return table


_X2N = _powers()  # x^(2^n) modulo the polynomial
