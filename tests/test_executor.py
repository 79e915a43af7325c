"""The executor against the sandbox over real sockets: exactly once, faults, days, limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import random
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from leadbatch.config import ApiSettings, load_api_settings
from leadbatch.jobs import read_back
from leadbatch.models import Action, PlanRow, ResultRow, RowStatus, unsent
from leadbatch.read import parse_rows
from leadbatch.sandbox import SANDBOX_CLIENT_SECRET, Faults, SandboxServer
from leadbatch.send import (
    Journal,
    LeadsClient,
    Progress,
    Report,
    RetryPolicy,
    SendState,
    Sent,
    execute,
    send_key,
)
from leadbatch.workbook import write_results_workbook

D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
ASSISTANTS = ("missashley@7targets.7ts-d.com", "lyra@7targets.7ts-d.com")
HEADERS = ["First Name", "Email", "Company"]


def plan_rows(n: int, *, days: Sequence[dt.date] = (D1,), extra: int = 0) -> list[ResultRow]:
    """n valid rows spread over `days` and both seed assistants, plus `extra` invalid ones."""
    cells = [(i + 2, [f"Name{i}", f"lead{i}@example.com", f"Co {i}"]) for i in range(n)]
    cells += [(n + 2 + j, [f"Bad{j}", f"not-an-email-{j}", ""]) for j in range(extra)]
    sheet = parse_rows(HEADERS, cells, today=D1)
    rows = []
    for i, src in enumerate(sheet.rows):
        if src.status is not None:
            rows.append(unsent(PlanRow(src, src.status, error=src.error_text), sheet.fields))
        else:
            day = days[i * len(days) // n]
            rows.append(unsent(PlanRow(src, RowStatus.PLANNED, ASSISTANTS[i % 2], day)))
    return rows


def settings_for(sandbox: SandboxServer, tmp_path: Path) -> ApiSettings:
    return load_api_settings(cwd=tmp_path, environ=sandbox.env())


async def _quick(_delay: float) -> None:
    await asyncio.sleep(0.001)  # retries wait for real, but not for long


def send(rows: Sequence[ResultRow], sandbox: SandboxServer, journal: Journal, tmp_path: Path,
         *, wrap: Any = None, max_attempts: int = 8, **kw: Any) -> Report:
    async def go() -> Report:
        async with LeadsClient(settings_for(sandbox, tmp_path), sleep=_quick,
                               retry=RetryPolicy(max_attempts=max_attempts, base_delay=0.001),
                               rng=random.Random(1)) as client:
            sender = wrap(client) if wrap else client
            return await execute(rows, HEADERS, sender, journal, **{"through": D1, **kw})

    return asyncio.run(go())


def test_full_run_creates_every_valid_row_exactly_once(sandbox: SandboxServer,
                                                      tmp_path: Path) -> None:
    rows = plan_rows(40, extra=2)
    seen: list[Progress] = []
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = send(rows, sandbox, journal, tmp_path, progress=seen.append)
        states = {r.state for r in journal.records().values()}
    emails = {f"lead{i}@example.com" for i in range(40)}
    assert sandbox.state.post_counts == dict.fromkeys(emails, 1)
    leads = sandbox.state.leads
    assert set(leads) == emails
    assert leads["lead1@example.com"]["assistantEmail"] == ASSISTANTS[1]
    counts = report.counts()
    assert (counts[RowStatus.CREATED], counts[RowStatus.INVALID]) == (40, 2)
    assert all(r.outcome.lead_id is not None for r in report.rows if r.plan.lead)
    assert (report.sent, report.due_unsent, report.exit_code) == (40, 0, 1)  # invalid rows: 1
    assert states == {SendState.SUCCEEDED}
    assert (seen[0].done, seen[-1].done, seen[-1].total, seen[-1].failed) == (0, 40, 40, 0)


def test_faults_and_an_expired_token_still_create_every_row_exactly_once(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.set_faults(Faults(rate_limit=0.2, retry_after=0, server_error=0.2, seed=7))

    class ExpireMidRun:
        """Passes calls to the real client; expires every token after the 10th call."""

        def __init__(self, client: LeadsClient) -> None:
            self.client, self.calls = client, 0

        async def send(self, action: Action, body: dict[str, Any]) -> Sent:
            self.calls += 1
            if self.calls == 10:
                sandbox.state.expire_tokens()
            return await self.client.send(action, body)

    rows = plan_rows(60)
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = send(rows, sandbox, journal, tmp_path, wrap=ExpireMidRun, max_attempts=30)
    emails = {f"lead{i}@example.com" for i in range(60)}
    # 429s and 5xx are answered before the API acts, so no email is POSTed twice
    assert sandbox.state.post_counts == dict.fromkeys(emails, 1)
    assert report.counts()[RowStatus.CREATED] == 60 and report.exit_code == 0
    assert sandbox.state.requests["/oauth2/token"] >= 2  # a fresh token after the expiry
    attempts = sum(r.outcome.attempts for r in report.rows)
    assert attempts > 60  # the faults did happen, and were retried


def test_dropped_connections_resend_only_rows_whose_answer_was_lost(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.set_faults(Faults(drop=0.3, seed=3))
    rows = plan_rows(30)
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = send(rows, sandbox, journal, tmp_path, max_attempts=30)
    emails = {f"lead{i}@example.com" for i in range(30)}
    counts = sandbox.state.post_counts
    assert set(sandbox.state.leads) == emails  # each created once: POST is create-or-assign
    assert report.counts()[RowStatus.CREATED] == 30
    lost = {r.plan.lead.email for r in report.rows if r.plan.lead and r.outcome.attempts > 1}
    assert {e for e, n in counts.items() if n > 1} <= lost  # a second POST only after a loss
    assert all(counts[e] <= r.outcome.attempts for r in report.rows
               if r.plan.lead for e in [r.plan.lead.email])


def test_release_mode_over_two_days(sandbox: SandboxServer, tmp_path: Path) -> None:
    rows = plan_rows(20, days=(D1, D2))
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        day1 = send(rows, sandbox, journal, tmp_path, through=D1)
    assert day1.counts() == {RowStatus.CREATED: 10, RowStatus.PENDING: 10}
    assert day1.exit_code == 0  # pending for a later day is expected
    first = set(sandbox.state.post_counts)
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        again = send(rows, sandbox, journal, tmp_path, through=D1)
        day2 = send(rows, sandbox, journal, tmp_path, through=D2)
    assert again.sent == 0
    assert day2.sent == 10 and day2.counts() == {RowStatus.CREATED: 20}
    counts = sandbox.state.post_counts
    assert set(counts) - first == {f"lead{i}@example.com" for i in range(10, 20)}
    assert set(counts.values()) == {1}


def test_sequence_mode_sends_every_planned_row_at_once(sandbox: SandboxServer,
                                                       tmp_path: Path) -> None:
    rows = plan_rows(10, days=(D1, D2, dt.date(2026, 3, 20)))
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = send(rows, sandbox, journal, tmp_path, mode="sequence", start=D1)
    assert report.counts() == {RowStatus.CREATED: 10}


class VirtualTime:
    """A clock that moves only when someone sleeps: sleepers wake one at a time, earliest
    first, and the clock jumps to their wake-up time. The next sleeper wakes once the
    woken one has started its request (`started`), so start times are exact."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._waking = False

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + delay, id(future), future))
        self._wake_soon()
        await future

    def started(self) -> None:
        self._waking = False
        self._wake_soon()

    def _wake_soon(self) -> None:
        if not self._waking and self._sleepers:
            self._waking = True
            asyncio.get_running_loop().call_soon(self._wake)

    def _wake(self) -> None:
        wake, _, future = heapq.heappop(self._sleepers)
        self.now = max(self.now, wake)
        future.set_result(None)


class Recorder:
    """Passes calls to the real client; notes when each started and how many overlap."""

    def __init__(self, client: LeadsClient, time: VirtualTime | None = None) -> None:
        self.client, self.time = client, time
        self.starts: list[float] = []
        self.flying = self.most = 0

    async def send(self, action: Action, body: dict[str, Any]) -> Sent:
        if self.time is not None:
            self.starts.append(self.time.now)
            self.time.started()
        self.flying += 1
        self.most = max(self.most, self.flying)
        try:
            return await self.client.send(action, body)
        finally:
            self.flying -= 1


def test_rate_cap_spaces_requests_on_the_injected_clock(sandbox: SandboxServer,
                                                        tmp_path: Path) -> None:
    time = VirtualTime()
    recorders: list[Recorder] = []

    def wrap(client: LeadsClient) -> Recorder:
        recorders.append(Recorder(client, time))
        return recorders[-1]

    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        send(plan_rows(25), sandbox, journal, tmp_path, wrap=wrap, rate=5.0, concurrency=8,
             clock=time.clock, sleep=time.sleep)
    starts = sorted(recorders[0].starts)
    assert len(starts) == 25
    # never more than 5 starts in any second, and no slower than that either
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(starts, starts[5:], strict=False))
    assert starts[-1] - starts[0] == pytest.approx(24 / 5.0)


def test_concurrency_bounds_the_requests_in_flight(sandbox: SandboxServer,
                                                   tmp_path: Path) -> None:
    sandbox.state.hold()  # no answer until four requests are in flight together
    recorders: list[Recorder] = []
    reports: list[Report] = []

    def wrap(client: LeadsClient) -> Recorder:
        recorders.append(Recorder(client))
        return recorders[-1]

    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        sending = threading.Thread(target=lambda: reports.append(
            send(plan_rows(24), sandbox, journal, tmp_path, wrap=wrap, concurrency=4)))
        sending.start()
        four = sandbox.state.wait_for(lambda s: s.held == 4, timeout=60)
        sandbox.state.release()
        sending.join(60)
    assert four
    assert recorders[0].most == 4
    assert reports[0].counts()[RowStatus.CREATED] == 24


def test_rejected_rows_fail_with_the_server_message_then_retry_sends_the_edited_row(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.set_faults(Faults(reject_emails=("lead3@example.com",)))
    rows = plan_rows(6)
    results = tmp_path / "r.xlsx"
    with Journal.for_results(results) as journal:
        report = send(rows, sandbox, journal, tmp_path)
    failed = [r for r in report.rows if r.outcome.status is RowStatus.FAILED]
    assert [(r.row, r.outcome.http_status, r.outcome.attempts) for r in failed] == [(5, 400, 1)]
    assert "lead3@example.com" in failed[0].outcome.error
    assert report.exit_code == 1
    write_results_workbook(results, report.rows, HEADERS)
    sandbox.state.set_faults(Faults())
    back = read_back(results)
    with Journal.for_results(results) as journal:
        retried = send(back.rows, sandbox, journal, tmp_path, scope="retry")
    assert retried.sent == 1 and retried.exit_code == 0
    assert retried.counts() == {RowStatus.CREATED: 6}
    assert sandbox.state.post_counts["lead3@example.com"] == 2  # the 400, then the retry
    assert all(n == 1 for e, n in sandbox.state.post_counts.items() if e != "lead3@example.com")


def test_a_row_in_flight_at_a_crash_is_sent_once_more_and_succeeded_rows_never(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    rows = plan_rows(4)
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        done_key = send_key("create", "lead0@example.com")
        journal.start(done_key, rows[0].plan)
        journal.succeeded(done_key, http_status=201, attempts=1, lead_id=99,
                          next_schedule_time=None)
        journal.start(send_key("create", "lead1@example.com"), rows[1].plan)  # then: crash
        report = send(rows, sandbox, journal, tmp_path)
    assert sandbox.state.post_counts == {f"lead{i}@example.com": 1 for i in (1, 2, 3)}
    by_row = {r.row: r.outcome for r in report.rows}
    assert (by_row[2].status, by_row[2].lead_id) == (RowStatus.CREATED, 99)
    assert by_row[3].status is RowStatus.CREATED and by_row[3].attempts == 2


def test_stop_event_finishes_in_flight_rows_and_leaves_the_rest_pending(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    stop = threading.Event()

    def progress(p: Progress) -> None:
        if p.done >= 5:
            stop.set()

    rows = plan_rows(30)
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = send(rows, sandbox, journal, tmp_path, progress=progress, stop=stop,
                      concurrency=3)
        states = [r.state for r in journal.records().values()]
        assert SendState.IN_FLIGHT not in states
        created = report.counts()[RowStatus.CREATED]
        assert 5 <= created <= 7  # the ones in flight when asked to stop finished too
        assert report.interrupted and report.due_unsent == 30 - created
        assert report.exit_code == 1
        assert len(sandbox.state.post_counts) == created
        stop.clear()
        rest = send(rows, sandbox, journal, tmp_path)
    assert rest.sent == 30 - created and rest.exit_code == 0
    assert sandbox.state.post_counts == {f"lead{i}@example.com": 1 for i in range(30)}


def test_rejected_credentials_stop_the_run_and_nothing_is_in_flight(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = {**sandbox.env(), "LEADBATCH_CLIENT_SECRET": "wrong"}
    rows = plan_rows(5)

    async def go(journal: Journal) -> Report:
        async with LeadsClient(load_api_settings(cwd=tmp_path, environ=env)) as client:
            return await execute(rows, HEADERS, client, journal, through=D1)

    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = asyncio.run(go(journal))
        states = {r.state for r in journal.records().values()}
    assert report.auth_error is not None and report.exit_code == 2
    assert states == {SendState.PENDING}
    assert report.counts() == {RowStatus.PENDING: 5}
    assert sandbox.state.post_counts == {}


def test_no_secret_reaches_the_journal_or_the_workbook(sandbox: SandboxServer,
                                                       tmp_path: Path) -> None:
    results = tmp_path / "r.xlsx"
    with Journal.for_results(results) as journal:
        report = send(plan_rows(5), sandbox, journal, tmp_path)
    write_results_workbook(results, report.rows, HEADERS)
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        assert SANDBOX_CLIENT_SECRET.encode() not in data, path
        assert b"Bearer" not in data and b"access_token" not in data, path


def test_action_decides_create_update_or_stop(sandbox: SandboxServer, tmp_path: Path) -> None:
    with Journal.for_results(tmp_path / "first.xlsx") as journal:
        send(plan_rows(3), sandbox, journal, tmp_path)
    lead_id = sandbox.state.leads["lead1@example.com"]["id"]
    cells = [(2, ["Ann", "lead0@example.com", "update", "", "New Co"]),
             (3, ["Bob", "lead1@example.com", "stop", str(lead_id), ""]),
             (4, ["Cy", "nobody@example.com", "update", "", ""])]
    sheet = parse_rows(["First Name", "Email", "Action", "Id", "Company"], cells, today=D1)
    rows = [unsent(PlanRow(s, RowStatus.PLANNED, ASSISTANTS[0], D1)) for s in sheet.rows]
    with Journal.for_results(tmp_path / "second.xlsx") as journal:
        report = send(rows, sandbox, journal, tmp_path)
    by_row = {r.row: r.outcome for r in report.rows}
    assert (by_row[2].status, by_row[2].http_status) == (RowStatus.UPDATED, 200)
    assert (by_row[3].status, by_row[3].lead_id) == (RowStatus.STOPPED, lead_id)
    assert (by_row[4].status, by_row[4].http_status, by_row[4].error) == (
        RowStatus.FAILED, 404, "Lead not found")
    leads = sandbox.state.leads
    assert leads["lead1@example.com"]["nextScheduleTime"] is None
    assert {"name": "Company", "value": "New Co"} in leads["lead0@example.com"]["customFields"]
    assert sandbox.state.post_counts == {f"lead{i}@example.com": 1 for i in range(3)}


def test_retry_sends_pending_rows_once_due_and_leaves_later_ones(sandbox: SandboxServer,
                                                                  tmp_path: Path) -> None:
    results = tmp_path / "r.xlsx"
    rows = plan_rows(6, days=(D1, D2, dt.date(2026, 3, 4)))
    with Journal.for_results(results) as journal:
        report = send(rows, sandbox, journal, tmp_path, through=D1)
    write_results_workbook(results, report.rows, HEADERS)
    back = read_back(results)
    with Journal.for_results(results) as journal:
        retried = send(back.rows, sandbox, journal, tmp_path, scope="retry", through=D2)
    assert retried.sent == 2 and retried.exit_code == 0
    assert retried.counts() == {RowStatus.CREATED: 4, RowStatus.PENDING: 2}
    assert set(sandbox.state.post_counts.values()) == {1}


def test_two_rows_with_the_same_send_key_are_sent_once(sandbox: SandboxServer,
                                                       tmp_path: Path) -> None:
    rows = plan_rows(2)
    twin = ResultRow(PlanRow(rows[0].plan.source, RowStatus.PLANNED, ASSISTANTS[0], D1),
                     rows[0].outcome)
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = send([*rows, twin], sandbox, journal, tmp_path)
    assert [r.outcome.status for r in report.rows] == [
        RowStatus.CREATED, RowStatus.CREATED, RowStatus.DUPLICATE]
    assert sandbox.state.post_counts == {"lead0@example.com": 1, "lead1@example.com": 1}


def test_a_failing_token_endpoint_stops_the_run_and_marks_nothing_failed(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.set_faults(Faults(token_error=1.0))
    rows = plan_rows(20)
    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = send(rows, sandbox, journal, tmp_path, max_attempts=2)
    assert report.server_gone is not None and "token endpoint" in str(report.server_gone)
    assert report.exit_code == 2 and report.sent == 0 and report.failed == 0
    assert report.counts() == {RowStatus.PENDING: 20}
    assert sum(report.not_sent.values()) >= 1  # tried, never sent
    assert sandbox.state.post_counts == {}


def test_an_unreachable_api_stops_after_a_few_rows_and_leaves_the_rest_pending(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # tokens from the sandbox, the API nowhere: each row fails to connect
    settings = settings_for(sandbox, tmp_path).model_copy(update={"api_url": url})
    rows = plan_rows(30)

    async def go(journal: Journal) -> Report:
        async with LeadsClient(settings, sleep=_quick, retry=RetryPolicy(base_delay=0.001)
                               ) as client:
            return await execute(rows, HEADERS, client, journal, through=D1, concurrency=2,
                                 give_up_after=3)

    with Journal.for_results(tmp_path / "r.xlsx") as journal:
        report = asyncio.run(go(journal))
    assert report.server_gone is not None and url in str(report.server_gone)
    assert "3 rows in a row could not reach the API" in str(report.server_gone)
    assert report.counts() == {RowStatus.PENDING: 30} and report.sent == 0
    assert report.not_sent == {"the API could not be reached": 4} or \
        report.not_sent == {"the API could not be reached": 3}  # two at a time
    assert report.exit_code == 2
