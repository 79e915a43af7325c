"""OAuth2 client credentials for the 7Targets API, as an `httpx.Auth` flow.

The flow asks the token endpoint (AWS Cognito) for a token with HTTP Basic credentials,
reuses it until shortly before it expires, and on a 401 from the API fetches a new one
and re-sends the request once. In async use, concurrent requests share one refresh: the
token request is made under a lock, and whoever waited on it re-checks before asking
again. The flow is a generator, so tests can drive it without a network.

Errors from the token endpoint are raised as leadbatch errors: rejected credentials are
an `AuthError` naming the variables to check; a 5xx is a `TokenServerError` and a 429 is
`TokenRateLimited`, which the client's retry policy retries like any other transient
error, and which tell the executor that the row never reached the API.

When a token request gets no answer at all, the requests that waited on the lock for it
fail at once (`TokenNetworkError`) instead of each asking again in turn: a token endpoint
that never answers would otherwise cost every row a deadline, one row at a time.

`scrub` takes the secret, the Basic value and every token this flow has held out of any
text (a server's error message may echo a request's headers).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import re
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr, ValidationError

from ..config import ApiSettings
from ..errors import AuthError, TokenNetworkError, TokenRateLimited, TokenServerError
from .retry import parse_retry_after, response_now

USER_HEADER = "7ts-user-identifier"
SCOPE = "leads/post"
CREDENTIALS_HINT = "check LEADBATCH_CLIENT_ID and LEADBATCH_CLIENT_SECRET"


class _TokenAnswer(BaseModel):
    # What can stand in an Authorization header: no spaces, line breaks or non-ASCII
    # (a token answer carrying them would make every request fail to be sent).
    access_token: str = Field(pattern=r"^[\x21-\x7e]{1,8192}$")
    expires_in: float = 3600.0
    token_type: str = "Bearer"


class ClientCredentialsAuth(httpx.Auth):
    """Adds `Authorization: Bearer` and `7ts-user-identifier` to every API request.

    `clock` is a monotonic clock in seconds; the token is refreshed when less than
    a tenth of its lifetime (at most a minute) is left.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: SecretStr,
        user_identifier: str,
        token_url: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._basic = "Basic " + base64.b64encode(
            f"{client_id}:{client_secret.get_secret_value()}".encode()
        ).decode("ascii")
        # What must never be shown: longest first, so no secret is left half-replaced.
        self._secrets: set[str] = {self._basic[len("Basic "):]}
        if len(client_secret.get_secret_value()) >= _SHORTEST:
            self._secrets.add(client_secret.get_secret_value())
        self._token_failures = 0  # token requests that got no answer (see the flows)
        self._user = user_identifier
        self.token_url = token_url
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._asked_at = 0.0
        self._async_lock = asyncio.Lock()
        self._sync_lock = threading.Lock()
        self.token_requests = 0  # how many token requests this flow has made

    @classmethod
    def from_settings(
        cls, settings: ApiSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> ClientCredentialsAuth:
        return cls(
            settings.client_id,
            settings.client_secret,
            settings.user_identifier,
            settings.token_url,
            clock=clock,
        )

    def __repr__(self) -> str:  # never show the Basic header or the token
        return f"ClientCredentialsAuth(token_url={self.token_url!r})"

    # --- the pieces both flows share -----------------------------------------------------

    def needs_token(self) -> bool:
        return self._token is None or self._clock() >= self._refresh_at

    def token_request(self, for_request: httpx.Request | None = None) -> httpx.Request:
        """The token request the seed documents: Basic credentials, form body.

        It takes the timeouts of the API request it is made for: a token request is sent
        by the flow, not by the client, so it would otherwise wait however long the token
        endpoint takes, holding the refresh lock while every other request waits."""
        self.token_requests += 1
        self._asked_at = self._clock()  # lifetime counts from the asking, to be safe
        return httpx.Request(
            "POST",
            self.token_url,
            headers={"Authorization": self._basic, "Accept": "application/json",
                     "Accept-Encoding": "identity"},
            data={"grant_type": "client_credentials", "scope": SCOPE},
            extensions={"timeout": for_request.extensions["timeout"]}
            if for_request is not None and "timeout" in for_request.extensions
            else None,
        )

    def accept_token(self, response: httpx.Response) -> None:
        """Store the token from the endpoint's answer, or raise the matching error."""
        if response.status_code == 200:
            try:
                answer = _TokenAnswer.model_validate_json(response.content)
            except ValidationError:
                raise AuthError(
                    f"the token endpoint at {self.token_url} answered without an access token: "
                    "check LEADBATCH_TOKEN_URL",
                    status=200,
                ) from None
            lifetime = max(0.0, answer.expires_in)
            self._token = answer.access_token
            if len(answer.access_token) >= _SHORTEST:
                self._secrets.add(answer.access_token)
            self._refresh_at = self._asked_at + lifetime - min(60.0, lifetime / 10)
            return
        raise token_error(response, self.token_url)

    def scrub(self, text: str) -> str:
        """`text` without the secret, the Basic value or any token this flow has held;
        and without whatever follows `Bearer ` or `Basic ` (a token of someone else's)."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "[hidden]")
        return _CREDENTIAL.sub(r"\1 [hidden]", text)

    def _fail_fast(self, seen: int) -> None:
        # Under the lock: a token request made while we waited got no answer.
        if self._token_failures != seen:
            raise TokenNetworkError(f"POST {self.token_url}: no answer to the token request")

    def authorize(self, request: httpx.Request) -> str | None:
        """Put the current token and the user identifier on `request`; return the token."""
        request.headers["Authorization"] = f"Bearer {self._token}"
        request.headers[USER_HEADER] = self._user
        return self._token

    def stale(self, used: str | None) -> bool:
        """After a 401: is the token that failed still the current one (so refresh)?"""
        return self._token == used or self.needs_token()

    # --- the flows -------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._sync_lock:
            if self.needs_token():
                token_response = yield self.token_request(request)
                token_response.read()
                self.accept_token(token_response)
        used = self.authorize(request)
        response = yield request
        if response.status_code == 401:
            with self._sync_lock:
                if self.stale(used):
                    token_response = yield self.token_request(request)
                    token_response.read()
                    self.accept_token(token_response)
            self.authorize(request)
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # The lock is held across the token request's yield: httpx closes this generator
        # (releasing it) if that request fails or the caller is cancelled.
        if self.needs_token():
            seen = self._token_failures
            async with self._async_lock:
                if self.needs_token():  # someone else may have refreshed while we waited
                    self._fail_fast(seen)
                    try:
                        token_response = yield self.token_request(request)
                    except GeneratorExit:  # its request failed: httpx closes the flow
                        self._token_failures += 1
                        raise
                    await token_response.aread()
                    self.accept_token(token_response)
        used = self.authorize(request)
        response = yield request
        if response.status_code == 401:
            seen = self._token_failures
            async with self._async_lock:
                if self.stale(used):
                    self._fail_fast(seen)
                    try:
                        token_response = yield self.token_request(request)
                    except GeneratorExit:  # its request failed: httpx closes the flow
                        self._token_failures += 1
                        raise
                    await token_response.aread()
                    self.accept_token(token_response)
            self.authorize(request)
            yield request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        return self.sync_auth_flow(request)


# Shorter "secrets" (a test's "b") would blank out letters of every message; no real
# secret or token is this short.
_SHORTEST = 6
# 16 characters at least, so that English ("Basic information") is left alone.
_CREDENTIAL = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}", re.IGNORECASE)


def token_error(response: httpx.Response, token_url: str) -> Exception:
    """The leadbatch error for a token endpoint answer other than 200."""
    status = response.status_code
    if status == 429:
        now = response_now(response.headers.get("Date"), dt.datetime.now(dt.UTC))
        return TokenRateLimited(
            f"the token endpoint at {token_url} is rate limiting (HTTP 429)",
            retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
        )
    if status >= 500:
        return TokenServerError(f"the token endpoint at {token_url} answered HTTP {status}",
                                status=status)
    code = _error_code(response)
    if code in ("invalid_client", "unauthorized_client") or status == 401:
        return AuthError(
            f"credentials rejected by the token endpoint ({code or status}): {CREDENTIALS_HINT}",
            status=status,
        )
    if code == "invalid_scope":
        return AuthError(
            f"the token endpoint refused the scope {SCOPE} (invalid_scope): ask 7Targets "
            "to enable it for this client id",
            status=status,
        )
    return AuthError(
        f"the token endpoint at {token_url} refused the request ({code or f'HTTP {status}'}): "
        "check LEADBATCH_TOKEN_URL",
        status=status,
    )


def _error_code(response: httpx.Response) -> str | None:
    try:
        body: Any = response.json()
    except ValueError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) and code.isprintable() and len(code) < 80 else None

