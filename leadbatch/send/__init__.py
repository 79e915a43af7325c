"""Send: a plan's rows to the 7Targets API, each at most once.

`execute` sends what is due through a `LeadsClient` (OAuth2 `auth`, `retry` policy,
`transport`), recording every send in the crash-safe `Journal` before and after its
request. The HTTP stack (httpx, aiohttp) loads only when a client is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .claims import LedgerClaims
from .decision import Decision, Mode, RowFacts, Scope, Verdict, decide, is_due, select
from .executor import INTERRUPTED, Progress, RateLimiter, Report, Sender, execute
from .group_commit import JournalWriter
from .journal import (
    ABOUT,
    Journal,
    SendRecord,
    SendState,
    journal_path,
    merge,
    row_key,
    send_key,
)
from .ledger import Booking, ClaimState, Ledger, account_of, claim_key
from .ledger import Sent as LedgerSent
from .ledger import default_path as default_ledger_path
from .retry import RetryPolicy, parse_retry_after

if TYPE_CHECKING:
    from .auth import ClientCredentialsAuth
    from .client import LeadsClient, Sent, fetch_assistants

_LAZY = {"ClientCredentialsAuth": "auth", "LeadsClient": "client", "Sent": "client",
         "fetch_assistants": "client"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ABOUT",
    "INTERRUPTED",
    "Booking",
    "ClaimState",
    "ClientCredentialsAuth",
    "Decision",
    "Journal",
    "JournalWriter",
    "LeadsClient",
    "Ledger",
    "LedgerClaims",
    "LedgerSent",
    "Mode",
    "Progress",
    "RateLimiter",
    "Report",
    "RetryPolicy",
    "RowFacts",
    "Scope",
    "SendRecord",
    "SendState",
    "Sender",
    "Sent",
    "Verdict",
    "account_of",
    "claim_key",
    "decide",
    "default_ledger_path",
    "execute",
    "fetch_assistants",
    "is_due",
    "journal_path",
    "merge",
    "parse_retry_after",
    "row_key",
    "select",
    "send_key",
]
