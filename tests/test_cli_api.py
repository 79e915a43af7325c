"""`leadbatch assistants` and `leadbatch sandbox` as a user runs them (subprocesses)."""

from __future__ import annotations

import base64
import csv
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sandbox_process import SandboxProcess

from leadbatch.read import load_assistants
from leadbatch.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxServer

CREDENTIALS_LINE = (
    "leadbatch: error: credentials rejected by the token endpoint (invalid_client): "
    "check LEADBATCH_CLIENT_ID and LEADBATCH_CLIENT_SECRET\n"
)


def run(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadbatch", *args],
        capture_output=True, text=True, timeout=60, env=env, cwd=cwd,
    )


def no_secrets(result: subprocess.CompletedProcess[str], sandbox: SandboxServer) -> None:
    output = result.stdout + result.stderr
    basic = base64.b64encode(f"{SANDBOX_CLIENT_ID}:{SANDBOX_CLIENT_SECRET}".encode()).decode()
    assert SANDBOX_CLIENT_SECRET not in output
    assert basic not in output
    assert "Bearer" not in output
    for token in sandbox.state.issued_tokens():
        assert token not in output


def test_assistants_table(sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path) -> None:
    result = run(sandbox_env, "assistants", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert any("missashley@7targets.7ts-d.com" in line and "200" in line and "127" in line for line in lines)
    assert any("lyra@7targets.7ts-d.com" in line and "Lyraa" in line for line in lines)
    no_secrets(result, sandbox)


def test_assistants_json_is_what_assistants_file_reads(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    result = run(sandbox_env, "assistants", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "assistants.json"
    path.write_text(result.stdout, encoding="utf-8")
    assert [(a.id, a.email, a.per_day_email_limit) for a in load_assistants(path)] == [
        (61, "missashley@7targets.7ts-d.com", 200),
        (135, "lyra@7targets.7ts-d.com", 200),
    ]
    assert json.loads(result.stdout)[1]["defaultScheduleId"] == 135
    no_secrets(result, sandbox)


def test_missing_credentials_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBATCH_")}
    result = run(env, "assistants", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "leadbatch: error: missing LEADBATCH_CLIENT_ID, LEADBATCH_CLIENT_SECRET, "
        "LEADBATCH_USER_IDENTIFIER: set them in the environment or in .env "
        "(try `leadbatch sandbox` for a local API to rehearse with)\n"
    )


def test_rejected_credentials_exit_2_with_one_line(
    sandbox: SandboxServer, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**sandbox_env, "LEADBATCH_CLIENT_SECRET": "not-the-secret-xyz"}
    result = run(env, "assistants", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == CREDENTIALS_LINE
    assert "not-the-secret-xyz" not in result.stdout + result.stderr
    no_secrets(result, sandbox)


def test_credentials_from_a_dot_env_file(sandbox: SandboxServer, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in sandbox.env().items()))
    (tmp_path / ".env").chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADBATCH_")}
    result = run(env, "assistants", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 2


@pytest.mark.slow  # the CLI's real backoff waits (about 2 s) before giving up
def test_unreachable_api_is_one_line(tmp_path: Path, sandbox_env: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**sandbox_env, "LEADBATCH_API_URL": f"http://127.0.0.1:{port}",
           "LEADBATCH_TOKEN_URL": f"http://127.0.0.1:{port}/oauth2/token"}
    result = run(env, "assistants", cwd=tmp_path)
    assert result.returncode == 2
    # the token request is the first the API's host refuses
    assert result.stderr.startswith(f"leadbatch: error: POST http://127.0.0.1:{port}/oauth2/token: could not connect")
    assert len(result.stderr.splitlines()) == 1


def test_sandbox_command_serves_and_stops_on_sigterm(
    spawn_sandbox: Callable[..., SandboxProcess], tmp_path: Path
) -> None:
    process = spawn_sandbox()
    assert process.env["LEADBATCH_CLIENT_ID"] == SANDBOX_CLIENT_ID
    assert process.env["LEADBATCH_TOKEN_URL"] == process.url + "/oauth2/token"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LEADBATCH_")}, **process.env}
    listed = run(env, "assistants", "--json", cwd=tmp_path)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 2
    assert process.stop(signal.SIGTERM) == 0
    assert process.stderr_text().splitlines() == [
        f"leadbatch sandbox: serving a 7Targets-compatible API on {process.url} (2 assistants); Ctrl-C to stop",
        "leadbatch sandbox: stopped",
    ]


def test_sandbox_command_stops_on_ctrl_c(spawn_sandbox: Callable[..., SandboxProcess]) -> None:
    process = spawn_sandbox()
    assert process.stop(signal.SIGINT) == 0
    assert "Traceback" not in process.stderr_text()
    assert process.stderr_text().endswith("leadbatch sandbox: stopped\n")


def test_sandbox_command_with_assistants_file_and_faults(
    spawn_sandbox: Callable[..., SandboxProcess], tmp_path: Path
) -> None:
    path = tmp_path / "assistants.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([["email", "perDayEmailLimit"], ["solo@example.com", "25"]])
    process = spawn_sandbox("--assistants", str(path), "--token-lifetime", "120", "--seed", "1",
                            "--reject-email", "@blocked.test")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LEADBATCH_")}, **process.env}
    listed = run(env, "assistants", "--json", cwd=tmp_path)
    assert [a["emailid"] for a in json.loads(listed.stdout)] == ["solo@example.com"]
    faults = json.loads(
        subprocess.run(
            [sys.executable, "-c", f"import httpx; print(httpx.put('{process.url}/_sandbox/faults', json={{}}).text)"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout
    )
    assert (faults["token_lifetime"], faults["seed"], faults["reject_emails"]) == (120, 1, ["@blocked.test"])


def test_sandbox_bad_options_exit_2(sandbox_env: dict[str, str], tmp_path: Path) -> None:
    result = run(sandbox_env, "sandbox", "--drop", "2")
    assert result.returncode == 2
    assert result.stderr == (
        "leadbatch: error: Invalid value for '--drop': 2.0 is not in the range 0<=x<=1. "
        "(see: leadbatch sandbox --help)\n"
    )
    missing = run(sandbox_env, "sandbox", "--port", "0", "--assistants", str(tmp_path / "none.json"))
    assert (missing.returncode, missing.stderr) == (
        2, f"leadbatch: error: {tmp_path / 'none.json'}: no such file\n"
    )


def test_sandbox_port_in_use_exit_2(sandbox: SandboxServer, sandbox_env: dict[str, str]) -> None:
    result = run(sandbox_env, "sandbox", "--port", str(sandbox.port))
    assert result.returncode == 2
    assert result.stderr == (
        f"leadbatch: error: cannot listen on 127.0.0.1:{sandbox.port}: Address already in use "
        "(try another --port, or 0 for any free one)\n"
    )
