"""Send dates: whatever a spreadsheet or a person wrote into a day, or a clear error
(ambiguous, incomplete, impossible or past), never a guess.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re

from dateutil import parser as date_parser

from ..text import clean_text
from .cells import CellError, shown

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


def clean_date(value: object, today: dt.date) -> dt.date | None:
    """A send date from a cell (None when blank); CellError for unreadable, ambiguous or past."""
    if value is None or value == "":
        return None
    day = _to_date(value)
    if day < today:
        raise CellError(f"send date {day.isoformat()} is in the past")
    return day


def _to_date(value: object) -> dt.date:
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
        return _from_text(text)
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


def _from_text(text: str) -> dt.date:
    if match := _ISO.fullmatch(text) or _YMD.fullmatch(text):
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.fullmatch(text):
        return _day_month(text, int(match[1]), int(match[2]), match[3])
    if _SERIAL.fullmatch(text):
        return _from_number(float(text), text)
    if match := _COMPACT.fullmatch(text):
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    if _MONTH_WORD.search(text):
        return _worded(text)
    raise CellError(f'not a date: {shown(text)} (write it as YYYY-MM-DD)')


def _day_month(text: str, first: int, second: int, year_text: str) -> dt.date:
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if first > 12 >= second:
        return dt.date(year, second, first)
    if second > 12 >= first:
        return dt.date(year, first, second)
    if first == second:
        return dt.date(year, first, second)
    if first > 12 and second > 12:
        raise CellError(f'no such date: {shown(text)}')
    a, b = dt.date(year, second, first), dt.date(year, first, second)
    raise CellError(
        f'ambiguous date {shown(text)}: {a.day} {a:%B %Y} or {b.day} {b:%B %Y}? '
        "write it as YYYY-MM-DD"
    )


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
