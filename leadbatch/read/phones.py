"""Phone numbers: a cell and the row's country into an international number (E.164).

The phone is optional for the API, the lead is not: `read_phone` never costs a lead. It
resolves a number by its own `+`/`00` prefix, else the row's Country_Code, else the
row's country column, else the `phone_region` setting, else digits that form a valid
international number with `+` in front; what none of these resolves is sent as written,
with a warning saying what to set. `clean_phone` is the strict step underneath.

Runs once per row of 100,000-row sheets: the common national and international shapes
are built from cached number lengths without phonenumbers' string parser (~40 µs a call).
"""

from __future__ import annotations

import functools
import re

import phonenumbers

from .cells import CellError, shown
from .countries import country_region

_PHONE_JUNK = re.compile(r"[\s().\-/]+")
_DIGITS = re.compile(r"[0-9]+")
# "+1 650-253-0000 ext. 204", "x204", "#204", "Durchwahl 12": kept, after the number.
_EXTENSION = re.compile(
    r"[\s,;]*(?:ext\.?|extn\.?|extension|x|#|durchwahl|poste|int\.?)\s*:?\s*(\d{1,7})\s*$",
    re.IGNORECASE,
)
_NOT_A_NUMBER = re.compile(r"[^\d\s().\-/+]")


def read_phone(text: str, *, country_code: str = "", country: str = "", region: str = "",
               country_column: str = "country") -> tuple[str | None, str]:
    """(the phone to send, or None; a warning, or "") for a phone cell and what the row and
    the settings say of its country. Never raises: a phone that cannot be used is a warning.
    """
    written = text.strip()
    if written[:1] == "'":  # Excel's apostrophe marks a cell as text
        written = written[1:].strip()
    # Bare digits (a phone stored as a number) have nothing to remove: skip the regex.
    compact = (written if written.isascii() and written.isdigit()
               else _PHONE_JUNK.sub("", written))
    extension = ""
    if not (compact.isdecimal() or (compact[:1] == "+" and compact[1:].isdecimal())):
        number = written  # letters or signs: an extension, or not a phone at all
        match = _EXTENSION.search(written)
        if match:
            number, extension = written[:match.start()], f" ext. {match[1]}"
        if _NOT_A_NUMBER.search(number) or not any(c.isdigit() for c in number):
            return None, f"phone {shown(text)} is not a phone number: not sent"
        compact = _PHONE_JUNK.sub("", number)
    if compact.startswith(("+", "00")):
        try:
            return _clean(compact, text, "") + extension, ""
        except CellError as exc:
            return written, f"{exc}: sent as written"
    notes: list[str] = []
    wrong: CellError | None = None
    for label, value in (("Country_Code", country_code), (country_column, country),
                         ("phone_region", region)):
        if not value:
            continue
        try:
            return _clean(compact, text, value) + extension, "; ".join(notes)
        except PhoneCountryError:
            notes.append(f"{label} {shown(value)} is not a country leadbatch knows")
        except CellError as exc:
            wrong = exc  # the row's country is known: the number is what is wrong
            break
    international = _as_international(compact)
    if international is not None:
        return international + extension, "; ".join(notes)
    if wrong is not None:
        notes.append(f"{wrong}: sent as written")
    else:
        notes.append(f"phone {shown(text)} has no country: sent as written; fill Country_Code "
                     "or a country column, or set phone_region (--phone-region CC)")
    return written, "; ".join(notes)


def _as_international(compact: str) -> str | None:
    """Digits that are a valid number with `+` in front (Excel drops a typed number's +)."""
    if len(compact) < 11 or compact.startswith("0") or not compact.isdecimal():
        return None
    try:
        number = phonenumbers.parse("+" + compact, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return None


class PhoneCountryError(CellError):
    """The Country_Code cell, not the phone cell, is what is wrong."""


def clean_phone(text: str, country_code: str = "") -> str:
    """An international number like "+919123456789", or CellError: the strict step.

    A number starting with + stands on its own; otherwise `country_code` ("91", "+91",
    "IN", "UK", "India", "Deutschland") says where it is from. A bare number with no
    country code is read as international only when it is long enough to carry one and
    valid that way (Excel drops the + of a phone typed as a number).
    """
    return _clean(_PHONE_JUNK.sub("", text), text, country_code)


def _clean(compact: str, text: str, country_code: str) -> str:
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
        if not compact.startswith("0") and not (trunk and trunk.match(compact)):
            pattern, lengths, idd = _national(region)
            if len(compact) in lengths and pattern.fullmatch(compact) and not idd.match(compact):
                # Starts with the country code's digits ("9179246858" in India) yet is a
                # whole national number: phonenumbers strips a typed-again code only when
                # the number is not one as it stands, by these same lengths and pattern
                # (maybe_extract_country_code), so the answer is known without its ~45 µs
                # parse (a tenth of the sheet's rows in the bench's data).
                return _e164(code, compact, text)
        if trunk is _ZERO and compact.startswith("0") and compact[1:2] not in ("", "0"):
            # "020 7946 0018" where the trunk prefix is just "0" (most of Europe, India):
            # dropping it is all phonenumbers would do, at a tenth of its cost.
            return _e164(code, compact[1:], text)
        try:
            return _parsed(phonenumbers.parse(compact, region), text)
        except phonenumbers.NumberParseException:
            raise CellError(f'invalid phone number {shown(text)}') from None
    international = _as_international(compact)
    if international is not None:
        return international
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
    """(calling code, region, trunk-prefix pattern) for a Country_Code cell: a calling
    code ("91", "+91", "0091"), an ISO code ("IN", "UK") or a country's name."""
    code = country_code.strip().lstrip("+").strip()
    if code.isdecimal():
        region = str(phonenumbers.region_code_for_country_code(int(code.removeprefix("00"))))
        number = int(code.removeprefix("00"))
    else:
        region = country_region(code) or "ZZ"
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


_NEVER = re.compile(r"(?!)")


@functools.lru_cache(maxsize=256)
def _national(region: str) -> tuple[re.Pattern[str], tuple[int, ...], re.Pattern[str]]:
    """The region's whole national number (phonenumbers' general_desc: pattern and
    lengths) and its international dialling prefix (a number starting with it is not
    national)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    desc = meta.general_desc if meta is not None else None
    if meta is None or desc is None or not desc.national_number_pattern:
        return _NEVER, (), _NEVER
    lengths = tuple(n for n in desc.possible_length if n > 0)
    idd = re.compile(meta.international_prefix) if meta.international_prefix else _NEVER
    return re.compile(desc.national_number_pattern), lengths, idd


_ZERO = re.compile("0")  # the plain trunk prefix: clean_phone strips it itself
