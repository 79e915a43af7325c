"""`leadbatch plan`: in-process through `cli.main` with a fixed clock (so "today" never
depends on the real date), plus real subprocesses for the entry point and the API path."""

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from leadbatch.cli import main
from leadbatch.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
FEB_1_2027 = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)


def run_in_process(
    capsys: pytest.CaptureFixture[str], *args: str, now: dt.datetime = FEB_1_2027
) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["plan", *args], obj={"clock": lambda: now})
    out, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, out, err


def run_process(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadbatch", "plan", *args], capture_output=True, text=True,
        timeout=60, env={**os.environ, **(env or {})}, cwd=cwd,
    )


def plan_rows(path: Path) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)["Plan"]
    grid = list(ws.iter_rows(values_only=True))
    return [dict(zip(grid[0], r, strict=True)) for r in grid[1:]]


def test_plan_of_the_sample_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.xlsx"
    code, stdout, stderr = run_in_process(
        capsys, str(SAMPLES / "leads.csv"), "-o", str(out),
        "--assistants", str(SAMPLES / "assistants-small.json"), "--start", "2027-03-01",
        "--holidays", "US",
    )
    assert (code, stderr) == (0, "")
    assert "planned 50 · unplaceable 0 · invalid 0 · duplicate 0" in stdout
    assert f"Plan written to {out} (nothing was sent)." in stdout
    rows = plan_rows(out)
    with open(SAMPLES / "leads.csv", newline="", encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    assert [r["email"] for r in rows] == [s["Email_ID"].lower() for s in source]
    assert {r["status"] for r in rows} == {"planned"}
    for r, s in zip(rows, source, strict=True):  # pins are kept
        if s["Start Email Sending Date"]:
            assert r["sendDate"] == s["Start Email Sending Date"]
        if s["Assistant"]:
            assert r["assistantEmail"] == s["Assistant"]
    # 10 a day each: the 50 leads are spread over days, none over the limit.
    per_day: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["assistantEmail"], r["sendDate"])
        per_day[key] = per_day.get(key, 0) + 1
    assert max(per_day.values()) <= 10
    assert len({d for _, d in per_day}) >= 3


def test_plan_with_the_template_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.xlsx"
    code, _, _ = run_in_process(
        capsys, str(SAMPLES / "leads.xlsx"), "-o", str(out),
        "--assistants", str(SAMPLES / "assistants-small.json"),
        "--config", str(ROOT / "templates" / "leadbatch.toml"), "--start", "2027-03-01",
    )
    assert code == 0
    rows = plan_rows(out)
    assert {r["scheduleName"] for r in rows} == {"Intro A", "Intro B"}  # the A/B rotation
    book = openpyxl.load_workbook(out)
    summary = [r for r in book["Summary"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert {r[4] for r in summary} == {9}  # limit 10 less the template's 10% headroom
    assert all(r[3] <= r[4] for r in summary)  # followups included
    assert sum(r[3] for r in summary) > len(rows)  # followups are counted at all


def test_rows_needing_attention_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.xlsx"
    code, stdout, stderr = run_in_process(
        capsys, str(SAMPLES / "messy.xlsx"), "-o", str(out),
        "--assistants", str(SAMPLES / "assistants.json"), "--start", "2027-03-01",
    )
    assert (code, stderr) == (1, "")
    statuses = [r["status"] for r in plan_rows(out)]
    # 7 before phones became optional: row 15's too-short phone is now a warning
    assert statuses.count("invalid") == 6 and statuses.count("duplicate") == 1
    assert "row 5: duplicate: duplicate of row 2 (same email)" in stdout
    counts = " · ".join(f"{s} {statuses.count(s)}" for s in
                        ("planned", "unplaceable", "invalid", "duplicate"))
    assert counts in stdout
    assert "row 10: unplaceable: 2027-11-20 is a Saturday, not a sending day" in stdout


def test_unplaceable_pinned_row_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leads = tmp_path / "leads.csv"
    with open(leads, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Email", "Send Date"])
        w.writerow(["Ann", "ann@example.com", "2027-03-06"])  # a Saturday
        w.writerow(["Bob", "bob@example.com", ""])
    code, stdout, _ = run_in_process(
        capsys, str(leads), "-o", str(tmp_path / "plan.xlsx"),
        "--assistants", str(SAMPLES / "assistants.json"), "--start", "2027-03-01",
    )
    assert code == 1
    assert "row 2: unplaceable: 2027-03-06 is a Saturday, not a sending day " \
        "(mon,tue,wed,thu,fri)" in stdout
    assert "planned 1 · unplaceable 1 · invalid 0 · duplicate 0" in stdout


def test_today_is_taken_in_the_time_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.xlsx"
    sunday_night_utc = dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC)  # Monday in Kolkata
    args = [str(SAMPLES / "leads.csv"), "-o", str(out), "--assistants",
            str(SAMPLES / "assistants.json")]
    code, stdout, _ = run_in_process(capsys, *args, "--timezone", "Asia/Kolkata",
                                     now=sunday_night_utc)
    assert code == 0
    assert "start 2027-03-01" in stdout
    code, stdout, _ = run_in_process(capsys, *args, now=sunday_night_utc)
    assert "start 2027-02-28" in stdout  # still Sunday in UTC
    assert {r["sendDate"] for r in plan_rows(out)} >= {"2027-03-01"}


@pytest.mark.parametrize(("flags", "line"), [
    (["--start", "2027-02-30"], "--start: '2027-02-30' is not a date (use YYYY-MM-DD)"),
    (["--end", "next week"], "--end: 'next week' is not a date (use YYYY-MM-DD)"),
    (["--start", "2027-03-10", "--end", "2027-03-01"],
     "--end 2027-03-01 is before --start 2027-03-10"),
    (["--start", "2027-01-04"], "start 2027-01-04 is in the past (today is 2027-02-01 in UTC)"),
    (["--end", "2027-01-04"], "end 2027-01-04 is before start 2027-02-01"),
    (["--days", "mon,funday"], "--days: sending days must be among mon,tue,wed,thu,fri,sat,sun"),
    (["--holidays", "XX"], "holidays: no public holidays known for 'XX' (use a country code "
     "such as US, GB, IN, DE, optionally with a subdivision: US-CA)"),
    (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus' (use an IANA name such "
     "as Europe/London or Asia/Kolkata)"),
    (["--headroom", "lots"], "--headroom: 'lots' is not a share (use 0.1 or 10%)"),
    (["--headroom", "100%"], "--headroom: Input should be less than 1"),
    (["--mode", "sequence"], "settings: mode = sequence needs [[sequences]] whose first step "
     "is the start delay"),
    (["--max-per-day", "0"], "Invalid value for '--max-per-day': 0 is not in the range x>=1. "
     "(see: leadbatch plan --help)"),
])
def test_bad_planning_options_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], line: str
) -> None:
    out = tmp_path / "plan.xlsx"
    code, stdout, stderr = run_in_process(
        capsys, str(SAMPLES / "leads.csv"), "-o", str(out),
        "--assistants", str(SAMPLES / "assistants.json"), *flags,
    )
    assert (code, stdout) == (2, "")
    assert stderr == f"leadbatch: error: {line}\n"
    assert not out.exists()


def test_bad_output_and_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leads = tmp_path / "leads.xlsx"
    leads.write_bytes((SAMPLES / "leads.xlsx").read_bytes())
    assistants = ["--assistants", str(SAMPLES / "assistants.json"), "--start", "2027-03-01"]
    code, _, err = run_in_process(capsys, str(leads), "-o", str(tmp_path / "p.csv"), *assistants)
    assert (code, err) == (2, f"leadbatch: error: -o {tmp_path / 'p.csv'}: the plan is an Excel "
                              "workbook: use a name ending in .xlsx\n")
    code, _, err = run_in_process(capsys, str(leads), "-o", str(leads), *assistants)
    assert (code, err) == (2, f"leadbatch: error: -o {leads} is the input file: choose another name\n")
    assert leads.read_bytes() == (SAMPLES / "leads.xlsx").read_bytes()
    empty = tmp_path / "none.json"
    empty.write_text("[]", encoding="utf-8")
    code, _, err = run_in_process(capsys, str(leads), "-o", str(tmp_path / "p.xlsx"),
                                  "--assistants", str(empty), "--start", "2027-03-01")
    assert code == 2 and err.startswith("leadbatch: error: ") and err.count("\n") == 1
    assert not (tmp_path / "p.xlsx").exists()


def test_real_entry_point_error_line() -> None:
    res = run_process(str(SAMPLES / "leads.csv"), "-o", "plan.xlsx", "--start", "tomorrow")
    assert res.returncode == 2
    assert res.stderr == "leadbatch: error: --start: 'tomorrow' is not a date (use YYYY-MM-DD)\n"


def test_assistants_come_from_the_api_when_no_file(tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    with open(leads, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Email"])
        for n in range(5):
            w.writerow([f"Lead {n}", f"lead{n}@example.com"])
    with SandboxServer() as sandbox:
        # A far-future start: this subprocess reads the real clock.
        res = run_process(str(leads), "-o", "plan.xlsx", "--start", "2099-03-02",
                          env=sandbox.env(), cwd=tmp_path)
        requests = sandbox.state.requests
        posted = sandbox.state.post_counts
    assert (res.returncode, res.stderr) == (0, "")
    assert "planned 5 · unplaceable 0 · invalid 0 · duplicate 0" in res.stdout
    assert posted == {} and set(requests) <= {"/oauth2/token", "/leads/assistant"}
    seeded = {a["emailid"] for a in json.loads((SAMPLES / "assistants.json").read_text())}
    assert {r["assistantEmail"] for r in plan_rows(tmp_path / "plan.xlsx")} <= seeded


def test_warnings_and_read_settings_travel_with_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadbatch.jobs import read_back

    leads = tmp_path / "leads.csv"
    leads.write_text("Name,Email,Phone,Send Date\nAnn,ann@x.io,(650) 253-0000,3/4/2027\n"
                     "Bob,bob@x.io,555-0100 x7,3/15/2027\n", encoding="utf-8")
    out = tmp_path / "plan.xlsx"
    code, _, stderr = run_in_process(capsys, str(leads), "-o", str(out), "--phone-region", "US",
                                     "--assistants", str(SAMPLES / "assistants.json"))
    assert (code, stderr) == (0, "")
    rows = plan_rows(out)
    # 3/15 can only be month-first, so the column reads 3/4 as March 4.
    assert [(r["sendDate"], r["warning"]) for r in rows] == [
        ("2027-03-04", None),
        ("2027-03-15", 'Phone: invalid phone number "555-0100 x7": too short for +1: sent as '
                       "written"),
    ]
    # Sending the plan reads its input columns as they were read: the phone region too.
    back = read_back(out)
    assert [r.plan.source.lead.phone for r in back.rows if r.plan.source.lead] == [
        "+16502530000", "555-0100 x7"]


def _sheet(path: Path, emails: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Name", "Email"])
        writer.writerows([e.split("@")[0], e] for e in emails)


def test_plan_pace_per_company_and_the_proof_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "team.json").write_text(json.dumps([
        {"emailid": "a@s.com", "perDayEmailLimit": 50}, {"emailid": "b@s.com", "perDayEmailLimit": 50}]))
    _sheet(tmp_path / "l.csv", [f"p{i}@acme.example" for i in range(12)]
           + [f"q{i}@other{i}.example" for i in range(40)])
    code, out, err = run_in_process(capsys, str(tmp_path / "l.csv"), "-o", str(tmp_path / "p.xlsx"),
                                    "--assistants", str(tmp_path / "team.json"),
                                    "--start", "2027-02-01", "--pace", "5", "--per-company", "1")
    assert (code, err) == (0, "")
    rows = plan_rows(tmp_path / "p.xlsx")
    per_day = {}
    for r in rows:
        per_day[r["assistantEmail"], r["sendDate"]] = per_day.get(
            (r["assistantEmail"], r["sendDate"]), 0) + 1
    assert max(per_day.values()) == 5  # the pace, not the limit of 50
    acme = {(r["assistantEmail"], r["sendDate"]) for r in rows if "acme" in r["email"]}
    assert len(acme) == 12  # one acme.example lead per assistant-day at most
    assert "Proof: last first email 2027-02-08 (the limits allow no earlier)\n" in out
    assert "Proof: at most 5 new leads per assistant a day" in out


def test_plan_booked_counts_another_plans_followups(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "team.json").write_text(json.dumps([{"emailid": "a@s.com", "perDayEmailLimit": 10}]))
    (tmp_path / "leadbatch.toml").write_text("[plan]\ndefault_steps = [0, 1]\n")
    _sheet(tmp_path / "first.csv", [f"f{i}@x{i}.example" for i in range(10)])
    _sheet(tmp_path / "second.csv", [f"s{i}@y{i}.example" for i in range(10)])
    common = ("--assistants", str(tmp_path / "team.json"), "--start", "2027-02-01",
              "--config", str(tmp_path / "leadbatch.toml"))
    assert run_in_process(capsys, str(tmp_path / "first.csv"), "-o", str(tmp_path / "a.xlsx"),
                          *common)[0] == 0
    first = plan_rows(tmp_path / "a.xlsx")
    code, _, err = run_in_process(capsys, str(tmp_path / "second.csv"), "-o",
                                  str(tmp_path / "b.xlsx"), *common, "--booked",
                                  str(tmp_path / "a.xlsx"))
    assert (code, err) == (0, "")
    second = plan_rows(tmp_path / "b.xlsx")
    load: dict[str, int] = {}
    for r in first + second:  # each lead: its day and the next sending day
        day = dt.date.fromisoformat(r["sendDate"])
        after = day + dt.timedelta(days=1)
        while after.weekday() >= 5:
            after += dt.timedelta(days=1)
        for d in (day, after):
            load[d.isoformat()] = load.get(d.isoformat(), 0) + 1
    assert max(load.values()) <= 10  # both plans together keep the limit
    # without --booked the second plan would reuse the first's days as if they were empty
    assert run_in_process(capsys, str(tmp_path / "second.csv"), "-o", str(tmp_path / "c.xlsx"),
                          *common)[0] == 0
    alone = plan_rows(tmp_path / "c.xlsx")
    assert [r["sendDate"] for r in alone] != [r["sendDate"] for r in second]
