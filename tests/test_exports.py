"""The real-export corpus (tests/data/exports, made by tests/data/make_exports.py): every
file read as a user would, with `leadbatch validate`, on the day the expectations hold.
No lead is lost to a phone format, a header habit, a date style or an encoding: only the
rows the corpus lists as truly unusable are invalid."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from leadbatch.cli import main
from leadbatch.config import PlanSettings, load_read_settings
from leadbatch.jobs import validate_job

EXPORTS = Path(__file__).resolve().parent / "data" / "exports"
EXPECTED = json.loads((EXPORTS / "expected.json").read_text(encoding="utf-8"))
TODAY = dt.date.fromisoformat(EXPECTED["today"])
CASES = {case["name"]: case for case in EXPECTED["files"]}


def clock() -> dt.datetime:
    return dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)


def test_the_corpus_covers_the_tools() -> None:
    assert len(CASES) >= 15
    tools = " ".join(c["tool"] for c in CASES.values())
    for tool in ("HubSpot", "Salesforce report", "Data Loader", "Pipedrive", "Zoho", "Apollo",
                 "Evaboot", "Phantombuster", "Google Sheets", "semicolon", "Macintosh",
                 "Unicode Text", "CSV UTF-8"):
        assert tool in tools


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_accepts_every_usable_lead(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    case = CASES[name]
    monkeypatch.chdir(tmp_path)  # no leadbatch.toml of the developer's
    flags = [f"--{k}={v}" for k, v in case["settings"].items()]
    with pytest.raises(SystemExit) as done:
        main(["validate", str(EXPORTS / name), "--json", *flags], obj={"clock": clock})
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert err == ""
    assert (report["rows"], report["valid"]) == (case["rows"], case["accepted"]), report["problems"]
    assert sorted({p["row"] for p in report["problems"]}) == case["invalid"]
    assert report["column_problems"] == []
    assert done.value.code == (0 if case["accepted"] == case["rows"] else 1)
    warned = {w["row"] for w in report["warnings"]}
    assert set(case["warned"]) <= warned


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_lead_is_read_as_its_tool_wrote_it(name: str) -> None:
    case = CASES[name]
    settings = case["settings"]
    read = load_read_settings(None, phone_region=settings.get("phone-region"))
    sheet = validate_job(EXPORTS / name, read=read, settings=PlanSettings(), clock=clock)
    by_row = {r.row: r for r in sheet.rows}
    for row, fields in case["checks"].items():
        lead = by_row[int(row)].lead
        assert lead is not None, (row, by_row[int(row)].errors)
        got: dict[str, Any] = {k: getattr(lead, k) for k in fields}
        if "send_date" in got and got["send_date"] is not None:
            got["send_date"] = got["send_date"].isoformat()
        assert got == fields, f"row {row}"
