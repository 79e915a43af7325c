"""Issue 15's edges outside the hostile server: configuration that is one line and exit 2,
ids no API or SQLite holds (typed into a sheet, a results workbook, or sent back), the
scrubbing of server text, and sheets wider than Excel's 16,384 columns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from pydantic import SecretStr, ValidationError

from leadbatch.config import load_api_settings
from leadbatch.errors import UsageError
from leadbatch.jobs import read_back
from leadbatch.models import MAX_ID, LeadResult, RowStatus
from leadbatch.read import read_leads
from leadbatch.send import ClientCredentialsAuth
from leadbatch.workbook import RESULT_COLUMNS

ENV = {"LEADBATCH_CLIENT_ID": "id", "LEADBATCH_CLIENT_SECRET": "s3cret-value",
       "LEADBATCH_USER_IDENTIFIER": "u@example.org"}


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    import os

    done = subprocess.run([sys.executable, "-m", "leadbatch", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=60,
                          env={**{k: v for k, v in os.environ.items()
                                  if not k.startswith("LEADBATCH_")}, **(env or {})})
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_a_dot_env_that_is_not_utf8_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"LEADBATCH_CLIENT_ID=caf\xe9\n")
    (tmp_path / ".env").chmod(0o600)
    done = cli("assistants", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not UTF-8" in done.stderr, done.stderr


@pytest.mark.parametrize("url, says", [
    ("http://user:pw-secret@api.example", "user name or password"),
    ("http://api.example:99999", "not a valid URL"),
    ("http://[::1", "not a valid URL"),
    ("ftp://api.example", "not an http(s) URL"),
    ("http://", "not an http(s) URL"),
])
def test_a_bad_api_url_is_a_usage_error(url: str, says: str) -> None:
    with pytest.raises(UsageError, match=r"^LEADBATCH_API_URL") as caught:
        load_api_settings(environ={**ENV, "LEADBATCH_API_URL": url})
    assert says in str(caught.value)
    assert "pw-secret" not in str(caught.value)


def test_a_url_with_credentials_is_refused_by_the_cli(tmp_path: Path) -> None:
    done = cli("assistants", cwd=tmp_path,
               env={**ENV, "LEADBATCH_API_URL": "http://user:pw-secret@127.0.0.1:9"})
    assert done.returncode == 2 and "pw-secret" not in done.stderr
    assert done.stderr.startswith("leadbatch: error: LEADBATCH_API_URL has a user name")


def test_proxy_setting_is_checked() -> None:
    assert load_api_settings(environ=ENV).use_proxy
    assert not load_api_settings(environ={**ENV, "LEADBATCH_PROXY": "off"}).use_proxy
    with pytest.raises(UsageError, match="LEADBATCH_PROXY"):
        load_api_settings(environ={**ENV, "LEADBATCH_PROXY": "maybe"})


def test_ids_past_what_the_api_holds_are_row_errors_in_a_sheet(tmp_path: Path) -> None:
    big = "99999999999999999999999"
    (tmp_path / "leads.csv").write_text(
        "Name,Email,scheduleId,id,action\n"
        f"Ann,ann@example.org,{big},,create\n"
        f"Bob,bob@example.org,,{big},update\n"
        f"Cy,cy@example.org,{MAX_ID},,create\n", encoding="utf-8")
    sheet = read_leads(tmp_path / "leads.csv")
    problems = [str(p) for p in sheet.problems()]
    assert any(p.startswith("row 2") and "larger than any 7Targets id" in p for p in problems)
    assert any(p.startswith("row 3") and "larger than any 7Targets id" in p for p in problems)
    assert len(sheet.valid_rows) == 1


def test_huge_numbers_typed_into_a_results_workbook_are_row_errors(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Results"
    ws.append([*RESULT_COLUMNS, "Name", "Email"])

    def fixed(n: int, status: str, email: str, schedule: Any, lead: Any) -> list[Any]:
        cells = {"row": n, "status": status, "sendDate": "2026-03-02",
                 "assistantEmail": "bot@7targets.io", "scheduleId": schedule, "action": "create",
                 "email": email, "name": f"N{n}", "leadId": lead, "httpStatus": "1e300"}
        return [cells.get(c) for c in RESULT_COLUMNS]

    ws.append([*fixed(2, "failed", "a@x.io", 1e300, None), "Ann", "a@x.io"])
    ws.append([*fixed(3, "failed", "b@x.io", "1e400", "1e400"), "Bob", "b@x.io"])
    ws.append([*fixed(4, "pending", "c@x.io", None, None), "Cy", "c@x.io"])
    book.create_sheet("Summary").append(["status", "rows", "", "plan", "value"])
    book.save(tmp_path / "r.xlsx")
    back = read_back(tmp_path / "r.xlsx")
    by_row = {r.row: r for r in back.rows}
    for n in (2, 3):
        assert by_row[n].plan.status is RowStatus.INVALID
        assert "scheduleId" in (by_row[n].plan.error or "")
    assert by_row[3].outcome.lead_id is None and by_row[4].plan.status is RowStatus.PLANNED


def test_an_answer_with_an_id_past_sqlites_is_not_a_lead() -> None:
    with pytest.raises(ValidationError):
        LeadResult.model_validate_json(b'{"id": 9223372036854775808}')
    assert LeadResult.model_validate_json(b'{"id": 9223372036854775807}').id == MAX_ID


def test_server_text_is_scrubbed_of_secret_basic_and_tokens() -> None:
    auth = ClientCredentialsAuth("client", SecretStr("the-client-secret"), "u", "http://t/")
    auth._asked_at = 0.0
    auth.accept_token(httpx.Response(200, json={"access_token": "tok-1234567890abcdef"}))
    basic = auth._basic.removeprefix("Basic ")
    text = (f"echo: Authorization: Bearer tok-1234567890abcdef; {basic}; the-client-secret; "
            "Authorization: Bearer someone-elses-token-zzz")
    clean = auth.scrub(text)
    for secret in ("tok-1234567890abcdef", basic, "the-client-secret", "someone-elses"):
        assert secret not in clean
    assert clean.startswith("echo: Authorization: Bearer [hidden]")
    assert auth.scrub("Basic information is missing") == "Basic information is missing"


def wide_csv(path: Path, columns: int) -> Path:
    header = ["Name", "Email", *(f"c{i}" for i in range(columns - 2))]
    row = ["Ann", "ann@example.org", *("x" for _ in range(columns - 2))]
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return path


def test_a_sheet_wider_than_excel_is_refused_by_plan_and_run(tmp_path: Path) -> None:
    wide_csv(tmp_path / "wide.csv", 17_000)
    (tmp_path / "assistants.json").write_text(
        '[{"emailid": "bot@7targets.example", "perDayEmailLimit": 100}]', encoding="utf-8")
    plan = cli("plan", "wide.csv", "-o", "plan.xlsx", "--assistants", "assistants.json",
               cwd=tmp_path)
    run = cli("run", "wide.csv", "-o", "r.xlsx", "--assistants", "assistants.json",
              cwd=tmp_path, env={**ENV, "LEADBATCH_LEDGER": str(tmp_path / "l.sqlite"),
                                 "LEADBATCH_API_URL": "http://127.0.0.1:9",
                                 "LEADBATCH_TOKEN_URL": "http://127.0.0.1:9/t"})
    for done in (plan, run):
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "16,384 columns" in done.stderr, done.stderr
    assert not (tmp_path / "plan.xlsx").exists() and not (tmp_path / "r.xlsx").exists()


@pytest.mark.parametrize("token", ["", "two words", "line\r\nX-Injected: 1", "jeton-é"])
def test_a_token_that_cannot_stand_in_a_header_is_a_configuration_error(token: str) -> None:
    from leadbatch.errors import AuthError

    auth = ClientCredentialsAuth("client", SecretStr("the-client-secret"), "u", "http://t/")
    with pytest.raises(AuthError, match="without an access token"):
        auth.accept_token(httpx.Response(200, json={"access_token": token}))
