"""The ledger's promises, driven through the command line against the sandbox as a user's
days go: never twice (across outputs, symlinks, retries and processes), never over a
limit (across runs, sheets and missed days). Every case counts the POSTs per email the
sandbox acted on."""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from test_cli_run import Run, results_rows, wait_until

from leadbatch.cli import main
from leadbatch.models import Assistant
from leadbatch.sandbox import SandboxServer
from leadbatch.send import Ledger, account_of

MON = dt.date(2030, 1, 7)  # a Monday
A, B = "a@7t.example", "b@7t.example"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SandboxServer]:
    """Two assistants at 10 emails a day; the environment points at them."""
    assistants = [Assistant(emailid=A, name="Ann", perDayEmailLimit=10),
                  Assistant(emailid=B, name="Bea", perDayEmailLimit=10)]
    with SandboxServer(assistants=assistants) as sandbox:
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        yield sandbox


def leads(path: Path, emails: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Email"])
        w.writerows([f"N{i}", e] for i, e in enumerate(emails))
    return path


def cli(capsys: pytest.CaptureFixture[str], day: dt.date, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args), obj={"clock": lambda: dt.datetime.combine(day, dt.time(9), dt.UTC)})
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    code = done.value.code
    assert isinstance(code, int)
    return code, out + err


def per_assistant(sandbox: SandboxServer) -> Counter[str]:
    return Counter(lead["assistantEmail"] for lead in sandbox.state.leads.values())


def ledger(sandbox: SandboxServer) -> Ledger:
    return Ledger(os.environ["LEADBATCH_LEDGER"], account_of(sandbox.url, "sandbox-user"))


def statuses(path: Path) -> Counter[str]:
    return Counter(r["status"] for r in results_rows(path))


def test_a_symlinked_output_is_the_same_campaign(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = [f"s{i}@x.example" for i in range(8)]
    leads(tmp_path / "l.csv", emails)
    assert cli(capsys, MON, "run", "l.csv", "-o", "res.xlsx")[0] == 0
    (tmp_path / "other.xlsx").symlink_to(tmp_path / "res.xlsx")
    code, out = cli(capsys, MON, "run", "l.csv", "-o", "other.xlsx")
    assert code == 0, out
    assert server.state.post_counts == dict.fromkeys(emails, 1)
    assert (tmp_path / "other.xlsx").is_symlink()  # written through, not replaced
    assert statuses(tmp_path / "res.xlsx") == {"created": 8}


def test_another_output_and_another_folder_never_create_a_lead_twice(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = [f"o{i}@x.example" for i in range(6)]
    leads(tmp_path / "l.csv", emails)
    assert cli(capsys, MON, "run", "l.csv", "-o", "first.xlsx")[0] == 0
    (tmp_path / "elsewhere").mkdir()
    code, out = cli(capsys, MON, "run", "l.csv", "-o", "elsewhere/second.xlsx")
    assert code == 0, out
    assert "). Rows: already sent 6\n" in out
    assert server.state.post_counts == dict.fromkeys(emails, 1)
    rows = results_rows(tmp_path / "elsewhere" / "second.xlsx")
    assert {r["status"] for r in rows} == {"already sent"}
    assert rows[0]["error"].startswith("already sent on ") and "by first.xlsx" in rows[0]["error"]


def test_retry_into_another_workbook_then_the_original_sends_nothing_again(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = [f"r{i}@x.example" for i in range(5)] + ["bad@blocked.example"]
    leads(tmp_path / "l.csv", emails)
    server.state.set_faults(server.state.faults.updated({"reject_emails": ["@blocked.example"]}))
    assert cli(capsys, MON, "run", "l.csv", "-o", "r.xlsx")[0] == 1
    server.state.set_faults(server.state.faults.updated({"reject_emails": []}))
    assert cli(capsys, MON, "retry", "r.xlsx", "-o", "out.xlsx")[0] == 0
    before = server.state.post_counts
    code, out = cli(capsys, MON, "retry", "r.xlsx")
    assert code == 0, out
    assert server.state.post_counts == before  # nothing POSTed again
    assert statuses(tmp_path / "r.xlsx") == {"created": 6}


def test_a_row_fixed_and_retried_stays_created_when_the_plan_runs_again(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = ["p0@x.example", "old@blocked.example", "p2@x.example"]
    leads(tmp_path / "l.csv", emails)
    server.state.set_faults(server.state.faults.updated({"reject_emails": ["@blocked.example"]}))
    assert cli(capsys, MON, "plan", "l.csv", "-o", "plan.xlsx")[0] == 0
    assert cli(capsys, MON, "run", "plan.xlsx", "-o", "r.xlsx")[0] == 1
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    ws = book["Results"]
    header = [c.value for c in ws[1]]
    column = header.index("email") + 1  # the one place the address is shown
    ws.cell(row=3, column=column, value="new@x.example")  # the user fixes the address
    book.save(tmp_path / "r.xlsx")
    assert cli(capsys, MON, "retry", "r.xlsx")[0] == 0
    code, out = cli(capsys, MON + dt.timedelta(days=1), "run", "plan.xlsx", "-o", "r.xlsx")
    assert code == 0, out
    rows = results_rows(tmp_path / "r.xlsx")
    assert [(r["row"], r["status"], r["email"]) for r in rows] == [
        (2, "created", "p0@x.example"), (3, "created", "new@x.example"),
        (4, "created", "p2@x.example")]
    assert server.state.post_counts == {"p0@x.example": 1, "old@blocked.example": 1,
                                        "new@x.example": 1, "p2@x.example": 1}
    assert len(server.state.leads) == statuses(tmp_path / "r.xlsx")["created"] == 3


def test_a_changed_sheet_run_again_the_same_day_keeps_every_limit(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = [f"c{i}@x.example" for i in range(30)]
    leads(tmp_path / "l.csv", emails)
    assert cli(capsys, MON, "run", "l.csv", "-o", "r.xlsx")[0] == 0
    monday = per_assistant(server)  # two days are needed: 8 each today, the rest tomorrow
    assert monday == {A: 8, B: 8}
    leads(tmp_path / "l.csv", [emails[0], "inserted@x.example", *emails[1:]])
    code, out = cli(capsys, MON, "run", "l.csv", "-o", "r.xlsx")
    assert code == 0, out
    again = per_assistant(server)
    assert all(again[a] <= 10 for a in (A, B)), again  # today's room, never more
    assert sum(again.values()) > sum(monday.values())  # what is due today went out
    assert cli(capsys, MON + dt.timedelta(days=1), "run", "l.csv", "-o", "r.xlsx")[0] == 0
    assert sum(per_assistant(server).values()) == 31
    assert max(server.state.post_counts.values()) == 1
    assert statuses(tmp_path / "r.xlsx") == {"created": 31}


def test_a_day_cron_missed_is_not_sent_on_top_of_today(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = [f"m{i}@x.example" for i in range(50)]
    leads(tmp_path / "l.csv", emails)
    assert cli(capsys, MON, "run", "l.csv", "-o", "r.xlsx")[0] == 0  # 9 a day, Mon to Wed
    monday = per_assistant(server)
    assert monday == {A: 9, B: 9}
    wed = MON + dt.timedelta(days=2)  # Tuesday's run never happened
    code, out = cli(capsys, wed, "run", "l.csv", "-o", "r.xlsx")
    assert code == 0, out
    sent = per_assistant(server)
    # Wednesday sends at most its limit: Tuesday's rows do not all go out on top of it
    assert all(sent[a] - monday[a] <= 20 for a in (A, B)) and sum(sent.values()) < 50
    rows = results_rows(tmp_path / "r.xlsx")
    moved = [r for r in rows if r["warning"] and "a day no run sent it" in r["warning"]]
    assert moved and {r["status"] for r in moved} <= {"created", "pending"}
    assert Counter(r["status"] for r in rows)["pending"] == 50 - sum(sent.values())
    thu = wed + dt.timedelta(days=1)
    assert cli(capsys, thu, "run", "l.csv", "-o", "r.xlsx")[0] == 0
    assert server.state.post_counts == dict.fromkeys(emails, 1)


def test_a_second_sheet_counts_the_first_ones_followups(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "leadbatch.toml").write_text("[plan]\ndefault_steps = [0, 1]\n")
    leads(tmp_path / "a.csv", [f"a{i}@x.example" for i in range(10)])
    leads(tmp_path / "b.csv", [f"b{i}@x.example" for i in range(20)])
    assert cli(capsys, MON, "run", "a.csv", "-o", "a.xlsx")[0] == 0
    tue = MON + dt.timedelta(days=1)
    assert cli(capsys, tue, "run", "b.csv", "-o", "b.xlsx")[0] == 0
    with ledger(server) as book:
        days = book.days()
    assert days and all(firm + planned <= 10 for _, _, firm, planned in days), days
    on_tuesday = sum(firm for _, day, firm, _ in days if day == tue)
    assert on_tuesday == 20  # A's 10 followups and B's first 10, not B's 20 as well


def test_two_runs_at_once_on_different_outputs_send_each_lead_once(
    server: SandboxServer, tmp_path: Path
) -> None:
    emails = [f"t{i}@x.example" for i in range(16)]
    leads(tmp_path / "l.csv", emails)
    server.state.set_faults(server.state.faults.updated({"latency": 0.02}))
    env = dict(os.environ)
    runs = [subprocess.Popen([sys.executable, "-m", "leadbatch", "run", "l.csv", "-o", out,
                              "--days", "mon,tue,wed,thu,fri,sat,sun", "--start", "2030-01-07",
                              "--through", "2030-01-07"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for out in ("one.xlsx", "two.xlsx")]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode in (0, 1) and "Traceback" not in err, err
    assert server.state.post_counts == dict.fromkeys(emails, 1)


def test_sigterm_stops_like_ctrl_c_and_writes_the_workbook(
    server: SandboxServer, tmp_path: Path
) -> None:
    emails = [f"k{i}@x.example" for i in range(20)]
    leads(tmp_path / "l.csv", emails)
    server.state.hold(passing=3)
    env: dict[str, Any] = dict(os.environ)
    run = Run("run", "l.csv", "-o", "r.xlsx", "--days", "mon,tue,wed,thu,fri,sat,sun",
              "--concurrency", "2", env=env, cwd=tmp_path)
    wait_until(server, "two requests held", lambda s: s.held == 2, run)
    run.proc.send_signal(signal.SIGTERM)
    run.await_line("leadbatch: stopping: ")
    server.state.release()
    code, out, err = run.wait(60)
    assert code == 1, err
    assert "rows due but not finished: run the same command again" in out
    rows = results_rows(tmp_path / "r.xlsx")
    assert Counter(r["status"] for r in rows)["created"] == 5
    assert len(rows) == 20


def test_the_ledger_command_shows_days_and_sends_and_forgets_on_purpose(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "leadbatch.toml").write_text("[plan]\ndefault_steps = [0, 1]\n")
    leads(tmp_path / "l.csv", ["x@x.example", "y@x.example"])
    assert cli(capsys, MON, "run", "l.csv", "-o", "r.xlsx")[0] == 0
    code, out = cli(capsys, MON, "ledger")
    assert code == 0
    assert out.splitlines()[1:3] == [
        f"2030-01-07  {A:30}     1        0", f"2030-01-07  {B:30}     1        0"]
    assert out.splitlines()[-1] == "2 sends, 4 assistant-days booked"
    code, out = cli(capsys, MON, "ledger", "--email", "X@x.example", "--json")
    sends = __import__("json").loads(out)["sends"]
    assert [(s["email"], s["state"], s["row"]) for s in sends] == [("x@x.example", "succeeded", 2)]
    assert cli(capsys, MON, "ledger", "-o", "ledger.xlsx")[0] == 0
    assert openpyxl.load_workbook(tmp_path / "ledger.xlsx").sheetnames == ["Days", "Sends"]
    code, out = cli(capsys, MON, "ledger", "forget", "x@x.example")
    assert out == "Forgot 1 send to x@x.example: the next run may create it again.\n"
    leads(tmp_path / "again.csv", ["x@x.example"])
    assert cli(capsys, MON, "run", "again.csv", "-o", "again.xlsx")[0] == 0
    assert server.state.post_counts["x@x.example"] == 2  # the deliberate re-send


def test_allow_resend_creates_again_on_purpose(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads(tmp_path / "l.csv", ["z@x.example"])
    assert cli(capsys, MON, "run", "l.csv", "-o", "one.xlsx")[0] == 0
    assert cli(capsys, MON, "run", "l.csv", "-o", "two.xlsx")[0] == 0
    assert server.state.post_counts == {"z@x.example": 1}
    assert cli(capsys, MON, "run", "l.csv", "-o", "three.xlsx", "--allow-resend")[0] == 0
    assert server.state.post_counts == {"z@x.example": 2}
    assert statuses(tmp_path / "three.xlsx") == {"created": 1}


def test_a_dry_run_plans_around_what_runs_booked(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads(tmp_path / "a.csv", [f"a{i}@x.example" for i in range(15)])
    leads(tmp_path / "b.csv", [f"b{i}@x.example" for i in range(10)])
    assert cli(capsys, MON, "run", "a.csv", "-o", "a.xlsx")[0] == 0  # 15 of Monday's 20
    assert cli(capsys, MON, "plan", "b.csv", "-o", "b.xlsx")[0] == 0
    days = Counter(r["sendDate"] for r in openpyxl.load_workbook(tmp_path / "b.xlsx")["Plan"]
                   .iter_rows(min_row=2, values_only=True) for r in [{"sendDate": r[4]}])
    assert days == {"2030-01-07": 5, "2030-01-08": 5}
    summary = openpyxl.load_workbook(tmp_path / "b.xlsx")["Summary"]
    about = {r[7]: r[8] for r in summary.iter_rows(min_row=2, values_only=True) if r[7]}
    assert about["booked earlier"] == 15


def test_edits_the_ledger_cannot_honour_are_warned_and_deleted_rows_reported(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = [f"e{i}@x.example" for i in range(4)]
    leads(tmp_path / "l.csv", emails)
    assert cli(capsys, MON, "run", "l.csv", "-o", "r.xlsx")[0] == 0
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    ws = book["Results"]
    header = [c.value for c in ws[1]]
    real_id = ws.cell(row=2, column=header.index("leadId") + 1).value
    ws.cell(row=2, column=header.index("leadId") + 1, value=999_999)  # typed over
    ws.cell(row=3, column=header.index("status") + 1, value="failed")  # typed over
    ws.delete_rows(5)  # the lead of sheet row 5 is gone from the workbook
    book.save(tmp_path / "r.xlsx")
    code, out = cli(capsys, MON, "retry", "r.xlsx")
    assert code == 0, out
    assert server.state.post_counts == dict.fromkeys(emails, 1)  # nothing sent again
    assert "Created earlier, no longer in the workbook: 1 row (5); the ledger still has " \
        "them (leadbatch ledger)" in out
    rows = {r["row"]: r for r in results_rows(tmp_path / "r.xlsx")}
    assert (rows[2]["leadId"], rows[2]["status"]) == (real_id, "created")
    assert rows[2]["warning"] == f"leadId 999999 is not the lead this row created ({real_id}): " \
        f"{real_id} is kept"
    assert rows[3]["status"] == "created"
    assert rows[3]["warning"].startswith("status failed: this row's lead was created 20")


def test_updates_keep_each_leads_own_assistant(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (tmp_path / "first.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Name", "Email", "Assistant"], ["U1", "u1@x.example", A],
                                  ["U2", "u2@x.example", B]])
    assert cli(capsys, MON, "run", "first.csv", "-o", "first.xlsx")[0] == 0
    schedules = {e: lead["scheduleId"] for e, lead in server.state.leads.items()}
    with (tmp_path / "update.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Name", "Email", "Last Name", "Action"],
                                  ["U1", "u1@x.example", "One", "update"],
                                  ["U2", "u2@x.example", "Two", "update"],
                                  ["U3", "nobody@x.example", "Three", "update"]])
    code, out = cli(capsys, MON, "run", "update.csv", "-o", "update.xlsx")
    assert code == 1, out
    leads_now = server.state.leads
    assert (leads_now["u1@x.example"]["assistantEmail"], leads_now["u1@x.example"]["lastName"]) \
        == (A, "One")
    assert (leads_now["u2@x.example"]["assistantEmail"], leads_now["u2@x.example"]["lastName"]) \
        == (B, "Two")
    assert "nobody@x.example" not in leads_now  # nothing sent for it
    # no sequence sent with the updates: each lead keeps the one it has
    assert {e: lead["scheduleId"] for e, lead in leads_now.items()} == schedules
    rows = {r["row"]: r for r in results_rows(tmp_path / "update.xlsx")}
    assert [rows[n]["status"] for n in (2, 3, 4)] == ["updated", "updated", "unplaceable"]
    assert rows[4]["error"] == ("update needs the lead's assistant: fill Assistant, or send "
                                "from the results workbook that created it")


def test_an_update_naming_another_assistant_is_a_reported_move(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (tmp_path / "first.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Name", "Email", "Assistant"], ["M1", "m1@x.example", A]])
    assert cli(capsys, MON, "run", "first.csv", "-o", "first.xlsx")[0] == 0
    with (tmp_path / "move.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Name", "Email", "Assistant", "Action"],
                                  ["M1", "m1@x.example", B, "update"]])
    assert cli(capsys, MON, "run", "move.csv", "-o", "move.xlsx")[0] == 0
    assert server.state.leads["m1@x.example"]["assistantEmail"] == B
    row = results_rows(tmp_path / "move.xlsx")[0]
    assert (row["status"], row["warning"]) == (
        "updated", f"moves from {A} to {B}: counted as a new lead there (its followups restart)")
    with ledger(server) as book:
        assert (B, MON, 1, 0) in book.days()  # the move took a new lead's room on B


def test_two_plans_made_before_either_ran_never_share_a_day_over_its_limit(
    server: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads(tmp_path / "a.csv", [f"pa{i}@x.example" for i in range(20)])
    leads(tmp_path / "b.csv", [f"pb{i}@x.example" for i in range(20)])
    # Both dry runs see an empty ledger: each plans all 20 for Monday.
    assert cli(capsys, MON, "plan", "a.csv", "-o", "a-plan.xlsx")[0] == 0
    assert cli(capsys, MON, "plan", "b.csv", "-o", "b-plan.xlsx")[0] == 0
    assert cli(capsys, MON, "run", "a-plan.xlsx", "-o", "a.xlsx")[0] == 0
    code, out = cli(capsys, MON, "run", "b-plan.xlsx", "-o", "b.xlsx")
    assert code == 0, out
    assert per_assistant(server) == {A: 10, B: 10}  # Monday is A's: B's rows moved on
    rows = results_rows(tmp_path / "b.xlsx")
    assert Counter(r["status"] for r in rows) == {"pending": 20}
    assert rows[0]["warning"] == ("planned for 2030-01-07, a day other campaigns have since "
                                  "filled: moved to 2030-01-08")


def test_results_show_the_default_sequence_the_assistants_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sent column resolves "the assistant's default" to the id the API listed (issue
    17), from the assistants the run already asked for."""
    assistants = [Assistant(emailid=A, name="Ann", perDayEmailLimit=10, defaultScheduleId=41)]
    with SandboxServer(assistants=assistants) as sandbox:
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        leads(tmp_path / "l.csv", ["x0@x.example", "x1@x.example"])
        assert cli(capsys, MON, "run", "l.csv", "-o", "r.xlsx")[0] == 0
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Results"]
    header = [c.value for c in ws[1]]
    sent = [r[header.index("sent: lastName | phone | customFields | sequence")]
            for r in ws.iter_rows(min_row=2, values_only=True)]
    assert sent == ["· | · | 0 | default (id 41)"] * 2
