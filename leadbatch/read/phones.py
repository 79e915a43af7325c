"""Phone numbers: a cell and the row's country into an international number (E.164).

Runs once per row of 100,000-row sheets: the common national and international shapes
are built from cached number lengths without phonenumbers' string parser (~40 µs a call).
"""

from __future__ import annotations

import functools
import re

import phonenumbers

from .cells import CellError, shown

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
