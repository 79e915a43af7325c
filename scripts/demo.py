"""`make demo`: the whole job on the bundled sample data, against the bundled sandbox.

Runs the same commands a user would type, and prints them as it goes:
validate -> plan (dry run) -> run (release mode, today's rows) -> run again later in the
campaign -> retry of the rows the sandbox was told to reject, once the "fix" is in.
No credentials needed: the sandbox prints its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "demo_output"
LEADS = ROOT / "sample_data" / "leads.xlsx"
ASSISTANTS = ROOT / "sample_data" / "assistants-small.json"


def leadbatch(*args: str, env: dict[str, str], ok: tuple[int, ...] = (0, 1)) -> int:
    print(f"\n$ leadbatch {' '.join(shlex.quote(a) for a in args)}", flush=True)
    code = subprocess.call([sys.executable, "-m", "leadbatch", *args], env=env, cwd=ROOT)
    print(f"(exit {code})", flush=True)
    if code not in ok:
        sys.exit(f"demo: `leadbatch {args[0]}` exited {code}")
    return code


def start_sandbox(reject: list[str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    args = [sys.executable, "-m", "leadbatch", "sandbox", "--port", "0"]
    for email in reject:
        args += ["--reject-email", email]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    env = dict(os.environ)
    assert proc.stdout is not None
    while not all(k in env for k in ("LEADBATCH_API_URL", "LEADBATCH_USER_IDENTIFIER")):
        line = proc.stdout.readline()
        if not line:
            sys.exit("demo: the sandbox did not start")
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key.startswith("LEADBATCH_"):
            env[key] = value.strip("'\"")
    return proc, env


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    with open(ROOT / "sample_data" / "leads.csv", newline="", encoding="utf-8") as fh:
        emails = [r["Email_ID"] for r in csv.DictReader(fh)]
    rejected = emails[:2]  # today's first two leads: the sandbox answers them 400
    sandbox, env = start_sandbox(rejected)
    # The demo's own ledger: a second `make demo` starts afresh, and the user's stays apart.
    env["LEADBATCH_LEDGER"] = str(OUT / "ledger.sqlite")
    try:
        print(f"Sandbox API at {env['LEADBATCH_API_URL']} (it rejects {', '.join(rejected)})")
        today = dt.date.today()
        plan = str(OUT / "plan.xlsx")
        results = str(OUT / "results.xlsx")
        leadbatch("validate", str(LEADS), env=env, ok=(0,))
        leadbatch("validate", "sample_data/messy.xlsx", env=env, ok=(1,))
        leadbatch("assistants", env=env, ok=(0,))
        leadbatch("plan", str(LEADS), "-o", plan, "--assistants", str(ASSISTANTS), env=env)
        leadbatch("run", plan, "-o", results, env=env)
        later = today + dt.timedelta(days=31)
        print(f"\n# Later (--through {later}): the rows planned up to then are due; rows pinned to 2030 wait.")
        leadbatch("run", plan, "-o", results, "--through", later.isoformat(), env=env)
        print("\n# The user fixes the rejected rows; here the sandbox simply stops rejecting.")
        request = urllib.request.Request(
            env["LEADBATCH_API_URL"] + "/_sandbox/faults",
            data=json.dumps({"reject_emails": []}).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()
        leadbatch("retry", results, "--through", later.isoformat(), env=env, ok=(0,))
        print(f"\nDone. Workbooks: {OUT / 'plan.xlsx'} and {OUT / 'results.xlsx'}")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()
