"""The API's answers read at the client's edge: a failure's leadbatch error (by status),
the server's own words about it, the give-up message, a page of assistants.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
from pydantic import ValidationError

from ..errors import (
    ApiError,
    AuthError,
    Conflict,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    TerminalApiError,
    TransientApiError,
)
from ..models import Assistant
from .retry import parse_retry_after, response_now


def error_for_response(response: httpx.Response, what: str) -> ApiError:
    """The leadbatch error for an HTTP answer that is not a success."""
    status = response.status_code
    message = server_message(response)
    if status in (400, 422):
        return RequestRejected(message, status=status)
    if status == 401:
        return AuthError(
            f"{what}: the API rejected a fresh access token ({status}: {message}): check that "
            "LEADBATCH_TOKEN_URL and LEADBATCH_API_URL belong to the same 7Targets service",
            status=status,
        )
    if status == 403:
        return AuthError(
            f"{what}: the API refused access ({status}: {message}): check LEADBATCH_USER_IDENTIFIER",
            status=status,
        )
    if status == 404:
        return NotFound(message, status=status)
    if status == 409:
        return Conflict(message, status=status)
    if status == 429:
        now = response_now(response.headers.get("Date"), dt.datetime.now(dt.UTC))
        return RateLimited(
            f"{what}: rate limited (429: {message})",
            retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
        )
    if status >= 500:
        return ServerError(f"{what}: server error ({status}: {message})", status=status)
    return TerminalApiError(f"{what}: unexpected answer ({status}: {message})", status=status)


_MESSAGE_KEYS = ("message", "errorMessage", "error_description", "error", "detail", "title")


def server_message(response: httpx.Response) -> str:
    """The server's own words about a failed request, on one line."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    text = ""
    if isinstance(body, dict):
        text = next(
            (body[k] for k in _MESSAGE_KEYS if isinstance(body.get(k), str) and body[k].strip()),
            "",
        )
    elif body is None and "html" not in response.headers.get("content-type", ""):
        text = response.text
    text = re.sub(r"\s+", " ", text).strip()[:500]
    return text or response.reason_phrase or f"HTTP {response.status_code}"


def gave_up(error: ApiError, attempts: int) -> ApiError:
    """The last error, saying how many attempts were made when there were several."""
    if attempts == 1 or not isinstance(error, TransientApiError):
        return error
    message = f"{error.message} (gave up after {attempts} attempts)"
    if isinstance(error, RateLimited):
        return type(error)(
            message, status=error.status, attempts=attempts, retry_after=error.retry_after
        )
    return type(error)(message, status=error.status, attempts=attempts)


def what_is_wrong(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{field}: {first['msg']}"[:200]


def assistant_page(response: httpx.Response, attempts: int) -> list[Assistant]:
    what = "GET /leads/assistant"
    try:
        items = response.json()
    except ValueError:
        items = None
    if not isinstance(items, list):
        raise ServerError(
            f"{what}: the answer is not a list of assistants", status=response.status_code,
            attempts=attempts,
        )
    try:
        return [Assistant.model_validate(item) for item in items]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "assistant"
        raise TerminalApiError(
            f"{what}: the API returned an assistant this tool cannot use ({field}: {first['msg']})",
            status=response.status_code,
            attempts=attempts,
        ) from None
