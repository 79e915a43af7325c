"""The streamed renderer for big sheets: the same XML xlsxwriter writes, values intact.

Each workbook written by leadbatch is read back by openpyxl and python-calamine and
compared with the original values, and with the same cells written by xlsxwriter itself
(the reference for how Excel expects them escaped).
"""

from __future__ import annotations

import datetime as dt
import enum
import random
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from leadbatch.errors import UsageError
from leadbatch.workbook import Cell, SheetSpec, write_workbook
from leadbatch.workbook.render import column_name
from leadbatch.workbook.splice import crc32_combine

HEADERS = ["text", "more", "number", "flag"]
AWKWARD: list[str] = [
    "\x01ctl\x1f",  # control characters XML cannot hold
    "a\rb",
    "tab\tand\nnewline",
    "_x0041_",  # looks like Excel's own escape
    "x_x00e9_y and _x005F_",
    "a & b < c > d",
    "&amp; already",
    "<r>rich?</r>",  # xlsxwriter would write this as raw rich-text markup
    " leading",
    "trailing ",
    "  ",
    "\u00a0nbsp\u00a0",
    "=HYPERLINK(\"http://x\")",
    "+44 20 7946 0000",
    "-5",
    "@mention",
    "São Paulo, Zürich, 東京, مرحبا, 😀",
    "y" * 20_000,  # long, under Excel's limit
    "'quoted' \"double\"",
]
SPECIAL = {"\ufffe", "\uffff"}  # nonchar: written as _xFFFE_, which readers leave as is


def _rows() -> list[list[Cell]]:
    rows: list[list[Cell]] = [[text, None, n, n % 2 == 0] for n, text in enumerate(AWKWARD)]
    rows += [
        ["ints", "", 0, 2**53],
        ["floats", None, 1.5, -0.25],
        ["tiny", None, 1.5e-7, 1e300],
        ["big int", None, 12345678901234567890, -(10**16)],
        ["a date", dt.date(2030, 1, 7), dt.datetime(2030, 1, 7, 9, 30), None],
        [None, None, None, None],  # an empty row: counted, not written
        ["", "", "", ""],
        ["after the gap", "ok", -1, False],
    ]
    return rows


def _read_openpyxl(path: Path, sheet: int = 0) -> list[list[Any]]:
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _read_calamine(path: Path, sheet: int = 0) -> list[list[Any]]:
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_index(sheet).to_python(skip_empty_area=False)


def _reference(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Path:
    """The same cells through xlsxwriter's own cell writer, as leadbatch wrote them before."""
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
         "strings_to_urls": False},
    )
    ws = book.add_worksheet("S")
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for c, h in enumerate(headers):
        ws.write_string(0, c, h)
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            if isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, int | float):
                ws.write_number(r, c, v)
            elif isinstance(v, dt.datetime):  # a typed date of the input's: a real date
                ws.write_datetime(r, c, v, when)
            elif isinstance(v, dt.date):
                ws.write_string(r, c, v.isoformat())
            else:
                ws.write_string(r, c, v)
    book.close()
    return path


def _plain(v: Any) -> Any:
    """What a reader should give back for a value written by leadbatch."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return float(f"{v:.16G}")  # 16 significant digits, as xlsxwriter writes numbers
    if isinstance(v, dt.datetime):
        return v  # a real date: readers give the datetime back
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def test_awkward_values_round_trip_through_calamine(tmp_path: Path) -> None:
    rows = _rows()
    out = write_workbook(tmp_path / "w.xlsx", [SheetSpec("S", HEADERS, rows)])
    grid = _read_calamine(out)
    assert grid[0] == HEADERS
    width = len(HEADERS)
    # calamine undoes the _xHHHH_ escapes: every text comes back exactly as it went in.
    expected = [[_plain(v) if v not in (None, "") else "" for v in r] for r in rows]
    expected[-3] = expected[-2] = [""] * width
    got = [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r]
           for r in grid[1:]]
    assert got == expected


def test_awkward_values_read_as_xlsxwriters_own_by_openpyxl_and_calamine(
    tmp_path: Path,
) -> None:
    rows = _rows() + [[text, None, None, None] for text in sorted(SPECIAL)]
    ours = write_workbook(tmp_path / "ours.xlsx", [SheetSpec("S", HEADERS, rows)])
    ref = _reference(tmp_path / "ref.xlsx", HEADERS, rows)
    mine, theirs = _read_openpyxl(ours), _read_openpyxl(ref)
    rich = 1 + AWKWARD.index("<r>rich?</r>")
    # xlsxwriter writes this text as rich-text markup, and the text is lost; ours keeps it.
    assert mine[rich][0] == "<r>rich?</r>" and theirs[rich][0] in (None, "")
    mine[rich][0] = theirs[rich][0]
    # openpyxl leaves Excel's _xHHHH_ escapes as they are, for both writers alike.
    assert mine == theirs
    assert mine[1][0] == "_x0001_ctl_x001F_"
    assert mine[1 + AWKWARD.index("_x0041_")][0] == "_x005F_x0041_"
    mine_c, theirs_c = _read_calamine(ours), _read_calamine(ref)
    mine_c[rich][0] = theirs_c[rich][0]
    assert mine_c == theirs_c


def test_the_sheet_xml_is_xlsxwriters_own(tmp_path: Path) -> None:
    """Cell for cell the same XML xlsxwriter writes, so what Excel accepts from it."""
    rows = [r for r in _rows() if r[0] != "<r>rich?</r>"]
    # A fixed `created`: two writes either side of a second would differ in docProps.
    props = {"created": dt.datetime(2030, 1, 7, tzinfo=dt.UTC)}
    streamed = write_workbook(tmp_path / "s.xlsx", [SheetSpec("S", HEADERS, rows)],
                              properties=props)
    by_xlsxwriter = write_workbook(tmp_path / "x.xlsx",
                                   [SheetSpec("S", HEADERS, rows, stream=False)],
                                   properties=props)
    with zipfile.ZipFile(streamed) as a, zipfile.ZipFile(by_xlsxwriter) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
        assert a.testzip() is None


def test_text_is_cut_at_excels_limit_as_xlsxwriter_cuts_it(tmp_path: Path) -> None:
    rows: list[list[Cell]] = [["z" * 40_000], ["😀" * 20_000], ["ok"]]
    out = write_workbook(tmp_path / "w.xlsx", [SheetSpec("S", ["t"], rows)])
    grid = _read_calamine(out)
    assert grid[1][0] == "z" * 32_767
    assert grid[2][0] == "😀" * 16_383  # 2 UTF-16 units each
    assert grid[3][0] == "ok"


def test_many_rows_random_values_round_trip(tmp_path: Path) -> None:
    rnd = random.Random(7)
    alphabet = "abcxyz _&<>\"'\t\n\r\x01\x1fé東😀0123456789=+-@"
    headers = [f"c{i}" for i in range(30)]  # past column Z: AA, AB...
    rows: list[list[Cell]] = []
    for _ in range(3000):  # several compressed chunks
        row: list[Cell] = []
        for c in range(30):
            kind = c % 5
            if kind == 0:
                row.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12))))
            elif kind == 1:
                row.append(rnd.randint(-(10**12), 10**12))
            elif kind == 2:
                row.append(rnd.choice([None, "", rnd.random() * 1e6]))
            elif kind == 3:
                row.append(rnd.choice([True, False]))
            else:
                row.append(f"lead{rnd.randint(0, 99999)}@example.com")
        rows.append(row)
    out = write_workbook(tmp_path / "w.xlsx", [SheetSpec("Plan", headers, rows)])
    grid = _read_calamine(out)
    assert len(grid) == len(rows) + 1
    for got, want in zip(grid[1:], rows, strict=True):
        assert [g if not isinstance(g, int) or isinstance(g, bool) else float(g) for g in got] \
            == [_plain(v) if v not in (None, "") else "" for v in want]
    with zipfile.ZipFile(out) as z:
        assert b'<dimension ref="A1:AD3001"/>' in z.read("xl/worksheets/sheet1.xml")


def test_every_cell_is_a_value_never_a_formula(tmp_path: Path) -> None:
    rows: list[list[Cell]] = [["=1+2", "=SUM(A1:A2)", "+1", "-1", "@x", "=HYPERLINK(\"a\")"]]
    out = write_workbook(tmp_path / "w.xlsx", [SheetSpec("S", list("abcdef"), rows)])
    with zipfile.ZipFile(out) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert all(c.data_type == "s" for row in ws.iter_rows() for c in row)
    assert [c.value for c in ws[2]] == rows[0]


def test_the_same_sheets_give_the_same_bytes(tmp_path: Path) -> None:
    created = dt.datetime(2030, 1, 7, tzinfo=dt.UTC)

    def sheets() -> list[SheetSpec]:
        return [SheetSpec("Plan", HEADERS, iter(_rows()), status_column="more"),
                SheetSpec("Other", ["a"], [["b"]])]

    first = write_workbook(tmp_path / "a.xlsx", sheets(), properties={"created": created})
    second = write_workbook(tmp_path / "b.xlsx", sheets(), properties={"created": created})
    assert first.read_bytes() == second.read_bytes()


class _Status(str, enum.Enum):  # noqa: UP042 - str() of this one is its name, not value
    PLANNED = "planned"


class _Count(enum.IntEnum):
    THREE = 3


def test_status_fills_and_odd_types(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["planned", _Status.PLANNED, _Count.THREE, float("nan")],
        ["failed", "unknown", float("inf"), dt.time(9, 30)],
    ]
    out = write_workbook(tmp_path / "w.xlsx",
                         [SheetSpec("S", ["status", "b", "c", "d"], rows, status_column="status")])
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws["A2"].fill.fgColor.rgb == "FFDDEBF7"
    assert ws["A3"].fill.fgColor.rgb == "FFFFC7CE"
    assert ws["B3"].fill.fgColor.rgb in (None, "00000000")  # only the status column
    # Enums as their values; Excel has no NaN or infinity, so those stay words.
    assert [c.value for c in ws[2]] == ["planned", "planned", 3, "nan"]
    assert [c.value for c in ws[3]] == ["failed", "unknown", "inf", "09:30:00"]


def test_empty_sheets_and_a_sheet_without_headers(tmp_path: Path) -> None:
    out = write_workbook(tmp_path / "w.xlsx", [
        SheetSpec("Empty", ["a", "b"], []),
        SheetSpec("Bare", [], [[None, "x"], [], ["y"]]),
    ])
    assert _read_openpyxl(out, 0) == [["a", "b"]]
    assert _read_openpyxl(out, 1) == [[None, None], [None, "x"], [None, None], ["y", None]]
    with zipfile.ZipFile(out) as z:
        assert b'<dimension ref="A2:B4"/>' in z.read("xl/worksheets/sheet2.xml")


def test_a_failing_row_source_leaves_no_file_behind(tmp_path: Path) -> None:
    def rows() -> Any:
        yield ["fine"]
        raise UsageError("the rows broke")

    with pytest.raises(UsageError, match="the rows broke"):
        write_workbook(tmp_path / "w.xlsx", [SheetSpec("S", ["a"], rows())])
    assert list(tmp_path.iterdir()) == []


def test_crc32_combine_matches_zlib() -> None:
    rnd = random.Random(1)
    for n in (0, 1, 7, 4096, 100_003):
        a, b = rnd.randbytes(rnd.randint(0, 300)), rnd.randbytes(n)
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_column_names() -> None:
    assert [column_name(c) for c in (0, 25, 26, 51, 52, 701, 702, 16383)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]


def test_cells_written_below_the_header_by_finish_are_refused(tmp_path: Path) -> None:
    # Spliced before them, the streamed rows would be out of order: Excel "repairs" that.
    def finish(_book: Any, ws: Any, last: int) -> None:
        ws.write_string(last + 2, 0, "a note")

    with pytest.raises(RuntimeError, match="below the header"):
        write_workbook(tmp_path / "w.xlsx", [SheetSpec("S", ["a"], [["x"]], finish=finish)])
    assert list(tmp_path.iterdir()) == []


def test_zip64_records_when_a_part_is_over_zip_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Plan sheet over 2 GiB of XML takes about 1.7 million rows; the ZIP64 records it
    # needs are written the same way past a lowered threshold, so a small file shows them.
    import leadbatch.workbook.splice as splice

    monkeypatch.setattr(splice, "_ZIP64_LIMIT", 1_000)
    rows: list[list[Cell]] = [[f"row {n}", "x" * 50, n, n % 2 == 0] for n in range(3_000)]
    path = write_workbook(tmp_path / "big.xlsx", [SheetSpec("Plan", HEADERS, rows)])
    assert b"PK\x06\x06" in path.read_bytes()  # the ZIP64 end of central directory
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size > 1_000 and sheet.compress_size > 1_000
    with CalamineWorkbook.from_path(str(path)) as book:
        got = book.get_sheet_by_name("Plan").to_python()
    assert len(got) == 3_001 and got[-1] == ["row 2999", "x" * 50, 2999.0, False]


def test_rows_beyond_excels_limit_are_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Excel shows 1,048,576 rows a sheet; a lowered limit shows the refusal without
    # writing a million rows.
    import leadbatch.limits as sheetxml

    monkeypatch.setattr(sheetxml, "MAX_SHEET_ROWS", 5)
    target = tmp_path / "plan.xlsx"
    with pytest.raises(UsageError, match=r"more than 4 rows do not fit in one sheet"):
        write_workbook(target, [SheetSpec("Plan", HEADERS, [["x", "", n, True] for n in range(5)])])
    assert list(tmp_path.iterdir()) == []
    write_workbook(target, [SheetSpec("Plan", HEADERS, [["x", "", n, True] for n in range(4)])])
    with CalamineWorkbook.from_path(str(target)) as book:
        assert len(book.get_sheet_by_name("Plan").to_python()) == 5
