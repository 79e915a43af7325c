"""The retry policy as data, and the two computations it needs: backoff and Retry-After.

The client decides *whether* to retry from the error's type (`TransientApiError`) and
status; this module only says *how long* to wait and *when to stop*.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long the client retries a call that may succeed later.

    `max_attempts` counts the first try. `max_total` caps the seconds spent on one call,
    waits included: a wait that would cross it is not started. `connect_attempts` caps the
    tries of a call whose connection could not be made at all (refused, no such host): a
    server that is not there is said so in seconds, not after the whole backoff.
    `timeout_attempts` caps the tries of a call that ran out of its whole deadline: a
    server that took all of it twice will not be quicker a third time, and each try may
    have been acted on.
    """

    max_attempts: int = 5
    connect_attempts: int = 3
    timeout_attempts: int = 2
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 120.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def __post_init__(self) -> None:
        if min(self.max_attempts, self.connect_attempts, self.timeout_attempts) < 1:
            raise ValueError("attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total < 0:
            raise ValueError("delays must not be negative")

    def attempts_for(self, *, timed_out: bool, unreachable: bool, token: bool) -> int:
        """The attempts a call may take, by what its last try met."""
        limit = self.max_attempts
        if timed_out or token:  # a token failure: its waiters failed with it (auth.py)
            limit = min(limit, self.timeout_attempts)
        if unreachable:
            limit = min(limit, self.connect_attempts)
        return limit

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        Exponential, capped at `max_delay`, with jitter over the upper half so that many
        clients failing together do not come back together.
        """
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None) -> float:
        """The wait before the next attempt: the server's Retry-After when it gave one."""
        if retry_after is not None:
            return max(0.0, retry_after)
        return self.backoff(attempt, rng)


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date.

    `now` is the moment the date is measured from (the response's own Date header when it
    has one, so that a skewed local clock does not matter). Unparseable values give None:
    the client then falls back to its own backoff.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)  # delay-seconds; fractions accepted (the sandbox sends them)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def response_now(date_header: str | None, fallback: dt.datetime) -> dt.datetime:
    """The server's idea of now (its Date header), else `fallback`."""
    if date_header:
        try:
            when = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return fallback
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return fallback
