"""The sandbox's HTTP face: the token endpoint, the four lead calls and the admin calls.

It checks what the real service checks, in the real service's words where they are
known: Cognito's 400 {"error": "invalid_client"} at the token endpoint, API Gateway's
401 {"message": "Unauthorized"} for a missing, unknown or expired bearer token. A
dropped connection is a real one: the socket is closed with no HTTP answer at all (the
server's protocol class records each connection's transport by peer address, which the
ASGI scope carries as `client`).

Admin calls, for tests and the demo: `GET /_sandbox/state`, `PUT /_sandbox/faults`,
`POST /_sandbox/reset`, `POST /_sandbox/expire-tokens`, and the hold, a test hook that is
off unless asked for: `PUT /_sandbox/hold` with {"holding": true, "passing": N} holds
every lead call after the next N (each counted and read, not yet checked or acted on)
until {"holding": false} lets them all go on; `GET /_sandbox/hold` answers
{"holding", "passing", "held"}.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import hmac
import json
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .state import ApiProblem, Dice, SandboxState

SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"
SANDBOX_USER = "sandbox-user"
TOKEN_PATH = "/oauth2/token"
USER_HEADER = "7ts-user-identifier"

Connections = MutableMapping[tuple[str, int], asyncio.BaseTransport]
Handler = Callable[[Request], Awaitable[Response]]


def build_app(state: SandboxState, connections: Connections) -> Starlette:
    """The ASGI app over `state`; `connections` maps peer address -> transport."""

    async def token(request: Request) -> Response:
        state.count_request(TOKEN_PATH)
        await request.body()  # read (and cache) the whole request before the delay
        await _latency(state)
        if state.roll_token_error():
            return JSONResponse({"error": "server_error"}, status_code=500)
        if not _basic_ok(request.headers.get("authorization", "")):
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        form = urllib.parse.parse_qs((await request.body()).decode("latin-1"))
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        scopes = " ".join(form.get("scope", [])).split()
        if any(s != "leads/post" for s in scopes):
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        access_token, lifetime = state.issue_token()
        return JSONResponse(
            {"access_token": access_token, "expires_in": lifetime, "token_type": "Bearer"}
        )

    def lead_call(act: Callable[[dict[str, Any]], dict[str, Any]], status: int) -> Handler:
        async def handler(request: Request) -> Response:
            refused, dice = await _admit(state, request, hold=True)
            if refused is not None:
                return refused
            try:
                answer = JSONResponse(act(await _json_body(request)), status_code=status)
            except ApiProblem as problem:
                answer = JSONResponse({"message": problem.message}, status_code=problem.status)
            if dice.drop:
                await _drop(request, connections)
            return answer

        return handler

    async def assistants(request: Request) -> Response:
        refused, dice = await _admit(state, request)
        if refused is not None:
            return refused
        q = request.query_params
        try:
            page, size = int(q.get("page") or 0), int(q.get("size") or 10)
        except ValueError:
            return JSONResponse({"message": "page and size must be numbers"}, status_code=400)
        if page < 0 or size < 1:
            return JSONResponse({"message": "page must be >= 0 and size >= 1"}, status_code=400)
        try:
            items = state.assistant_page(q.get("searchString", ""), page, min(size, 2000), q.get("sort", ""))
        except ApiProblem as problem:
            return JSONResponse({"message": problem.message}, status_code=problem.status)
        if dice.drop:
            await _drop(request, connections)
        return JSONResponse(items)

    async def admin_state(request: Request) -> Response:
        return JSONResponse(state.snapshot())

    async def admin_faults(request: Request) -> Response:
        try:
            changes = json.loads(await request.body() or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object of fault settings")
            state.set_faults(state.faults.updated(changes))
        except ValueError as exc:  # JSONDecodeError is one too
            return JSONResponse({"message": str(exc)}, status_code=400)
        return JSONResponse(dataclasses.asdict(state.faults))

    async def admin_hold(request: Request) -> Response:
        if request.method == "PUT":
            try:
                change = json.loads(await request.body() or b"{}")
            except ValueError:  # JSONDecodeError is one too
                change = None
            holding = change.get("holding") if isinstance(change, dict) else None
            passing = change.get("passing", 0) if isinstance(change, dict) else None
            if not isinstance(holding, bool) or type(passing) is not int or passing < 0:
                return JSONResponse({"message": 'expected {"holding": true or false, '
                                                '"passing": a count >= 0}'}, status_code=400)
            if holding:
                state.hold(passing)
            else:
                state.release()
        return JSONResponse(state.hold_status())

    async def admin_reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def admin_expire(request: Request) -> Response:
        state.expire_tokens()
        return JSONResponse({"expired": True})

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = {404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
        return JSONResponse({"message": message}, status_code=status)

    routes = [
        Route(TOKEN_PATH, token, methods=["POST"]),
        Route("/leads", lead_call(state.create_or_assign, 201), methods=["POST"]),
        Route("/leads", lead_call(state.update, 200), methods=["PUT"]),
        Route("/leads/stop/followup", lead_call(state.stop_followup, 200), methods=["PUT"]),
        Route("/leads/assistant", assistants, methods=["GET"]),
        Route("/_sandbox/state", admin_state, methods=["GET"]),
        Route("/_sandbox/faults", admin_faults, methods=["PUT"]),
        Route("/_sandbox/reset", admin_reset, methods=["POST"]),
        Route("/_sandbox/hold", admin_hold, methods=["GET", "PUT"]),
        Route("/_sandbox/expire-tokens", admin_expire, methods=["POST"]),
    ]
    async def client_gone(_request: Request, _exc: Exception) -> Response:
        # The client closed the connection mid-request: nobody to answer, nothing to log.
        return Response(status_code=499)

    return Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: not_found, ClientDisconnect: client_gone},
    )


async def _admit(
    state: SandboxState, request: Request, *, hold: bool = False
) -> tuple[Response | None, Dice]:
    """The gate, then this request's faults: a refusal or fault answer, and the dice
    (whose `drop` the handler applies after acting, so the answer is what is lost).
    `hold`: a lead call, which waits at the hold (when one is set) inside the gate."""
    refused = await _gate(state, request, hold=hold)
    if refused is not None:  # no dice drawn: a seed replays the same faults either way
        return refused, Dice(rate_limited=False, server_error=None, drop=False)
    dice = state.roll()
    if dice.rate_limited:
        return _rate_limited(state), dice
    if dice.server_error is not None:
        return _server_error(dice.server_error), dice
    return None, dice


async def _gate(state: SandboxState, request: Request, *, hold: bool) -> Response | None:
    """Count, (hold,) delay, and check the bearer token and user identifier like the real API."""
    state.count_request(request.scope["path"])
    # Read (and cache) the body before the delay: a real API that got the whole request
    # acts on it even when the client stops waiting for the answer.
    await request.body()
    if hold:
        await _hold(state)
    await _latency(state)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not state.token_valid(token.strip()):
        return JSONResponse({"message": "Unauthorized"}, status_code=401)
    if request.headers.get(USER_HEADER, "").strip() != SANDBOX_USER:
        return JSONResponse(
            {"message": f"User is not authorized: missing or unknown {USER_HEADER}"}, status_code=403
        )
    return None


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise ApiProblem(400, "Request body can't be empty")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "JSON parse error: the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "The request body must be a JSON object")
    if not body:
        raise ApiProblem(400, "Request body can't be empty")
    return body


async def _hold(state: SandboxState) -> None:
    """Wait here while the state holds lead calls (a test hook; see `SandboxState.hold`)."""
    loop = asyncio.get_running_loop()
    released: asyncio.Future[None] = loop.create_future()

    def go_on() -> None:
        if not released.done():
            released.set_result(None)

    def wake() -> None:  # called by `release`, from any thread
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody waits
            loop.call_soon_threadsafe(go_on)

    if state.enter_hold(wake):
        try:
            await released
        finally:
            state.leave_hold(wake)


async def _latency(state: SandboxState) -> None:
    if state.faults.latency > 0:
        await asyncio.sleep(state.faults.latency)


def _basic_ok(header: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(client_id, SANDBOX_CLIENT_ID) & hmac.compare_digest(
        secret, SANDBOX_CLIENT_SECRET
    )


def _rate_limited(state: SandboxState) -> Response:
    wait = state.faults.retry_after
    header = str(int(wait)) if float(wait).is_integer() else f"{wait:g}"
    return JSONResponse({"message": "Too Many Requests"}, status_code=429, headers={"Retry-After": header})


def _server_error(status: int) -> Response:
    text = {500: "Internal server error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return JSONResponse({"message": text.get(status, "Internal server error")}, status_code=status)


async def _drop(request: Request, connections: Connections) -> None:
    """Close this request's connection without answering, and wait until it is gone."""
    client = request.scope.get("client")
    transport = connections.get((str(client[0]), int(client[1]))) if client else None
    if transport is None:
        return  # cannot happen with the sandbox's protocol class; answer normally then
    transport.close()
    # uvicorn reports the closed connection as http.disconnect; answering after that is a no-op.
    async with asyncio.timeout(5):
        while (await request.receive())["type"] != "http.disconnect":
            pass

