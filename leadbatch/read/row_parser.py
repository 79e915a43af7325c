"""One row of cells into a SourceRow: each field checked, errors and warnings on the row.

This runs once per row of 100,000-row sheets: column lookups are worked out once, in
`RowParser.__init__`, and the common clean cell takes the fast path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ..config import ReadSettings
from ..models import TEMPLATE_EXAMPLE_EMAIL, ColumnRowError, RowError, SourceRow
from ..text import STRIP, clean_text
from .cells import CellError, clean_action, clean_email, clean_int
from .dates import AmbiguousDate, DateColumn, clean_date
from .headers import Columns
from .phones import read_phone

# Excel's limit for one cell: a longer value cannot be written back to a plan or results
# workbook intact, so it could not be shown, checked or sent as the sheet has it.
MAX_CELL_LENGTH = 32_767

# Lead fields whose cell is copied as plain text.
_TEXT_FIELDS = ("last_name", "source", "context", "additional_information_line", "schedule_name")


class RowParser:
    """Turns one row of cells into a SourceRow; column lookups are worked out once."""

    _SEVERAL = frozenset({"email", "phone"})  # several columns each: handled apart

    def __init__(self, names: list[str], columns: Columns, unnamed: set[str], today: dt.date,
                 settings: ReadSettings, *, nul: bool = False) -> None:
        fields = columns.fields
        self.names, self.width, self.today, self.nul = names, len(names), today, nul
        position = {n: i for i, n in enumerate(names)}
        self.index = {fields[n]: i for i, n in enumerate(names)
                      if fields[n] not in ("custom", "ignore") and fields[n] not in self._SEVERAL}
        self.column = {f: names[i] for f, i in self.index.items()}
        self.emails = [position[n] for n in columns.email]
        self.phones = [position[n] for n in columns.phone]
        self.column["email"], self.index["email"] = columns.email[0], self.emails[0]
        if self.phones:
            self.column["phone"], self.index["phone"] = columns.phone[0], self.phones[0]
        self.text_fields = [(f, self.index[f]) for f in _TEXT_FIELDS if f in self.index]
        self.region = settings.phone_region or ""
        self.dates = DateColumn(self.column.get("send_date", ""), settings.date_order)
        self.pending_dates: list[tuple[SourceRow, AmbiguousDate]] = []
        # Custom fields are the named columns no lead field claims (a country column is
        # sent too); SourceRow.lead builds them from `values` when the lead is needed.
        self.custom = tuple(n for n in names if fields[n] in ("custom", "country")
                            and n not in unnamed)
        # What each row asks of the columns, decided here once: a column's position, or
        # -1 where the sheet has none (a dict lookup and a membership test per field and
        # row cost ~1 µs of the ~10 a row takes).
        at = self.index.get
        self.email_at = self.emails[0] if len(self.emails) == 1 else -1
        self.full_name_at, self.name_at = at("full_name", -1), at("name", -1)
        self.name_column = "full_name" if self.full_name_at >= 0 else "name"
        self.phone_at = self.phones[0] if len(self.phones) == 1 else -1
        self.country_code_at, self.country_at = at("country_code", -1), at("country", -1)
        self.country_column = self.column.get("country", "country")
        self.assistant_at, self.schedule_at = at("assistant_email", -1), at("schedule_id", -1)
        self.send_date_at, self.action_at, self.id_at = (
            at("send_date", -1), at("action", -1), at("id", -1))

    def parse(self, number: int, cells: Sequence[object]) -> tuple[SourceRow, str | None] | None:
        """(row, email key for duplicates) or None for a blank row."""
        # Most cells are NUL-free strings: strip them inline, skipping a call per cell.
        texts = [
            v.strip(STRIP) if type(v) is str and "\x00" not in v else clean_text(v)
            for v in cells
        ]
        errors: list[RowError] = []
        warnings: list[RowError] = []
        if len(texts) != self.width:
            if len(texts) < self.width:
                texts.extend([""] * (self.width - len(texts)))
            else:
                extra = sum(1 for t in texts[self.width :] if t)
                del texts[self.width :]
                if extra:
                    errors.append(RowError(number, None, f"{extra} more cell(s) than the header "
                                           "has columns (a delimiter inside an unquoted value?)"))
        if not errors and not any(texts):
            return None
        if self.nul:
            warnings.extend(RowError(number, self.names[i], "NUL bytes removed")
                            for i, v in enumerate(cells[:self.width])
                            if type(v) is str and "\x00" in v)
        if max(map(len, texts)) > MAX_CELL_LENGTH:
            errors.extend(
                RowError(number, self.names[i], f"the cell holds {len(t):,} characters; a "
                         f"spreadsheet cell holds at most {MAX_CELL_LENGTH:,}")
                for i, t in enumerate(texts) if len(t) > MAX_CELL_LENGTH
            )
        # texts is the header's width by now; zip's strict check cost 0.4 µs a row.
        values = dict(zip(self.names, texts))  # noqa: B905
        # The lead's fields, checked in the order their errors are listed: email, name,
        # the text fields, phone, then assistant, sequence, send date, action and id.
        data: dict[str, Any] = {}
        key: str | None = None
        email, at = ((texts[self.email_at], self.email_at) if self.email_at >= 0
                     else self._first(texts, self.emails))
        if not email:
            errors.append(RowError(number, self.column["email"], "email is missing"))
        else:
            try:
                data["email"] = key = clean_email(email)
            except CellError as exc:
                errors.append(RowError(number, self.names[at], str(exc)))
            if key == TEMPLATE_EXAMPLE_EMAIL:
                errors.append(RowError(number, self.column["email"],
                                       "this is the template's example row: delete it"))
        if self.full_name_at >= 0:
            self._full_name(texts[self.full_name_at], data)
        elif name := texts[self.name_at]:
            data["name"] = name
        for fieldname, i in self.text_fields:
            if texts[i]:
                data[fieldname] = texts[i]
        if "name" not in data:
            errors.append(RowError(number, self.column[self.name_column], "name is missing"))
        if self.phones:
            self._phone(texts, data, warnings, number)
        pending = self._special(number, cells, texts, data, errors)
        row = SourceRow(number, values, None, errors, fields=None if errors else data,
                        custom=self.custom, warnings=warnings)
        if pending is not None:
            self.pending_dates.append((row, pending))
        return row, key

    def _first(self, texts: list[str], indexes: list[int]) -> tuple[str, int]:
        """The first non-blank of several columns of one kind (emails, phones)."""
        for i in indexes:
            if texts[i]:
                return texts[i], i
        return "", indexes[0]

    def _full_name(self, text: str, data: dict[str, Any]) -> None:
        # "Jane Doe" -> Jane, Doe; "Doe, Jane" (as CRMs sort them) -> Jane, Doe.
        last, comma, first = text.partition(",")
        if not comma:
            first, _, last = text.partition(" ")
        if first.strip():
            data["name"] = first.strip()
            if last.strip() and "last_name" not in data:
                data["last_name"] = " ".join(last.split())
        elif text:
            data["name"] = text

    def _phone(self, texts: list[str], data: dict[str, Any], warnings: list[RowError],
               number: int) -> None:
        phone, at = ((texts[self.phone_at], self.phone_at) if self.phone_at >= 0
                     else self._first(texts, self.phones))
        if not phone:
            return
        sent, warning = read_phone(
            phone,
            country_code=texts[self.country_code_at] if self.country_code_at >= 0 else "",
            country=texts[self.country_at] if self.country_at >= 0 else "",
            region=self.region,
            country_column=self.country_column,
        )
        if sent is not None:
            data["phone"] = sent
        if warning:
            warnings.append(RowError(number, self.names[at], warning))

    def _special(self, number: int, cells: Sequence[object], texts: list[str],
                 data: dict[str, Any], errors: list[RowError]) -> AmbiguousDate | None:
        column = self.column
        if self.assistant_at >= 0 and (assistant := texts[self.assistant_at]):
            if "@" in assistant:
                try:
                    data["assistant_email"] = clean_email(assistant)
                except CellError as exc:
                    # "invalid email ...": said once, as the assistant's
                    errors.append(RowError(number, column["assistant_email"],
                                           f"not an assistant's email or name: {exc}"
                                           .replace("invalid email ", "", 1)))
            else:  # an assistant's name: the planner, which knows the assistants, resolves it
                data["assistant_name"] = assistant
        if self.schedule_at >= 0 and (schedule := texts[self.schedule_at]):
            try:
                data["schedule_id"] = clean_int(schedule, "sequence id")
            except CellError as exc:
                errors.append(RowError(number, column["schedule_id"], str(exc)))
        pending = None
        if (i := self.send_date_at) >= 0 and texts[i]:
            raw = cells[i] if not isinstance(cells[i], str) else texts[i]
            self.dates.add(raw, number)
            try:
                data["send_date"] = clean_date(raw, self.today, self.dates.order)
            except AmbiguousDate as exc:
                pending = exc  # its column decides, once every row is read
            except CellError as exc:
                errors.append(RowError(number, column["send_date"], str(exc)))
        action = "create"
        if self.action_at >= 0:
            try:
                data["action"] = action = clean_action(texts[self.action_at])
            except CellError as exc:
                errors.append(RowError(number, column["action"], str(exc)))
        if self.id_at >= 0 and (lead_id := texts[self.id_at]):
            try:
                data["id"] = clean_int(lead_id, "lead id")
            except CellError as exc:
                # A CRM's own record id ("0031x00000AbCdE") in an "Id" column only matters
                # when the row updates or stops a 7Targets lead.
                if action != "create":
                    errors.append(RowError(number, column["id"], f"{exc}: update and stop "
                                           "need the 7Targets lead id (or leave it blank)"))
        return pending

    def settle_dates(self) -> str | None:
        """Give the ambiguous send dates their column's order; the one message for a
        column nothing decides (None when every date is read)."""
        if not self.pending_dates:
            return None
        order = self.dates.decided()
        column = self.column["send_date"]
        for row, ambiguous in self.pending_dates:
            if order is None:
                row.fail(ColumnRowError(row.row, column, f"{ambiguous}, or set date_order"))
                continue
            day = ambiguous.read(order)
            if day < self.today:
                row.fail(RowError(row.row, column, f"send date {day.isoformat()} is in the past"))
            else:
                row.set_field("send_date", day)
        return None if order is not None else self.dates.undecided(self.pending_dates[0][1].text)
