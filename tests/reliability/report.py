"""RELIABILITY.md: what the full reliability run tried, its figures, what held, the limits.

Written by the suite's conftest at the end of `make reliability`
(`LEADBATCH_RELIABILITY=full pytest tests/reliability`); `table()` is also what a quick
run prints with `-v`.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path

from kit import Figures

COLUMNS = [
    ("scenario", "scenario"), ("rows", "rows"), ("sent", "rows sent"),
    ("created", "created"), ("failed", "failed"), ("duplicates", "duplicates"),
    ("resent_after_lost_answer", "resent after lost answer"), ("unexplained", "unexplained"),
    ("lost_rows", "lost rows"), ("lost_answers", "lost answers seen"),
    ("in_flight_at_kill", "in flight at a kill"), ("kills", "kills"),
    ("after_retry", "created after retry"), ("seconds", "seconds"),
]

INTRO = """\
# Reliability

leadbatch promises: never twice, never lost, never leaked. This file is written by
`make reliability` (the suite in `tests/reliability/` at full size); `make test` runs a
quick version of every class below in seconds. Figures from the run of {date}
({seconds:.0f} s, Python {python}, {machine}).

## What was tried

- **Fault runs**: {leads} leads, planned and sent to the sandbox over real loopback
  sockets with 8 requests in flight, under each fault alone and all at once; the client's
  read timeout is 0.5 s so that "slow" can mean past it. Afterwards the faults stop and
  one `retry` pass sends the failed rows again. A transport under the client records every
  POST whose answer was lost, so that each POST the API saw twice can be matched to one.
- **Crash runs**: `leadbatch run` in a subprocess, killed with SIGKILL at seeded random
  moments (and the moment the results workbook is being written), then the same command
  run again until it finishes; the sandbox is a separate process that lives on.
- **Full disk and read-only folder**: the results folder on a tiny tmpfs, or remounted
  read-only, after a partial run.
- **Hostile input**: the corpus of `tests/data/make_bad.py` (empty files, lying names,
  encrypted, damaged and zip-bomb workbooks, binary junk, mixed encodings, NUL bytes,
  formulas, duplicate and merged headers, a hidden first sheet, Unicode and injection
  in emails, a million rows, a 50 MB cell) through `leadbatch validate`, each in its own
  process under an address-space limit and a timeout.
- **Hostile servers** (`test_hostile_servers.py`): `leadbatch run` on two leads against
  a raw socket server that drips a 201 or a token answer a byte every 2 s, floods an
  endless 201, accepts and never answers (the API, or the token endpoint), echoes the
  request's headers in a 400, sends a lead id of 2^63, closes in the middle of a body,
  sends a gzip bomb, redirects, answers HTML with 200, answers the token request 429,
  without an access_token, or rejects the secret; then the same command again. Each
  run's wall time and peak RSS are its own; the client secret, the Basic value and every
  token the server issued are searched for in every output and file. Also 40 rows
  against a port nobody listens on and a server that never answers, `assistants` against
  a server that always returns a full page, and a run through a local forwarding proxy.
- **Secrets**: every command run with known credentials; the client secret, the Basic
  header value and every token the sandbox issued are searched for in every byte of
  output, logs and files (inside the xlsx zips and the journal too).

## Figures

`duplicates`: POSTs per email beyond the first that the API acted on. `resent after lost
answer`: those matched one-to-one with an answer the client saw lost (a dropped
connection, a read timeout) or with a row in flight when the process was killed;
`unexplained`: the rest, which must be 0. `lost rows`: input rows missing from the
results workbook.

"""

# What this suite found, and the test that catches each (its outcome says open or fixed).
FOUND = [
    ("reader", "a newline or an invisible character in a cell went raw into the one-line "
     "messages, so a cell could print lines that pass for leadbatch's own; cell text is now "
     "quoted with such characters escaped, and long text cut",
     "test_validate_prints_one_line_per_problem_whatever_the_cells_hold"),
    ("reader", "a 50 MB cell stopped the whole CSV with the csv module's 'field larger than "
     "field limit'; a cell over Excel's 32,767 characters is now its row's error",
     "test_each_file_gives_its_one_line_or_its_row_problems[long_cell]"),
    ("reader", "an xlsx of 1 MB unpacking to 256 MB took 96 s and 5 GB of memory to read (a "
     "2 GB one would exhaust memory); zip bombs are now refused before unpacking",
     "test_each_file_gives_its_one_line_or_its_row_problems[zip_bomb_rows]"),
    ("reader", "UTF-8 rows followed by Windows-1252 rows came out as mojibake (\"JosÃ©\"); "
     "such a file is now decoded line by line",
     "test_every_readable_file_plans_to_a_workbook_of_values_never_formulas"),
    ("reader", "random bytes named .xlsx were said to 'look like text/CSV'",
     "test_each_file_gives_its_one_line_or_its_row_problems[binary_xlsx]"),
    ("reader", "a header with a line break (Alt+Enter) split the column's name over two "
     "lines in messages; header whitespace is now one space",
     "test_each_file_gives_its_one_line_or_its_row_problems[multiline_header]"),
    ("sandbox", "a client that stopped waiting (read timeout, kill) made the sandbox fail "
     "with ClientDisconnect: the lead was never created, hiding the lost-answer case, and "
     "a traceback was printed", "test_the_sandbox_acts_on_a_request_whose_client_gave_up_waiting"),
    ("journal/executor", "a full disk while sending was a traceback (sqlite3 'database or "
     "disk is full') instead of one line",
     "test_a_full_disk_is_one_line_and_the_same_command_finishes_once_there_is_room"),
    ("client/auth", "token requests carried no timeout: a slow token endpoint held the "
     "refresh lock (and every request) for as long as it took",
     "test_a_slow_token_endpoint_times_out_like_any_other_call"),
    ("client", "an answer dripping a byte every 2 s never ended (the read timeout restarts "
     "on each byte) and an endless 201 took 12 GB in 43 s; every request now has a total "
     "deadline and a 1 MiB body cap", "test_a_hostile_server_is_survived[drip]"),
    ("client/journal", "a lead id of 2^63 in an answer was an OverflowError traceback from "
     "SQLite with every row left in flight, again on every re-run",
     "test_a_hostile_server_is_survived[huge-id]"),
    ("client", "a 400 echoing the request's Authorization header put the token on the "
     "terminal, in the workbook and the journal",
     "test_a_hostile_server_is_survived[echo-headers]"),
    ("executor", "an unreachable API tried every row 5 times, then exit 1 with every row "
     "failed; a token endpoint that never answered cost 60 s a row, one at a time",
     "test_a_run_stops_early_when_the_server_is_gone[unreachable]"),
    ("executor", "a 429 from the token endpoint marked rows failed though they were never "
     "sent", "test_a_hostile_server_is_survived[token-429]"),
]

HELD = """\
## What held

{held}

## What this suite found

| part | defect | status |
|---|---|---|
{found}

## Limits

- A request whose answer is lost (dropped connection, read timeout, a kill while it is
  in flight) is sent again: `POST /leads` creates or assigns by email, so the API keeps
  one lead, but it sees the POST twice. These are the only duplicates, and each is
  counted above against the lost answer that caused it.
- A row can fail when every attempt meets a fault (five attempts, the last one after
  seconds of backoff); it says why and names `leadbatch retry`, which sent every such row
  in these runs.
- Reading holds the whole sheet in memory: about 2 GB for a million rows. Workbooks
  that would unpack to more than 4 GB, or whose parts pack more than 100:1 (real sheets
  pack 5 to 20:1; zip bombs a thousand), are refused before they are opened.
- A cell longer than 32,767 characters (Excel's limit) is its row's error.
- A kill while the results workbook is being written leaves that write's temporary file
  (`.results.xlsx.*.tmp`) beside it: the workbook itself is never half written, and the
  next successful write of the same workbook removes it once it is a minute old (counted
  above as stray temporary files).
- A read-only results folder is refused before anything is sent, with one line naming
  the folder.
- The fault runs drive the library with a 0.5 s read timeout; the CLI's total deadline
  is 15 s (`--timeout`), so a slow API costs the CLI more time per lost answer, not more
  duplicates. A request that ran out of its deadline is tried twice at most.
- A run stops when 5 rows in a row got no answer: a server failing that often is
  treated as gone (exit 2, the untried rows pending), not waited out row by row.
"""


def table(rows: Sequence[Figures]) -> str:
    """The figures as a Markdown table, one per suite."""
    out: list[str] = []
    for suite in dict.fromkeys(r.suite for r in rows):
        mine = [r for r in rows if r.suite == suite]
        if suite == "hostile servers":
            out.append(f"### {suite}\n\n| scenario | rows | POSTs seen | failed | seconds | "
                       "peak RSS MB | answer | re-run seconds |\n|---|---:|---:|---:|---:|---:|---|---:|")
            out += [f"| {r.scenario} | {r.rows} | {r.sent} | {r.failed} | {r.seconds} | "
                    f"{r.extra.get('peak MB', '')} | {r.notes} | "
                    f"{r.extra.get('re-run seconds', '')} |" for r in mine]
            out.append("")
            continue
        if suite == "hostile input":
            out.append(f"### {suite}\n\n| file | bytes | seconds | answer |\n|---|---:|---:|---|")
            out += [f"| {r.scenario} | {r.extra.get('bytes', '')} | {r.seconds} | "
                    f"{r.notes.replace('|', '/')} |" for r in mine]
            out.append("")
            continue
        used = [(k, h) for k, h in COLUMNS if k == "scenario" or any(
            getattr(r, k) not in (0, None) for r in mine)]
        out.append(f"### {suite}\n")
        out.append("| " + " | ".join(h for _, h in used) + " |")
        out.append("|" + "|".join("---" if k == "scenario" else "---:" for k, _ in used) + "|")
        for r in mine:
            out.append("| " + " | ".join(_cell(getattr(r, k)) for k, _ in used) + " |")
        notes = [f"- {r.scenario}: {r.notes}" for r in mine if r.notes]
        extras = [f"- {r.scenario}: " + ", ".join(f"{k} {v}" for k, v in r.extra.items())
                  for r in mine if r.extra]
        out += ["", *notes, *extras, ""]
    return "\n".join(out)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def write_report(path: Path, rows: Sequence[Figures], outcomes: Mapping[str, str],
                 seconds: float) -> None:
    leads = max((r.rows for r in rows if r.suite == "faults"), default=0)
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    tests = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    failing = [f"- `{node}`: {o}" for node, o in sorted(outcomes.items()) if o != "passed"]
    held = [f"Tests: {tests}."]
    lost = sum(r.lost_rows for r in rows)
    unexplained = sum(r.unexplained for r in rows)
    held.append(f"Lost rows across every run: **{lost}**. Duplicates no lost answer "
                f"explains: **{unexplained}**.")
    for r in rows:
        if r.suite == "secrets" and "leaks" in r.extra:
            held.append(f"Secrets found in {r.extra['searched']} outputs, files and xlsx "
                        f"members: **{r.extra['leaks']}**.")
    bounded = [r for r in rows if r.suite == "hostile input"]
    if bounded:
        slowest = max(bounded, key=lambda r: r.seconds)
        held.append(f"Hostile files answered: {len(bounded)}, each in its own process under "
                    f"an address-space limit; the slowest, {slowest.scenario}, in "
                    f"{slowest.seconds} s.")
    servers = [r for r in rows if r.suite == "hostile servers"]
    if servers:
        slowest = max(servers, key=lambda r: r.seconds)
        peak = max(int(r.extra.get("peak MB", 0)) for r in servers)
        held.append(f"Hostile servers survived: {len(servers)} cases, each with no traceback "
                    f"and no secret in any output or file; the slowest, {slowest.scenario}, "
                    f"in {slowest.seconds} s; peak RSS at most {peak} MB.")
    if failing:
        held += ["", "Not passing (each is a known defect or a regression to look at):", "",
                 *failing]
    text = INTRO.format(date=dt.date.today().isoformat(), seconds=seconds,
                        python=platform.python_version(), machine=platform.machine(),
                        leads=leads)
    found = "\n".join(f"| {part} | {what} | {_status(test, outcomes)} |"
                      for part, what, test in FOUND)
    text += table(rows) + "\n" + HELD.format(held="\n".join(held), found=found)
    path.write_text(text, encoding="utf-8")


def _status(test: str, outcomes: Mapping[str, str]) -> str:
    found = [o for node, o in outcomes.items() if node.split("::")[-1] == test]
    if not found:
        return "not run"
    if all(o == "passed" for o in found):
        return "fixed (its test passes)"
    if any(o.startswith("xfailed") for o in found):
        return f"open: `{test}` is marked xfail"
    return f"`{test}`: {', '.join(sorted(set(found)))}"
