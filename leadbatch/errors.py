"""The one exception hierarchy of leadbatch.

    LeadbatchError                  anything leadbatch raises on purpose
    ├── UsageError                  a bad flag, option value or config file       (exit 2)
    ├── InputFileError              a file that cannot be read as a lead sheet     (exit 2)
    ├── JournalError                the send journal cannot be written (disk full) (exit 2)
    └── ApiError                    the 7Targets API, or the way to it, said no
        ├── AuthError               credentials or token rejected                  (exit 2)
        ├── TerminalApiError        retrying cannot help; the row fails
        │   ├── RequestRejected     400: the server's message is kept for the row
        │   ├── NotFound            404
        │   ├── Conflict            409
        │   ├── BadAnswer           a success status whose body is not what the call returns
        │   └── AnswerTooLarge      an answer past the body size cap (never read whole)
        ├── TransientApiError       retrying may help (decided by type, never by message text)
        │   ├── RateLimited         429, with the server's Retry-After if it gave one
        │   ├── ServerError         5xx
        │   └── NetworkError        connect/read failures, timeouts, dropped connections
        │       └── Unreachable     no connection was made: the request never left
        └── TokenEndpointError      (mixed in) the token endpoint failed, not the API: a row
                                    that met it was never sent
    ServerGone                      the run stopped: the server is gone          (exit 2)

Lower-level errors (httpx, aiohttp, OS errors) are mapped into this tree at one edge:
`leadbatch.client` for the API, `leadbatch.reader` for files. Everything above those edges
handles only these types. Row-level problems are not exceptions: they are `RowError`
values (see `leadbatch.models`) so that one bad row never stops the others.
"""

from __future__ import annotations


class LeadbatchError(Exception):
    """Base of every error leadbatch raises on purpose; `str()` is the one line shown."""

    exit_code = 2


class UsageError(LeadbatchError):
    """A bad command-line flag, option value or configuration file."""


class InputFileError(LeadbatchError):
    """A file that cannot be read as a lead sheet (unreadable, empty, missing columns...)."""

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


class JournalError(LeadbatchError):
    """The journal cannot record a send (disk full, folder read-only): the run stops, since
    a send that cannot be recorded could later be sent twice."""


class ApiError(LeadbatchError):
    """The 7Targets API (or the network to it) did not accept a request."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        self.status = status  # the HTTP status, None when no answer came back
        self.message = message
        self.attempts = attempts  # requests made for this call, retries included
        super().__init__(message)


class AuthError(ApiError):
    """Credentials or token rejected: nothing can be sent until the user fixes them."""


class TerminalApiError(ApiError):
    """Retrying the same request cannot help; the row is marked failed with this message."""


class RequestRejected(TerminalApiError):
    """400: the server rejected the body; its message is kept for the results file."""


class NotFound(TerminalApiError):
    """404: the lead or resource does not exist."""


class Conflict(TerminalApiError):
    """409: the request conflicts with the lead's current state."""


class TransientApiError(ApiError):
    """Retrying after a pause may succeed."""


class RateLimited(TransientApiError):
    """429: too many requests; `retry_after` is the server's advice in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, attempts=attempts)
        self.retry_after = retry_after


class ServerError(TransientApiError):
    """5xx from the server."""


class NetworkError(TransientApiError):
    """Connection refused or dropped, or a timeout: the answer, if any, was lost."""


class Unreachable(NetworkError):
    """No connection could be made (refused, no such host, connect timeout): the request
    never reached the server, so its row was not sent."""


class BadAnswer(TerminalApiError):
    """A success status whose body is not what the call returns (an HTML page, a lead id
    no API holds): the request may have been acted on, so it is not sent again blindly."""


class AnswerTooLarge(TerminalApiError):
    """An answer past the body size cap: reading it stopped at the cap."""


class TokenEndpointError(ApiError):
    """Mixed into the errors of the token endpoint: the request they stopped never reached
    the API, so its row is not sent (pending), not failed."""


class TokenRateLimited(RateLimited, TokenEndpointError):
    """429 from the token endpoint."""


class TokenServerError(ServerError, TokenEndpointError):
    """5xx from the token endpoint, or a 200 that holds no token."""


class TokenNetworkError(Unreachable, TokenEndpointError):
    """The token endpoint could not be reached or did not answer in time."""


class ServerGone(LeadbatchError):
    """The run stopped taking rows: the API or its token endpoint kept failing (several
    rows in a row, after their retries). The workbook is written; untried rows stay
    pending."""
