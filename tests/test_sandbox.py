"""The sandbox answers like the real 7Targets API, over real sockets, faults included."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leadbatch.config import SequenceSpec
from leadbatch.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_USER,
    Faults,
    SandboxServer,
)

LYRA = "lyra@7targets.7ts-d.com"
SEED_KEYS = [
    "id", "name", "lastName", "type", "email", "phone", "scheduleId", "scheduleName",
    "assistantId", "nextScheduleTime", "state", "subState", "followup", "customFields",
]


def get_token(server: SandboxServer) -> str:
    answer = httpx.post(
        server.token_url,
        auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
        data={"grant_type": "client_credentials", "scope": "leads/post"},
    )
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "Bearer"
    assert answer.json()["expires_in"] == server.state.faults.token_lifetime
    token: str = answer.json()["access_token"]
    return token


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {get_token(sandbox)}", "7ts-user-identifier": SANDBOX_USER}
    with httpx.Client(base_url=sandbox.url, headers=headers) as client:
        yield client


def lead(email: str = "ann@example.com", **extra: Any) -> dict[str, Any]:
    return {"name": "Ann", "email": email, "assistantEmail": LYRA, **extra}


# --- the token endpoint ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "form", "error"),
    [
        ((SANDBOX_CLIENT_ID, "wrong"), {"grant_type": "client_credentials", "scope": "leads/post"}, "invalid_client"),
        (None, {"grant_type": "client_credentials", "scope": "leads/post"}, "invalid_client"),
        ((SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), {"grant_type": "password"}, "unsupported_grant_type"),
        ((SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), {"grant_type": "client_credentials", "scope": "admin"}, "invalid_scope"),
    ],
)
def test_token_endpoint_refuses_like_cognito(
    sandbox: SandboxServer, auth: tuple[str, str] | None, form: dict[str, str], error: str
) -> None:
    answer = httpx.post(sandbox.token_url, auth=auth, data=form)
    assert (answer.status_code, answer.json()) == (400, {"error": error})


def test_token_endpoint_takes_the_seeds_curl_exactly(sandbox: SandboxServer) -> None:
    basic = base64.b64encode(f"{SANDBOX_CLIENT_ID}:{SANDBOX_CLIENT_SECRET}".encode()).decode()
    answer = httpx.post(
        sandbox.token_url,
        headers={"authorization": f"Basic {basic}", "content-type": "application/x-www-form-urlencoded"},
        content=b"grant_type=client_credentials&scope=leads%2Fpost",
    )
    assert answer.status_code == 200 and answer.json()["expires_in"] == 3600


# --- the API's checks --------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
def test_api_needs_a_valid_bearer_token(sandbox: SandboxServer, authorization: str | None) -> None:
    headers = {"7ts-user-identifier": SANDBOX_USER}
    if authorization:
        headers["Authorization"] = authorization
    answer = httpx.post(f"{sandbox.url}/leads", json=lead(), headers=headers)
    assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized"})
    assert sandbox.state.leads == {}


def test_expired_token_is_refused(sandbox: SandboxServer, api: httpx.Client) -> None:
    assert api.get("/leads/assistant").status_code == 200
    sandbox.state.expire_tokens()
    assert api.get("/leads/assistant").status_code == 401


def test_token_lifetime_is_enforced() -> None:
    now = [0.0]
    with SandboxServer(faults=Faults(token_lifetime=60), clock=lambda: now[0]) as server:
        headers = {"Authorization": f"Bearer {get_token(server)}", "7ts-user-identifier": SANDBOX_USER}
        now[0] = 59.0
        assert httpx.get(f"{server.url}/leads/assistant", headers=headers).status_code == 200
        now[0] = 60.0
        assert httpx.get(f"{server.url}/leads/assistant", headers=headers).status_code == 401


@pytest.mark.parametrize("user", [None, "someone-else"])
def test_user_identifier_is_checked(sandbox: SandboxServer, user: str | None) -> None:
    headers = {"Authorization": f"Bearer {get_token(sandbox)}"}
    if user:
        headers["7ts-user-identifier"] = user
    answer = httpx.get(f"{sandbox.url}/leads/assistant", headers=headers)
    assert answer.status_code == 403
    assert answer.json() == {"message": "User is not authorized: missing or unknown 7ts-user-identifier"}


@pytest.mark.parametrize("content", [b"", b"{}", b"  "])
def test_body_cannot_be_empty(api: httpx.Client, content: bytes) -> None:
    answer = api.post("/leads", content=content, headers={"content-type": "application/json"})
    assert (answer.status_code, answer.json()) == (400, {"message": "Request body can't be empty"})


@pytest.mark.parametrize("missing", ["name", "email", "assistantEmail"])
def test_mandatory_fields(api: httpx.Client, missing: str) -> None:
    body = lead()
    del body[missing]
    for method, path in (("POST", "/leads"), ("PUT", "/leads"), ("PUT", "/leads/stop/followup")):
        answer = api.request(method, path, json=body)
        assert (answer.status_code, answer.json()) == (400, {"message": f"{missing} is mandatory"})


def test_unknown_assistant(api: httpx.Client) -> None:
    answer = api.post("/leads", json=lead(assistantEmail="nobody@example.com"))
    assert (answer.status_code, answer.json()) == (400, {"message": "No assistant found with email nobody@example.com"})


def test_create_answers_in_the_seeds_shape(api: httpx.Client) -> None:
    answer = api.post("/leads", json=lead(lastName="Lee", phone="+919123456789",
                                          customFields=[{"name": "productName", "value": "Tesla S Model"}]))
    assert answer.status_code == 201
    data = answer.json()
    assert list(data) == SEED_KEYS
    assert data["type"] == "SALES" and data["state"] == "Cold" and data["subState"] == "Followup"
    assert data["followup"] == 1 and data["assistantId"] == 135 and data["scheduleId"] == 135
    assert data["customFields"] == [{"name": "productName", "value": "Tesla S Model"}]
    assert data["nextScheduleTime"].endswith("+00:00")


def test_create_or_assign_by_email(sandbox: SandboxServer, api: httpx.Client) -> None:
    first = api.post("/leads", json=lead("Ann@Example.com")).json()
    second = api.post("/leads", json=lead("ann@example.com", assistantEmail="missashley@7targets.7ts-d.com"))
    assert second.status_code == 201
    assert second.json()["id"] == first["id"] and second.json()["assistantId"] == 61
    assert sandbox.state.post_counts == {"ann@example.com": 2}


def test_update_by_id_or_email_and_email_cannot_change(api: httpx.Client) -> None:
    created = api.post("/leads", json=lead()).json()
    by_email = api.put("/leads", json=lead(name="Anne", scheduleName="Webinar"))
    assert by_email.status_code == 200 and by_email.json()["name"] == "Anne"
    assert by_email.json()["scheduleName"] == "Webinar"
    by_id = api.put("/leads", json=lead(id=created["id"], lastName="Lee"))
    assert by_id.status_code == 200 and by_id.json()["lastName"] == "Lee"
    changed = api.put("/leads", json=lead("other@example.com", id=created["id"]))
    assert (changed.status_code, changed.json()) == (400, {"message": "Email id cannot be updated"})


def test_put_for_a_lead_that_does_not_exist_is_404(api: httpx.Client) -> None:
    for path in ("/leads", "/leads/stop/followup"):
        answer = api.put(path, json=lead("ghost@example.com"))
        assert (answer.status_code, answer.json()) == (404, {"message": "Lead not found"})
        answer = api.put(path, json=lead(id=999999))
        assert answer.status_code == 404


def test_stop_followup_clears_the_next_time(api: httpx.Client) -> None:
    api.post("/leads", json=lead())
    answer = api.put("/leads/stop/followup", json=lead())
    assert answer.status_code == 200 and answer.json()["nextScheduleTime"] is None


def test_known_sequences_set_the_first_send_and_unknown_ones_are_refused() -> None:
    today = dt.datetime(2030, 1, 7, 9, 30, 15, 250_000, tzinfo=dt.UTC)  # the sandbox's wall clock
    with SandboxServer(sequences=[SequenceSpec(name="Start in 3 days", id=501, steps=(3, 6))],
                       wall_clock=lambda: today) as server:
        headers = {"Authorization": f"Bearer {get_token(server)}", "7ts-user-identifier": SANDBOX_USER}
        with httpx.Client(base_url=server.url, headers=headers) as api:
            later = api.post("/leads", json=lead(scheduleName="Start in 3 days")).json()
            now = api.post("/leads", json=lead("bo@example.com")).json()
            unknown = api.post("/leads", json=lead("cy@example.com", scheduleName="start in 3 days"))
    assert later["scheduleId"] == 501
    assert now["nextScheduleTime"] == "2030-01-07T09:30:15+00:00"  # to the second, as the API
    gap = dt.datetime.fromisoformat(later["nextScheduleTime"]) - dt.datetime.fromisoformat(now["nextScheduleTime"])
    assert gap == dt.timedelta(days=3)
    assert (unknown.status_code, unknown.json()) == (400, {"message": "No sequence found with name 'start in 3 days'"})


# --- assistants --------------------------------------------------------------------------------


def test_assistants_are_the_seeds(api: httpx.Client) -> None:
    answer = api.get("/leads/assistant", params={"searchString": "", "page": 0, "size": 10,
                                                  "sort": "lastModifiedDate,desc"})
    assert answer.status_code == 200
    data = answer.json()
    assert [(a["id"], a["name"], a["emailid"], a["defaultScheduleId"], a["perDayEmailLimit"]) for a in data] == [
        (61, "Ashley", "missashley@7targets.7ts-d.com", 127, 200),
        (135, "Lyraa", "lyra@7targets.7ts-d.com", 135, 200),
    ]
    assert data[0]["organisationId"] == 45 and data[0]["defaultScheduleIdForEmailCC"] == 3618
    assert data[0]["completeSignature"].startswith('<p style="font-size: 14px;')


def test_assistant_pages_search_and_sort(api: httpx.Client) -> None:
    assert [a["id"] for a in api.get("/leads/assistant", params={"page": 0, "size": 1}).json()] == [61]
    assert [a["id"] for a in api.get("/leads/assistant", params={"page": 1, "size": 1}).json()] == [135]
    assert api.get("/leads/assistant", params={"page": 2, "size": 1}).json() == []
    assert [a["name"] for a in api.get("/leads/assistant", params={"searchString": "ASH"}).json()] == ["Ashley"]
    assert [a["id"] for a in api.get("/leads/assistant", params={"sort": "id,desc"}).json()] == [135, 61]
    bad = api.get("/leads/assistant", params={"sort": "colour,asc"})
    assert bad.status_code == 400


# --- faults ------------------------------------------------------------------------------------


def test_rate_limit_and_server_errors(sandbox: SandboxServer, api: httpx.Client) -> None:
    sandbox.state.set_faults(Faults(rate_limit=1.0, retry_after=2.5))
    limited = api.post("/leads", json=lead())
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2.5")
    sandbox.state.set_faults(Faults(server_error=1.0))
    assert api.post("/leads", json=lead()).status_code in (500, 502, 503)
    assert sandbox.state.leads == {}  # neither was acted on


def test_faults_are_repeatable_with_a_seed() -> None:
    def statuses() -> list[int]:
        with SandboxServer(faults=Faults(rate_limit=0.3, server_error=0.3, seed=42)) as server:
            headers = {"Authorization": f"Bearer {get_token(server)}", "7ts-user-identifier": SANDBOX_USER}
            with httpx.Client(base_url=server.url, headers=headers) as api:
                return [api.get("/leads/assistant").status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert {200, 429} <= set(first) and len(set(first)) >= 3


def raw_post(server: SandboxServer, token: str, body: bytes) -> bytes:
    request = (
        b"POST /leads HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer " + token.encode()
        + b"\r\n7ts-user-identifier: " + SANDBOX_USER.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
        + b"\r\n\r\n" + body
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received and not received.startswith(b"HTTP/1.1 1"):
                break
        return received


def test_a_dropped_connection_gets_no_http_answer_at_all(sandbox: SandboxServer) -> None:
    token = get_token(sandbox)
    sandbox.state.set_faults(Faults(drop=1.0))
    assert raw_post(sandbox, token, json.dumps(lead()).encode()) == b""
    assert "ann@example.com" in sandbox.state.leads  # acted on, then the answer was lost
    sandbox.state.set_faults(Faults())
    assert raw_post(sandbox, token, json.dumps(lead()).encode()).startswith(b"HTTP/1.1 201")


def test_reject_email_rule(sandbox: SandboxServer, api: httpx.Client) -> None:
    sandbox.state.set_faults(Faults(reject_emails=("bad@example.com", "@spam.test")))
    assert api.post("/leads", json=lead("bad@example.com")).status_code == 400
    assert api.post("/leads", json=lead("x@spam.test")).status_code == 400
    assert api.post("/leads", json=lead("ok@example.com")).status_code == 201


def test_many_concurrent_connections(sandbox: SandboxServer) -> None:
    token = get_token(sandbox)

    async def one(n: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", sandbox.port)
        body = json.dumps(lead(f"c{n}@example.com")).encode()
        writer.write(
            b"POST /leads HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n"
            + f"Authorization: Bearer {token}\r\n7ts-user-identifier: {SANDBOX_USER}\r\n".encode()
            + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        answer = await reader.read()  # until the server closes (Connection: close)
        writer.close()
        await writer.wait_closed()
        return answer.split(b"\r\n", 1)[0]

    async def all_at_once() -> list[bytes]:
        return await asyncio.gather(*(one(n) for n in range(300)))

    assert asyncio.run(all_at_once()) == [b"HTTP/1.1 201 Created"] * 300
    assert len(sandbox.state.leads) == 300


def test_answers_are_not_held_back_by_nagle(sandbox: SandboxServer) -> None:
    # Regression: without TCP_NODELAY every keep-alive answer waited ~40 ms for an ACK.
    with socket.create_connection(("127.0.0.1", sandbox.port)) as sock:
        sock.sendall(b"GET /_sandbox/state HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        server_side = list(sandbox._transports.values())
        assert server_side
        for transport in server_side:
            raw = transport.get_extra_info("socket")
            assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


# --- admin -------------------------------------------------------------------------------------


def test_admin_state_faults_reset(sandbox: SandboxServer, api: httpx.Client) -> None:
    api.post("/leads", json=lead())
    state = httpx.get(f"{sandbox.url}/_sandbox/state").json()
    assert list(state["leads"]) == ["ann@example.com"]
    assert state["post_counts"] == {"ann@example.com": 1}
    assert state["requests"] == {"/oauth2/token": 1, "/leads": 1}

    changed = httpx.put(f"{sandbox.url}/_sandbox/faults", json={"latency": 0.01, "reject_emails": ["@x.test"]})
    assert changed.status_code == 200 and changed.json()["reject_emails"] == ["@x.test"]
    assert sandbox.state.faults.latency == 0.01
    bad = httpx.put(f"{sandbox.url}/_sandbox/faults", json={"drop": 3})
    assert bad.status_code == 400 and "drop" in bad.json()["message"]
    unknown = httpx.put(f"{sandbox.url}/_sandbox/faults", json={"explode": True})
    assert unknown.status_code == 400 and "explode" in unknown.json()["message"]

    assert httpx.post(f"{sandbox.url}/_sandbox/reset").status_code == 200
    assert httpx.get(f"{sandbox.url}/_sandbox/state").json() == {"leads": {}, "post_counts": {}, "requests": {}}


def test_unknown_path_and_method_answer_json(sandbox: SandboxServer) -> None:
    missing = httpx.get(f"{sandbox.url}/nope")
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})
    wrong = httpx.delete(f"{sandbox.url}/leads")
    assert (wrong.status_code, wrong.json()) == (405, {"message": "Method Not Allowed"})


def test_stop_is_clean_with_a_request_in_flight() -> None:
    server = SandboxServer(faults=Faults(latency=0.3)).start()
    headers = {"Authorization": f"Bearer {get_token(server)}", "7ts-user-identifier": SANDBOX_USER}
    server.state.hold()  # the lead call below stays inside the server until it stops
    errors: list[BaseException] = []
    answers: list[int] = []

    def held() -> None:
        try:
            answers.append(httpx.post(f"{server.url}/leads", json=lead(), headers=headers,
                                      timeout=30).status_code)
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=held)
    thread.start()
    assert server.state.wait_for(lambda s: s.held == 1, timeout=30), "the request never arrived"
    server.stop()
    thread.join(30)
    # the in-flight request was let go, waited out its latency and was answered before the
    # server stopped
    assert (errors, answers) == ([], [201])
    assert server.state.post_counts == {"ann@example.com": 1}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/_sandbox/state")


def test_the_hold_keeps_lead_calls_waiting_until_released(sandbox: SandboxServer,
                                                          api: httpx.Client) -> None:
    sandbox.state.hold(passing=1)
    answers: list[int] = []

    def post(email: str) -> None:  # a client of its own per thread
        answers.append(httpx.post(f"{sandbox.url}/leads", json=lead(email), headers=api.headers,
                                  timeout=30).status_code)

    post("first@example.com")
    assert answers == [201]  # let through
    threads = [threading.Thread(target=post, args=(f"held{i}@example.com",)) for i in range(2)]
    for t in threads:
        t.start()
    assert sandbox.state.wait_for(lambda s: s.held == 2, timeout=30)
    # counted and received, not acted on; other calls go on meanwhile
    assert sandbox.state.requests["/leads"] == 3
    assert sandbox.state.post_counts == {"first@example.com": 1}
    assert api.get("/leads/assistant").status_code == 200
    status = httpx.get(f"{sandbox.url}/_sandbox/hold").json()
    assert status == {"holding": True, "passing": 0, "held": 2}
    sandbox.state.release()
    for t in threads:
        t.join(30)
    assert answers == [201, 201, 201]
    assert set(sandbox.state.post_counts) == {"first@example.com", "held0@example.com",
                                              "held1@example.com"}
    assert sandbox.state.held == 0


def test_the_hold_over_http(sandbox: SandboxServer, api: httpx.Client) -> None:
    url = f"{sandbox.url}/_sandbox/hold"
    assert httpx.get(url).json() == {"holding": False, "passing": 0, "held": 0}  # off by default
    assert httpx.put(url, json={"holding": True, "passing": 2}).json() == {
        "holding": True, "passing": 2, "held": 0}
    assert api.post("/leads", json=lead()).status_code == 201
    assert httpx.get(url).json() == {"holding": True, "passing": 1, "held": 0}
    for bad in ({"holding": "yes"}, {"holding": True, "passing": -1},
                {"holding": True, "passing": True}, [1]):
        answer = httpx.put(url, json=bad)
        assert answer.status_code == 400 and "holding" in answer.json()["message"]
    assert httpx.put(url, content=b"{not json").status_code == 400
    assert httpx.put(url, json={"holding": False}).json() == {
        "holding": False, "passing": 0, "held": 0}
    assert httpx.get(f"{sandbox.url}/_sandbox/state").json()["requests"] == {
        "/oauth2/token": 1, "/leads": 1}  # admin calls are not counted
