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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic.alias_generators import to_camel

from ..errors import InputFileError
from ..models import TEMPLATE_EXAMPLE_EMAIL, RowError, RowStatus, SourceRow
from ..text import STRIP, clean_text
from .cells import (
    SINGLE_COLUMN_FIELDS,
    CellError,
    clean_action,
    clean_email,
    clean_int,
    field_for_header,
)
from .dates import clean_date
from .files import read_cells
from .phones import PhoneCountryError, clean_phone

__all__ = ["LeadSheet", "parse_rows", "read_leads"]

# Excel's limit for one cell: a longer value cannot be written back to a plan or results
# workbook intact, so it could not be shown, checked or sent as the sheet has it.
MAX_CELL_LENGTH = 32_767

# Lead fields whose cell is copied as plain text.
_TEXT_FIELDS = ("last_name", "source", "context", "additional_information_line", "schedule_name")


@dataclass
class LeadSheet:
    """A lead sheet as read: its own headers, how they map to lead fields, every row.

    `fields` maps each header to a Lead field name, "country_code" (joined into `phone`)
    or "custom". Columns without a header are named "column N" and kept in `values`,
    but not sent as custom fields.
    """

    path: Path
    headers: list[str]
    fields: dict[str, str]
    rows: list[SourceRow] = field(default_factory=list)

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

    def problems(self) -> list[RowError]:
        """Every row error and duplicate, in sheet order."""
        found: list[RowError] = []
        for row in self.rows:
            found.extend(row.errors)
            if row.duplicate_of is not None:
                found.append(
                    RowError(
                        row.row,
                        self.email_column,
                        f"duplicate of row {row.duplicate_of} (same email)",
                    )
                )
        return found


def read_leads(path: str | Path, *, today: dt.date | None = None) -> LeadSheet:
    """Read the first sheet of `path`; InputFileError for anything that stops the whole file."""
    cells = read_cells(path)
    return _parse(
        cells.header, cells.rows, source=str(path), today=today, first_column=cells.first_column
    )


def parse_rows(
    headers: Sequence[str],
    rows: Iterable[tuple[int, Sequence[object]]],
    *,
    source: str = "",
    today: dt.date | None = None,
) -> LeadSheet:
    """Parse cells already read elsewhere exactly as `read_leads` parses a file's cells.

    `rows` are (spreadsheet row number, cell values) pairs.
    """
    return _parse(list(headers), iter(rows), source=source, today=today, first_column=1)


def _parse(
    header: Sequence[object],
    rows: Iterator[tuple[int, Sequence[object]]],
    *,
    source: str,
    today: dt.date | None,
    first_column: int,
) -> LeadSheet:
    names, bases, unnamed = _header_names(header, first_column)
    fields = _map_fields(names, bases, unnamed, source)
    parser = _RowParser(names, fields, unnamed, today or dt.date.today())
    sheet = LeadSheet(Path(source), names, fields)
    _parse_into(sheet, parser, rows)
    if not sheet.rows:
        raise InputFileError(source, "no data rows")
    return sheet


def _parse_into(
    sheet: LeadSheet, parser: _RowParser, rows: Iterator[tuple[int, Sequence[object]]]
) -> None:
    first_seen: dict[str, int] = {}
    for number, cells in rows:
        parsed = parser.parse(number, cells)
        if parsed is None:
            continue
        row, key = parsed
        if key is not None:
            earlier = first_seen.setdefault(key, number)
            if earlier != number:
                row.duplicate_of = earlier
        sheet.rows.append(row)


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


def _map_fields(
    names: list[str], bases: list[str], unnamed: set[str], source: str
) -> dict[str, str]:
    # A repeated header means what its text means: two "Email" columns are as ambiguous
    # as "Email" and "E-mail", while a repeated "Notes" is simply another custom field.
    fields: dict[str, str] = {}
    first_column_of: dict[str, str] = {}
    for name, base in zip(names, bases, strict=True):
        target = "custom" if name in unnamed else field_for_header(base)
        if target != "custom" and target in first_column_of:
            if target in SINGLE_COLUMN_FIELDS:
                raise InputFileError(
                    source,
                    f'columns "{first_column_of[target]}" and "{name}" both mean '
                    f"{_label(target)}: delete or rename one",
                )
            target = "custom"  # a second phone column ("Mobile" after "Phone") is kept as is
        first_column_of.setdefault(target, name)
        fields[name] = target
    missing = [f for f in ("email", "name") if f not in first_column_of]
    if missing:
        found = ", ".join(n for n in names if n not in unnamed) or "nothing"
        hints = {"email": '"Email" or "Email_ID"', "name": '"Name" or "First_Name"'}
        raise InputFileError(
            source,
            f"no {' or '.join(missing)} column (call it "
            f"{' and '.join(hints[m] for m in missing)}; the header row has: {found})",
        )
    return fields


def _label(fieldname: str) -> str:
    return "the country code" if fieldname == "country_code" else to_camel(fieldname)


class _RowParser:
    """Turns one row of cells into a SourceRow; column lookups are worked out once."""

    def __init__(
        self, names: list[str], fields: dict[str, str], unnamed: set[str], today: dt.date
    ) -> None:
        self.names = names
        self.width = len(names)
        self.today = today
        self.index = {fields[n]: i for i, n in enumerate(names) if fields[n] != "custom"}
        self.column = {f: names[i] for f, i in self.index.items()}
        self.text_fields = [(f, self.index[f]) for f in _TEXT_FIELDS if f in self.index]
        # Custom fields are the named columns no lead field claims; SourceRow.lead builds
        # them from `values` when the lead is needed, so nothing is made per row here.
        self.custom = tuple(n for n in names if fields[n] == "custom" and n not in unnamed)

    def parse(
        self, number: int, cells: Sequence[object]
    ) -> tuple[SourceRow, str | None] | None:
        """(row, email key for duplicates) or None for a blank row."""
        # Most cells are NUL-free strings: strip them inline, skipping a call per cell.
        texts = [
            v.strip(STRIP) if type(v) is str and "\x00" not in v else clean_text(v)
            for v in cells
        ]
        errors: list[RowError] = []
        if len(texts) != self.width:
            if len(texts) < self.width:
                texts.extend([""] * (self.width - len(texts)))
            else:
                extra = sum(1 for t in texts[self.width :] if t)
                del texts[self.width :]
                if extra:
                    errors.append(
                        RowError(
                            number,
                            None,
                            f"{extra} more cell(s) than the header has columns "
                            "(a delimiter inside an unquoted value?)",
                        )
                    )
        if not errors and not any(texts):
            return None
        if max(map(len, texts)) > MAX_CELL_LENGTH:
            errors.extend(
                RowError(number, self.names[i], f"the cell holds {len(t):,} characters; a "
                         f"spreadsheet cell holds at most {MAX_CELL_LENGTH:,}")
                for i, t in enumerate(texts) if len(t) > MAX_CELL_LENGTH
            )
        values = dict(zip(self.names, texts, strict=True))
        data, key = self._lead(number, cells, texts, errors)
        row = SourceRow(number, values, None, errors, fields=data, custom=self.custom)
        return row, key

    def _lead(
        self, number: int, cells: Sequence[object], texts: list[str], errors: list[RowError]
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The lead's fields, checked (None if the row has errors), and its email key."""
        index, column = self.index, self.column
        data: dict[str, Any] = {}

        def bad(fieldname: str, message: str) -> None:
            errors.append(RowError(number, column[fieldname], message))

        key: str | None = None
        email = texts[index["email"]]
        if not email:
            bad("email", "email is missing")
        else:
            try:
                data["email"] = key = clean_email(email)
            except CellError as exc:
                bad("email", str(exc))
            if key == TEMPLATE_EXAMPLE_EMAIL:
                bad("email", "this is the template's example row: delete it")
        name = texts[index["name"]]
        if name:
            data["name"] = name
        else:
            bad("name", "name is missing")
        for fieldname, i in self.text_fields:
            if texts[i]:
                data[fieldname] = texts[i]
        self._special(cells, texts, data, bad)
        if errors:
            return None, key
        return data, key

    def _special(
        self,
        cells: Sequence[object],
        texts: list[str],
        data: dict[str, Any],
        bad: Callable[[str, str], None],
    ) -> None:
        index = self.index
        if "phone" in index and (phone := texts[index["phone"]]):
            code = texts[index["country_code"]] if "country_code" in index else ""
            try:
                data["phone"] = clean_phone(phone, code)
            except PhoneCountryError as exc:
                bad("country_code", str(exc))
            except CellError as exc:
                bad("phone", str(exc))
        if "assistant_email" in index and (assistant := texts[index["assistant_email"]]):
            try:
                data["assistant_email"] = clean_email(assistant)
            except CellError as exc:
                bad("assistant_email", f"assistant: {exc}")
        if "schedule_id" in index and (schedule := texts[index["schedule_id"]]):
            try:
                data["schedule_id"] = clean_int(schedule, "sequence id")
            except CellError as exc:
                bad("schedule_id", str(exc))
        if "send_date" in index and texts[(i := index["send_date"])]:
            raw = cells[i] if not isinstance(cells[i], str) else texts[i]
            try:
                data["send_date"] = clean_date(raw, self.today)
            except CellError as exc:
                bad("send_date", str(exc))
        action = "create"
        if "action" in index:
            try:
                data["action"] = action = clean_action(texts[index["action"]])
            except CellError as exc:
                bad("action", str(exc))
        if "id" in index and (lead_id := texts[index["id"]]):
            try:
                data["id"] = clean_int(lead_id, "lead id")
            except CellError as exc:
                # A CRM's own record id ("0031x00000AbCdE") in an "Id" column only matters
                # when the row updates or stops a 7Targets lead.
                if action != "create":
                    bad("id", f"{exc}: update and stop need the 7Targets lead id (or leave it blank)")
