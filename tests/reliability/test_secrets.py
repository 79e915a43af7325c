"""Secrets: every command, run with known credentials (and every library's logging on at
DEBUG level), leaves the client secret, the Basic header value and every token the API
issued nowhere: not in stdout or stderr, not in any file of the working folder (plan,
results, template, journal and its WAL), not inside any xlsx zip member.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from forkrun import ForkRunner
from kit import Figures, FiguresBook, clean_env, file_bytes, write_leads

from leadbatch.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Faults, SandboxServer


def secret_forms(values: Iterable[str]) -> dict[str, list[bytes]]:
    """Each secret as the bytes it could be stored as (UTF-8, and UTF-16 as Windows
    tools and some xlsx parts use)."""
    return {v: [v.encode(), v.encode("utf-16-le")] for v in values if v}


def leaks(named: dict[str, bytes], secrets: dict[str, list[bytes]]) -> list[str]:
    return [f"{secret[:12]}... in {where}" for where, data in named.items()
            for secret, forms in secrets.items() if any(f in data for f in forms)]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too), xlsx members unpacked."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            found.update(file_bytes(path))
    return found


def basic(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_no_command_leaks_the_secret_the_basic_header_or_a_token(
    tmp_path: Path, forked: ForkRunner, figures: FiguresBook
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write_leads(work / "leads.csv", 12)
    with (work / "leads.csv").open("a", encoding="utf-8") as fh:
        fh.write("Blocked,Person,blocked@blocked.example,Co\r\n")  # fails (400), then retried
    # 429s answered with Retry-After: 0 make the client log its retries, without waiting
    faults = Faults(reject_emails=("@blocked.example",), rate_limit=0.2, retry_after=0, seed=3)
    outputs: dict[str, bytes] = {}
    codes: dict[str, int] = {}
    with SandboxServer(faults=faults) as sandbox:
        env = clean_env(sandbox.env())
        commands = {
            "template": ["template", "-o", "template.xlsx"],
            "validate": ["validate", "leads.csv"],
            "validate --json": ["validate", "leads.csv", "--json"],
            "assistants": ["assistants"],
            "assistants --json": ["assistants", "--json"],
            "plan": ["plan", "leads.csv", "-o", "plan.xlsx"],
            "run plan": ["run", "plan.xlsx", "-o", "results.xlsx"],
            "retry": ["retry", "results.xlsx"],
            "run sheet": ["run", "leads.csv", "-o", "results2.xlsx"],
            "retry -o": ["retry", "results2.xlsx", "-o", "results3.xlsx"],
        }
        for name, args in commands.items():
            done = forked.run(args, cwd=work, env=env, debug_log=True)
            codes[name] = done.returncode
            outputs[f"{name}: stdout"] = done.stdout.encode()
            outputs[f"{name}: stderr"] = done.stderr.encode()
        wrong = "wrong-secret-4f1d9c"  # a rejected secret must not be shown either
        done = forked.run(["assistants"], cwd=work, debug_log=True,
                          env={**env, "LEADBATCH_CLIENT_SECRET": wrong})
        codes["rejected"] = done.returncode
        outputs["rejected: stderr"] = done.stderr.encode()
        outputs["rejected: stdout"] = done.stdout.encode()
        tokens = sandbox.state.issued_tokens()
        posted = sandbox.state.post_counts

    assert codes == {"template": 0, "validate": 0, "validate --json": 0, "assistants": 0,
                     "assistants --json": 0, "plan": 0, "run plan": 1, "retry": 1,
                     "run sheet": 1, "retry -o": 1, "rejected": 2}, outputs
    assert tokens and posted  # the commands did talk to the API
    assert b"Traceback" not in b"".join(outputs.values())
    secrets = secret_forms([SANDBOX_CLIENT_SECRET, basic(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
                            wrong, basic(SANDBOX_CLIENT_ID, wrong), *tokens])
    files = folder_bytes(work)
    assert any(name.endswith(".journal.sqlite") for name in files)
    found = leaks({**outputs, **files}, secrets)
    figures.add(Figures("secrets", "every command against the sandbox", notes=(
        f"{len(commands) + 1} commands, {len(tokens)} tokens issued, {len(files)} files and "
        f"xlsx members searched: {len(found)} leaks"),
        extra={"leaks": len(found), "searched": len(files) + len(outputs)}))
    assert found == []


def test_the_sandbox_command_prints_its_own_credentials_never_the_users(tmp_path: Path) -> None:
    users_secret = "users-real-secret-93b7e2"
    env = clean_env({"LEADBATCH_CLIENT_ID": "users-id", "LEADBATCH_CLIENT_SECRET": users_secret,
                     "LEADBATCH_USER_IDENTIFIER": "users-user"})
    proc = subprocess.Popen([sys.executable, "-m", "leadbatch", "sandbox", "--port", "0"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    output = first + out + err
    assert first.startswith(b"LEADBATCH_API_URL=http://127.0.0.1:")
    assert proc.returncode == 0
    assert users_secret.encode() not in output
    assert basic("users-id", users_secret).encode() not in output
    assert b"Traceback" not in output


def test_a_dot_env_readable_by_others_gets_a_warning_without_the_secret(
    tmp_path: Path, forked: ForkRunner
) -> None:
    with SandboxServer() as sandbox:
        dotenv = tmp_path / ".env"
        dotenv.write_text("".join(f"{k}={v}\n" for k, v in sandbox.env().items()))
        os.chmod(dotenv, 0o644)
        loose = forked.run(["assistants", "--json"], cwd=tmp_path, env=clean_env())
        os.chmod(dotenv, 0o600)
        tight = forked.run(["assistants", "--json"], cwd=tmp_path, env=clean_env())
    assert (loose.returncode, loose.stderr) == (0, (
        f"leadbatch: warning: {dotenv} is readable by other users; run: chmod 600 {dotenv}\n"))
    assert (tight.returncode, tight.stderr) == (0, "")
    assert loose.stdout == tight.stdout and '"emailid"' in loose.stdout
    assert SANDBOX_CLIENT_SECRET not in loose.stdout + loose.stderr
