"""The OAuth2 client-credentials flow: driven by hand (no network), then against the sandbox."""

from __future__ import annotations

import asyncio
import base64
import urllib.parse
from collections.abc import Awaitable, Callable

import httpx
import pytest
from pydantic import SecretStr

from leadbatch.config import ApiSettings
from leadbatch.errors import AuthError, RateLimited, ServerError
from leadbatch.models import Assistant
from leadbatch.sandbox import Faults, SandboxServer
from leadbatch.send import ClientCredentialsAuth, LeadsClient, RetryPolicy

TOKEN_URL = "https://login.example/oauth2/token"
API = "https://api.example/leads"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_auth(clock: Clock | None = None) -> ClientCredentialsAuth:
    return ClientCredentialsAuth(
        "my-id", SecretStr("my-secret"), "user-7", TOKEN_URL, clock=clock or Clock()
    )


def token_answer(token: str = "tok-1", expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(200, json={"access_token": token, "expires_in": expires_in, "token_type": "Bearer"})


def test_first_request_fetches_a_token_exactly_as_the_seed_shows() -> None:
    auth = make_auth()
    flow = auth.sync_auth_flow(httpx.Request("POST", API, json={"name": "x"}))
    token_request = next(flow)
    assert token_request.method == "POST"
    assert str(token_request.url) == TOKEN_URL
    expected = base64.b64encode(b"my-id:my-secret").decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(token_request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "scope": ["leads/post"],
    }
    api_request = flow.send(token_answer())
    assert api_request.headers["Authorization"] == "Bearer tok-1"
    assert api_request.headers["7ts-user-identifier"] == "user-7"
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(201, json={}))


def test_token_is_reused_then_refreshed_shortly_before_expiry() -> None:
    clock = Clock()
    auth = make_auth(clock)
    flow = auth.sync_auth_flow(httpx.Request("GET", API))
    next(flow)
    flow.send(token_answer("tok-1", 3600))

    clock.now += 3500  # 100 s left: more than the one-minute margin, still reused
    flow = auth.sync_auth_flow(httpx.Request("GET", API))
    assert next(flow).headers["Authorization"] == "Bearer tok-1"

    clock.now += 50  # 50 s left: refreshed before the server would refuse it
    flow = auth.sync_auth_flow(httpx.Request("GET", API))
    assert str(next(flow).url) == TOKEN_URL
    assert flow.send(token_answer("tok-2")).headers["Authorization"] == "Bearer tok-2"
    assert auth.token_requests == 2


def test_a_401_refreshes_once_and_resends_once() -> None:
    auth = make_auth()
    flow = auth.sync_auth_flow(httpx.Request("GET", API))
    next(flow)
    first = flow.send(token_answer("tok-1"))
    assert first.headers["Authorization"] == "Bearer tok-1"
    refresh = flow.send(httpx.Response(401, json={"message": "Unauthorized"}))
    assert str(refresh.url) == TOKEN_URL
    again = flow.send(token_answer("tok-2"))
    assert again.headers["Authorization"] == "Bearer tok-2"
    with pytest.raises(StopIteration):  # a second 401 is handed back, not looped on
        flow.send(httpx.Response(401, json={"message": "Unauthorized"}))
    assert auth.token_requests == 2


def test_a_401_for_a_token_already_replaced_does_not_refresh_again() -> None:
    auth = make_auth()
    slow = auth.sync_auth_flow(httpx.Request("GET", API))
    next(slow)
    assert slow.send(token_answer("tok-1")).headers["Authorization"] == "Bearer tok-1"
    fast = auth.sync_auth_flow(httpx.Request("GET", API))
    assert next(fast).headers["Authorization"] == "Bearer tok-1"
    assert str(fast.send(httpx.Response(401)).url) == TOKEN_URL  # fast refreshes...
    assert fast.send(token_answer("tok-2")).headers["Authorization"] == "Bearer tok-2"
    # ...so the slow request's 401 (for tok-1) is re-sent with tok-2, with no token request.
    assert slow.send(httpx.Response(401)).headers["Authorization"] == "Bearer tok-2"
    assert auth.token_requests == 2


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"error": "invalid_client"},
         "credentials rejected by the token endpoint (invalid_client): "
         "check LEADBATCH_CLIENT_ID and LEADBATCH_CLIENT_SECRET"),
        (400, {"error": "invalid_scope"},
         "the token endpoint refused the scope leads/post (invalid_scope): "
         "ask 7Targets to enable it for this client id"),
        (404, None,
         f"the token endpoint at {TOKEN_URL} refused the request (HTTP 404): check LEADBATCH_TOKEN_URL"),
    ],
)
def test_token_endpoint_refusals_are_auth_errors(status: int, body: object, message: str) -> None:
    auth = make_auth()
    flow = auth.sync_auth_flow(httpx.Request("GET", API))
    next(flow)
    answer = httpx.Response(status, json=body) if body is not None else httpx.Response(status, text="nope")
    with pytest.raises(AuthError) as caught:
        flow.send(answer)
    assert str(caught.value) == message
    assert caught.value.status == status
    assert "my-secret" not in str(caught.value)


def test_token_endpoint_5xx_and_429_are_transient() -> None:
    auth = make_auth()
    flow = auth.sync_auth_flow(httpx.Request("GET", API))
    next(flow)
    with pytest.raises(ServerError) as server_error:
        flow.send(httpx.Response(503))
    assert server_error.value.status == 503
    flow = auth.sync_auth_flow(httpx.Request("GET", API))
    next(flow)
    with pytest.raises(RateLimited) as limited:
        flow.send(httpx.Response(429, headers={"Retry-After": "3"}))
    assert limited.value.retry_after == 3.0


def test_a_200_without_a_token_points_at_the_token_url() -> None:
    auth = make_auth()
    flow = auth.sync_auth_flow(httpx.Request("GET", API))
    next(flow)
    with pytest.raises(AuthError, match="answered without an access token: check LEADBATCH_TOKEN_URL"):
        flow.send(httpx.Response(200, text="<html>login page</html>"))


def test_the_async_flow_driven_by_hand() -> None:
    async def drive() -> list[str]:
        auth = make_auth()
        flow = auth.async_auth_flow(httpx.Request("GET", API))
        token_request = await flow.__anext__()
        api_request = await flow.asend(token_answer("tok-9"))
        with pytest.raises(StopAsyncIteration):
            await flow.asend(httpx.Response(200))
        return [str(token_request.url), api_request.headers["Authorization"]]

    assert asyncio.run(drive()) == [TOKEN_URL, "Bearer tok-9"]


def test_repr_shows_no_secret() -> None:
    auth = make_auth()
    assert "my-secret" not in repr(auth)
    assert base64.b64encode(b"my-id:my-secret").decode() not in repr(auth)


# --- against the sandbox --------------------------------------------------------------------


def settings_for(server: SandboxServer, **changes: str) -> ApiSettings:
    env = server.env()
    return ApiSettings(
        client_id=changes.get("client_id", env["LEADBATCH_CLIENT_ID"]),
        client_secret=SecretStr(changes.get("client_secret", env["LEADBATCH_CLIENT_SECRET"])),
        user_identifier=changes.get("user_identifier", env["LEADBATCH_USER_IDENTIFIER"]),
        api_url=server.url,
        token_url=server.token_url,
    )


LEAD = {"name": "Ann", "email": "ann@example.com", "assistantEmail": "lyra@7targets.7ts-d.com"}


def lead(n: int) -> dict[str, str]:
    return {**LEAD, "email": f"lead{n}@example.com"}


def test_one_token_for_many_calls(sandbox: SandboxServer) -> None:
    async def go() -> None:
        async with LeadsClient(settings_for(sandbox)) as client:
            for n in range(5):
                await client.create_lead(lead(n))
            await client.assistants()

    asyncio.run(go())
    assert sandbox.state.requests["/oauth2/token"] == 1
    assert sandbox.state.requests["/leads"] == 5


def test_fifty_concurrent_calls_share_one_token(sandbox: SandboxServer) -> None:
    async def go() -> list[int]:
        async with LeadsClient(settings_for(sandbox)) as client:
            sent = await asyncio.gather(*(client.create_lead(lead(n)) for n in range(50)))
        return [s.http_status for s in sent]

    assert asyncio.run(go()) == [201] * 50
    assert sandbox.state.requests["/oauth2/token"] == 1
    assert len(sandbox.state.leads) == 50


def test_expired_tokens_give_401_then_one_shared_refresh(sandbox: SandboxServer) -> None:
    async def go() -> list[int]:
        async with LeadsClient(settings_for(sandbox)) as client:
            await client.create_lead(lead(0))
            sandbox.state.expire_tokens()  # the server forgets every token: each call gets 401
            sent = await asyncio.gather(*(client.create_lead(lead(n)) for n in range(1, 21)))
        return [s.attempts for s in sent]

    assert asyncio.run(go()) == [1] * 20  # the 401 round trip is not a retry
    assert sandbox.state.requests["/oauth2/token"] == 2
    assert len(sandbox.state.leads) == 21


def test_refresh_near_expiry_with_an_injected_clock() -> None:
    clock = Clock()
    with SandboxServer(faults=Faults(token_lifetime=60)) as server:

        async def go() -> None:
            async with LeadsClient(settings_for(server), clock=clock) as client:
                await client.create_lead(lead(1))
                clock.now += 50  # 10 s left of 60: more than the 6 s margin, reused
                await client.create_lead(lead(2))
                clock.now += 5  # 5 s left: refreshed before the server would refuse it
                await client.create_lead(lead(3))

        asyncio.run(go())
        assert server.state.requests["/oauth2/token"] == 2
        assert server.state.requests["/leads"] == 3


def test_rejected_credentials_are_an_auth_error_not_retried(sandbox: SandboxServer) -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    with pytest.raises(AuthError) as caught:
        asyncio.run(
            _assistants(settings_for(sandbox, client_secret="wrong"), sleep=sleep)
        )
    assert str(caught.value) == (
        "credentials rejected by the token endpoint (invalid_client): "
        "check LEADBATCH_CLIENT_ID and LEADBATCH_CLIENT_SECRET"
    )
    assert sleeps == []
    assert sandbox.state.requests["/oauth2/token"] == 1


def test_unknown_user_identifier_is_an_auth_error(sandbox: SandboxServer) -> None:
    with pytest.raises(AuthError) as caught:
        asyncio.run(_assistants(settings_for(sandbox, user_identifier="someone-else")))
    assert caught.value.status == 403
    assert str(caught.value).endswith("check LEADBATCH_USER_IDENTIFIER")


def test_token_endpoint_errors_are_retried(sandbox: SandboxServer) -> None:
    sandbox.state.set_faults(Faults(token_error=1.0))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        sandbox.state.set_faults(Faults())  # the token endpoint recovers

    found = asyncio.run(_assistants(settings_for(sandbox), sleep=sleep))
    assert len(found) == 2
    assert len(sleeps) == 1
    assert sandbox.state.requests["/oauth2/token"] == 2


async def _assistants(
    settings: ApiSettings, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> list[Assistant]:
    async with LeadsClient(settings, retry=RetryPolicy(max_attempts=3), sleep=sleep) as client:
        return await client.assistants()
