"""The API client against the sandbox over real sockets: calls, paging, each error class,
retries (with injected sleep, so no test waits), on both HTTP transports where it matters."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import random
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from leadbatch.config import ApiSettings
from leadbatch.errors import (
    AuthError,
    NetworkError,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    TokenNetworkError,
    UsageError,
)
from leadbatch.read import load_assistants
from leadbatch.sandbox import Faults, SandboxServer
from leadbatch.send import LeadsClient, RetryPolicy, Sent, fetch_assistants, parse_retry_after
from leadbatch.send.transport import TRANSPORT_KINDS, TransportKind, make_transport

T = TypeVar("T")
LYRA = "lyra@7targets.7ts-d.com"
ASHLEY = "missashley@7targets.7ts-d.com"


def settings_for(server: SandboxServer) -> ApiSettings:
    return ApiSettings(
        client_id="sandbox-client-id",
        client_secret=SecretStr("sandbox-client-secret"),
        user_identifier="sandbox-user",
        api_url=server.url,
        token_url=server.token_url,
    )


def body(email: str = "ann@example.com", **extra: Any) -> dict[str, Any]:
    return {"name": "Ann", "email": email, "assistantEmail": LYRA, **extra}


class Sleeps:
    """An injected sleep: records each wait and, optionally, heals the sandbox on the first."""

    def __init__(self, server: SandboxServer | None = None) -> None:
        self.waits: list[float] = []
        self.server = server

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.server is not None:
            self.server.state.set_faults(Faults())


def call(
    server: SandboxServer,
    work: Callable[[LeadsClient], Awaitable[T]],
    *,
    kind: TransportKind | None = None,
    **kw: Any,
) -> T:
    async def go() -> T:
        transport = make_transport(kind) if kind else None
        async with LeadsClient(settings_for(server), transport=transport, **kw) as client:
            return await work(client)

    return asyncio.run(go())


@pytest.fixture(params=TRANSPORT_KINDS)
def kind(request: pytest.FixtureRequest) -> TransportKind:
    value: TransportKind = request.param
    return value


# --- the calls -------------------------------------------------------------------------------


def test_create_update_stop(sandbox: SandboxServer) -> None:
    async def work(client: LeadsClient) -> list[Sent]:
        created = await client.create_lead(body(lastName="Lee", customFields=[{"name": "plan", "value": "pro"}]))
        updated = await client.update_lead(body(id=created.lead.id, name="Anne", assistantEmail=ASHLEY))
        stopped = await client.send("stop", body(id=created.lead.id))
        return [created, updated, stopped]

    created, updated, stopped = call(sandbox, work)
    assert (created.http_status, updated.http_status, stopped.http_status) == (201, 200, 200)
    assert created.lead.id == updated.lead.id == stopped.lead.id
    assert created.lead.next_schedule_time is not None
    assert created.lead.assistant_id == 135 and updated.lead.assistant_id == 61
    assert stopped.lead.next_schedule_time is None
    stored = sandbox.state.leads["ann@example.com"]
    assert stored["name"] == "Anne" and stored["lastName"] == "Lee"
    assert stored["customFields"] == [{"name": "plan", "value": "pro"}]


def test_post_is_create_or_assign(sandbox: SandboxServer) -> None:
    async def work(client: LeadsClient) -> tuple[Sent, Sent]:
        return await client.create_lead(body()), await client.create_lead(body(assistantEmail=ASHLEY))

    first, second = call(sandbox, work)
    assert second.http_status == 201
    assert first.lead.id == second.lead.id
    assert second.lead.assistant_id == 61
    assert sandbox.state.post_counts == {"ann@example.com": 2}


def test_paging_follows_every_page(sandbox: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "assistants.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Name", "Email", "Per Day Email Limit", "Default Schedule Id", "id"])
        for n in range(23):
            writer.writerow([f"Bot {n}", f"bot{n}@example.com", 50 + n, 900 + n, n + 1])
    with SandboxServer(assistants=load_assistants(path)) as server:
        found = fetch_assistants(settings_for(server), page_size=10)
        assert server.state.requests["/leads/assistant"] == 3
    assert [a.email for a in found] == [f"bot{n}@example.com" for n in range(23)]
    assert found[22].per_day_email_limit == 72 and found[22].default_schedule_id == 922


def test_a_full_last_page_costs_one_empty_page(sandbox: SandboxServer) -> None:
    found = fetch_assistants(settings_for(sandbox), page_size=2)
    assert [a.id for a in found] == [61, 135]
    assert sandbox.state.requests["/leads/assistant"] == 2


def test_search_is_passed_to_the_api(sandbox: SandboxServer) -> None:
    assert [a.name for a in fetch_assistants(settings_for(sandbox), search="lyra")] == ["Lyraa"]


# --- errors that retrying cannot fix ---------------------------------------------------------


def test_400_keeps_the_server_message_and_is_not_retried(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    with pytest.raises(RequestRejected) as caught:
        call(sandbox, lambda c: c.create_lead(body(assistantEmail="nobody@example.com")), sleep=sleeps)
    assert caught.value.message == "No assistant found with email nobody@example.com"
    assert (caught.value.status, caught.value.attempts) == (400, 1)
    assert sleeps.waits == []
    assert sandbox.state.requests["/leads"] == 1


def test_rejected_email_keeps_its_message(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(Faults(reject_emails=("@blocked.example",)))
    with pytest.raises(RequestRejected) as caught:
        call(sandbox, lambda c: c.create_lead(body("x@blocked.example")))
    assert caught.value.message == "Lead email x@blocked.example is not accepted (blocked address)"


def test_404_for_an_unknown_lead(sandbox: SandboxServer) -> None:
    with pytest.raises(NotFound) as caught:
        call(sandbox, lambda c: c.update_lead(body("ghost@example.com")))
    assert (caught.value.status, caught.value.message, caught.value.attempts) == (404, "Lead not found", 1)


# --- retries ---------------------------------------------------------------------------------


def test_429_honours_retry_after(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(Faults(rate_limit=1.0, retry_after=7))
    sleeps = Sleeps(sandbox)
    sent = call(sandbox, lambda c: c.create_lead(body()), sleep=sleeps)
    assert sleeps.waits == [7.0]
    assert (sent.http_status, sent.attempts) == (201, 2)


def test_429_longer_than_the_time_budget_gives_up_at_once(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(Faults(rate_limit=1.0, retry_after=300))
    sleeps = Sleeps()
    with pytest.raises(RateLimited) as caught:
        call(sandbox, lambda c: c.create_lead(body()), sleep=sleeps, retry=RetryPolicy(max_total=60))
    assert (caught.value.retry_after, caught.value.attempts, caught.value.status) == (300.0, 1, 429)
    assert sleeps.waits == []


def test_5xx_is_retried_then_succeeds(sandbox: SandboxServer, kind: TransportKind) -> None:
    sandbox.state.set_faults(Faults(server_error=1.0))
    sleeps = Sleeps(sandbox)
    sent = call(sandbox, lambda c: c.create_lead(body()), sleep=sleeps, kind=kind, rng=random.Random(1))
    assert (sent.http_status, sent.attempts) == (201, 2)
    assert len(sleeps.waits) == 1 and 0.25 <= sleeps.waits[0] <= 0.5  # base 0.5, jittered


def test_5xx_exhausted_is_a_server_error(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(Faults(server_error=1.0))
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0)
    with pytest.raises(ServerError) as caught:
        call(sandbox, lambda c: c.create_lead(body()), sleep=sleeps, retry=policy, rng=random.Random(7))
    assert caught.value.attempts == 4
    assert caught.value.status in (500, 502, 503)
    assert "gave up after 4 attempts" in str(caught.value)
    assert len(sleeps.waits) == 3
    for n, wait in enumerate(sleeps.waits, 1):  # exponential, capped at max_delay, jittered
        ceiling = min(3.0, 1.0 * 2 ** (n - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert sandbox.state.requests["/leads"] == 4


def test_total_time_cap_stops_retries(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(Faults(server_error=1.0))
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    policy = RetryPolicy(max_attempts=100, base_delay=4.0, max_delay=4.0, max_total=10.0)
    with pytest.raises(ServerError) as caught:
        call(sandbox, lambda c: c.create_lead(body()), sleep=sleep, clock=lambda: now[0], retry=policy)
    assert now[0] <= 10.0
    assert 2 <= caught.value.attempts <= 6


def test_dropped_connection_is_retried_and_the_lead_is_not_duplicated(
    sandbox: SandboxServer, kind: TransportKind
) -> None:
    sandbox.state.set_faults(Faults(drop=1.0))
    sleeps = Sleeps(sandbox)
    sent = call(sandbox, lambda c: c.create_lead(body()), sleep=sleeps, kind=kind)
    assert (sent.http_status, sent.attempts) == (201, 2)
    # The first POST was acted on but its answer lost; create-or-assign made the resend safe.
    assert sandbox.state.post_counts == {"ann@example.com": 2}
    assert len(sandbox.state.leads) == 1


def test_dropped_connections_exhausted_are_a_network_error(sandbox: SandboxServer, kind: TransportKind) -> None:
    sandbox.state.set_faults(Faults(drop=1.0))
    with pytest.raises(NetworkError) as caught:
        call(sandbox, lambda c: c.create_lead(body()), sleep=Sleeps(), kind=kind,
             retry=RetryPolicy(max_attempts=3))
    assert caught.value.attempts == 3 and caught.value.status is None
    assert str(caught.value) == (
        f"POST {sandbox.url}/leads: the connection was dropped before an answer came back "
        "(gave up after 3 attempts)"
    )


def test_read_timeout_is_a_network_error(sandbox: SandboxServer, kind: TransportKind) -> None:
    async def work(client: LeadsClient) -> None:
        await client.assistants()  # token fetched, before the sandbox holds anything
        sandbox.state.hold()  # no answer to a lead call until the test ends
        await client.create_lead(body())

    with pytest.raises(NetworkError) as caught:
        call(sandbox, work, kind=kind, timeout=0.2, retry=RetryPolicy(max_attempts=1))
    assert str(caught.value) == f"POST {sandbox.url}/leads: no answer before the read timeout"
    assert sandbox.state.requests["/oauth2/token"] == 1
    assert sandbox.state.held == 1  # the request was in, its answer never came


def test_connection_refused_is_a_network_error(kind: TransportKind) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ApiSettings(
        client_id="a", client_secret=SecretStr("b"), user_identifier="c",
        api_url=f"http://127.0.0.1:{port}", token_url=f"http://127.0.0.1:{port}/oauth2/token",
    )
    sleeps = Sleeps()

    async def go() -> None:
        async with LeadsClient(settings, transport=make_transport(kind), sleep=sleeps,
                               retry=RetryPolicy(max_attempts=2)) as client:
            await client.create_lead(body())

    with pytest.raises(TokenNetworkError) as caught:  # a NetworkError that never left
        asyncio.run(go())
    assert str(caught.value) == (
        # the token request is the first to fail: the row never reached the API
        f"POST http://127.0.0.1:{port}/oauth2/token: could not connect (gave up after 2 attempts)"
    )
    assert len(sleeps.waits) == 1


def test_many_concurrent_calls_with_faults_all_end_well(sandbox: SandboxServer, kind: TransportKind) -> None:
    sandbox.state.set_faults(Faults(rate_limit=0.1, retry_after=0, server_error=0.1, drop=0.1, seed=3))

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    async def work(client: LeadsClient) -> list[Sent]:
        return await asyncio.gather(*(client.create_lead(body(f"l{n}@example.com")) for n in range(60)))

    sent = call(sandbox, work, kind=kind, sleep=no_wait, retry=RetryPolicy(max_attempts=10))
    assert sorted(s.lead.email or "" for s in sent) == sorted(f"l{n}@example.com" for n in range(60))
    assert len(sandbox.state.leads) == 60
    assert sandbox.state.requests["/oauth2/token"] == 1


# --- units: the error mapping edge and Retry-After ---------------------------------------------


def test_a_401_after_a_fresh_token_is_an_auth_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(401, json={"message": "Unauthorized"})

    settings = ApiSettings(client_id="a", client_secret=SecretStr("b"), user_identifier="c",
                           api_url="https://api.test", token_url="https://login.test/oauth2/token")

    async def go() -> None:
        async with LeadsClient(settings, transport=httpx.MockTransport(handler)) as client:
            await client.create_lead(body())

    with pytest.raises(AuthError) as caught:
        asyncio.run(go())
    assert caught.value.status == 401
    assert str(caught.value).startswith("POST /leads: the API rejected a fresh access token (401: Unauthorized)")


def test_bad_api_url_is_a_usage_error() -> None:
    settings = ApiSettings(client_id="a", client_secret=SecretStr("b"), user_identifier="c",
                           api_url="api.7targets.com")
    with pytest.raises(UsageError, match=r"^LEADBATCH_API_URL is not an http\(s\) URL: 'api.7targets.com'$"):
        LeadsClient(settings)


def test_retry_after_forms() -> None:
    now = dt.datetime(2024, 11, 20, 10, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("0.5", now) == 0.5
    assert parse_retry_after("Wed, 20 Nov 2024 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 20 Nov 2024 09:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_retry_after_as_an_http_date_is_measured_from_the_server_date() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(429, headers={
                "Date": "Wed, 20 Nov 2024 10:00:00 GMT",
                "Retry-After": "Wed, 20 Nov 2024 10:00:12 GMT",
            })
        return httpx.Response(201, json={"id": 5, "email": "ann@example.com"})

    settings = ApiSettings(client_id="a", client_secret=SecretStr("b"), user_identifier="c",
                           api_url="https://api.test", token_url="https://login.test/oauth2/token")
    sleeps = Sleeps()

    async def go() -> Sent:
        async with LeadsClient(settings, transport=httpx.MockTransport(handler), sleep=sleeps) as client:
            return await client.create_lead(body())

    sent = asyncio.run(go())
    assert sleeps.waits == [12.0]
    assert (sent.lead.id, sent.attempts) == (5, 2)
