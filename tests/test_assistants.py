"""The assistants file: JSON from `leadbatch assistants --json`, or a hand-made CSV/XLSX."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from leadbatch.errors import InputFileError
from leadbatch.models import Assistant
from leadbatch.read import dump_assistants_json, load_assistants
from leadbatch.sandbox import SEED_ASSISTANTS


def write_csv(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def test_json_in_the_apis_own_shape(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(list(SEED_ASSISTANTS)), encoding="utf-8")
    found = load_assistants(path)
    assert [(a.id, a.email, a.per_day_email_limit, a.default_schedule_id) for a in found] == [
        (61, "missashley@7targets.7ts-d.com", 200, 127),
        (135, "lyra@7targets.7ts-d.com", 200, 135),
    ]


def test_dump_then_load_round_trips(tmp_path: Path) -> None:
    original = [Assistant.model_validate(a) for a in SEED_ASSISTANTS]
    path = tmp_path / "a.json"
    path.write_text(dump_assistants_json(original), encoding="utf-8")
    assert load_assistants(path) == original
    assert json.loads(path.read_text())[0]["emailid"] == "missashley@7targets.7ts-d.com"


def test_csv_with_loose_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [
        ["Assistant Name", "E-mail", "Daily Limit", "Default_Schedule_ID"],
        ["Ashley", " MissAshley@7targets.7ts-d.com ", "150", "127"],
        ["", "", "", ""],
        ["Lyra", "lyra@7targets.7ts-d.com", "80", ""],
    ], delimiter=";")
    found = load_assistants(path)
    assert [(a.name, a.email, a.per_day_email_limit, a.default_schedule_id) for a in found] == [
        ("Ashley", "missashley@7targets.7ts-d.com", 150, 127),
        ("Lyra", "lyra@7targets.7ts-d.com", 80, None),
    ]


def test_xlsx_numbers_stored_as_floats(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["email", "perDayEmailLimit", "defaultScheduleId", "id"])
    sheet.append(["a@example.com", 200.0, 127, 61])
    path = tmp_path / "a.xlsx"
    book.save(path)
    (found,) = load_assistants(path)
    assert (found.email, found.per_day_email_limit, found.default_schedule_id, found.id) == (
        "a@example.com", 200, 127, 61,
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", [["email"], ["a@example.com"]], "missing column perDayEmailLimit in the header row"),
        ("a.csv", [["name", "id"], ["x", "1"]], "missing column email and perDayEmailLimit in the header row"),
        ("a.csv", [["email", "limit"], ["a@example.com", "lots"]],
         "row 2, column perDayEmailLimit: input should be a valid integer, unable to parse string as an integer: 'lots'"),
        ("a.csv", [["email", "limit"], ["a@example.com", "-5"]],
         "row 2, column perDayEmailLimit: input should be greater than or equal to 0: '-5'"),
        ("a.csv", [["email", "limit"], ["a@example.com", "5"], ["A@example.com", "6"]],
         "assistant a@example.com is listed twice (entries 1 and 2)"),
        ("a.csv", [["email", "limit"]], "no assistants in the file"),
    ],
)
def test_csv_problems_are_one_clear_line(tmp_path: Path, name: str, content: list[list[object]], message: str) -> None:
    path = write_csv(tmp_path / name, content)
    with pytest.raises(InputFileError) as caught:
        load_assistants(path)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.json", "{not json", "not valid JSON (line 1: Expecting property name enclosed in double quotes)"),
        ("a.json", '{"emailid": "a@b.c"}', "expected a JSON array of assistants"),
        ("a.json", '[{"emailid": "a@b.c"}]', "entry 1, column perDayEmailLimit: field required"),
        ("a.json", "[]", "no assistants in the file"),
        ("a.txt.bak", "x", "unsupported assistants file type '.bak': use .json, .csv or .xlsx"),
        ("a.xlsx", "not a zip", "not an Excel file (it looks like text/CSV)"),
    ],
)
def test_file_problems_are_one_clear_line(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_assistants(path)
    assert str(caught.value) == f"{path}: {message}"


def test_missing_file(tmp_path: Path) -> None:
    for name in ("nope.json", "nope.csv"):
        with pytest.raises(InputFileError) as caught:
            load_assistants(tmp_path / name)
        assert str(caught.value) == f"{tmp_path / name}: no such file"
    with pytest.raises(InputFileError) as caught:
        load_assistants(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a folder, not a file"
