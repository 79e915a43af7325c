"""The 7Targets lead API client: four calls, retries, and one edge where errors are mapped.

Everything below this module speaks httpx (and aiohttp, OS errors); everything above it
sees only `leadbatch.errors`. Whether to retry is decided by the error's type and HTTP
status, never by its text: 429, 5xx in the policy's `retry_statuses`, and network
failures are retried with exponential backoff and jitter (or the server's Retry-After);
a 400 never is, and its server message is kept for the results file.

Every error leaves this module scrubbed (`ClientCredentialsAuth.scrub`): whatever the
server echoes back (a request's Authorization header, say) loses the secret, the Basic
value and every token before it reaches a message, a workbook, the journal or the ledger.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from .._version import __version__
from ..config import ApiSettings, check_url
from ..errors import (
    ApiError,
    BadAnswer,
    NetworkError,
    TokenNetworkError,
    TransientApiError,
    Unreachable,
)
from ..models import Action, Assistant, LeadResult
from .answers import assistant_page, error_for_response, gave_up, what_is_wrong
from .auth import ClientCredentialsAuth
from .retry import RetryPolicy
from .transport import (
    DEFAULT_DEADLINE,
    describe_network_error,
    is_connect_error,
    is_network_error,
    is_timeout,
    make_transport,
)

__all__ = ["LeadsClient", "RetryPolicy", "Sent", "fetch_assistants"]

log = logging.getLogger("leadbatch.client")

CONNECT_TIMEOUT = 10.0
# A server that ignores `page` must not keep us asking forever: 100 pages of 10 are ten
# times the assistants any account has; a full page with nothing new ends it too.
MAX_PAGES = 100
# httpx's `json=` encoding (compact, UTF-8, NaN refused), with one encoder made once
# rather than one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
ROUTES: dict[str, tuple[str, str]] = {
    "create": ("POST", "/leads"),
    "update": ("PUT", "/leads"),
    "stop": ("PUT", "/leads/stop/followup"),
}


@dataclass(frozen=True)
class Sent:
    """A call that succeeded: the lead as the API returned it."""

    lead: LeadResult
    http_status: int
    attempts: int


class LeadsClient:
    """Async client for the 7Targets lead API over one connection pool.

    Use as `async with LeadsClient(settings) as client: await client.create_lead(body)`.
    Any number of calls may run concurrently; they share the pool and the token.
    `timeout` is each request's total deadline (connect, send, headers and body); the
    environment's proxies are used unless `settings.use_proxy` is off.
    """

    def __init__(
        self,
        settings: ApiSettings,
        *,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen, so sharing it is safe)
        timeout: float = DEFAULT_DEADLINE,
        max_connections: int = 32,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        _check_url("LEADBATCH_API_URL", settings.api_url)
        _check_url("LEADBATCH_TOKEN_URL", settings.token_url)
        self.settings = settings
        self.retry = retry
        self._sleep = sleep
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self.auth = ClientCredentialsAuth.from_settings(settings, clock=clock)
        self._http = _CookielessClient(
            base_url=settings.api_url,
            auth=self.auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            transport=transport or make_transport(max_connections=max_connections,
                                                  deadline=timeout,
                                                  proxies=settings.use_proxy),
            # identity: the answers are small, and a compressed one is a bomb to guard
            headers={"Accept": "application/json", "Accept-Encoding": "identity",
                     "User-Agent": f"leadbatch/{__version__}"},
            trust_env=False,
        )
        # What `AsyncClient.request` would merge and parse again on every call (the base URL
        # with the path, the client's headers, the timeouts) is done once per route here;
        # it was an eighth of the client's CPU per request.
        self._base = str(self._http.base_url).rstrip("/")  # as httpx merges a path onto it
        headers = httpx.Headers(self._http.headers)
        headers["Content-Type"] = "application/json"
        headers["Host"] = self._http.base_url.netloc.decode("ascii")
        self._send_headers = headers
        self._extensions = {"timeout": self._http.timeout.as_dict()}
        self.warnings: list[str] = []  # what a call noticed but did not fail on
        self._routes = {
            action: (method, path, httpx.URL(self._base + path))
            for action, (method, path) in ROUTES.items()
        }

    async def __aenter__(self) -> LeadsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- the calls ---------------------------------------------------------------------------

    async def send(self, action: Action, body: dict[str, Any]) -> Sent:
        """create = POST /leads, update = PUT /leads, stop = PUT /leads/stop/followup."""
        route = self._routes.get(action)
        if route is None:
            raise ValueError(f"unknown action {action!r}: use one of {', '.join(ROUTES)}")
        method, path, url = route
        # Given as a stream with its length, the request skips httpx's guessing of the
        # content's headers, which looks each header up again (Host is already in them).
        content = _JSON.encode(body).encode()
        request = httpx.Request(
            method,
            url,
            headers=self._send_headers,
            stream=httpx.ByteStream(content),
            extensions=self._extensions,
        )
        request.headers["Content-Length"] = str(len(content))
        request.read()  # so that the transports see bytes, not a stream
        response, attempts = await self._call(request, path)
        try:
            lead = LeadResult.model_validate_json(response.content)
        except ValidationError as exc:
            # Not retried: a success status says the request may have been acted on.
            raise BadAnswer(
                f"{method} {path}: HTTP {response.status_code} but the answer is not a lead "
                f"this tool can record ({what_is_wrong(exc)})",
                status=response.status_code,
                attempts=attempts,
            ) from None
        # What the answer holds goes into the journal and the workbook: scrubbed too.
        texts = {k: self.auth.scrub(v) for k, v in (
            ("email", lead.email), ("next_schedule_time", lead.next_schedule_time),
            ("schedule_name", lead.schedule_name)) if v is not None}
        if any(getattr(lead, k) != v for k, v in texts.items()):
            lead = lead.model_copy(update=texts)
        return Sent(lead=lead, http_status=response.status_code, attempts=attempts)

    async def create_lead(self, body: dict[str, Any]) -> Sent:
        return await self.send("create", body)

    async def update_lead(self, body: dict[str, Any]) -> Sent:
        return await self.send("update", body)

    async def stop_followup(self, body: dict[str, Any]) -> Sent:
        return await self.send("stop", body)

    async def assistants(self, search: str = "", page_size: int = 10) -> list[Assistant]:
        """Every assistant, page after page until one comes back shorter than asked."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        found: dict[str, Assistant] = {}
        for page in range(MAX_PAGES + 1):
            if page == MAX_PAGES:
                self.warnings.append(
                    f"GET /leads/assistant: stopped after {MAX_PAGES} full pages "
                    f"({len(found)} assistants); the server may be ignoring `page`")
                log.warning("leadbatch: warning: %s", self.warnings[-1])
                break
            params: dict[str, str | int] = {
                "searchString": search,
                "page": page,
                "size": page_size,
                "sort": "lastModifiedDate,desc",
            }
            request = self._http.build_request("GET", "/leads/assistant", params=params)
            response, attempts = await self._call(request, "/leads/assistant")
            items = assistant_page(response, attempts)
            before = len(found)
            for item in items:
                found.setdefault(item.email, item)  # pages may shift while we read them
            if len(items) != page_size:
                break
            if len(found) == before:
                self.warnings.append(
                    f"GET /leads/assistant: page {page} repeated earlier pages; stopped "
                    f"there ({len(found)} assistants)")
                log.warning("leadbatch: warning: %s", self.warnings[-1])
                break
        return list(found.values())

    # --- one call, with retries --------------------------------------------------------------

    async def _call(self, request: httpx.Request, path: str) -> tuple[httpx.Response, int]:
        """Send `request` (again, as it is, on each retry); `path` names it in errors."""
        method = request.method
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            error: ApiError
            timed_out = False
            try:
                response = await self._http.send(request)
            except ApiError as exc:  # raised by the auth flow for the token endpoint
                error = exc
            except Exception as exc:
                if not is_network_error(exc):
                    raise
                error = self._network_error(exc, f"{method} {self._base}{path}")
                timed_out = is_timeout(exc)
            else:
                if response.is_success:
                    return response, attempt
                error = error_for_response(response, f"{method} {path}")
            error = self._scrubbed(error)
            error.attempts = attempt
            if not self._retryable(error):
                raise error
            wait = self.retry.delay(attempt, self._rng, getattr(error, "retry_after", None))
            limit = self.retry.attempts_for(timed_out=timed_out,
                                            unreachable=isinstance(error, Unreachable),
                                            token=isinstance(error, TokenNetworkError))
            if attempt >= limit or (
                self._clock() - started + wait > self.retry.max_total
            ):
                raise gave_up(error, attempt)
            log.info(
                "%s %s: %s; retrying in %.1fs (attempt %d of %d)",
                method, path, error, wait, attempt + 1, self.retry.max_attempts,
            )
            await self._sleep(wait)

    def _network_error(self, exc: BaseException, what: str) -> NetworkError:
        """By type: the token request's failure, a connection never made (the request
        did not leave), or a lost answer."""
        failed = getattr(exc, "_request", None)  # httpx's errors know their request
        if isinstance(failed, httpx.Request) and str(failed.url) == self.auth.token_url:
            return TokenNetworkError(f"POST {self.auth.token_url}: {describe_network_error(exc)}")
        if is_connect_error(exc):
            return Unreachable(f"{what}: {describe_network_error(exc)}")
        return NetworkError(f"{what}: {describe_network_error(exc)}")

    def _scrubbed(self, error: ApiError) -> ApiError:
        clean = self.auth.scrub(error.message)
        if clean != error.message:
            error.message = clean
            error.args = (clean,)
        return error

    def _retryable(self, error: ApiError) -> bool:
        return isinstance(error, TransientApiError) and (
            error.status is None or error.status in self.retry.retry_statuses
        )


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing: the API sets no cookies, and httpx's jar parses every
    answer's URL again to look for them (a tenth of the client's CPU per request)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        pass


_NO_COOKIES = _NoCookies()


class _CookielessClient(httpx.AsyncClient):
    """httpx's AsyncClient with `_NoCookies` for its jar (httpx copies any jar it is given
    into a plain one, so the property is where a jar can be swapped)."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("this client keeps no cookies")


def fetch_assistants(
    settings: ApiSettings, *, search: str = "", page_size: int = 10, **kw: Any
) -> list[Assistant]:
    """Every assistant, from plain (non-async) code. `kw` goes to `LeadsClient`."""

    async def fetch() -> list[Assistant]:
        async with LeadsClient(settings, **kw) as client:
            return await client.assistants(search, page_size)

    return asyncio.run(fetch())


def _check_url(variable: str, url: str) -> None:
    check_url(variable, url)
