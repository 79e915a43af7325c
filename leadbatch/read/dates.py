"""Send dates: whatever a spreadsheet or a person wrote into a day, or a clear error
(ambiguous, incomplete, impossible or past), never a guess.

Numeric dates are read per column (`DateColumn`): when any date in the column can only
be day-first (23/04/2027) or only month-first (04/23/2027), the whole column reads that
way; dotted dates (03.12.2026) are day-first, as everywhere they are written; the
`date_order` setting decides a column that nothing else decides.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from dateutil import parser as date_parser

from ..text import clean_text
from .cells import CellError, shown

Order = Literal["dmy", "mdy", "ymd"]

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01, after Excel's 1900 leap bug
_MAX_SERIAL = 2958465  # 9999-12-31
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MONTH_WORD = re.compile(r"[^\W\d_]{3,}")
_DEFAULTS = (dt.datetime(2001, 1, 1), dt.datetime(2002, 2, 2))
# "20. Nov. 2024", "14 Nov 24": the worded styles of 7Targets' own example, read without
# dateutil's tokenizer (~180 µs a date, twice); dateutil's month names and two-digit-year
# window keep the result identical to the full parse below.
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]{3,9})\.?,?\s+(\d{4}|\d{2})")
_DATE_INFO = date_parser.parserinfo()


class AmbiguousDate(CellError):
    """A numeric date that reads both ways (03/04/2027): its column decides (DateColumn)."""

    def __init__(self, text: str, first: int, second: int, year: int) -> None:
        self.text, self.first, self.second, self.year = text, first, second, year
        a, b = dt.date(year, second, first), dt.date(year, first, second)
        super().__init__(f"ambiguous date {shown(text)}: {a.day} {a:%B %Y} or {b.day} "
                         f"{b:%B %Y}? write it as YYYY-MM-DD")

    def read(self, order: Order) -> dt.date:
        if order == "mdy":
            return dt.date(self.year, self.first, self.second)
        return dt.date(self.year, self.second, self.first)


def clean_date(value: object, today: dt.date, order: Order | None = None) -> dt.date | None:
    """A send date from a cell (None when blank); CellError for unreadable, ambiguous
    (AmbiguousDate, when `order` does not decide it) or past."""
    if value is None or value == "":
        return None
    day = _to_date(value, order)
    if day < today:
        raise CellError(f"send date {day.isoformat()} is in the past")
    return day


def numeric_order(value: object) -> Order | None:
    """The order a numeric date can only be read in: 23/04/2027 -> "dmy", 04/23/2027 ->
    "mdy", 03.12.2026 -> "dmy" (dotted); None when it does not tell."""
    if not isinstance(value, str) or not (match := _NUMERIC.fullmatch(value)):
        return None
    first, second = int(match[1]), int(match[2])
    if "." in value or first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


@dataclass
class DateColumn:
    """One date column's numeric dates: the ambiguous ones wait for the column's order.

    `order` is the setting; `add` a cell's evidence; `decided` the order the column
    reads in (its evidence when all of it agrees, else the setting), or None.
    """

    name: str
    order: Order | None = None
    seen: dict[Order, int] = field(default_factory=dict)  # order -> first row showing it

    def add(self, value: object, row: int) -> None:
        found = numeric_order(value)
        if found is not None:
            self.seen.setdefault(found, row)

    def decided(self) -> Order | None:
        if len(self.seen) == 1:
            return next(iter(self.seen))
        return self.order

    def undecided(self, example: str) -> str:
        """The one message for a column whose ambiguous dates nothing decides."""
        if len(self.seen) > 1:
            mixed = (f' mixes day-first (row {self.seen["dmy"]}) and month-first (row '
                     f'{self.seen["mdy"]}) dates, and')
        else:
            mixed = ""
        return (f'column "{self.name}"{mixed} has dates like {shown(example)} that read '
                'either way: set date_order = "dmy" or "mdy" in leadbatch.toml [read], '
                "or pass --date-order dmy|mdy")


def _to_date(value: object, order: Order | None) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellError(f'not a date: {shown(clean_text(value))}')
    if isinstance(value, int | float):
        return _from_number(value, clean_text(value))
    text = clean_text(value)
    if not text:
        raise CellError("not a date: blank")
    try:
        return _from_text(text, order)
    except ValueError as exc:
        if isinstance(exc, CellError):
            raise
        raise CellError(f'no such date: {shown(text)}') from None


def _from_number(value: float, text: str) -> dt.date:
    if 1 <= value <= _MAX_SERIAL:
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    match = _COMPACT.fullmatch(text)
    if match:  # 20250403 typed as a number
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    raise CellError(f'not a date: {shown(text)}')


def _from_text(text: str, order: Order | None) -> dt.date:
    if match := _ISO.fullmatch(text) or _YMD.fullmatch(text):
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.fullmatch(text):
        return _day_month(text, int(match[1]), int(match[2]), match[3], order)
    if _SERIAL.fullmatch(text):
        return _from_number(float(text), text)
    if match := _COMPACT.fullmatch(text):
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    if _MONTH_WORD.search(text):
        return _worded(text)
    raise CellError(f'not a date: {shown(text)} (write it as YYYY-MM-DD)')


def _day_month(text: str, first: int, second: int, year_text: str,
               order: Order | None) -> dt.date:
    if order == "ymd" and len(year_text) == 2:  # 27/04/23: year, month, day
        return dt.date(2000 + first, second, int(year_text))
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if first > 12 and second > 12:
        raise CellError(f'no such date: {shown(text)}')
    if "." in text or first > 12 >= second:  # dotted dates are day-first
        return dt.date(year, second, first)
    if second > 12 >= first or first == second:
        return dt.date(year, first, second)
    if order == "mdy":
        return dt.date(year, first, second)
    if order == "dmy":
        return dt.date(year, second, first)
    raise AmbiguousDate(text, first, second, year)


def _worded(text: str) -> dt.date:
    if (match := _DAY_MONTH_YEAR.fullmatch(text)) and (month := _DATE_INFO.month(match[2])):
        year = int(match[3])
        year = year if year > 99 else _DATE_INFO.convertyear(year)
        with contextlib.suppress(ValueError):  # no such day: the full parse says so
            return dt.date(year, month, int(match[1]))
    # Parse against two different defaults: if any part (day, month, year) was missing,
    # the two results differ and the date is incomplete rather than silently filled in.
    try:
        first, second = (date_parser.parse(text, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        raise CellError(f'not a date: {shown(text)} (write it as YYYY-MM-DD)') from None
    if first.date() != second.date():
        raise CellError(f'incomplete date {shown(text)}: it needs a day, month and year')
    return dt.date(first.year, first.month, first.day)
