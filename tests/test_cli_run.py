"""`leadbatch run` and `leadbatch retry` as a user runs them: real processes, real sockets,
exact exit codes, kill -9 and Ctrl-C in the middle of a run.

The kill -9 and Ctrl-C tests act at a known moment, not after a sleep: the sandbox's hold
lets N lead calls through and keeps the next ones waiting inside it (so the run has N rows
answered and as many requests in flight as it has workers), and the tests wait for the
lines the process prints (read on threads as they come)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import openpyxl
import pytest

from leadbatch.cli import main
from leadbatch.models import PlanRow, RowStatus, unsent
from leadbatch.read import parse_rows
from leadbatch.sandbox import Faults, SandboxServer, SandboxState
from leadbatch.send import INTERRUPTED, Journal, journal_path, send_key

ENV_NAMES = ("LEADBATCH_API_URL", "LEADBATCH_TOKEN_URL", "LEADBATCH_CLIENT_ID",
             "LEADBATCH_CLIENT_SECRET", "LEADBATCH_USER_IDENTIFIER")
ALL_DAYS = ("--days", "mon,tue,wed,thu,fri,sat,sun")
MONDAY = "2030-01-07"


def write_leads(path: Path, n: int, *, bad: int = 0) -> list[str]:
    emails = [f"lead{i}@example.com" for i in range(n)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["First Name", "Email", "Company"])
        out.writerows([f"Name{i}", e, f"Co {i}"] for i, e in enumerate(emails))
        out.writerows([f"Bad{j}", f"not-an-email-{j}", ""] for j in range(bad))
    return emails


def leadbatch(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadbatch", *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=cwd)


def start(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "leadbatch", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)


def results_rows(path: Path) -> list[dict[str, Any]]:
    grid = list(openpyxl.load_workbook(path)["Results"].iter_rows(values_only=True))
    return [dict(zip(grid[0], r, strict=True)) for r in grid[1:]]


def journal_states(results: Path) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(journal_path(results))) as db:
        return {email: state for email, state in db.execute("SELECT email, state FROM sends")}


class Lines:
    """A pipe read on a thread as lines come: `wait_for(text)` blocks until one holds it."""

    def __init__(self, pipe: IO[str]) -> None:
        self._lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[str]) -> None:
        with pipe:
            for line in pipe:
                with self._changed:
                    self._lines.append(line)
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 60) -> bool:
        """True once a line holds `text`; False if the pipe ends first (or, as a safety
        net only, `timeout` seconds pass)."""
        def seen() -> bool:
            return any(text in line for line in self._lines)

        with self._changed:
            self._changed.wait_for(lambda: self._ended or seen(), timeout)
            return seen()

    def text(self) -> str:
        """Everything read, once the pipe has ended."""
        self._thread.join(60)
        with self._changed:
            return "".join(self._lines)


class Run:
    """A running `leadbatch` process whose output is read as it comes."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path) -> None:
        self.proc = start(*args, env=env, cwd=cwd)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.out, self.err = Lines(self.proc.stdout), Lines(self.proc.stderr)

    def wait(self, timeout: float = 60) -> tuple[int, str, str]:
        """Exit code, stdout and stderr of the ended process."""
        code = self.proc.wait(timeout)
        return code, self.out.text(), self.err.text()

    def await_line(self, text: str) -> None:
        if not self.err.wait_for(text):
            self.proc.kill()
            code, out, err = self.wait()
            pytest.fail(f"no {text!r} on stderr (exit {code}):\n{err}{out}")


def wait_until(sandbox: SandboxServer, what: str, predicate: Callable[[SandboxState], bool],
               run: Run) -> None:
    """Block until `predicate(sandbox.state)` (woken by each change to it, no polling)."""
    if not sandbox.state.wait_for(predicate, timeout=60):  # a safety net, never the plan
        run.proc.kill()
        code, out, err = run.wait()
        pytest.fail(f"{what}: not seen (exit {code}):\n{err}{out}")


def put_faults(sandbox: SandboxServer, faults: dict[str, Any]) -> None:
    request = urllib.request.Request(sandbox.url + "/_sandbox/faults", method="PUT",
                                     data=json.dumps(faults).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


def test_run_creates_every_row_once_and_a_rerun_sends_nothing(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    emails = write_leads(tmp_path / "leads.csv", 12)
    res = tmp_path / "results.xlsx"
    first = leadbatch("run", "leads.csv", "-o", "results.xlsx", *ALL_DAYS, env=sandbox_env,
                      cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Sent 12 rows this run (through " in first.stdout
    assert "). Rows: created 12\n" in first.stdout
    assert "Results written to results.xlsx\n" in first.stdout
    assert sandbox.state.post_counts == dict.fromkeys(emails, 1)
    posts = sandbox.state.requests["/leads"]
    again = leadbatch("run", "leads.csv", "-o", "results.xlsx", *ALL_DAYS, env=sandbox_env,
                      cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Sent 0 rows this run" in again.stdout and "Rows: created 12\n" in again.stdout
    assert sandbox.state.requests["/leads"] == posts
    rows = results_rows(res)
    assert {r["status"] for r in rows} == {"created"}
    assert all(isinstance(r["leadId"], int) for r in rows)


def test_release_mode_over_two_days_with_through(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    emails = write_leads(tmp_path / "leads.csv", 15)
    args = ("run", "leads.csv", "-o", "r.xlsx", "--start", MONDAY, "--max-per-day", "5")
    day1 = leadbatch(*args, "--through", MONDAY, env=sandbox_env, cwd=tmp_path)
    assert day1.returncode == 0, day1.stderr  # pending rows for a later day are expected
    assert day1.stdout.startswith(
        "Sent 8 rows this run (through 2030-01-07). Rows: created 8 · pending 7\n"
        "7 rows planned for later days (the next on 2030-01-08): run the same command "
        "again on or after that day.\n")  # two days either way: 4 then 4 and 3 a day
    assert len(sandbox.state.post_counts) == 8
    day2 = leadbatch(*args, "--through", "2030-01-08", env=sandbox_env, cwd=tmp_path)
    assert day2.returncode == 0, day2.stderr
    assert "Sent 7 rows this run (through 2030-01-08). Rows: created 15\n" in day2.stdout
    assert sandbox.state.post_counts == dict.fromkeys(emails, 1)


def test_retry_resends_only_failed_rows_once_the_cause_is_gone(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    emails = write_leads(tmp_path / "leads.csv", 6, bad=1)
    sandbox.state.set_faults(Faults(reject_emails=("lead2@example.com",)))
    run = leadbatch("run", "leads.csv", "-o", "r.xlsx", *ALL_DAYS, env=sandbox_env, cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "). Rows: created 5 · failed 1 · invalid 1\n" in run.stdout
    assert "  row 4: failed: " in run.stdout
    assert run.stdout.endswith(
        "Next: fix the failed rows in r.xlsx if needed, then run: leadbatch retry r.xlsx\n")
    put_faults(sandbox, {"reject_emails": []})
    retry = leadbatch("retry", "r.xlsx", env=sandbox_env, cwd=tmp_path)
    # retry's exit code follows run's: the invalid row still needs the user
    assert retry.returncode == 1, retry.stderr
    assert "Sent 1 row this run (through " in retry.stdout
    counts = sandbox.state.post_counts
    assert counts == {**dict.fromkeys(emails, 1), "lead2@example.com": 2}
    by_row = {r["row"]: r for r in results_rows(tmp_path / "r.xlsx")}
    assert (by_row[4]["status"], by_row[4]["error"]) == ("created", None)
    assert by_row[8]["status"] == "invalid"
    again = leadbatch("retry", "r.xlsx", env=sandbox_env, cwd=tmp_path)
    assert (again.returncode, sandbox.state.post_counts) == (1, counts)
    # The user fixes the invalid row's address: retry plans it (every day is a sending day,
    # as the run's flags said) and sends it.
    (tmp_path / "leadbatch.toml").write_text(
        '[plan]\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n')
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    ws = book["Results"]
    header = [c.value for c in ws[1]]
    ws.cell(row=8, column=header.index("email") + 1, value="fixed@example.com")
    book.save(tmp_path / "r.xlsx")
    fixed = leadbatch("retry", "r.xlsx", env=sandbox_env, cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert sandbox.state.post_counts == {**counts, "fixed@example.com": 1}
    assert {r["status"] for r in results_rows(tmp_path / "r.xlsx")} == {"created"}


def test_retry_without_the_journal_sends_the_edited_row_and_nothing_that_succeeded(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    write_leads(tmp_path / "leads.csv", 4)
    sandbox.state.set_faults(Faults(reject_emails=("lead1@example.com",)))
    run = leadbatch("run", "leads.csv", "-o", "r.xlsx", *ALL_DAYS, env=sandbox_env, cwd=tmp_path)
    assert run.returncode == 1
    journal_path(tmp_path / "r.xlsx").unlink()
    # the user fixes the address in their spreadsheet program (its one place: the email
    # column) and saves
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    ws = book["Results"]
    assert "Email" not in [c.value for c in ws[1]]  # the input's own column is not repeated
    email_col = [c.value for c in ws[1]].index("email") + 1
    assert ws.cell(3, email_col).value == "lead1@example.com"
    ws.cell(3, email_col).value = "lead1.fixed@example.com"
    book.save(tmp_path / "r.xlsx")
    retry = leadbatch("retry", "r.xlsx", "-o", "out.xlsx", env=sandbox_env, cwd=tmp_path)
    assert retry.returncode == 0, retry.stderr
    assert sandbox.state.post_counts["lead1.fixed@example.com"] == 1
    assert all(n == 1 for n in sandbox.state.post_counts.values())
    assert {r["status"] for r in results_rows(tmp_path / "out.xlsx")} == {"created"}
    assert results_rows(tmp_path / "r.xlsx")[1]["status"] == "failed"  # left as it was


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, out, err


def test_fatal_problems_are_one_line_and_exit_2(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write_leads(tmp_path / "leads.csv", 3)
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    assert in_process(capsys, "run", "leads.csv", "-o", "r.xlsx") == (2, "", (
        "leadbatch: error: missing LEADBATCH_CLIENT_ID, LEADBATCH_CLIENT_SECRET, "
        "LEADBATCH_USER_IDENTIFIER: set them in the environment or in .env (try `leadbatch "
        "sandbox` for a local API to rehearse with)\n"))
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    (tmp_path / "mine.xlsx").write_bytes(b"PK not really a workbook")
    assert in_process(capsys, "run", "leads.csv", "-o", "mine.xlsx") == (2, "", (
        "leadbatch: error: -o mine.xlsx exists and is not a leadbatch results workbook: "
        "choose another name or move it away\n"))
    assert (tmp_path / "mine.xlsx").read_bytes() == b"PK not really a workbook"
    assert in_process(capsys, "run", "leads.csv", "-o", "r.csv") == (2, "", (
        "leadbatch: error: -o r.csv: the results are an Excel workbook: use a name ending "
        "in .xlsx\n"))
    assert in_process(capsys, "run", "leads.csv", "-o", "leads.csv") == (2, "", (
        "leadbatch: error: -o leads.csv: the results are an Excel workbook: use a name ending "
        "in .xlsx\n"))
    assert in_process(capsys, "retry", "nothing.xlsx") == (2, "", (
        "leadbatch: error: nothing.xlsx: no such file\n"))
    assert in_process(capsys, "run", "leads.csv", "-o", "r.xlsx", "--rate", "0") == (2, "", (
        "leadbatch: error: Invalid value for '--rate': 0.0 is not in the range x>0. "
        "(see: leadbatch run --help)\n"))
    assert sandbox.state.post_counts == {}


def test_a_plan_workbook_is_sent_as_planned_and_retry_refuses_it(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    write_leads(tmp_path / "leads.csv", 12)
    code, _, _ = in_process(capsys, "plan", "leads.csv", "-o", "plan.xlsx", "--start", MONDAY,
                            "--max-per-day", "5")
    assert code == 0
    code, out, err = in_process(capsys, "run", "plan.xlsx", "-o", "r.xlsx", "--through", MONDAY,
                                "--max-per-day", "2")
    assert code == 0
    assert err.startswith("leadbatch: note: plan.xlsx is already planned: it is sent as "
                          "planned, without --max-per-day\n")
    assert "Rows: created 6 · pending 6\n" in out  # two days, even: 3 and 3 a day each
    by_day = {r["sendDate"] for r in results_rows(tmp_path / "r.xlsx") if r["status"] == "created"}
    assert by_day == {MONDAY}
    assert in_process(capsys, "retry", "plan.xlsx") == (2, "", (
        "leadbatch: error: plan.xlsx is a plan workbook: send it with "
        "`leadbatch run plan.xlsx -o RESULTS.xlsx`\n"))


def test_rejected_credentials_mid_run_write_the_results_and_exit_2(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    write_leads(tmp_path / "leads.csv", 3)
    (tmp_path / "assistants.json").write_text(json.dumps(
        [{"emailid": "lyra@7targets.7ts-d.com", "perDayEmailLimit": 200}]))
    env = {**sandbox_env, "LEADBATCH_CLIENT_SECRET": "wrong-secret"}
    res = leadbatch("run", "leads.csv", "-o", "r.xlsx", "--assistants", "assistants.json",
                    *ALL_DAYS, env=env, cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.splitlines()[-1] == (
        "leadbatch: error: credentials rejected by the token endpoint (invalid_client): "
        "check LEADBATCH_CLIENT_ID and LEADBATCH_CLIENT_SECRET")
    assert "Traceback" not in res.stderr and "wrong-secret" not in res.stderr + res.stdout
    assert {r["status"] for r in results_rows(tmp_path / "r.xlsx")} == {"pending"}
    assert sandbox.state.post_counts == {}


def test_kill_9_mid_run_then_the_same_command_finishes_the_job(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    emails = write_leads(tmp_path / "leads.csv", 40)
    sandbox.state.hold(passing=10)  # ten rows answered, then every worker's request held
    args = ("run", "leads.csv", "-o", "r.xlsx", *ALL_DAYS, "--concurrency", "4")
    run = Run(*args, env=sandbox_env, cwd=tmp_path)
    # all four workers wait on an answer: the ten before were answered and committed
    wait_until(sandbox, "four requests in flight", lambda s: s.held == 4, run)
    run.proc.kill()
    code, _, _ = run.wait(30)
    assert code == -signal.SIGKILL
    before = journal_states(tmp_path / "r.xlsx")
    done = {e for e, s in before.items() if s == "succeeded"}
    flying = {e for e, s in before.items() if s == "in_flight"}
    assert (len(done), len(flying)) == (10, 4)  # killed with every worker's request in flight
    sandbox.state.release()  # the API acts on the requests whose client was killed
    assert sandbox.state.wait_for(lambda s: len(s.post_counts) == 14, timeout=60)
    again = leadbatch(*args, env=sandbox_env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    counts = sandbox.state.post_counts
    assert set(counts) == set(emails)  # every row accounted for
    assert all(counts[e] == 1 for e in done)  # no finished row sent again
    assert all(counts[e] == 1 for e in set(emails) - done - flying)
    assert all(counts[e] == 2 for e in flying)  # only a lost answer is sent once more
    assert {r["status"] for r in results_rows(tmp_path / "r.xlsx")} == {"created"}


def test_ctrl_c_lets_in_flight_rows_finish_and_writes_the_results(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    emails = write_leads(tmp_path / "leads.csv", 30)
    sandbox.state.hold(passing=4)  # four rows answered, then three requests in flight
    args = ("run", "leads.csv", "-o", "r.xlsx", *ALL_DAYS, "--concurrency", "3")
    run = Run(*args, env=sandbox_env, cwd=tmp_path)
    wait_until(sandbox, "three requests in flight", lambda s: s.held == 3, run)
    run.proc.send_signal(signal.SIGINT)
    run.await_line("leadbatch: stopping: ")  # heard: no new row starts from here on
    sandbox.state.release()  # the requests in flight are answered
    code, out, err = run.wait(60)
    assert code == 1, err
    assert ("leadbatch: stopping: finishing the requests in flight, then writing the results "
            "(Ctrl-C again to stop at once)\n") in err
    rows = results_rows(tmp_path / "r.xlsx")
    created = [r for r in rows if r["status"] == "created"]
    pending = [r for r in rows if r["status"] == "pending"]
    assert len(created) + len(pending) == 30 and pending
    assert len(created) == 4 + 3  # those answered before Ctrl-C and those then in flight
    assert {r["error"] for r in pending} == {INTERRUPTED}
    assert len(sandbox.state.post_counts) == len(created)  # every request sent was finished
    assert "in_flight" not in journal_states(tmp_path / "r.xlsx").values()
    assert f"{len(pending)} rows due but not finished: run the same command again" in out
    again = leadbatch(*args, env=sandbox_env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sandbox.state.post_counts == dict.fromkeys(emails, 1)


def test_retry_rebuilds_a_workbook_the_killed_first_run_never_wrote(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    sheet = parse_rows(["First Name", "Email"], [(n, [f"N{n}", f"lead{n}@example.com"])
                                                 for n in (2, 3, 4)])
    rows = [unsent(PlanRow(s, RowStatus.PLANNED, "lyra@7targets.7ts-d.com",
                           dt.date(2030, 1, 7))) for s in sheet.rows]
    with Journal.for_results(tmp_path / "r.xlsx") as journal:  # what a killed run leaves
        journal.save_snapshot(sheet.headers, rows)
        journal.start(send_key("create", "lead2@example.com"), rows[0].plan)
        journal.succeeded(send_key("create", "lead2@example.com"), http_status=201,
                          attempts=1, lead_id=5, next_schedule_time=None)
        journal.start(send_key("create", "lead3@example.com"), rows[1].plan)
    assert not (tmp_path / "r.xlsx").exists()
    code, out, _ = in_process(capsys, "retry", "r.xlsx", "--through", "2030-01-07")
    assert code == 0
    assert "Sent 2 rows this run (through 2030-01-07). Rows: created 3\n" in out
    assert sandbox.state.post_counts == {"lead3@example.com": 1, "lead4@example.com": 1}


def test_a_second_ctrl_c_abandons_the_requests_in_flight_and_they_are_sent_once_more(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    emails = write_leads(tmp_path / "leads.csv", 12)
    sandbox.state.hold(passing=3)  # three rows answered, then three requests never answered
    args = ("run", "leads.csv", "-o", "r.xlsx", *ALL_DAYS, "--concurrency", "3")
    run = Run(*args, env=sandbox_env, cwd=tmp_path)
    wait_until(sandbox, "three requests in flight", lambda s: s.held == 3, run)
    run.proc.send_signal(signal.SIGINT)
    run.await_line("leadbatch: stopping: ")  # the first Ctrl-C was heard
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.wait(60)
    assert code == 1, err
    assert "due but not finished: run the same command again to send them.\n" in out
    states = journal_states(tmp_path / "r.xlsx")
    flying = {e for e, s in states.items() if s == "in_flight"}
    assert len(flying) == 3  # the three held in the sandbox: abandoned with no answer
    rows = {r["email"]: r for r in results_rows(tmp_path / "r.xlsx")}
    assert all(rows[e]["status"] == "pending" for e in flying)
    assert all("no answer was recorded" in rows[e]["error"] for e in flying)
    sandbox.state.release()  # the API acts on the abandoned requests after all
    assert sandbox.state.wait_for(lambda s: len(s.post_counts) == 6, timeout=60)
    again = leadbatch(*args, env=sandbox_env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    counts = sandbox.state.post_counts
    assert set(counts) == set(emails)
    assert {e for e, n in counts.items() if n > 1} == flying  # each sent exactly once more


def test_the_same_command_on_later_days_keeps_the_first_days_plan(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    emails = write_leads(tmp_path / "leads.csv", 15)
    args = ["run", "leads.csv", "-o", "r.xlsx", "--max-per-day", "5"]

    def on(day: str) -> tuple[int, str]:
        now = dt.datetime.fromisoformat(f"{day}T09:00:00+00:00")
        with pytest.raises(SystemExit) as exc:
            main(args, obj={"clock": lambda: now})
        assert isinstance(exc.value.code, int)
        return exc.value.code, capsys.readouterr().out

    code, out = on("2030-01-07")  # a Monday
    assert code == 0 and "Rows: created 8 · pending 7\n" in out
    code, out = on("2030-01-08")
    assert code == 0 and out.startswith(
        "(planned as on 2030-01-07, the day of this results workbook's first run, so the plan "
        "is the same)\nSent 7 rows this run (through 2030-01-08). Rows: created 15\n")
    assert sandbox.state.post_counts == dict.fromkeys(emails, 1)
    # a new prospect in the sheet: planned from today; the rows already sent take no room
    with open(tmp_path / "leads.csv", "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["Newcomer", "new@example.com", "Co"])
    code, out = on("2030-01-09")
    assert code == 0 and "Sent 1 row this run (through 2030-01-09). Rows: created 16\n" in out
    assert sandbox.state.post_counts == {**dict.fromkeys(emails, 1), "new@example.com": 1}
    new = [r for r in results_rows(tmp_path / "r.xlsx") if r["email"] == "new@example.com"]
    assert new[0]["sendDate"] == "2030-01-09"


def test_more_rows_than_a_sheet_holds_are_refused_before_anything_is_sent(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Excel's 1,048,576 rows a sheet, lowered: the results workbook could not hold them,
    # so nothing may be sent that the workbook would not show.
    import leadbatch.limits as sheetxml

    monkeypatch.setattr(sheetxml, "MAX_SHEET_ROWS", 3)
    monkeypatch.chdir(tmp_path)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    write_leads(tmp_path / "leads.csv", 3)
    assert in_process(capsys, "run", "leads.csv", "-o", "r.xlsx", *ALL_DAYS) == (2, "", (
        "leadbatch: error: leads.csv: 3 rows do not fit in one results sheet (Excel's limit "
        "is 2): split the input into smaller files\n"))
    assert sandbox.state.post_counts == {} and not (tmp_path / "r.xlsx").exists()
