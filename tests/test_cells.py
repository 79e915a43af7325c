import datetime as dt

import phonenumbers
import pytest

from leadbatch.read.cells import (
    CellError,
    clean_action,
    clean_email,
    clean_int,
)
from leadbatch.read.dates import clean_date
from leadbatch.read.headers import field_for_header, normalize_header
from leadbatch.read.phones import PhoneCountryError, clean_phone
from leadbatch.text import clean_text

TODAY = dt.date(2026, 1, 15)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("First Name", "name"),
        ("First_Name", "name"),
        ("first-name", "name"),
        ("NAME", "name"),
        ("Last Name", "last_name"),
        ("lastName", "last_name"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("Email_ID", "email"),
        (" email ", "email"),
        ("Phone Number", "phone"),
        ("Mobile", "phone"),
        ("Phone_Number", "phone"),
        ("Country_Code", "country_code"),
        ("Assistant", "assistant_email"),
        ("assistantEmail", "assistant_email"),
        ("Sequence", "schedule_name"),
        ("scheduleName", "schedule_name"),
        ("scheduleId", "schedule_id"),
        ("Send Date", "send_date"),
        ("Start Email Sending Date", "send_date"),
        ("sendDate", "send_date"),
        ("Action", "action"),
        ("id", "id"),
        ("source", "source"),
        ("context", "context"),
        ("additionalInformationLine", "additional_information_line"),
        ("Lead Company", "custom"),
        ("Lead Designation", "custom"),
        ("Linkedin Profile URL", "custom"),
        ("location", "custom"),
    ],
)
def test_headers_match_aliases_ignoring_case_spaces_underscores_hyphens(
    header: str, field: str
) -> None:
    assert field_for_header(header) == field


def test_normalize_header() -> None:
    assert normalize_header(" E-Mail_Address ") == "emailaddress"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (9.19123456789e11, "919123456789"),
        (91.0, "91"),
        (1.5, "1.5"),
        (0.1 + 0.2, "0.3"),
        (7, "7"),
        (True, "TRUE"),
        (None, ""),
        ("  Priya\u00a0", "Priya"),
        ("\u200bzero width\ufeff", "zero width"),
        ("a\x00b", "ab"),
        ("two\nlines ", "two\nlines"),
        (dt.datetime(2027, 3, 1), "2027-03-01"),
        (dt.datetime(2027, 3, 1, 9, 30), "2027-03-01T09:30:00"),
        (dt.date(2027, 3, 1), "2027-03-01"),
    ],
)
def test_clean_text_shows_what_excel_shows(value: object, text: str) -> None:
    assert clean_text(value) == text


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("John.Doe@Gmail.com", "john.doe@gmail.com"),
        (" john@x.io ", "john@x.io"),
        ("o'brien+leads@mail.example.co.uk", "o'brien+leads@mail.example.co.uk"),
        ("mailto:ann@x.io", "ann@x.io"),
        ("josé@exämple.de", "josé@exämple.de"),
        ("a@xn--bcher-kva.example", "a@xn--bcher-kva.example"),
        ("first_last@sub-domain.x.io", "first_last@sub-domain.x.io"),
    ],
)
def test_valid_emails_are_lower_cased(raw: str, email: str) -> None:
    assert clean_email(raw) == email


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("john.doe.gmail.com", 'invalid email "john.doe.gmail.com": no @'),
        ("john@", 'invalid email "john@": nothing after the @'),
        ("@x.io", 'invalid email "@x.io": nothing before the @'),
        ("a@b@x.io", 'invalid email "a@b@x.io": more than one @'),
        ("jane@x", 'invalid email "jane@x": the domain "x" has no dot (like example.com)'),
        ("john doe@x.io", 'invalid email "john doe@x.io": contains a space'),
        ("a@x.io, b@y.io", 'invalid email "a@x.io, b@y.io": more than one address in the cell'),
        ("john..doe@x.io", 'invalid email "john..doe@x.io": two dots in a row'),
        (".john@x.io", 'invalid email ".john@x.io": the part before the @ starts or ends with a dot'),
        ("john@x.io.", 'invalid email "john@x.io.": the domain "x.io." is not a valid domain name'),
        ("john@-x.io", 'invalid email "john@-x.io": the domain "-x.io" is not a valid domain name'),
        ("john@x_y.io", 'invalid email "john@x_y.io": the domain "x_y.io" is not a valid domain name'),
        ("john@x.i0", 'invalid email "john@x.i0": the domain "x.i0" is not a valid domain name'),
        ("jo(h)n@x.io", 'invalid email "jo(h)n@x.io": character not allowed: ( )'),
        ("John <john@x.io>",
         'invalid email "John <john@x.io>": write only the address, without a name or < >'),
        ("a" * 65 + "@x.io",
         f'invalid email "{"a" * 65}@x.io": the part before the @ is longer than 64 characters'),
        ("a@" + "b" * 250 + ".io",
         f'invalid email "a@{"b" * 250}.io": longer than 254 characters'),
    ],
)
def test_invalid_emails_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(CellError) as err:
        clean_email(raw)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("phone", "code", "e164"),
    [
        ("+919123456789", "", "+919123456789"),
        ("+91 91234 56789", "", "+919123456789"),
        ("+1 (202) 555-0143", "", "+12025550143"),
        ("0044 20 7946 0018", "", "+442079460018"),
        ("919123456789", "", "+919123456789"),  # Excel ate the +: long enough, valid with it
        ("9123456789", "91", "+919123456789"),
        ("9123456789", "+91", "+919123456789"),
        ("9123456789", "IN", "+919123456789"),
        ("919123456789", "91", "+919123456789"),  # country code typed twice
        ("020 7946 0018", "44", "+442079460018"),  # trunk 0 dropped
        ("+39 06 6982 1234", "", "+390669821234"),  # Italy keeps its leading 0
        ("+447700900123", "91", "+447700900123"),  # a + number stands on its own
    ],
)
def test_phones_become_international(phone: str, code: str, e164: str) -> None:
    assert clean_phone(phone, code) == e164


@pytest.mark.parametrize(
    ("phone", "code", "message"),
    [
        ("9123456789", "",
         'phone number "9123456789" has no country code: start it with + or fill Country_Code'),
        ("12345", "91", 'invalid phone number "12345": too short for +91'),
        ("+91 12345", "", 'invalid phone number "+91 12345": too short for +91'),
        ("+1 202 555 01439999", "", 'invalid phone number "+1 202 555 01439999": too long for +1'),
        ("call me", "", 'invalid phone number "call me": only digits, spaces, ( ) - . and + allowed'),
        ("+999 123456", "", 'invalid phone number "+999 123456": unknown country code'),
    ],
)
def test_bad_phones(phone: str, code: str, message: str) -> None:
    with pytest.raises(CellError) as err:
        clean_phone(phone, code)
    assert str(err.value) == message


def test_bad_country_code_blames_the_country_code_cell() -> None:
    with pytest.raises(PhoneCountryError) as err:
        clean_phone("9123456789", "999")
    assert str(err.value) == 'unknown country code "999" (use a number like 91 or +1)'


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2027-11-20", dt.date(2027, 11, 20)),
        ("2027-11-14T00:00:00", dt.date(2027, 11, 14)),
        ("2027-11-14 09:30", dt.date(2027, 11, 14)),
        ("20. Nov. 2027", dt.date(2027, 11, 20)),
        ("14 Nov 27", dt.date(2027, 11, 14)),
        ("Nov 14, 2027", dt.date(2027, 11, 14)),
        ("14 November 2027", dt.date(2027, 11, 14)),
        ("2027/11/20", dt.date(2027, 11, 20)),
        ("20/11/2027", dt.date(2027, 11, 20)),  # only one reading: day first
        ("11/20/2027", dt.date(2027, 11, 20)),  # only one reading: month first
        ("04.04.2027", dt.date(2027, 4, 4)),  # both readings agree
        ("20271120", dt.date(2027, 11, 20)),
        ("46461", dt.date(2027, 3, 15)),  # an Excel serial that became text
        (46461.0, dt.date(2027, 3, 15)),  # an Excel serial
        (46461.75, dt.date(2027, 3, 15)),  # a serial with a time
        (20271120, dt.date(2027, 11, 20)),
        (dt.datetime(2027, 3, 1, 12, 0), dt.date(2027, 3, 1)),
        (dt.date(2027, 3, 1), dt.date(2027, 3, 1)),
        ("", None),
        (None, None),
        (TODAY.isoformat(), TODAY),  # today is not the past
    ],
)
def test_dates_in_every_style(value: object, day: dt.date | None) -> None:
    assert clean_date(value, TODAY) == day


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("03/04/2027",
         'ambiguous date "03/04/2027": 3 April 2027 or 4 March 2027? write it as YYYY-MM-DD'),
        ("3-4-27", 'ambiguous date "3-4-27": 3 April 2027 or 4 March 2027? write it as YYYY-MM-DD'),
        ("2024-11-20", "send date 2024-11-20 is in the past"),
        (dt.date(2025, 1, 1), "send date 2025-01-01 is in the past"),
        (45000, "send date 2023-03-15 is in the past"),
        ("31/02/2027", 'no such date: "31/02/2027"'),
        ("2027-02-30", 'no such date: "2027-02-30"'),
        ("Nov 2027", 'incomplete date "Nov 2027": it needs a day, month and year'),
        ("next tuesday", 'not a date: "next tuesday" (write it as YYYY-MM-DD)'),
        ("soon", 'not a date: "soon" (write it as YYYY-MM-DD)'),
        ("1.2.3.4", 'not a date: "1.2.3.4" (write it as YYYY-MM-DD)'),
        (-3.0, 'not a date: "-3"'),
        (True, 'not a date: "TRUE"'),
    ],
)
def test_bad_dates_are_errors_not_guesses(value: object, message: str) -> None:
    with pytest.raises(CellError) as err:
        clean_date(value, TODAY)
    assert str(err.value) == message


@pytest.mark.parametrize(("text", "action"), [("", "create"), ("Update", "update"), ("STOP", "stop")])
def test_actions(text: str, action: str) -> None:
    assert clean_action(text) == action


def test_unknown_action() -> None:
    with pytest.raises(CellError, match=r'^unknown action "delete" \(use create, update or stop\)$'):
        clean_action("delete")


def test_ids() -> None:
    assert clean_int("2345", "lead id") == 2345
    assert clean_int("2345.0", "lead id") == 2345
    for bad in ("0", "-1", "12a", "1.5", "²"):
        with pytest.raises(CellError, match="is not a positive whole number"):
            clean_int(bad, "lead id")


@pytest.mark.parametrize("region", ["GB", "DE", "FR", "IN", "NL", "ZA", "TR"])
def test_national_numbers_with_trunk_zero_match_phonenumbers(region: str) -> None:
    # clean_phone drops a plain "0" trunk prefix itself; phonenumbers is the reference.
    code = phonenumbers.country_code_for_region(region)
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        assert example is not None
        national = "0" + phonenumbers.national_significant_number(example)
        parsed = phonenumbers.parse(national, region)
        expected = f"+{parsed.country_code}{phonenumbers.national_significant_number(parsed)}"
        assert clean_phone(national, str(code)) == expected
