"""The shipped sample data: up to date with its generator, and what the README says it is."""

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest

from leadbatch.models import RowStatus
from leadbatch.read import read_leads

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
TODAY = dt.date(2026, 1, 15)


def test_samples_are_reproducible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("leads.csv", "leads.xlsx", "messy.xlsx", "assistants.json",
                 "assistants-small.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


@pytest.mark.parametrize("name", ["leads.csv", "leads.xlsx"])
def test_clean_samples_are_valid(name: str) -> None:
    sheet = read_leads(SAMPLES / name, today=TODAY)
    assert sheet.problems() == []
    assert len(sheet.rows) == 50
    assert sheet.fields["Start Email Sending Date"] == "send_date"
    pinned = [r.lead.send_date for r in sheet.rows if r.lead and r.lead.send_date]
    assert pinned and all(d > dt.date(2030, 1, 1) for d in pinned)
    assert len(pinned) < 25  # most rows are left for the planner to spread


def test_csv_and_xlsx_samples_hold_the_same_leads() -> None:
    csv_rows = read_leads(SAMPLES / "leads.csv", today=TODAY).rows
    xlsx_rows = read_leads(SAMPLES / "leads.xlsx", today=TODAY).rows
    assert [r.lead for r in csv_rows] == [r.lead for r in xlsx_rows]


def test_assistant_files_are_the_seed_assistants() -> None:
    for name, limit in (("assistants.json", 200), ("assistants-small.json", 10)):
        data = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
        assert [(a["name"], a["emailid"], a["perDayEmailLimit"]) for a in data] == [
            ("Ashley", "missashley@7targets.7ts-d.com", limit),
            ("Lyraa", "lyra@7targets.7ts-d.com", limit),
        ]


def test_messy_sample_shows_what_validate_reports() -> None:
    sheet = read_leads(SAMPLES / "messy.xlsx", today=TODAY)
    assert [str(e) for e in sheet.problems()] == [
        'row 3, column Email_ID: invalid email "rahul.gupta@acme": the domain "acme" has no '
        "dot (like example.com)",
        "row 4, column First_Name: name is missing",
        "row 5, column Email_ID: duplicate of row 2 (same email)",
        "row 9, column Start Email Sending Date: send date 2024-11-20 is in the past",
        'row 13, column action: unknown action "delete" (use create, update or stop)',
        'row 14, column Email_ID: invalid email "Hannah Schmidt <hannah@ironleaf.example>": '
        "write only the address, without a name or < >",
    ]
    # Row 8's 03/04/2027 is the column's only numeric date: nothing decides its order.
    assert sheet.column_problems == [
        'column "Start Email Sending Date" has dates like "03/04/2027" that read either way: '
        'set date_order = "dmy" or "mdy" in leadbatch.toml [read], or pass --date-order dmy|mdy']
    assert [r.status for r in sheet.rows if r.row == 8] == [RowStatus.INVALID]
    # A phone that cannot be used costs the phone, not the lead.
    assert [str(w) for w in sheet.warnings()] == [
        'row 15, column Phone_Number: invalid phone number "98765": too short for +91: sent '
        "as written"]
    leads = {r.row: r.lead for r in sheet.rows if r.lead}
    assert leads[2] is not None and leads[2].email == "priya.sharma@acme-analytics.example"
    assert leads[2].phone == "+919812345678"
    assert leads[6] is not None and leads[6].phone == "+919812345680"  # phone stored as a number
    assert leads[7] is not None and leads[7].send_date == dt.date(2027, 3, 15)  # a date serial
    assert leads[10] is not None and (leads[10].name, leads[10].email) == (
        "Anna", "anna.berg@granite.example")  # formulas: cached values
    assert leads[17] is not None and leads[17].action == "update"
    assert 11 not in leads and 12 not in leads  # blank rows
