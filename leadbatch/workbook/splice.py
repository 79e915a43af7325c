"""Assembling a workbook: xlsxwriter's zip with the rendered rows spliced into its sheets.

The rows arrive compressed (render.py deflates them on a second core while it renders
them), so the zip is written here, not by `zipfile`: local headers, ZIP64 records where a
part or an offset passes 2 GiB (as zipfile writes them), central directory, end records,
and the CRC of each spliced part from its pieces' (`crc32_combine`). The other parts are
copied as xlsxwriter compressed them, so the file is as reproducible as xlsxwriter's.

Why not zipfile's streaming (`ZipFile.open(info, "w")`), tried for issue 11: zipfile
compresses an entry as it is written, start to end, and a sheet part starts with its
`<dimension>` (and xlsxwriter's head, known only after `finish` and `close`), known only
once every row is rendered. So the rows have to wait, uncompressed, in a temporary file
and be compressed after rendering instead of during it: 0.36 s of zlib level 1 on the
117 MB Plan sheet of a 100,000 x 25 plan, on the critical path. Measured on 2 cores,
interleaved, 10 rounds of 3: `write_workbook` 0.77 s here, 1.11 s with zipfile (+44%;
CPU +10%); `leadbatch plan` on 100,000 rows 2.66 s, 2.95 s (+11%). The rule was 10% on
the plan write, so the zip writer stays ours (the parts read back the same either way).
"""

from __future__ import annotations

import io
import re
import shutil
import struct
import zipfile
import zlib
from collections.abc import Iterable
from typing import IO

from .render import LEVEL, RenderedRows, column_name

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
    first = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    last = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
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
