"""Reading a lead sheet: cells -> `SourceRow`s with leads, row errors and duplicates.

`read_leads(path)` reads a CSV/xlsx/xlsm/xls/ods file (see `sheetfile`) and
`parse_rows(headers, rows)` parses cells some other reader already has (the input columns
kept in plan and results workbooks), both the same way: headers matched loosely to lead
fields, each cell cleaned (`cells`), one `RowError` per problem with the spreadsheet's own
row number and column, and later rows with an email seen before flagged as duplicates.
Fatal problems (no email column, no data rows...) raise `InputFileError`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ReadSettings
from ..errors import InputFileError, UsageError
from ..models import ColumnRowError, RowError, RowStatus, SourceRow
from ..text import clean_text
from .files import read_cells
from .headers import ColumnError, Columns, map_columns, normalize_header, parse_mapping
from .row_parser import MAX_CELL_LENGTH, RowParser

__all__ = ["MAX_CELL_LENGTH", "LeadSheet", "parse_rows", "read_leads"]

_TITLE_ROWS = 20  # how far below a report's title lines the header may be


@dataclass
class LeadSheet:
    """A lead sheet as read: its own headers, how they map to lead fields, every row.

    `fields` maps each header to a Lead field name, "country_code" and "country" (which
    resolve phones), "full_name" (split into name and lastName), "custom" or "ignore".
    Columns without a header are named "column N" and kept in `values`, but not sent as
    custom fields; neither are "ignore" columns.
    """

    path: Path
    headers: list[str]
    fields: dict[str, str]
    rows: list[SourceRow] = field(default_factory=list)
    settings: ReadSettings = field(default_factory=ReadSettings)  # what it was read with
    notes: list[str] = field(default_factory=list)  # what was decided for the whole file
    column_problems: list[str] = field(default_factory=list)  # said once, not once a row

    @property
    def valid_rows(self) -> list[SourceRow]:
        return [r for r in self.rows if r.status is None]

    @property
    def invalid_rows(self) -> list[SourceRow]:
        return [r for r in self.rows if r.status is RowStatus.INVALID]

    @property
    def duplicate_rows(self) -> list[SourceRow]:
        return [r for r in self.rows if r.status is RowStatus.DUPLICATE]

    @property
    def email_column(self) -> str:
        return next(h for h, f in self.fields.items() if f == "email")

    def warnings(self) -> list[RowError]:
        """Every row's warnings (what was used with a caveat), in sheet order."""
        return [w for row in self.rows for w in row.warnings]

    def problems(self) -> list[RowError]:
        """Every row error and duplicate, in sheet order."""
        found: list[RowError] = []
        for row in self.rows:
            if row.errors:  # most rows have none: no generator made for them
                found.extend(e for e in row.errors if not isinstance(e, ColumnRowError))
            if row.duplicate_of is not None:
                found.append(
                    RowError(
                        row.row,
                        self.email_column,
                        f"duplicate of row {row.duplicate_of} (same email)",
                    )
                )
        return found


def read_leads(path: str | Path, *, today: dt.date | None = None,
               settings: ReadSettings | None = None) -> LeadSheet:
    """Read the first sheet of `path`; InputFileError for anything that stops the whole file."""
    cells = read_cells(path)
    return _parse(cells.header, cells.rows, source=str(path), today=today,
                  first_column=cells.first_column, settings=settings, header_row=cells.header_row,
                  nul=cells.nul)


def parse_rows(
    headers: Sequence[str],
    rows: Iterable[tuple[int, Sequence[object]]],
    *,
    source: str = "",
    today: dt.date | None = None,
    settings: ReadSettings | None = None,
) -> LeadSheet:
    """Parse cells already read elsewhere exactly as `read_leads` parses a file's cells.

    `rows` are (spreadsheet row number, cell values) pairs.
    """
    return _parse(list(headers), iter(rows), source=source, today=today, first_column=1,
                  settings=settings, titles=False)


def _parse(
    header: Sequence[object],
    rows: Iterator[tuple[int, Sequence[object]]],
    *,
    source: str,
    today: dt.date | None,
    first_column: int,
    settings: ReadSettings | None,
    header_row: int = 1,
    nul: bool = False,
    titles: bool = True,
) -> LeadSheet:
    settings = settings or ReadSettings()
    explicit = _explicit(settings)
    try:
        names, unnamed, columns, rows, notes = _find_header(
            header, rows, first_column, explicit, source, header_row if titles else None)
    except InputFileError:
        # A --map naming no column explains a missing email or name column best.
        _check_mapped(settings, _header_names(header, first_column)[0], source)
        raise
    _check_mapped(settings, names, source)
    parser = RowParser(names, columns, unnamed, today or dt.date.today(), settings, nul=nul)
    sheet = LeadSheet(Path(source), names, columns.fields, settings=settings,
                      notes=notes + columns.notes)
    _parse_into(sheet, parser, rows)
    if not sheet.rows:
        raise InputFileError(source, "no data rows")
    undecided = parser.settle_dates()
    if undecided is not None:
        sheet.column_problems.append(undecided)
    return sheet


def _explicit(settings: ReadSettings) -> dict[str, str]:
    try:
        return {**parse_mapping(settings.columns, "[columns]"),
                **parse_mapping(settings.mapped, "--map")}
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _check_mapped(settings: ReadSettings, names: Sequence[str], source: str) -> None:
    # A --map naming no column is a typo: say so rather than read the file without it.
    # [columns] serves many files, so a header it names may be absent from this one.
    have = {normalize_header(n) for n in names}
    missing = [h for h in settings.mapped if normalize_header(h) not in have]
    if missing:
        raise UsageError(f'--map "{missing[0]}=...": {source} has no column "{missing[0]}" '
                         f"(its columns: {', '.join(names)})")


def _find_header(
    header: Sequence[object], rows: Iterator[tuple[int, Sequence[object]]], first_column: int,
    explicit: dict[str, str], source: str, header_row: int | None,
) -> tuple[list[str], set[str], Columns, Iterator[tuple[int, Sequence[object]]], list[str]]:
    """The header row and its columns. A report may open with title lines ("Leads report",
    "Filtered by ..."): the first of the next rows whose columns name an email and a name
    is then the header, and the lines above it are skipped with a note."""
    names, bases, unnamed = _header_names(header, first_column)
    try:
        return names, unnamed, map_columns(names, bases, unnamed, explicit), rows, []
    except ColumnError as exc:
        first_error = exc
    if header_row is not None:
        looked: list[tuple[int, Sequence[object]]] = []
        for number, cells in itertools.islice(rows, _TITLE_ROWS):
            looked.append((number, cells))
            if not any(map(clean_text, cells)):
                continue
            names, bases, unnamed = _header_names(cells, first_column)
            try:
                columns = map_columns(names, bases, unnamed, explicit)
            except ColumnError:
                continue
            note = (f"row {header_row} above the header (row {number}) is skipped: a title line"
                    if number == header_row + 1 else
                    f"rows {header_row}-{number - 1} above the header (row {number}) are "
                    "skipped: a report's title lines")
            return names, unnamed, columns, rows, [note]
    raise InputFileError(source, str(first_error)) from None


def _parse_into(sheet: LeadSheet, parser: RowParser,
                rows: Iterator[tuple[int, Sequence[object]]]) -> None:
    first_seen: dict[str, int] = {}
    after_blank = False
    held: list[tuple[int, Sequence[object]]] = []  # footer-like lines after a blank row
    for number, cells in rows:
        if after_blank and _footer_like(cells):
            held.append((number, cells))
            continue
        for held_number, held_cells in held:  # not a footer after all: rows like any other
            _add(sheet, parser, first_seen, held_number, held_cells)
        held.clear()
        after_blank = not _add(sheet, parser, first_seen, number, cells)
    if held:
        first, last = held[0][0], held[-1][0]
        what = f"row {first}" if first == last else f"rows {first}-{last}"
        sheet.notes.append(f"{what} below the data are skipped: a report's footer "
                           f"({clean_text(next(v for v in held[0][1] if clean_text(v)))[:80]!r})")


def _add(sheet: LeadSheet, parser: RowParser, first_seen: dict[str, int], number: int,
         cells: Sequence[object]) -> bool:
    """Parse and keep one row; False for a blank one."""
    parsed = parser.parse(number, cells)
    if parsed is None:
        return False
    row, key = parsed
    if key is not None:
        earlier = first_seen.setdefault(key, number)
        if earlier != number:
            row.duplicate_of = earlier
    sheet.rows.append(row)
    return True


def _footer_like(cells: Sequence[object]) -> bool:
    """A line of a report's footer ("Copyright (c) 2000-2026 salesforce.com, inc.",
    "Generated By: ...", the company's name): one filled cell, no address in it. Such
    lines after a blank row are held, and skipped only if nothing but such lines follows."""
    filled = [t for v in cells if (t := clean_text(v))]
    return len(filled) == 1 and "@" not in filled[0]


def _header_names(
    header: Sequence[object], first_column: int
) -> tuple[list[str], list[str], set[str]]:
    """(unique names, the header texts they come from, the names made up for blanks)."""
    # Headers become dict keys, so they must be unique: a repeated "Notes" is "Notes (2)".
    names: list[str] = []
    bases: list[str] = []
    unnamed: set[str] = set()
    for index, cell in enumerate(header):
        # "Email\nAddress" (Alt+Enter in Excel) is one column name on one line.
        text = " ".join(clean_text(cell).split())
        if not text:
            text = f"column {first_column + index}"
            unnamed.add(text)
        name, n = text, 2
        while name in names:
            name, n = f"{text} ({n})", n + 1
        names.append(name)
        bases.append(text)
    return names, bases, unnamed
