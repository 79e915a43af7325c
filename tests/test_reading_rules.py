"""The reading rules for real exports: phones, headers, dates per column, title and footer
lines, explicit mappings. Files are written with the csv module and openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sheet_writers import write_csv, write_openpyxl

from leadbatch.config import ReadSettings
from leadbatch.errors import InputFileError, UsageError
from leadbatch.read import read_leads
from leadbatch.read.countries import country_region
from leadbatch.read.phones import read_phone

TODAY = dt.date(2026, 12, 1)


def read(path: Path, **settings: object) -> object:
    return read_leads(path, today=TODAY, settings=ReadSettings(**settings))  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "where", "sent", "warning"), [
    ("(650) 253-0000", {"country": "United States"}, "+16502530000", ""),
    ("07911 123456", {"country_code": "UK"}, "+447911123456", ""),
    ("030 1234567", {"country": "Deutschland"}, "+49301234567", ""),
    ("098765 43210", {"region": "IN"}, "+919876543210", ""),
    ("9876543210", {"country_code": "India"}, "+919876543210", ""),
    ("+1 650-253-0000 ext. 204", {}, "+16502530000 ext. 204", ""),
    ("(650) 253-0000 x12", {"region": "US"}, "+16502530000 ext. 12", ""),
    ("'+44 20 7946 0958", {}, "+442079460958", ""),
    ("0044 20 7946 0958", {}, "+442079460958", ""),
    ("919876543210", {}, "+919876543210", ""),
    ("(650) 253-0000", {}, "(650) 253-0000",
     'phone "(650) 253-0000" has no country: sent as written; fill Country_Code or a '
     "country column, or set phone_region (--phone-region CC)"),
    ("9876543210", {"country_code": "Atlantis", "region": "IN"}, "+919876543210",
     'Country_Code "Atlantis" is not a country leadbatch knows'),
    ("12345", {"country_code": "91"}, "12345",
     'invalid phone number "12345": too short for +91: sent as written'),
    ("call me", {}, None, 'phone "call me" is not a phone number: not sent'),
])
def test_phones_never_cost_the_lead(text: str, where: dict[str, str], sent: str | None,
                                    warning: str) -> None:
    assert read_phone(text, **where) == (sent, warning)


@pytest.mark.parametrize(("text", "region"), [
    ("UK", "GB"), ("United States", "US"), ("USA", "US"), ("India", "IN"), ("Indien", "IN"),
    ("Royaume-Uni", "GB"), ("États-Unis", "US"), ("Estados Unidos", "US"), ("Österreich", "AT"),
    ("Nederland", "NL"), ("Brasil", "BR"), ("Vereinigtes Königreich", "GB"), ("Atlantis", None),
])
def test_country_names_in_the_export_languages(text: str, region: str | None) -> None:
    assert country_region(text) == region


def test_a_country_column_resolves_phones_and_is_still_sent(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [["Name", "Email", "Phone", "Country/Region"],
                                          ["Ann", "a@x.io", "(650) 253-0000", "United States"]])
    sheet = read(path)
    lead = sheet.rows[0].lead
    assert lead is not None and lead.phone == "+16502530000"
    assert [(c.name, c.value) for c in lead.custom_fields] == [("Country/Region", "United States")]


def test_first_name_wins_over_full_name_and_several_emails_take_the_first_filled(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "l.csv", [
        ["Full Name", "First Name", "Last Name", "Email - Work", "Email - Home", "Email Status"],
        ["Ann Lee", "Ann", "Lee", "", "ann@home.io", "valid"],
        ["Bob Day", "Bob", "Day", "bob@work.io", "bob@home.io", "valid"],
    ])
    sheet = read(path)
    assert sheet.fields == {"Full Name": "custom", "First Name": "name", "Last Name": "last_name",
                            "Email - Work": "email", "Email - Home": "custom",
                            "Email Status": "custom"}
    assert [r.email for r in sheet.rows] == ["ann@home.io", "bob@work.io"]
    assert sheet.notes == ['"Full Name" is kept as a custom field: "First Name" is the first name']


def test_vorname_and_name_are_first_and_family_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [["Vorname", "Name", "E-Mail"], ["Jürgen", "Müller", "j@x.de"]])
    lead = read(path).rows[0].lead
    assert lead is not None and (lead.name, lead.last_name) == ("Jürgen", "Müller")


def test_map_and_columns_say_which_column_is_which(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [["Contact", "Work e-mail", "Kontaktnummer", "Notes"],
                                          ["Ann", "a@x.io", "+44 20 7946 0958", "x"]])
    sheet = read(path, columns={"Contact": "firstName", "Kontaktnummer": "phone"},
                 mapped={"Work e-mail": "email", "Notes": "ignore"})
    lead = sheet.rows[0].lead
    assert lead is not None
    assert (lead.name, lead.email, lead.phone, lead.custom_fields) == (
        "Ann", "a@x.io", "+442079460958", ())
    with pytest.raises(UsageError, match=r'--map "Mail=\.\.\.": .* has no column "Mail"'):
        read(path, mapped={"Mail": "email"})
    with pytest.raises(UsageError, match="unknown field"):
        read(path, mapped={"Work e-mail": "e-mail address"})


def test_dates_are_read_per_column(tmp_path: Path) -> None:
    us = write_csv(tmp_path / "us.csv", [["Name", "Email", "Send Date"],
                                         ["A", "a@x.io", "12/3/2026"], ["B", "b@x.io", "12/23/2026"]])
    assert [r.send_date for r in read(us).rows] == [dt.date(2026, 12, 3), dt.date(2026, 12, 23)]
    eu = write_csv(tmp_path / "eu.csv", [["Name", "Email", "Send Date"],
                                         ["A", "a@x.io", "03/12/2026"], ["B", "b@x.io", "23/12/2026"]])
    assert [r.send_date for r in read(eu).rows] == [dt.date(2026, 12, 3), dt.date(2026, 12, 23)]
    dotted = write_csv(tmp_path / "de.csv", [["Name", "Email", "Send Date"], ["A", "a@x.io", "03.12.2026"]])
    assert read(dotted).rows[0].send_date == dt.date(2026, 12, 3)  # type: ignore[attr-defined]
    alone = write_csv(tmp_path / "one.csv", [["Name", "Email", "Send Date"], ["A", "a@x.io", "03/04/2027"]])
    sheet = read(alone)
    assert sheet.rows[0].lead is None
    assert sheet.problems() == [] and len(sheet.column_problems) == 1
    assert read(alone, date_order="mdy").rows[0].send_date == dt.date(2027, 3, 4)
    assert read(alone, date_order="dmy").rows[0].send_date == dt.date(2027, 4, 3)


def test_a_reports_title_lines_and_footer_are_skipped_with_a_note(tmp_path: Path) -> None:
    path = write_openpyxl(tmp_path / "report.xlsx", [
        ["Leads report"], ["Filtered by: Owner = me"], [None],
        ["First Name", "Email"], ["Ann", "a@x.io"], ["Bob", "b@x.io"], [None],
        ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."],
        ["Generated By:  Jane  12/1/2026, 9:15 AM"],
    ])
    sheet = read(path)
    assert [r.row for r in sheet.rows] == [5, 6]
    assert sheet.notes == [
        "rows 1-3 above the header (row 4) are skipped: a report's title lines",
        "rows 8-9 below the data are skipped: a report's footer ('Copyright (c) 2000-2026 "
        "salesforce.com, inc. All rights reserved.')",
    ]


def test_a_blank_row_then_a_real_row_is_not_a_footer(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [["Name", "Email"], ["Ann", "a@x.io"], [], ["Bob"],
                                          ["Cy", "c@x.io"]])
    sheet = read(path)
    assert [r.row for r in sheet.rows] == [2, 4, 5] and sheet.notes == []


def test_no_header_anywhere_still_says_how_to_map(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [["Who", "Where"], ["Ann", "a@x.io"]])
    with pytest.raises(InputFileError, match='--map "HEADER=email"'):
        read(path)


def test_a_bad_assistant_email_is_said_once_plainly(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [["Name", "Email", "Assistant"],
                                          ["Ann", "a@x.io", "lyra@7targets"], ["Bob", "b@x.io", "Lyra"]])
    sheet = read(path)
    assert [str(e) for e in sheet.problems()] == [
        'row 2, column Assistant: not an assistant\'s email or name: "lyra@7targets": the '
        'domain "7targets" has no dot (like example.com)']
    assert sheet.rows[1].assistant_name == "Lyra"  # type: ignore[attr-defined]
