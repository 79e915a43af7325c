"""The input's own cells back as numbers and dates where that loses nothing.

The reader keeps every cell as the text a person sees (`text.clean_text`): a number cell
of an xlsx becomes "1250.5", a date cell "2026-03-02", a CSV cell stays what it was.
Workbooks echo those cells; `typed_cell` turns them back into a number or a date when the
text reads back as exactly the same text (`clean_text` of what a spreadsheet reader gets
from the typed cell), so that a sum or a sort works, and `read_back` (retry) still gets
the text it got before. What stays text, on purpose:

- the columns of lead fields (phone, country code, id, sendDate, ...): the reader
  validates them and the user edits them as they are; only custom columns are typed;
- columns whose header says they hold codes (`id`, `zip`, `postal`, `code`, `phone`,
  `number`, ...): an id or a zip code is not a quantity, even when all digits;
- anything that would not come back the same: leading zeros (`02134`), more than 15
  significant digits, trailing zeros after the point (`1.50`), `+`, `-` or a space at the
  front (so text that starts with `-` stays text, as every cell starting with `=+-@`);
- whole numbers of 10 digits or more (phone-like digit strings);
- dates other than ISO `YYYY-MM-DD` (`20. Nov. 2024` stays as written).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence

from ..text import clean_text

_NUMBER = re.compile(r"(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,15})?")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CODE_WORDS = re.compile(
    r"(?:^|[^a-z])(?:id|ids|zip|zipcode|postal|postcode|plz|cep|code|phone|mobile|tel|fax|"
    r"number|no|nr|num|ref|sku|ean|upc|isbn|vat|tax|account|iban)(?:[^a-z]|$)")
_CAMEL_ID = re.compile(r"[a-z0-9](?:Id|ID|Ids|IDs)$")  # leadId, AccountID (not "Paid")
DIGITS = frozenset("0123456789")

# Only these columns are typed; lead fields stay as read (validated, edited as text).
_TYPED_FIELDS = frozenset({"custom", "ignore"})


def typed_cell(text: str) -> str | int | float | dt.datetime:
    """`text` as a number or a date when it reads back as the same text, else as is."""
    if _NUMBER.fullmatch(text):
        number: int | float = float(text) if "." in text else int(text)
        if len(text.replace(".", "").lstrip("0")) <= 15 and clean_text(number) == text:
            return number
        return text
    if len(text) == 10 and _ISO_DAY.fullmatch(text):
        try:
            day = dt.datetime.strptime(text, "%Y-%m-%d")
        except ValueError:
            return text
        if 1900 <= day.year <= 9999:
            return day
    return text


def typed_columns(headers: Sequence[str], fields: Mapping[str, str]) -> list[int]:
    """Positions in `headers` of the columns to type: custom ones without a code header."""
    return [i for i, h in enumerate(headers)
            if fields.get(h, "custom") in _TYPED_FIELDS and not _is_code(h)]


def _is_code(header: str) -> bool:
    return bool(_CODE_WORDS.search(header.lower()) or _CAMEL_ID.search(header))


def type_cells(cells: list[object], positions: Iterable[int]) -> None:
    """Type the cells at `positions` in place (the rest are leadbatch's own or fields)."""
    for i in positions:
        v = cells[i]
        # Most cells (names, companies, URLs) start with a letter: one cheap test.
        if type(v) is str and v and v[0] in DIGITS:
            cells[i] = typed_cell(v)
