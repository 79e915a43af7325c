"""Writing workbooks safely: atomically, and with every cell a value, never a formula.

The plan, results and template workbooks are all built from `SheetSpec`s and written by
`write_workbook`, which writes to a temporary file beside the target and renames it into
place, so a crash never leaves half a file where the user expects their results.

xlsxwriter writes each workbook's structure: styles, header rows, widths, freeze panes,
autofilters, charts, validations, properties. The data rows, a plan's millions of cells,
are rendered by `render` (a few times faster) and spliced into xlsxwriter's sheets by
`splice`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..errors import UsageError
from .render import RenderedRows, render_rows
from .splice import assemble

# A dt.date is leadbatch's own day (sendDate), written as ISO text as the contract says;
# a dt.datetime is a date of the input's own, written as a real date (see typed.py).
Cell = str | int | float | bool | dt.date | None

# Fill colours by status, shared by the plan and results workbooks.
STATUS_COLOURS = {
    "planned": "#DDEBF7",
    "pending": "#FFF2CC",
    "created": "#C6EFCE",
    "updated": "#C6EFCE",
    "stopped": "#C6EFCE",
    "failed": "#FFC7CE",
    "invalid": "#FFC7CE",
    "unplaceable": "#F8CBAD",
    "duplicate": "#EDEDED",
    "already sent": "#EDEDED",
    "warning": "#FFF2CC",  # the To fix sheet's rows that are sent with a caveat
}


@dataclass
class SheetSpec:
    """One worksheet: a header row and data rows, written as plain values.

    `status_column` names a column whose value colours the row's status cell.
    `finish` is called with the workbook and worksheet after the rows (charts, notes,
    validations; not cells: the rows are not in xlsxwriter's worksheet).
    `stream=False` sends the rows through xlsxwriter itself, so that column formats set
    in `finish` apply to them too (the template's example row); for a few rows only.
    """

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    widths: dict[str, float] = field(default_factory=dict)
    status_column: str | None = None
    autofilter: bool = True
    finish: Callable[[Workbook, Worksheet, int], None] | None = None
    stream: bool = True
    # Headers of columns that show what leadbatch derived (what was sent): read-only,
    # so their header is grey, not the blue of the columns a user edits.
    derived: Sequence[str] = ()
    # Print: landscape, one page wide, the header row on every page. `print_columns`
    # limits the printed area to the first N columns (None: all of them), from
    # `print_first` on.
    print_columns: int | None = None
    print_first: int = 0


def write_workbook(
    path: str | os.PathLike[str],
    sheets: Sequence[SheetSpec],
    *,
    properties: dict[str, Any] | None = None,
) -> Path:
    """Write `sheets` to `path` atomically. Returns the path written.

    `properties` are xlsxwriter document properties; a fixed `created` datetime makes
    the file byte-for-byte reproducible (xlsxwriter stamps the current time otherwise).
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{target}: folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write here: {exc.strerror or exc}") from None
    os.close(fd)
    rendered: list[RenderedRows] = []
    book: Workbook | None = None
    try:
        # xlsxwriter's own zip is small (the big sheets' rows are not in it): in memory.
        structure = io.BytesIO()
        book = xlsxwriter.Workbook(
            structure,
            {
                "constant_memory": True,
                # Text like "=HYPERLINK(...)" or "+44 20..." must stay text: never
                # let xlsxwriter turn strings into formulas, numbers or URLs.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        if properties:
            book.set_properties(properties)
        _fill(book, sheets, folder, rendered)
        book.close()
        with open(tmp_name, "wb") as fh:
            assemble(fh, structure.getvalue(), rendered)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600; give it the mode a plain open() would have.
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, target)
        _fsync_dir(folder)
        _remove_stale_temporaries(folder, target.name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise UsageError(f"{target}: could not write workbook: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        _discard(book)
        raise
    finally:
        for rows in rendered:
            rows.close()
    return target


def _discard(book: Workbook | None) -> None:
    # A write that failed half-way: xlsxwriter's constant-memory mode holds a temporary
    # file per sheet that only close() removes; close() would build the whole workbook.
    for ws in book.worksheets() if book is not None else ():
        fh, name = getattr(ws, "row_data_fh", None), getattr(ws, "row_data_filename", None)
        if fh is not None and name is not None and not fh.closed:
            fh.close()
            with contextlib.suppress(OSError):
                os.unlink(name)


STALE_AFTER = 60.0  # seconds: older temporaries of the same target are a killed write's


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    # A write killed mid-way leaves its hidden temporary file behind; the next successful
    # write of the same workbook clears it. Young ones may be another writer's, so stay.
    cutoff = time.time() - STALE_AFTER
    for stale in folder.glob(f".{glob.escape(name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < cutoff:
                stale.unlink()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fill(
    book: Workbook, sheets: Sequence[SheetSpec], folder: Path, rendered: list[RenderedRows]
) -> None:
    header_fmt = book.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF"})
    derived_fmt = book.add_format({"bold": True, "bg_color": "#595959", "font_color": "#FFFFFF"})
    # Typed dates (dt.datetime cells: the input's own dates) show as days, not serials.
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    time_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    status_fmts = {k: book.add_format({"bg_color": v}) for k, v in STATUS_COLOURS.items()}
    for spec in sheets:
        ws = book.add_worksheet(spec.name[:31])
        headers = list(spec.headers)
        status_idx = headers.index(spec.status_column) if spec.status_column in headers else -1
        fitted = _fitted(headers, spec.rows)
        for col, name in enumerate(headers):
            width = spec.widths.get(name, fitted[col])
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        derived = set(spec.derived)
        for col, name in enumerate(headers):
            ws.write_string(0, col, name, derived_fmt if name in derived else header_fmt)
        # Rendered cells name their style by xf index, which xlsxwriter gives a format
        # when it is first used; asking now, in this order (status colours, then dates),
        # gives the same indices (and bytes) every time, by either path.
        styles: dict[str, int] = {}
        if status_idx >= 0:
            styles = {k: f._get_xf_index() for k, f in status_fmts.items()}
        dates = (date_fmt._get_xf_index(), time_fmt._get_xf_index())
        if spec.stream:
            rows = render_rows(
                spec.rows, _part(book), folder, style_column=status_idx, styles=styles,
                date_styles=dates,
            )
            rendered.append(rows)
            last = rows.last
        else:
            last = _write_cells(ws, spec.rows, status_idx, status_fmts, (date_fmt, time_fmt))
        if spec.autofilter and headers:
            ws.autofilter(0, 0, max(last, 1), len(headers) - 1)
        if headers:
            _print_setup(ws, spec, len(headers), last)
        if spec.finish is not None:
            spec.finish(book, ws, last)


def _fitted(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> list[float]:
    """Widths for the columns `widths` leaves out: the header's and, when the rows are a
    list (small sheets: Summary, ledger export), the first 2,000 rows' text, 10 to 50
    wide. A generator (a big sheet's rows) is not read ahead: the header decides."""
    widest = [len(h) + 4 for h in headers]
    if isinstance(rows, list):
        for values in rows[:2000]:
            for c, v in enumerate(values[: len(widest)]):
                if v is not None:
                    n = 10 if isinstance(v, dt.date) else len(str(v)) + 2
                    if n > widest[c]:
                        widest[c] = n
    return [float(max(10, min(50, w))) for w in widest]


def _has_time(v: dt.datetime) -> int:
    return int(bool(v.hour or v.minute or v.second or v.microsecond))


def _print_setup(ws: Worksheet, spec: SheetSpec, width: int, last: int) -> None:
    """Landscape, one page wide and as many tall as it takes, the header on every page:
    workbook-level XML, nothing per cell (the big sheets' fast path is untouched)."""
    ws.set_landscape()
    ws.set_paper(9)  # A4; Letter users' printers scale it (LibreOffice and Excel do)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_footer("&L&A&R&P / &N")  # sheet name, page of pages
    first = min(spec.print_first, width - 1)
    cols = min(width - first, spec.print_columns or width)
    ws.print_area(0, first, max(last, 1), first + cols - 1)


def _part(book: Workbook) -> str:
    # xlsxwriter names worksheet parts by position (packager.py); assemble() checks it.
    return f"xl/worksheets/sheet{len(book.worksheets())}.xml"


def _write_cells(
    ws: Worksheet, rows: Iterable[Sequence[Cell]], status_idx: int, status_fmts: dict[str, Any],
    date_fmts: tuple[Any, Any],
) -> int:
    """The rows through xlsxwriter, cell by cell; returns the last row's index."""
    last = 0
    for r, values in enumerate(rows, start=1):
        last = r
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                fmt = status_fmts.get(v) if c == status_idx else None
                ws.write_string(r, c, v, fmt)
            elif isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, int | float):
                ws.write_number(r, c, v)
            elif isinstance(v, dt.datetime):  # a typed date of the input's: a real date
                ws.write_datetime(r, c, v, date_fmts[_has_time(v)])
            elif isinstance(v, dt.date):
                # ISO text, not an Excel date: the same in every locale and reader.
                ws.write_string(r, c, v.isoformat())
            else:
                ws.write_string(r, c, str(v))
    return last
