"""`leadbatch validate` and `leadbatch template`: exact output lines and exit codes."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sheet_writers import write_csv, write_openpyxl

from leadbatch.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, out, err


def test_valid_sheet_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "leads.csv", [
        ["First_Name", "Email_ID", "Lead Company"], ["Ann", "ann@x.io", "Acme"],
    ])
    code, out, err = run(capsys, "validate", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{path}: columns: First_Name -> name, Email_ID -> email; custom fields: Lead Company",
        f"{path}: 1 rows read: 1 valid, 0 invalid, 0 duplicate",
    ]


def test_problems_one_line_each_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_openpyxl(tmp_path / "messy.xlsx", [
        ["Name", "Email", "Send Date", "Action"],
        ["Ann", "ann@x.io", None, None],
        ["", "bad@", "2020-01-01", None],
        [None, None, None, None],
        ["Ann 2", "ANN@x.io ", None, "create"],
        ["Cy", "cy@x.io", None, "remove"],
    ])
    code, out, err = run(capsys, "validate", str(path))
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f'{path}: row 3, column Email: invalid email "bad@": nothing after the @',
        f"{path}: row 3, column Name: name is missing",
        f"{path}: row 3, column Send Date: send date 2020-01-01 is in the past",
        f"{path}: row 5, column Email: duplicate of row 2 (same email)",
        f'{path}: row 6, column Action: unknown action "remove" (use create, update or stop)',
        f"{path}: columns: Name -> name, Email -> email, Send Date -> send_date, Action -> action",
        f"{path}: 4 rows read: 1 valid, 2 invalid, 1 duplicate",
    ]


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "leads.csv", [
        ["Name", "Email", "Notes"], ["Ann", "ann@x.io", ""], ["Bob", "ANN@X.IO", ""],
    ])
    code, out, _ = run(capsys, "validate", str(path), "--json")
    assert code == 1
    assert json.loads(out) == {
        "file": str(path),
        "rows": 2,
        "valid": 1,
        "invalid": 0,
        "duplicates": 1,
        "columns": {"Name": "name", "Email": "email", "Notes": "custom"},
        "problems": [{"row": 3, "column": "Email", "message": "duplicate of row 2 (same email)"}],
        "column_problems": [],
        "warnings": [],
        "notes": [],
    }


def _text_as_xlsx(p: Path) -> Path:
    p.write_text("Name,Email\nAnn,ann@x.io\n", encoding="utf-8")
    return p


def _corrupt(p: Path) -> Path:
    whole = write_openpyxl(p.with_name("whole.xlsx"), [["Name", "Email"], ["A", "a@x.io"]])
    p.write_bytes(whole.read_bytes()[:200])
    return p


def _zip(p: Path) -> Path:
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("a.txt", "x")
    return p


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.csv", lambda p: p.write_bytes(b"") and p, "the file is empty"),
        ("header.csv", lambda p: write_csv(p, [["Name", "Email"]]), "no data rows"),
        ("noemail.csv", lambda p: write_csv(p, [["Name"], ["Ann"]]),
         'no email column (call it "Email" or "Email_ID", or map one with --map '
         '"HEADER=email"; the header row has: Name)'),
        ("noname.xlsx", lambda p: write_openpyxl(p, [["Email"], ["a@x.io"]]),
         'no name column (call it "Name" or "First_Name", or map one with --map '
         '"HEADER=name"; the header row has: Email)'),
        ("twice.csv", lambda p: write_csv(p, [["Name", "Sequence", "Schedule"], ["a", "b", "c"]]),
         'columns "Sequence" and "Schedule" both mean scheduleName: delete or rename one, or '
         'map one with --map "Schedule=custom"'),
        ("text.xlsx", _text_as_xlsx, "not an Excel file (it looks like text/CSV)"),
        ("corrupt.xlsx", _corrupt,
         "cannot be read as an Excel file: the file is damaged or incomplete "
         "(download or save it again)"),
        ("archive.xlsx", _zip, "not an Excel file (it is a zip archive without a workbook in it)"),
        ("missing.csv", lambda p: p, "no such file"),
        ("folder", lambda p: p.mkdir() or p, "is a folder, not a file"),
        ("file.csv/inside.csv", lambda p: write_csv(p.parent, [["Name"]]),
         "cannot read the file: Not a directory"),
        ("unclosed.csv", lambda p: p.write_text('Name,Email\n"Ann,a@x.io\nBob,b@x.io\n'),
         'row 2: a quote (") opens a value that is never closed; fix that row '
         "(everything after it would be lost)"),
    ],
)
def test_fatal_files_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, make: object, message: str
) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    code, out, err = run(capsys, "validate", str(path))
    assert (code, out) == (2, "")
    assert err == f"leadbatch: error: {path}: {message}\n"


def test_validate_as_a_separate_process(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [["Name"], ["Ann"]])
    res = subprocess.run([sys.executable, "-m", "leadbatch", "validate", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr == (
        f'leadbatch: error: {path}: no email column (call it "Email" or "Email_ID", or map '
        'one with --map "HEADER=email"; the header row has: Name)\n'
    )


def test_template_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "template.xlsx"
    code, out, err = run(capsys, "template", "-o", str(path))
    assert (code, err) == (0, "")
    assert out == (f"Template written to {path}: fill in the Leads sheet, then run "
                   f"`leadbatch validate {path}`.\n")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Leads", "Instructions"]
    leads = book["Leads"]
    header = [c.value for c in leads[1]]
    assert header[:13] == [
        "name", "lastName", "email", "phone", "assistantEmail", "scheduleId", "scheduleName",
        "sendDate", "action", "id", "source", "context", "additionalInformationLine",
    ]
    assert [c.value for c in leads[2]][:4] == ["John", "Doe", "john.doe@example.com", "+919123456789"]
    lists = [dv for dv in leads.data_validations.dataValidation if dv.type == "list"]
    assert [(str(dv.sqref), dv.formula1) for dv in lists] == [("I2:I5001", '"create,update,stop"')]
    instructions = [r[0] for r in book["Instructions"].iter_rows(values_only=True)]
    assert set(header) <= set(instructions)

    # Left as it is, the example row is refused...
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert f"{path}: row 2, column email: this is the template's example row: delete it" in out
    # ...filled in, the template validates.
    leads["A2"], leads["C2"] = "Priya", "priya@acme.example"
    book.save(path)
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0
    assert out.splitlines()[-1] == f"{path}: 1 rows read: 1 valid, 0 invalid, 0 duplicate"


def test_template_needs_an_xlsx_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "template", "-o", str(tmp_path / "t.csv"))
    assert (code, out) == (2, "")
    assert err == (f"leadbatch: error: -o {tmp_path / 't.csv'}: the template is an Excel "
                   "workbook: use a name ending in .xlsx\n")


def test_template_is_reproducible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = Path(__file__).resolve().parent.parent / "templates" / "leadbatch-template.xlsx"
    run(capsys, "template", "-o", str(tmp_path / "t.xlsx"))
    assert (tmp_path / "t.xlsx").read_bytes() == shipped.read_bytes()


SAMPLE_ASSISTANTS = Path(__file__).resolve().parent.parent / "sample_data" / "assistants.json"


def test_validate_checks_pins_with_the_plans_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A weekend, a holiday and an assistant who does not exist would each fail in `plan`:
    # `validate` says so first, with the next sending day.
    path = write_csv(tmp_path / "leads.csv", [
        ["Name", "Email", "Send Date", "Assistant"],
        ["Ann", "ann@x.io", "2030-03-09", ""],
        ["Bob", "bob@x.io", "2030-12-25", "ashley"],
        ["Cy", "cy@x.io", "2030-03-11", "nobody@7targets.example"],
        ["Di", "di@x.io", "2030-03-11", "Lyraa"],
    ])
    code, out, err = run(capsys, "validate", str(path), "--holidays", "US",
                         "--assistants", str(SAMPLE_ASSISTANTS))
    assert (code, err) == (1, "")
    assert out.splitlines()[:3] == [
        f"{path}: row 2, column Send Date: 2030-03-09 is a Saturday, not a sending day "
        "(mon,tue,wed,thu,fri): the next sending day is 2030-03-11",
        f"{path}: row 3, column Send Date: 2030-12-25 is a public holiday in US (Christmas "
        "Day): the next sending day is 2030-12-26",
        f"{path}: row 4, column Assistant: assistant nobody@7targets.example is not one of "
        "the assistants",
    ]
    assert out.splitlines()[-1] == f"{path}: 4 rows read: 1 valid, 3 invalid, 0 duplicate"


def test_warnings_are_lines_of_their_own_and_keep_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "leads.csv", [["Name", "Email", "Phone"],
                                              ["Ann", "ann@x.io", "(650) 253-0000"]])
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0
    assert out.splitlines()[0] == (
        f'{path}: row 2, column Phone: warning: phone "(650) 253-0000" has no country: sent '
        "as written; fill Country_Code or a country column, or set phone_region "
        "(--phone-region CC)")
    assert out.splitlines()[-1] == (
        f"{path}: 1 rows read: 1 valid, 0 invalid, 0 duplicate; 1 with warnings")
    code, out, _ = run(capsys, "validate", str(path), "--phone-region", "US", "--json")
    assert (code, json.loads(out)["warnings"]) == (0, [])


@pytest.mark.parametrize(("args", "line"), [
    (["--map", "Email"], '--map: \'Email\' is not "HEADER=field" (e.g. --map "Work e-mail=email")'),
    (["--map", "Email=mail box"], "--map: 'Email' = 'mail box': unknown field (use email, name, "
     "firstName, lastName, fullName, phone, countryCode, country, assistant, sequence, "
     "scheduleId, sendDate, action, id, source, context, additionalInformationLine, custom "
     "or ignore)"),
    (["--date-order", "ydm"], "Invalid value for '--date-order': 'ydm' is not one of 'dmy', "
     "'mdy', 'ymd'. (see: leadbatch validate --help)"),
])
def test_bad_reading_options_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    path = write_csv(tmp_path / "leads.csv", [["Name", "Email"], ["Ann", "ann@x.io"]])
    code, out, err = run(capsys, "validate", str(path), *args)
    assert (code, out, err) == (2, "", f"leadbatch: error: {line}\n")


def test_a_mapped_column_that_is_not_there_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "leads.csv", [["Who", "Mail"], ["Ann", "ann@x.io"]])
    code, _, err = run(capsys, "validate", str(path), "--map", "Who=name", "--map", "E-mail=email")
    assert (code, err) == (2, f'leadbatch: error: --map "E-mail=...": {path} has no column '
                              '"E-mail" (its columns: Who, Mail)\n')
    code, out, _ = run(capsys, "validate", str(path), "--map", "Who=name", "--map", "Mail=email")
    assert code == 0 and "Who -> name, Mail -> email" in out
