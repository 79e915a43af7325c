"""Opening a lead file: which format it really is, and its first sheet's cells row by row.

CSV (any of , ; tab |; UTF-8 with or without BOM, UTF-16 with BOM, else cp1252/Latin-1)
is read with the csv module; xlsx/xlsm/xlsb/xls/ods with python-calamine, which is far
faster than openpyxl and returns the cached values of formula cells. The file's content,
not its name, decides the format; a name that lies (a CSV renamed .xlsx) is reported.
Every failure becomes one `InputFileError` line: this is the edge where OS, csv and
calamine errors are mapped into leadbatch's error tree.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from ..errors import InputFileError
from ..text import clean_text

Row = Sequence[object]

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls"})
ODS_SUFFIXES = frozenset({".ods"})
DELIMITERS = ",;\t|"

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFF_BYTES = 64 * 1024
_SENTINEL = "\x1fleadbatch-end-of-file\x1f"
# Control bytes that text never holds (tab, newlines, form feed excepted).
_CONTROL_BYTES = [bytes([b]) for b in (*range(0x09), 0x0B, *range(0x0E, 0x20), 0x7F)]
# A real sheet's XML packs 5 to 20 times smaller; a zip bomb's a thousand times. Small
# parts (styles, an empty sheet) may pack better, so only big ones are judged.
_MAX_PACKING = 100
_JUDGED_FROM = 16 << 20
_MAX_UNPACKED = 4 << 30  # what the reader can hold in memory, roughly a million rows
# One huge cell must become its row's error, not stop the file (the csv module's
# default limit is 128 KiB); the reader checks every cell against Excel's own limit.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


@dataclass
class SheetCells:
    """The first sheet of a file: its header cells, and the data rows after it, lazily.

    `rows` yields (spreadsheet row number, cells); `first_column` is the spreadsheet
    column number of `header[0]` (a sheet may start in column C).
    """

    header: list[object]
    header_row: int
    first_column: int
    rows: Iterator[tuple[int, Row]]
    nul: bool = False  # the file holds NUL bytes: the row reader removes them and says where


def read_cells(path: str | Path) -> SheetCells:
    """The header row (the first non-blank row) and the rows after it."""
    p = Path(path)
    head = _head(p)
    suffix = p.suffix.lower()
    kind = _content_kind(head)
    if suffix in EXCEL_SUFFIXES or suffix in ODS_SUFFIXES:
        what = "an OpenDocument spreadsheet" if suffix in ODS_SUFFIXES else "an Excel file"
        if kind == "text":
            if _looks_binary(head):
                raise InputFileError(p, f"not {what} (it is neither a workbook nor text: a "
                                     "damaged file or another kind of file)")
            looks = "an HTML page" if _looks_html(head) else "text/CSV"
            raise InputFileError(p, f"not {what} (it looks like {looks})")
        return _workbook_cells(p, what, head)
    if kind == "text":
        return _csv_cells(p)
    if suffix in CSV_SUFFIXES:
        raise InputFileError(
            p, f"not a CSV file (it looks like {_binary_name(p, head)}); rename it to match"
        )
    return _workbook_cells(p, "a spreadsheet", head)


def _head(p: Path) -> bytes:
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputFileError(p, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(p, "is a folder, not a file") from None
    except PermissionError:
        raise InputFileError(p, "cannot read the file: permission denied") from None
    except OSError as exc:
        raise InputFileError(p, f"cannot read the file: {exc.strerror or exc}") from None
    if not head:
        raise InputFileError(p, "the file is empty")
    return head


def _content_kind(head: bytes) -> str:
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    return "text"


def _looks_html(head: bytes) -> bool:
    start = head[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml"))


def _looks_binary(sample: bytes) -> bool:
    return sum(map(sample.count, _CONTROL_BYTES)) > len(sample) // 10


def _binary_name(p: Path, head: bytes) -> str:
    if head.startswith(_OLE_MAGIC):
        return "an Excel 97-2003 .xls workbook"
    try:
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return "a damaged zip archive"
    if "content.xml" in names:
        return "an OpenDocument .ods spreadsheet"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "an Excel .xlsx workbook"
    return "a zip archive"


# --- workbooks -----------------------------------------------------------------------------


def _workbook_cells(p: Path, what: str, head: bytes) -> SheetCells:
    _check_container(p, what, head)
    try:
        # From an open file, calamine picks the format from the content, so an .xls saved
        # under an .xlsx name (Excel opens those with a warning) still reads.
        with p.open("rb") as fh:
            book = python_calamine.CalamineWorkbook.from_filelike(fh)
        sheet = _first_sheet(p, book)
        start = sheet.start
        rows = sheet.iter_rows()
    except python_calamine.PasswordError:
        raise InputFileError(
            p, "the workbook is password-protected: save a copy without a password"
        ) from None
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(p, f"cannot be read as {what}: the file is damaged ({detail})") from None
    if start is None:
        raise InputFileError(p, f'the first sheet "{sheet.name}" is empty')
    # calamine yields rows from row 1 of the sheet but columns only from the first used
    # column (python-calamine issue #177), so row numbers are positions, columns offset.
    numbered = enumerate(rows, start=1)
    for number, cells in numbered:
        if any(map(clean_text, cells)):
            return SheetCells(list(cells), number, start[1] + 1, numbered)
    raise InputFileError(p, f'the first sheet "{sheet.name}" is empty')


def _first_sheet(p: Path, book: python_calamine.CalamineWorkbook) -> python_calamine.CalamineSheet:
    # The first sheet a person sees: hidden sheets and chart sheets do not count.
    for index, meta in enumerate(book.sheets_metadata):
        if (
            meta.visible == python_calamine.SheetVisibleEnum.Visible
            and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ):
            return book.get_sheet_by_index(index)
    raise InputFileError(p, "the workbook has no visible worksheet")


def _check_container(p: Path, what: str, head: bytes) -> None:
    """Clear words for the commonest broken workbooks, before calamine's terser ones."""
    if head.startswith(_OLE_MAGIC):
        # A password-protected .xlsx is an OLE2 container with an "EncryptionInfo"
        # stream; calamine would call it damaged, which sends the user the wrong way.
        if "EncryptionInfo".encode("utf-16-le") in head:
            raise InputFileError(
                p, "the workbook is password-protected: save a copy without a password"
            )
        return
    try:
        with zipfile.ZipFile(p) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputFileError(
            p, f"cannot be read as {what}: the file is damaged or incomplete "
            "(download or save it again)"
        ) from None
    names = {m.filename for m in members}
    if not names & {"xl/workbook.xml", "xl/workbook.bin", "content.xml"}:
        raise InputFileError(p, f"not {what} (it is a zip archive without a workbook in it)")
    _check_unpacked_size(p, members)


def _check_unpacked_size(p: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb before unpacking it: the sizes the zip declares are the ones
    calamine holds it to (it stops at a member larger than declared)."""
    for m in members:
        if m.file_size > _JUDGED_FROM and m.file_size > _MAX_PACKING * max(m.compress_size, 1):
            raise InputFileError(
                p, f"refused: {m.filename} would unpack to {m.file_size >> 20:,} MB from "
                f"{max(m.compress_size >> 10, 1):,} KB, which no real spreadsheet does "
                "(a zip bomb or a damaged file)"
            )
    total = sum(m.file_size for m in members)
    if total > _MAX_UNPACKED:
        raise InputFileError(
            p, f"too big to read: it unpacks to {total >> 20:,} MB (at most "
            f"{_MAX_UNPACKED >> 20:,} MB); save it as CSV, or split it into smaller files"
        )


# --- CSV -----------------------------------------------------------------------------------


def _csv_cells(p: Path) -> SheetCells:
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputFileError(p, f"cannot read the file: {exc.strerror or exc}") from None
    text = _decode(p, data)
    if not text.strip():
        raise InputFileError(p, "the file is empty")
    sample = text[:_SNIFF_BYTES]
    end = "" if text.endswith(("\n", "\r")) else "\n"
    lines = io.StringIO(f"{text}{end}{_SENTINEL}\n", newline="")
    delimiter = _excel_sep_line(lines) or _sniff_delimiter(sample)
    records = _records(p, csv.reader(lines, delimiter=delimiter))
    for number, cells in records:
        if any(map(clean_text, cells)):
            return SheetCells(list(cells), number, 1, records, nul="\x00" in text)
    raise InputFileError(p, "the file is empty")


def _decode(p: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" export
        return data.decode("utf-16", errors="replace")
    sample = data[:_SNIFF_BYTES]
    half = len(sample) // 2
    if half and sample[1::2].count(0) >= half * 9 // 10:  # UTF-16-LE without its BOM
        return data.decode("utf-16-le", errors="replace")
    if _looks_binary(sample):
        raise InputFileError(p, "not a CSV file (it contains binary data)")
    # NUL bytes are kept: the row reader removes them and says so on the row.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Line by line: two exports pasted together may be UTF-8 above and a code page
    # below, and each line must read as it was written.
    lines = data.splitlines(keepends=True)
    foreign = [line for line in lines if not _is_utf8(line)]
    page = single_byte_page(b"".join(foreign))
    return "".join(line.decode("utf-8") if _is_utf8(line) else line.decode(page, "replace")
                   for line in lines)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# The code pages Excel writes CSV in: "CSV" on Windows, "CSV (Macintosh)", "CSV (MS-DOS)".
# Latin-1 reads any byte: the last resort.
_PAGES = ("cp1252", "mac_roman", "cp850", "latin-1")
# Letters of the names and companies lead sheets hold: a reading that yields them wins.
_COMMON_LETTERS = frozenset("éèêëàâäáãåæçñóòôöõøúùûüíìîïÿýßœ")


def single_byte_page(data: bytes) -> str:
    """The code page `data` (not UTF-8) was written in, judged by how its non-ASCII
    characters sit in words: "Jürgen" is a name, "JŸrgen" (Mac Roman read as Windows)
    and "J³rgen" are not. charset-normalizer was measured on the same files and chose
    wrong for Mac Roman files with one to three accented names (22 of 60 right); this
    rule chose right 300 of 300 (tests/test_encodings.py)."""
    best, best_score = "latin-1", None
    for page in _PAGES:
        try:
            text = data.decode(page)
        except UnicodeDecodeError:
            continue  # cp1252 leaves five bytes undefined
        score = _plausibility(text)
        if page == "cp850":
            score -= 1 + len(text) // 2000  # MS-DOS CSV is rare: it must win clearly
        if best_score is None or score > best_score:
            best, best_score = page, score
    return best


def _plausibility(text: str) -> int:
    score, last = 0, len(text) - 1
    for i, c in enumerate(text):
        if c < "\x80":
            continue
        before = text[i - 1] if i else " "
        after = text[i + 1] if i < last else " "
        in_word = before.isalpha() or after.isalpha()
        if not c.isalpha():
            score -= 3 if in_word else 0  # "J³rgen", "Mƒller": a symbol inside a word
        elif not in_word:
            continue
        elif c.islower():
            score += (2 if before.isalpha() or after.islower() else 1) + (c in _COMMON_LETTERS)
        elif before.isalpha() and (before.islower() or after.islower()):
            score -= 1  # "JŸrgen": a capital inside a lower-case word
        else:
            score += 2 + (c.lower() in _COMMON_LETTERS)
    return score


def _excel_sep_line(lines: io.StringIO) -> str | None:
    # Excel writes and honours a first line "sep=;" naming the delimiter; it is not a row.
    first = lines.readline()
    stripped = first.strip()
    if stripped.lower().startswith("sep=") and len(stripped) == 5 and stripped[4] in DELIMITERS:
        return stripped[4]
    lines.seek(0)
    return None


def _sniff_delimiter(sample: str) -> str:
    cut = sample.rfind("\n")
    sample = sample[:cut] if cut > 0 else sample
    first_line = sample.split("\n", 1)[0]
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and found in first_line:
        return found
    # The Sniffer gives up on odd samples; the header line is the best remaining witness.
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(p: Path, reader: Iterator[list[str]]) -> Iterator[tuple[int, Row]]:
    """One record per spreadsheet row, however many lines its quoted fields span.

    The csv module's lenient mode reads a stray quote inside a value (`"Bob" Smith`) as
    Excel does, but a value that opens a quote and never closes it would silently swallow
    every row after it. The sentinel line appended to the text tells: it comes back as the
    last record only if no quote was left open.
    """
    number, previous = 0, None
    try:
        for number, cells in enumerate(reader, start=1):
            if previous is not None:
                yield previous
            previous = (number, cells)
    except csv.Error as exc:
        raise InputFileError(p, f"row {number + 1}: cannot split into cells: {exc}") from None
    if previous is None or previous[1] != [_SENTINEL]:
        opened = previous[0] if previous is not None else 1
        raise InputFileError(
            p, f'row {opened}: a quote (") opens a value that is never closed; '
            "fix that row (everything after it would be lost)"
        )
