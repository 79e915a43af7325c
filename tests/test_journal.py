"""The journal: durable states, one process at a time, rebuilding the workbook from it."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import openpyxl
import pytest

from leadbatch.errors import UsageError
from leadbatch.jobs import rebuild_results
from leadbatch.models import Lead, Outcome, PlanRow, RowStatus, SourceRow, unsent
from leadbatch.send import Journal, SendState, journal_path, send_key

DAY = dt.date(2026, 3, 2)


def planned(row: int, email: str, action: str = "create") -> PlanRow:
    lead = Lead(name=f"N{row}", email=email, action=action)  # type: ignore[arg-type]
    src = SourceRow(row, {"Name": f"N{row}", "Email": email}, lead)
    return PlanRow(src, RowStatus.PLANNED, "bot@7targets.io", DAY, None, "Recommended")


def test_journal_sits_beside_the_results_and_keys_ignore_case_and_spaces(tmp_path: Path) -> None:
    assert journal_path(tmp_path / "r.xlsx") == tmp_path / "r.xlsx.journal.sqlite"
    assert send_key("create", " Ann.Lee@X.io ") == send_key("create", "ann.lee@x.io")
    assert send_key("create", "a@x.io") != send_key("update", "a@x.io")


def test_states_before_and_after_the_request_survive_reopening(tmp_path: Path) -> None:
    row = planned(2, "a@x.io")
    key = send_key("create", "a@x.io")
    with Journal.for_results(tmp_path / "r.xlsx") as j:
        j.start(key, row)
    with Journal.for_results(tmp_path / "r.xlsx") as j:
        record = j.get(key)
        assert record is not None and record.state is SendState.IN_FLIGHT
        assert (record.row, record.assistant_email, record.send_date) == (2, "bot@7targets.io", DAY)
        j.failed(key, http_status=503, attempts=5, error="server error")
        j.start(key, row)
        done = j.succeeded(key, http_status=201, attempts=1, lead_id=7, next_schedule_time="t")
    assert (done.state, done.attempts, done.lead_id, done.error) == (SendState.SUCCEEDED, 6, 7, "")
    assert done.sent_at is not None and done.sent_at.endswith("Z")


def test_in_flight_state_survives_kill_9_and_the_lost_answer_counts_as_an_attempt(
    tmp_path: Path,
) -> None:
    results = tmp_path / "r.xlsx"
    script = textwrap.dedent(f"""
        import os, signal, datetime as dt
        from leadbatch.send import Journal, send_key
        from leadbatch.models import Lead, PlanRow, RowStatus, SourceRow
        lead = Lead(name="A", email="a@x.io")
        row = PlanRow(SourceRow(2, {{}}, lead), RowStatus.PLANNED, "b@x.io", dt.date(2026, 3, 2))
        j = Journal.for_results({str(results)!r})
        j.start(send_key("create", "a@x.io"), row)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9
    with Journal.for_results(results) as j:
        key = send_key("create", "a@x.io")
        record = j.get(key)
        assert record is not None and record.state is SendState.IN_FLIGHT
        j.start(key, planned(2, "a@x.io"))
        done = j.succeeded(key, http_status=201, attempts=1, lead_id=1, next_schedule_time=None)
    assert done.attempts == 2


def test_a_second_process_cannot_use_a_journal_in_use(tmp_path: Path) -> None:
    with Journal.for_results(tmp_path / "r.xlsx"), pytest.raises(UsageError) as err:
        Journal.for_results(tmp_path / "r.xlsx")
    assert str(err.value) == (
        f"{tmp_path / 'r.xlsx.journal.sqlite'}: another leadbatch run is using this journal; "
        "wait for it to finish"
    )


def test_a_file_that_is_not_a_journal_is_one_clear_error(tmp_path: Path) -> None:
    journal_path(tmp_path / "r.xlsx").write_bytes(b"not a database at all" * 100)
    with pytest.raises(UsageError, match="not a leadbatch journal"):
        Journal.for_results(tmp_path / "r.xlsx")


def test_snapshot_lists_pending_sends_and_rebuilds_the_workbook(tmp_path: Path) -> None:
    results = tmp_path / "r.xlsx"
    rows = [planned(2, "a@x.io"), planned(3, "b@x.io"), planned(4, "c@x.io"),
            planned(5, "d@x.io")]
    bad = PlanRow(SourceRow(6, {"Name": "", "Email": "nope"}, None), RowStatus.INVALID,
                  error="Email: invalid email")
    with Journal.for_results(results) as j:
        j.save_snapshot(["Name", "Email"], [unsent(r) for r in [*rows, bad]])
        assert {r.state for r in j.records().values()} == {SendState.PENDING}
        assert len(j.records()) == 4
        j.start(send_key("create", "a@x.io"), rows[0])
        j.succeeded(send_key("create", "a@x.io"), http_status=201, attempts=1, lead_id=11,
                    next_schedule_time="2026-03-02T10:00:00Z")
        j.start(send_key("create", "b@x.io"), rows[1])
        j.failed(send_key("create", "b@x.io"), http_status=400, attempts=1, error="bad phone")
        j.start(send_key("create", "c@x.io"), rows[2])  # killed here: answer never recorded
    rebuild_results(results)
    ws = openpyxl.load_workbook(results)["Results"]
    header = [c.value for c in ws[1]]
    got = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert [got[n]["status"] for n in (2, 3, 4, 5, 6)] == [
        "created", "failed", "pending", "pending", "invalid"]
    assert (got[2]["leadId"], got[2]["httpStatus"], got[2]["attempts"]) == (11, 201, 1)
    assert (got[3]["error"], got[3]["httpStatus"]) == ("bad phone", 400)
    assert "no answer was recorded" in got[4]["error"]
    assert (got[6]["Email"], got[6]["error"]) == ("nope", "Email: invalid email")


def test_absorb_takes_only_what_the_other_journal_knows_and_this_one_does_not(
    tmp_path: Path,
) -> None:
    key = send_key("create", "a@x.io")
    with Journal.for_results(tmp_path / "a.xlsx") as a:
        a.start(key, planned(2, "a@x.io"))
        a.succeeded(key, http_status=201, attempts=1, lead_id=5, next_schedule_time=None)
    with Journal.for_results(tmp_path / "b.xlsx") as b, Journal.for_results(tmp_path / "a.xlsx") as a:
        b.absorb(a)
        record = b.get(key)
    assert record is not None and (record.state, record.lead_id) == (SendState.SUCCEEDED, 5)


def test_rebuild_without_a_journal_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no journal here"):
        rebuild_results(tmp_path / "r.xlsx")


# The tables as version 1 of the schema created them, and rows as it wrote them: by position.
V1_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sends (
    key TEXT PRIMARY KEY, row INTEGER NOT NULL, action TEXT NOT NULL, email TEXT NOT NULL,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, http_status INTEGER,
    lead_id INTEGER, next_schedule_time TEXT, error TEXT NOT NULL DEFAULT '', sent_at TEXT,
    assistant_email TEXT, send_date TEXT, schedule_id INTEGER, schedule_name TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE snapshot (
    seq INTEGER PRIMARY KEY, row INTEGER NOT NULL, key TEXT, plan_status TEXT NOT NULL, error TEXT NOT NULL,
    assistant_email TEXT, send_date TEXT, schedule_id INTEGER, schedule_name TEXT,
    lead TEXT, cells TEXT NOT NULL, echo TEXT NOT NULL, outcome TEXT NOT NULL
);
"""
V1_SENT = (send_key("create", "a@x.io"), 2, "create", "a@x.io", "succeeded", 1, 201, 11,
           "2026-03-02T10:00:00Z", "", "2026-03-01T09:00:00Z", "bot@7targets.io", "2026-03-02",
           None, "Recommended", "2026-03-01T09:00:00Z")


def columns(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as db:
        return {t: [c[1] for c in db.execute(f"PRAGMA table_info({t})")]
                for t in ("meta", "sends", "snapshot")}


def test_a_journal_version_1_wrote_opens_and_reads_and_keeps_its_columns(tmp_path: Path) -> None:
    results = tmp_path / "r.xlsx"
    lead = Lead(name="N2", email="a@x.io")
    outcome = {"status": "created", "error": "", "lead_id": 11, "next_schedule_time": None,
               "http_status": 201, "attempts": 1, "sent_at": None}
    with closing(sqlite3.connect(journal_path(results))) as db, db:
        db.executescript(V1_SCHEMA)
        db.execute("INSERT INTO meta VALUES ('schema', '1')")
        db.execute("INSERT INTO meta VALUES ('headers', ?)", (json.dumps(["Name", "Email"]),))
        db.execute("INSERT INTO sends VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", V1_SENT)
        db.execute("INSERT INTO snapshot VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (0, 2, V1_SENT[0], "planned", "", "bot@7targets.io", "2026-03-02", None,
                    "Recommended", lead.model_dump_json(),
                    json.dumps({"Name": "N2", "Email": "a@x.io"}), "{}", json.dumps(outcome)))
    before = columns(journal_path(results))
    with Journal.for_results(results) as j:
        record = j.get(V1_SENT[0])
        headers, rows = j.result_rows()
    assert columns(journal_path(results)) == before
    assert record is not None
    assert (record.state, record.attempts, record.http_status, record.lead_id) == (
        SendState.SUCCEEDED, 1, 201, 11)
    assert (record.next_schedule_time, record.sent_at) == (
        "2026-03-02T10:00:00Z", "2026-03-01T09:00:00Z")
    assert (record.assistant_email, record.send_date, record.schedule_name) == (
        "bot@7targets.io", DAY, "Recommended")
    assert headers == ["Name", "Email"]
    assert [(r.row, r.outcome.status, r.outcome.lead_id, r.plan.send_date) for r in rows] == [
        (2, RowStatus.CREATED, 11, DAY)]


def test_a_journal_whose_columns_stand_in_another_order_is_read_by_name(tmp_path: Path) -> None:
    path = journal_path(tmp_path / "old.xlsx")
    sends = V1_SCHEMA.split("CREATE TABLE sends (")[1].split(");")[0]
    reordered = ", ".join(reversed([c.strip() for c in sends.split(",")]))
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(f"CREATE TABLE sends ({reordered})")
        names = [c[1] for c in db.execute("PRAGMA table_info(sends)")]
        db.execute(f"INSERT INTO sends ({', '.join(names)}) VALUES ({','.join('?' * 16)})",
                   V1_SENT[::-1])
    key = send_key("create", "b@x.io")
    with Journal(path) as old:
        old.adopt(key, planned(3, "b@x.io"), Outcome(RowStatus.FAILED, "bad phone",
                                                     http_status=400, attempts=2))
        with Journal.for_results(tmp_path / "new.xlsx") as new:
            new.absorb(old)
            got = {k: (r.row, r.state, r.attempts, r.http_status, r.lead_id, r.error, r.send_date)
                   for k, r in new.records().items()}
    assert got == {V1_SENT[0]: (2, SendState.SUCCEEDED, 1, 201, 11, "", DAY),
                   key: (3, SendState.FAILED, 2, 400, None, "bad phone", DAY)}
