"""The reader on files written by other libraries: every format, every Excel habit."""

import csv
import datetime as dt
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sheet_writers import (
    write_csv,
    write_ods,
    write_openpyxl,
    write_xls,
    write_xlsxwriter,
)

from leadbatch.errors import InputFileError
from leadbatch.models import CustomField, RowStatus
from leadbatch.read import LeadSheet, parse_rows, read_leads

TODAY = dt.date(2026, 1, 15)

UPLOAD_HEADER = [
    "First_Name", "Last_Name", "Email_ID", "Country_Code", "Phone_Number", "Lead Company",
    "Start Email Sending Date",
]


def read(path: Path) -> LeadSheet:
    return read_leads(path, today=TODAY)


def fatal(path: Path) -> str:
    with pytest.raises(InputFileError) as err:
        read(path)
    return str(err.value)


# --- formats -------------------------------------------------------------------------------

ROWS = [
    ["Name", "Email", "Phone", "Company"],
    ["José Müller", "Jose@Example.org", "+49 151 23456789", "Zürich, Süd; AG | x"],
    ["Ann", "ann@example.org", "", "Tab\there"],
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    sheet = read(write_csv(tmp_path / "leads.csv", ROWS, delimiter=delimiter))
    assert [r.lead.email for r in sheet.rows if r.lead] == ["jose@example.org", "ann@example.org"]
    assert sheet.rows[0].values["Company"] == "Zürich, Süd; AG | x"
    assert sheet.rows[1].values["Company"] == "Tab\there"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    sheet = read(write_csv(tmp_path / "leads.csv", ROWS, encoding=encoding))
    assert sheet.headers == ["Name", "Email", "Phone", "Company"]  # no BOM in the first header
    first = sheet.rows[0].lead
    assert first is not None
    assert first.name == "José Müller"
    assert first.custom_fields == (CustomField(name="Company", value="Zürich, Süd; AG | x"),)


def test_csv_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("sep=;\nName;Email\nAnn;ann@x.io\n", encoding="utf-8")
    sheet = read(path)
    assert [(r.row, r.values) for r in sheet.rows] == [(2, {"Name": "Ann", "Email": "ann@x.io"})]


EXCEL_ROWS = [
    ["First Name", "E-mail", "Phone Number", "Send Date", "Notes"],
    ["Ann ", " ANN@X.io", 919123456789, dt.datetime(2027, 5, 3), "  note  "],
    [None, None, None, None, None],
    ["Bob", "bob@x.io", None, None, None],
]


@pytest.mark.parametrize(
    ("suffix", "writer"),
    [
        (".xlsx", write_openpyxl),
        (".xlsx", write_xlsxwriter),
        (".xlsm", lambda p, rows: write_xlsxwriter(p, rows, vba=True)),
        (".xls", write_xls),
        (".ods", write_ods),
    ],
    ids=["xlsx-openpyxl", "xlsx-xlsxwriter", "xlsm", "xls-xlwt", "ods-odfpy"],
)
def test_workbook_formats_and_excel_habits(tmp_path: Path, suffix: str, writer: object) -> None:
    path = tmp_path / f"leads{suffix}"
    writer(path, EXCEL_ROWS)  # type: ignore[operator]
    sheet = read(path)
    assert sheet.fields == {
        "First Name": "name", "E-mail": "email", "Phone Number": "phone",
        "Send Date": "send_date", "Notes": "custom",
    }
    assert [r.row for r in sheet.rows] == [2, 4]  # the blank row 3 is skipped, not renumbered
    ann = sheet.rows[0]
    assert ann.values == {
        "First Name": "Ann", "E-mail": "ANN@X.io", "Phone Number": "919123456789",
        "Send Date": "2027-05-03", "Notes": "note",
    }
    assert ann.lead is not None
    assert ann.lead.name == "Ann"
    assert ann.lead.email == "ann@x.io"
    assert ann.lead.phone == "+919123456789"  # not 9.19123456789E11, no ".0"
    assert ann.lead.send_date == dt.date(2027, 5, 3)
    assert ann.lead.custom_fields == (CustomField(name="Notes", value="note"),)
    assert sheet.rows[1].lead is not None and sheet.rows[1].lead.custom_fields == ()


def test_formula_cells_use_their_cached_values(tmp_path: Path) -> None:
    path = write_xlsxwriter(tmp_path / "leads.xlsx", [
        ["Name", "Email", "Send Date", "Score"],
        [("=PROPER(\"ann\")", "Ann"), ("=LOWER(\"ANN@X.IO\")", "ann@x.io"),
         ("=DATE(2027,5,3)", 46510), ("=1/0", "#DIV/0!")],
    ])
    row = read(path).rows[0]
    assert row.lead is not None
    assert (row.lead.name, row.lead.email, row.lead.send_date) == ("Ann", "ann@x.io", dt.date(2027, 5, 3))
    assert row.values["Score"] == ""  # an error result is not sent as a value


def test_date_serials_and_7targets_date_styles(tmp_path: Path) -> None:
    path = write_openpyxl(tmp_path / "leads.xlsx", [
        ["Name", "Email", "Start Email Sending Date"],
        ["A", "a@x.io", "2027-11-20"],
        ["B", "b@x.io", "2027-11-14T00:00:00"],
        ["C", "c@x.io", "20. Nov. 2027"],
        ["D", "d@x.io", "14 Nov 27"],
        ["E", "e@x.io", 46461],  # a bare serial, as pasted values leave it
        ["F", "f@x.io", dt.datetime(2027, 11, 21, 0, 0)],
    ])
    sheet = read(path)
    assert [r.lead.send_date.isoformat() for r in sheet.rows if r.lead and r.lead.send_date] == [
        "2027-11-20", "2027-11-14", "2027-11-20", "2027-11-14", "2027-03-15", "2027-11-21",
    ]


def test_sheet_starting_below_and_right_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = write_openpyxl(tmp_path / "leads.xlsx", [
        ["Name", "Email", None],
        ["Ann", "ann@x.io", "orphan"],
        ["", "", ""],
        ["Bob", "bob", ""],
    ], start="C4")
    sheet = read(path)
    assert sheet.headers == ["Name", "Email", "column 5"]
    assert [str(e) for e in sheet.problems()] == [
        'row 7, column Email: invalid email "bob": no @',
    ]
    assert sheet.rows[0].row == 5
    assert sheet.rows[0].values["column 5"] == "orphan"  # kept for the workbooks...
    assert sheet.rows[0].lead is not None and sheet.rows[0].lead.custom_fields == ()  # not sent


def test_first_visible_sheet_is_read(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.append(["nothing", "here"])
    hidden.sheet_state = "hidden"
    leads = book.create_sheet("Leads")
    leads.append(["Name", "Email"])
    leads.append(["Ann", "ann@x.io"])
    book.save(tmp_path / "leads.xlsx")
    assert [r.values for r in read(tmp_path / "leads.xlsx").rows] == [{"Name": "Ann", "Email": "ann@x.io"}]


# --- rows: the 7Targets upload layout, errors, duplicates, custom fields -------------------


def test_7targets_upload_sheet(tmp_path: Path) -> None:
    path = write_openpyxl(tmp_path / "upload.xlsx", [
        [*UPLOAD_HEADER, "Linkedin Profile URL", "Assistant"],
        ["John", "Doe", "John.Doe@Gmail.com ", 91, 9123456789, "Tesla", "2027-11-20",
         "https://linkedin.com/in/jd", "Lyra@7targets.7ts-d.com"],
    ])
    lead = read(path).rows[0].lead
    assert lead is not None
    assert lead.api_body() == {
        "name": "John",
        "lastName": "Doe",
        "email": "john.doe@gmail.com",
        "phone": "+919123456789",
        "assistantEmail": "lyra@7targets.7ts-d.com",
        "customFields": [
            {"name": "Lead Company", "value": "Tesla"},
            {"name": "Linkedin Profile URL", "value": "https://linkedin.com/in/jd"},
        ],
    }
    assert lead.send_date == dt.date(2027, 11, 20)


def test_bad_rows_give_row_errors_and_good_rows_come_through(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [
        ["Name", "Email", "Country_Code", "Phone", "Send Date", "Action", "id", "Sequence ID"],
        ["Ann", "ann@x.io", "91", "9123456789", "", "", "", ""],
        ["", "no-at-sign", "", "", "03/04/2027", "", "", ""],
        ["Cy", "cy@x.io", "999", "9123456789", "2020-01-01", "delete", "", "x"],
        ["Di", "di@x.io", "", "", "", "update", "0031x00000AbCdE", ""],
        ["Ed", "ed@x.io", "", "", "", "create", "0031x00000AbCdE", "42"],
    ])
    sheet = read(path)
    assert [str(e) for e in sheet.problems()] == [
        'row 3, column Email: invalid email "no-at-sign": no @',
        "row 3, column Name: name is missing",
        'row 4, column Sequence ID: sequence id "x" is not a positive whole number',
        "row 4, column Send Date: send date 2020-01-01 is in the past",
        'row 4, column Action: unknown action "delete" (use create, update or stop)',
        'row 5, column id: lead id "0031x00000AbCdE" is not a positive whole number: '
        "update and stop need the 7Targets lead id (or leave it blank)",
    ]
    # The column's one numeric date reads either way: said once for the column.
    assert sheet.column_problems == [
        'column "Send Date" has dates like "03/04/2027" that read either way: set date_order '
        '= "dmy" or "mdy" in leadbatch.toml [read], or pass --date-order dmy|mdy']
    # An unknown Country_Code is a warning: the phone is optional, the lead is not.
    assert [str(w) for w in sheet.warnings()] == [
        'row 4, column Phone: Country_Code "999" is not a country leadbatch knows; phone '
        '"9123456789" has no country: sent as written; fill Country_Code or a country column, '
        "or set phone_region (--phone-region CC)"]
    assert [r.row for r in sheet.valid_rows] == [2, 6]
    assert [r.row for r in sheet.invalid_rows] == [3, 4, 5]
    assert all(r.lead is None for r in sheet.invalid_rows)
    ed = sheet.rows[-1].lead
    assert ed is not None and ed.id is None and ed.schedule_id == 42  # a CRM id on a create row is ignored


def test_duplicates_are_flagged_on_the_later_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [
        ["Name", "Email"],
        ["Ann", "ann@x.io"],
        ["Bob", "bob@x.io"],
        ["Ann again", " ANN@X.IO "],
        ["Bob bad", "BOB@x.io"],
        ["Ann thrice", "Ann@x.io"],
    ])
    sheet = read(path)
    assert [(r.row, r.duplicate_of) for r in sheet.duplicate_rows] == [(4, 2), (5, 3), (6, 2)]
    assert [r.status for r in sheet.rows] == [None, None, RowStatus.DUPLICATE,
                                              RowStatus.DUPLICATE, RowStatus.DUPLICATE]
    assert [str(e) for e in sheet.problems()] == [
        "row 4, column Email: duplicate of row 2 (same email)",
        "row 5, column Email: duplicate of row 3 (same email)",
        "row 6, column Email: duplicate of row 2 (same email)",
    ]


def test_unknown_columns_become_custom_fields_blanks_left_out(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [
        ["Name", "Email", "Lead Company", "Lead Designation", "Notes", "Notes", "Phone", "Mobile"],
        ["Ann", "ann@x.io", "Acme", "", "n1", "n2", "+919123456789", "+447700900123"],
    ])
    sheet = read(path)
    assert sheet.headers == ["Name", "Email", "Lead Company", "Lead Designation", "Notes",
                             "Notes (2)", "Phone", "Mobile"]
    assert sheet.fields["Mobile"] == "custom"  # a second phone column: the first wins
    lead = sheet.rows[0].lead
    assert lead is not None
    assert lead.phone == "+919123456789"
    assert lead.custom_fields == (
        CustomField(name="Lead Company", value="Acme"),
        CustomField(name="Notes", value="n1"),
        CustomField(name="Notes (2)", value="n2"),
        CustomField(name="Mobile", value="+447700900123"),
    )


def test_csv_formula_like_text_stays_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [
        ["Name", "Email", "A", "B", "C", "D"],
        ["=HYPERLINK(\"x\")", "ann@x.io", "=1+2", "+44 20", "-5", "@SUM(A1)"],
    ])
    lead = read(path).rows[0].lead
    assert lead is not None
    assert lead.name == '=HYPERLINK("x")'
    assert [c.value for c in lead.custom_fields] == ["=1+2", "+44 20", "-5", "@SUM(A1)"]


def test_multiline_quoted_field_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [
        ["Name", "Email", "Notes"],
        ["Ann", "ann@x.io", "line one\nline two\nline three"],
        ["", "", ""],
        ["Bob", "bob", ""],
    ])
    sheet = read(path)
    assert sheet.rows[0].values["Notes"] == "line one\nline two\nline three"
    assert [str(e) for e in sheet.problems()] == ['row 4, column Email: invalid email "bob": no @']


def test_nul_bytes_are_stripped(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"Name,Email\nAn\x00n,ann@x.io\x00\n")
    assert [r.values for r in read(path).rows] == [{"Name": "Ann", "Email": "ann@x.io"}]


def test_row_longer_than_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Name,Email,Company\nAnn,ann@x.io,Acme, Inc\nBob,bob@x.io,,\n", encoding="utf-8")
    sheet = read(path)
    assert [str(e) for e in sheet.problems()] == [
        "row 2: 1 more cell(s) than the header has columns (a delimiter inside an unquoted value?)"
    ]
    assert [r.row for r in sheet.valid_rows] == [3]  # an empty extra cell is harmless


def test_template_example_row_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [["name", "email"], ["John", "john.doe@example.com"]])
    assert [str(e) for e in read(path).problems()] == [
        "row 2, column email: this is the template's example row: delete it"
    ]


def test_parse_rows_parses_like_read_leads(tmp_path: Path) -> None:
    rows = [["Ann", "ANN@x.io", 919123456789.0], ["", "", ""], ["Bob", "ann@x.io", None]]
    sheet = parse_rows(["Name", "Email", "Phone"], [(5, rows[0]), (6, rows[1]), (9, rows[2])],
                       source="plan.xlsx", today=TODAY)
    assert sheet.path == Path("plan.xlsx")
    assert [(r.row, r.status) for r in sheet.rows] == [(5, None), (9, RowStatus.DUPLICATE)]
    assert sheet.rows[0].lead is not None and sheet.rows[0].lead.phone == "+919123456789"
    assert sheet.rows[1].duplicate_of == 5


# --- fatal files ---------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_bytes(b"")
    assert fatal(tmp_path / "leads.csv") == f"{tmp_path / 'leads.csv'}: the file is empty"


def test_header_only_has_no_data_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [["Name", "Email"], ["", ""], [" ", ""]])
    assert fatal(path) == f"{path}: no data rows"
    xlsx = write_openpyxl(tmp_path / "leads.xlsx", [["Name", "Email"]])
    assert fatal(xlsx) == f"{xlsx}: no data rows"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["Name", "Company"], 'no email column (call it "Email" or "Email_ID", or map one '
                              'with --map "HEADER=email"; the header row has: Name, Company)'),
        (["Email", "Company"], 'no name column (call it "Name" or "First_Name", or map one '
                               'with --map "HEADER=name"; the header row has: Email, Company)'),
        (["Company", "City"], 'no email or name column (call it "Email" or "Email_ID" and '
                              '"Name" or "First_Name", or map one with --map "HEADER=email"; '
                              "the header row has: Company, City)"),
        (["Name", "Email", "Send Date", "Start Email Sending Date"],
         'columns "Send Date" and "Start Email Sending Date" both mean sendDate: '
         'delete or rename one, or map one with --map "Start Email Sending Date=custom"'),
    ],
)
def test_header_problems_are_fatal(tmp_path: Path, header: list[str], message: str) -> None:
    path = write_csv(tmp_path / "leads.csv", [header, ["x"] * len(header)])
    assert fatal(path) == f"{path}: {message}"


def test_xlsx_that_is_really_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.xlsx", ROWS)
    assert fatal(path) == f"{path}: not an Excel file (it looks like text/CSV)"
    html = tmp_path / "export.xls"
    html.write_text("<html><table><tr><td>Name</td></tr></table></html>", encoding="utf-8")
    assert fatal(html) == f"{html}: not an Excel file (it looks like an HTML page)"
    ods = write_csv(tmp_path / "leads.ods", ROWS)
    assert fatal(ods) == f"{ods}: not an OpenDocument spreadsheet (it looks like text/CSV)"


def test_csv_that_is_really_a_workbook(tmp_path: Path) -> None:
    path = write_openpyxl(tmp_path / "leads.xlsx", EXCEL_ROWS)
    renamed = path.rename(tmp_path / "leads.csv")
    assert fatal(renamed) == (
        f"{renamed}: not a CSV file (it looks like an Excel .xlsx workbook); rename it to match"
    )


def test_xls_content_under_xlsx_name_still_reads(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "leads.xls", EXCEL_ROWS).rename(tmp_path / "leads.xlsx")
    assert [r.row for r in read(path).valid_rows] == [2, 4]


def test_corrupt_zip(tmp_path: Path) -> None:
    whole = write_openpyxl(tmp_path / "whole.xlsx", EXCEL_ROWS).read_bytes()
    path = tmp_path / "leads.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert fatal(path) == (
        f"{path}: cannot be read as an Excel file: the file is damaged or incomplete "
        "(download or save it again)"
    )


def test_zip_without_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "leads.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes.txt", "hello")
    assert fatal(path) == f"{path}: not an Excel file (it is a zip archive without a workbook in it)"


def test_empty_workbook_sheet(tmp_path: Path) -> None:
    path = write_openpyxl(tmp_path / "leads.xlsx", [])
    assert fatal(path) == f'{path}: the first sheet "Sheet" is empty'


def test_missing_file_directory_and_unreadable_path(tmp_path: Path) -> None:
    assert fatal(tmp_path / "nope.csv") == f"{tmp_path / 'nope.csv'}: no such file"
    assert fatal(tmp_path) == f"{tmp_path}: is a folder, not a file"
    afile = write_csv(tmp_path / "leads.csv", ROWS)
    inside = afile / "leads.csv"  # a path through a file cannot be opened
    assert fatal(inside) == f"{inside}: cannot read the file: Not a directory"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_permission_denied(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", ROWS)
    path.chmod(0)
    assert fatal(path) == f"{path}: cannot read the file: permission denied"


def test_binary_file_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(bytes(range(256)) * 8)
    assert fatal(path) == f"{path}: not a CSV file (it contains binary data)"


def test_unclosed_quote_is_fatal_not_a_silent_swallow(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text('Name,Email\nAnn,ann@x.io\n"Bob,bob@x.io\nCy,cy@x.io\n', encoding="utf-8")
    assert fatal(path) == (
        f'{path}: row 3: a quote (") opens a value that is never closed; '
        "fix that row (everything after it would be lost)"
    )


def test_quote_inside_a_value_is_read_as_excel_does(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text('Name,Email,Screen\n"Bob" Smith,bob@x.io,15" wide\n', encoding="utf-8")
    assert [r.values for r in read(path).rows] == [
        {"Name": "Bob Smith", "Email": "bob@x.io", "Screen": '15" wide'}
    ]


# --- round trip ----------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs"),
                           exclude_characters="\u200b\u200c\u200d\u2060\ufeff"),
    min_size=1,
    max_size=20,
)
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_email = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.from_regex(r"[A-Za-z0-9_%+-]{1,10}(\.[A-Za-z0-9_%+-]{1,5}){0,2}", fullmatch=True),
    _label,
    st.sampled_from(["com", "io", "co", "example"]),
)
_value = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"), max_size=30
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(leads=st.lists(st.tuples(_text, _email, _value), min_size=1, max_size=8,
                      unique_by=lambda t: t[1].lower()))
def test_csv_round_trip(tmp_path: Path, leads: list[tuple[str, str, str]]) -> None:
    """Leads written by the csv module come back equal (names, emails, custom values)."""
    path = tmp_path / "round.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "email", "Notes"])
        writer.writerows(leads)
    sheet = read(path)
    assert sheet.problems() == []
    got = [
        (r.lead.name, r.lead.email, r.lead.custom_fields[0].value if r.lead.custom_fields else "")
        for r in sheet.rows if r.lead
    ]
    from leadbatch.text import STRIP

    assert got == [(n, e.lower(), v.strip(STRIP)) for n, e, v in leads]
