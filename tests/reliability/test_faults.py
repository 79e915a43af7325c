"""Fault runs: a plan of leads sent to the sandbox, over real sockets, under each fault.

Each run is the library path `leadbatch run` takes (reader -> planner -> journal ->
executor with a `LeadsClient` -> results workbook), with the client's read timeout made
short so that "slow" can mean past it. A recording transport under the client notes
every POST whose answer was lost (a dropped connection, a read timeout), so that each
POST the API saw twice can be matched to a lost answer. Then the faults stop and one
`retry` pass sends the failed rows again.

Figures per run: rows sent, created, failed, duplicates, lost rows. Held: no row lost,
no duplicate that a lost answer does not explain, every failed row saying why, and after
the retry every lead created once in the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from kit import (
    ASSISTANTS,
    FULL,
    Figures,
    FiguresBook,
    duplicate_figures,
    lost_rows,
    sheet_rows,
    size,
    write_leads,
)

from leadbatch.config import PlanSettings, load_api_settings
from leadbatch.errors import NetworkError
from leadbatch.jobs import read_back
from leadbatch.models import Assistant, ResultRow, unsent
from leadbatch.plan import plan_leads
from leadbatch.read import read_leads
from leadbatch.sandbox import Faults, SandboxServer
from leadbatch.send import Journal, LeadsClient, Report, RetryPolicy, execute
from leadbatch.send.transport import make_transport
from leadbatch.workbook import write_results_workbook

LEADS = size(150, 2000)
TIMEOUT = 0.5  # the client's read timeout in these runs (the CLI's is 30 s)
CONCURRENCY = 8
# The CLI's policy in full runs; shorter waits in quick ones (the same five attempts).
RETRY = RetryPolicy() if FULL else RetryPolicy(base_delay=0.1, max_delay=1.0)


@dataclass(frozen=True)
class Scenario:
    """Steady faults, `pulse` changes applied for `duty` of every `period` seconds, and
    every token revoked every `revoke_every` seconds (the API forgetting it early)."""

    name: str
    faults: Faults
    pulse: Mapping[str, Any] = field(default_factory=dict)
    period: float = 2.0
    duty: float = 0.3
    revoke_every: float | None = None


SCENARIOS = [
    Scenario("20% 5xx", Faults(server_error=0.2, seed=1)),
    Scenario("20% 429 with Retry-After", Faults(rate_limit=0.2, retry_after=size(1, 10) / 10,
                                                seed=2)),
    Scenario("5% dropped connections", Faults(drop=0.05, seed=3)),
    Scenario("slow answers past the read timeout", Faults(seed=4),
             pulse={"latency": 2 * TIMEOUT}, period=size(1, 3), duty=0.3),
    Scenario("tokens expiring every second, revoked early", Faults(token_lifetime=1, seed=5),
             revoke_every=size(5, 10) / 10),
    Scenario("token endpoint failing for a while", Faults(token_lifetime=1, seed=6),
             pulse={"token_error": 1.0}, period=size(2, 5), duty=0.4),
    Scenario("all at once", Faults(server_error=0.2, rate_limit=0.2, drop=0.05,
                                   retry_after=size(1, 10) / 10, token_lifetime=1, seed=7),
             pulse={"latency": 2 * TIMEOUT, "token_error": 1.0}, period=size(2, 5),
             duty=size(15, 25) / 100, revoke_every=size(5, 10) / 10),
]


class Recording(httpx.AsyncBaseTransport):
    """Passes requests to the real transport; counts, per email, POST /leads requests
    whose answer never came (an exception instead of a response, or mid-body)."""

    def __init__(self) -> None:
        self.inner = make_transport(max_connections=CONCURRENCY)
        self.lost: Counter[str] = Counter()
        self.posts: Counter[str] = Counter()

    def fresh(self) -> Recording:
        """Ready for another client (the last one closed the transport under it)."""
        self.inner = make_transport(max_connections=CONCURRENCY)
        return self

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        email = None
        if request.method == "POST" and request.url.path == "/leads":
            email = str(json.loads(request.content)["email"])
            self.posts[email] += 1
        try:
            response = await self.inner.handle_async_request(request)
        except Exception:
            if email is not None:
                self.lost[email] += 1
            raise
        if email is None:
            return response
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_Watched(response, self, email),
                              extensions=response.extensions)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Watched(httpx.AsyncByteStream):
    def __init__(self, response: httpx.Response, recording: Recording, email: str) -> None:
        self.response, self.recording, self.email = response, recording, email

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.response.stream:  # type: ignore[union-attr]
                yield chunk
        except Exception:
            self.recording.lost[self.email] += 1
            raise

    async def aclose(self) -> None:
        await self.response.aclose()


class Pulser(threading.Thread):
    """Switches the sandbox between its steady faults and the pulse, on a period."""

    def __init__(self, sandbox: SandboxServer, scenario: Scenario) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.scenario = sandbox, scenario
        self.done = threading.Event()
        self.windows = self.revoked = 0

    def run(self) -> None:
        s = self.scenario
        if s.revoke_every is not None:
            threading.Thread(target=self._revoke, args=(s.revoke_every,), daemon=True).start()
        if not s.pulse:
            return
        pulsed = dataclasses.replace(s.faults, **s.pulse)
        while not self.done.is_set():
            self.sandbox.state.set_faults(pulsed)
            self.windows += 1
            self.done.wait(s.period * s.duty)
            self.sandbox.state.set_faults(s.faults)
            self.done.wait(s.period * (1 - s.duty))

    def _revoke(self, every: float) -> None:
        while not self.done.wait(every):
            self.sandbox.state.expire_tokens()
            self.revoked += 1

    def stop(self) -> None:
        self.done.set()
        self.join(10)
        self.sandbox.state.set_faults(self.scenario.faults)


def _send(rows: list[ResultRow], headers: list[str], sandbox: SandboxServer, journal: Journal,
          recording: Recording, *, through: dt.date, scope: str = "run") -> Report:
    api = load_api_settings(environ=sandbox.env())

    async def go() -> Report:
        async with LeadsClient(api, timeout=TIMEOUT, transport=recording.fresh(),
                               retry=RETRY, max_connections=CONCURRENCY) as client:
            # The runs ride out faults on a 0.5 s read timeout, thirty times shorter than
            # the CLI's deadline: a 1 s "slow" window (of the API or the token endpoint)
            # would pass for a server gone, so the run never stops here (the stop is
            # measured by test_hostile_servers.py).
            return await execute(rows, headers, client, journal, through=through,
                                 scope=scope, concurrency=CONCURRENCY,  # type: ignore[arg-type]
                                 retry_command="leadbatch retry results.xlsx",
                                 give_up_after=len(rows) + 1, stop_without_token=False)

    return asyncio.run(go())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault_run(scenario: Scenario, tmp_path: Path, figures: FiguresBook) -> None:
    leads = write_leads(tmp_path / "leads.csv", LEADS)
    results = tmp_path / "results.xlsx"
    assistants = [Assistant.model_validate(a) for a in ASSISTANTS]
    today = dt.date.today()
    sheet = read_leads(leads, today=today)
    plan = plan_leads(sheet.rows, assistants, PlanSettings(), today=today)
    through = max(r.send_date for r in plan.rows if r.send_date is not None)
    expected = {r.row: r.lead.email for r in sheet.rows if r.lead is not None}
    started = time.monotonic()
    with SandboxServer(faults=scenario.faults, assistants=assistants) as sandbox:
        recording = Recording()
        pulser = Pulser(sandbox, scenario)
        with Journal.for_results(results) as journal:
            pulser.start()
            try:
                report = _send([unsent(r, sheet.fields) for r in plan.rows], sheet.headers,
                               sandbox, journal, recording, through=through)
            finally:
                pulser.stop()
            write_results_workbook(results, report.rows, sheet.headers)
            after_faults = dict(sandbox.state.post_counts)
            rows = sheet_rows(results, "Results")
            # the faults stop; `retry` sends the failed rows again, on the same journal
            sandbox.state.set_faults(Faults())
            again = read_back(results)
            second = _send(again.rows, again.headers, sandbox, journal, recording,
                           through=through, scope="retry")
            write_results_workbook(results, second.rows, again.headers)
        state = sandbox.state
        post_counts, leads_held, requests = state.post_counts, state.leads, state.requests
    seconds = time.monotonic() - started

    failed = [r for r in rows if r["status"] == "failed"]
    total, matched, unexplained = duplicate_figures(post_counts, recording.lost)
    lost = lost_rows(results, expected)
    final = sheet_rows(results, "Results")
    fig = figures.add(Figures(
        "faults", scenario.name, rows=len(expected), sent=report.sent,
        created=sum(r["status"] == "created" for r in rows), failed=len(failed),
        duplicates=total, resent_after_lost_answer=matched, unexplained=unexplained,
        lost_rows=len(lost), lost_answers=sum(recording.lost.values()),
        after_retry=sum(r["status"] == "created" for r in final), seconds=round(seconds, 1),
        notes=_notes(scenario, pulser, failed),
        extra={"POST /leads": requests.get("/leads", 0),
               "token requests": requests.get("/oauth2/token", 0),
               "duplicates before the retry": sum(n - 1 for n in after_faults.values() if n > 1)},
    ))

    assert lost == []
    assert all(r["error"] for r in failed)  # every failure says what happened
    assert all("leadbatch retry" in r["error"] for r in failed)  # and what to do
    assert unexplained == 0, {e: n for e, n in post_counts.items() if n > 1}
    assert fig.after_retry == len(expected)
    assert set(leads_held) == set(expected.values())
    assert all(leads_held[r["email"]]["id"] == r["leadId"] for r in final)
    if "drop" in scenario.name or "slow" in scenario.name or FULL:
        assert recording.lost or scenario.faults.drop == 0  # the fault did happen


def _notes(scenario: Scenario, pulser: Pulser, failed: list[dict[str, Any]]) -> str:
    parts = []
    if scenario.pulse:
        what = ", ".join(f"{k}={v}" for k, v in scenario.pulse.items())
        parts.append(f"{pulser.windows} windows of {what}, {scenario.duty:.0%} of every "
                     f"{scenario.period:g}s")
    if scenario.revoke_every is not None:
        parts.append(f"every token revoked {pulser.revoked} times")
    reasons = Counter(str(r["error"]).split(";")[0].split(": ", 1)[-1] for r in failed)
    if reasons:
        parts.append("failed: " + "; ".join(f"{n} x {why}" for why, n in reasons.most_common(3)))
    return ". ".join(parts)


@contextlib.contextmanager
def _lead_posted(url: str, token_url: str, email: str) -> Iterator[None]:
    """Take a token, then write a whole POST /leads on a socket of its own; leaving the
    block hangs up without reading a byte of the answer: a client that gave up waiting."""
    auth = httpx.BasicAuth("sandbox-client-id", "sandbox-client-secret")
    token = httpx.post(token_url, auth=auth, data={"grant_type": "client_credentials"}).json()
    body = json.dumps({"name": "Slow", "email": email,
                       "assistantEmail": "lyra@7targets.7ts-d.com"}).encode()
    where = urllib.parse.urlsplit(url)
    assert where.hostname is not None and where.port is not None
    head = (f"POST /leads HTTP/1.1\r\nHost: {where.netloc}\r\n"
            f"Authorization: Bearer {token['access_token']}\r\n"
            "7ts-user-identifier: sandbox-user\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        yield


def _admin(url: str, path: str, change: dict[str, Any] | None = None) -> Any:
    if change is None:
        return httpx.get(url + path).json()
    return httpx.put(url + path, json=change).json()


def _until(check: Callable[[], bool], what: str) -> None:
    """Ask a sandbox process's admin endpoint until `check()` holds (there is no other way
    to hear from the process); the count of asks is a safety net, not a wait."""
    for _ in range(6000):
        if check():
            return
        time.sleep(0.01)
    pytest.fail(f"{what}: not seen (asked 6000 times)")


def test_the_sandbox_acts_on_a_request_whose_client_gave_up_waiting() -> None:
    with SandboxServer(faults=Faults(latency=0.3)) as sandbox:
        sandbox.state.hold()  # the request stays inside the sandbox, unanswered
        with _lead_posted(sandbox.url, sandbox.token_url, "slow@example.org"):
            assert sandbox.state.wait_for(lambda s: s.held == 1, timeout=60)
        assert sandbox.state.post_counts == {}  # the client gave up before the sandbox acted
        sandbox.state.release()  # then its delay (the hang-up is seen meanwhile), then it acts
        assert sandbox.state.wait_for(lambda s: bool(s.post_counts), timeout=60)
        assert sandbox.state.post_counts == {"slow@example.org": 1}


def test_a_client_giving_up_leaves_no_traceback_in_the_sandbox_output(
    spawn_sandbox: Callable[..., Any]
) -> None:
    process = spawn_sandbox("--latency", "0.3")
    _admin(process.url, "/_sandbox/hold", {"holding": True})
    with _lead_posted(process.url, process.env["LEADBATCH_TOKEN_URL"], "slow@example.org"):
        _until(lambda: _admin(process.url, "/_sandbox/hold")["held"] == 1, "the request held")
    # let it go: the sandbox's delay runs out, the handler goes on and answers nobody
    _admin(process.url, "/_sandbox/hold", {"holding": False})
    _until(lambda: _admin(process.url, "/_sandbox/state")["post_counts"] == {
        "slow@example.org": 1}, "the lead acted on")
    assert process.stop() == 0
    assert "Traceback" not in process.stderr_text()


def test_a_slow_token_endpoint_times_out_like_any_other_call() -> None:
    with SandboxServer(faults=Faults(latency=0.8)) as sandbox:  # slower than the timeout
        api = load_api_settings(environ=sandbox.env())

        async def go() -> None:
            async with LeadsClient(api, timeout=0.2, retry=RetryPolicy(max_attempts=1)) as c:
                await c.create_lead({"name": "N", "email": "n@example.org",
                                     "assistantEmail": "lyra@7targets.7ts-d.com"})

        with pytest.raises(NetworkError):
            asyncio.run(go())
        # the token never came in time, so the lead was never sent
        assert sandbox.state.requests.get("/leads", 0) == 0
