"""Cleaning single cell values: headers, text, emails, phone numbers, dates, actions, ids.

Every cleaner takes what a spreadsheet reader produced (str, int, float, bool, date,
datetime...) and returns a clean value or raises `CellError` with a message a sales-ops
person understands. Nothing here knows about rows or files. These run once per cell of
100,000-row sheets, so the common, already-clean case takes a fast path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from typing import Final

import phonenumbers
from dateutil import parser as date_parser

from ..models import ACTIONS, Action
from ..text import clean_text

MAX_EMAIL_LENGTH: Final = 254  # RFC 5321 path limit, minus the angle brackets
MAX_LOCAL_LENGTH: Final = 64


class CellError(ValueError):
    """A cell that cannot be used; `str()` is the message shown for the row."""


# --- headers -------------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[\W_]+")

# normalised header -> Lead field (python name), or the reader-only "country_code".
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "firstname", "first", "fname", "givenname", "forename", "fullname",
             "contactname"),
    "last_name": ("lastname", "surname", "last", "lname", "familyname"),
    "email": ("email", "emailaddress", "emailid", "mail", "mailid", "workemail"),
    "phone": ("phone", "phonenumber", "phoneno", "mobile", "mobilenumber", "mobilephone",
              "mobilephonenumber", "mobileno", "telephone", "tel", "cellphone",
              "contactnumber"),
    "country_code": ("countrycode", "phonecountrycode", "dialcode", "isdcode"),
    "assistant_email": ("assistant", "assistantemail", "assistantemailid", "assistantemailaddress"),
    "schedule_id": ("scheduleid", "sequenceid"),
    "schedule_name": ("schedulename", "schedule", "sequence", "sequencename"),
    "send_date": ("senddate", "sendingdate", "sendon", "startemailsendingdate",
                  "emailsendingdate"),
    "action": ("action",),
    "id": ("id", "leadid"),
    "source": ("source", "leadsource"),
    "context": ("context",),
    "additional_information_line": ("additionalinformationline", "additionalinformation",
                                    "additionalinfo"),
}
HEADER_FIELDS: Final[dict[str, str]] = {
    alias: fieldname for fieldname, aliases in _ALIASES.items() for alias in aliases
}

# Fields where two columns would make the row ambiguous (which email? which date?): fatal.
# For the rest (a CRM export's "Phone" and "Mobile"), the first column wins and later ones
# are kept as custom fields.
SINGLE_COLUMN_FIELDS: Final = frozenset(
    {"name", "email", "assistant_email", "schedule_id", "schedule_name", "send_date",
     "action", "id", "country_code"}
)


def normalize_header(header: str) -> str:
    """Header text compared ignoring case, spaces, underscores, hyphens and punctuation."""
    return _NOT_ALNUM.sub("", header.casefold())


def field_for_header(header: str) -> str:
    """The Lead field a header means, "country_code", or "custom"."""
    return HEADER_FIELDS.get(normalize_header(header), "custom")


# --- text ----------------------------------------------------------------------------------



MAX_SHOWN: Final = 300  # characters of a cell quoted in a message (the sheet has the rest)
_ESCAPES: Final = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """Cell text quoted for a one-line message.

    A newline in a cell must not start a line of its own in the output (where it could
    pass for another message), an invisible character must be seen, and a 50 MB cell
    must not become a 50 MB message: control and invisible characters are escaped,
    long text is cut.
    """
    part = text[:MAX_SHOWN]
    if not part.isprintable() or '"' in part or "\\" in part:
        part = "".join(_ESCAPES.get(c) or shown_char(c) for c in part)
    if len(text) > MAX_SHOWN:
        return f'"{part}…" ({len(text):,} characters)'
    return f'"{part}"'


def shown_char(c: str) -> str:
    """A character as itself if it is visible, else as its escape (\\u200b)."""
    if c.isprintable():
        return c
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


# --- email ---------------------------------------------------------------------------------

# Dot-atom local part (RFC 5322 without quoted strings or comments, which no CRM produces)
# and a hostname domain of at least two labels with an alphabetic (or punycode) TLD.
# \w is Unicode-aware, so internationalised addresses pass.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL = re.compile(
    r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
    rf"@(?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}})"
)


def clean_email(text: str) -> str:
    """A syntactically valid email, lower-cased; CellError saying what is wrong otherwise."""
    email = text.strip().lower()
    if email.startswith("mailto:"):
        email = email[7:].strip()
    if (
        len(email) <= MAX_EMAIL_LENGTH
        and _EMAIL.fullmatch(email)
        and email.index("@") <= MAX_LOCAL_LENGTH
        and "_" not in email[email.index("@") :]
    ):
        return email
    raise CellError(f'invalid email {shown(text)}: {_email_problem(email)}')


def _email_problem(email: str) -> str:
    # Only reached for bad addresses, so clarity matters more than speed here.
    if "<" in email and email.rstrip().endswith(">"):
        return "write only the address, without a name or < >"
    if any(c.isspace() for c in email):
        if any(sep in email for sep in ",;") or email.count("@") > 1:
            return "more than one address in the cell"
        if "\n" in email or "\r" in email:
            return "contains a line break"
        return "contains a space"
    if "@" not in email:
        return "no @"
    if email.count("@") > 1:
        return "more than one @"
    local, domain = email.split("@")
    if not local:
        return "nothing before the @"
    if not domain:
        return "nothing after the @"
    if len(email) > MAX_EMAIL_LENGTH:
        return f"longer than {MAX_EMAIL_LENGTH} characters"
    if len(local) > MAX_LOCAL_LENGTH:
        return f"the part before the @ is longer than {MAX_LOCAL_LENGTH} characters"
    if ".." in email:
        return "two dots in a row"
    if local.startswith(".") or local.endswith("."):
        return "the part before the @ starts or ends with a dot"
    if "." not in domain:
        return f'the domain {shown(domain)} has no dot (like example.com)'
    bad = sorted({c for c in email if not (c.isalnum() or c in ".@-_!#$%&'*+/=?^`{|}~")})
    if bad:
        return "character not allowed: " + " ".join(map(shown_char, bad))
    return f'the domain {shown(domain)} is not a valid domain name'


# --- phone ---------------------------------------------------------------------------------

_PHONE_JUNK = re.compile(r"[\s().\-/]+")
_DIGITS = re.compile(r"[0-9]+")
class PhoneCountryError(CellError):
    """The Country_Code cell, not the phone cell, is what is wrong."""


def clean_phone(text: str, country_code: str = "") -> str:
    """An international number like "+919123456789".

    A number starting with + stands on its own; otherwise Country_Code ("91", "+91",
    "IN") says where it is from. A bare number with no country code is read as
    international only when it is long enough to carry one and valid that way (Excel
    drops the + of a phone typed as a number); anything else is an error, not a guess.
    """
    compact = _PHONE_JUNK.sub("", text)
    if compact.startswith("00") and compact[2:].isdecimal():
        compact = "+" + compact[2:]  # 0044... is how Europe dials +44...
    if compact.startswith("+"):
        return _international(compact, text)
    if not _DIGITS.fullmatch(compact):
        raise CellError(f'invalid phone number {shown(text)}: only digits, spaces, ( ) - . and + allowed')
    if country_code:
        code, region, trunk = _country(country_code)
        if not (compact.startswith((str(code), "0")) or (trunk and trunk.match(compact))):
            # Plainly national (no trunk prefix, no country code typed again): build the
            # number directly rather than pay for phonenumbers' string parsing.
            return _e164(code, compact, text)
        if trunk is _ZERO and compact.startswith("0") and compact[1:2] not in ("", "0"):
            # "020 7946 0018" where the trunk prefix is just "0" (most of Europe, India):
            # dropping it is all phonenumbers would do, at a tenth of its cost.
            return _e164(code, compact[1:], text)
        try:
            return _parsed(phonenumbers.parse(compact, region), text)
        except phonenumbers.NumberParseException:
            raise CellError(f'invalid phone number {shown(text)}') from None
    if len(compact) >= 11 and not compact.startswith("0"):
        try:
            number = phonenumbers.parse("+" + compact, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise CellError(
        f'phone number {shown(text)} has no country code: start it with + or fill Country_Code'
    )


def _international(compact: str, text: str) -> str:
    digits = compact[1:]
    if not _DIGITS.fullmatch(digits):
        raise CellError(f'invalid phone number {shown(text)}: only digits, spaces, ( ) - . and + allowed')
    # Fast path: split off the country calling code ourselves (codes are prefix-free) and
    # skip phonenumbers' string parsing, which costs ~40 µs a row.
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and len(digits) > size:
            national = digits[size:]
            if national.startswith("0"):
                break  # Italian-style leading zero: let the full parser decide
            return _e164(code, national, text)
    try:
        return _parsed(phonenumbers.parse(compact, None), text)
    except phonenumbers.NumberParseException:
        raise CellError(f'invalid phone number {shown(text)}: unknown country code') from None


def _parsed(number: phonenumbers.PhoneNumber, text: str) -> str:
    return _e164(number.country_code, phonenumbers.national_significant_number(number), text)


def _e164(code: int | None, national: str, text: str) -> str:
    # The check phonenumbers.is_possible_number makes (the number of digits for the
    # country), done on cached lengths; a local-only number lacks its area code.
    lengths = _possible_lengths(code or 0)
    if not lengths:
        raise CellError(f'invalid phone number {shown(text)}: unknown country code')
    size = len(national)
    if size in lengths:
        return f"+{code}{national}"
    if size < lengths[0]:
        problem = "too short"
    elif size > lengths[-1]:
        problem = "too long"
    else:
        problem = "wrong number of digits"
    raise CellError(f'invalid phone number {shown(text)}: {problem} for +{code}')


@functools.lru_cache(maxsize=512)
def _possible_lengths(code: int) -> tuple[int, ...]:
    region = phonenumbers.region_code_for_country_code(code)
    meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if meta is None or meta.general_desc is None:
        return ()
    return tuple(sorted(n for n in meta.general_desc.possible_length if n > 0))


@functools.lru_cache(maxsize=256)
def _country(country_code: str) -> tuple[int, str, re.Pattern[str] | None]:
    """(calling code, region, trunk-prefix pattern) for a Country_Code cell."""
    code = country_code.strip().lstrip("+").strip()
    if code.isdecimal():
        region = str(phonenumbers.region_code_for_country_code(int(code)))
        number = int(code)
    else:
        region = code.upper()
        number = phonenumbers.country_code_for_region(region)
    if region == "ZZ" or not number:
        raise PhoneCountryError(
            f'unknown country code {shown(country_code)} (use a number like 91 or +1)'
        )
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = meta.national_prefix_for_parsing if meta is not None else None
    if trunk == "0" and meta is not None and meta.national_prefix_transform_rule is None:
        return number, region, _ZERO
    return number, region, re.compile(trunk) if trunk else None


_ZERO = re.compile("0")  # the plain trunk prefix: clean_phone strips it itself


# --- dates ---------------------------------------------------------------------------------

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


# --- small fields --------------------------------------------------------------------------


def clean_action(text: str) -> Action:
    """create (the default for a blank cell), update or stop, in any case."""
    if not text:
        return "create"
    action = text.strip().lower()
    for known in ACTIONS:
        if action == known:
            return known
    raise CellError(f'unknown action {shown(text)} (use create, update or stop)')


def clean_int(text: str, what: str) -> int:
    """A positive whole number (a lead or sequence id), from "2345" or "2345.0"."""
    number = text[:-2] if text.endswith(".0") else text
    if number.isascii() and number.isdigit() and int(number) > 0:
        return int(number)
    raise CellError(f'{what} {shown(text)} is not a positive whole number')
