"""leadbatch: get a spreadsheet of sales leads into 7Targets AI Sales Assistants safely.

reader -> planner -> executor; each stage is a library module usable without the CLI.
The public API is what `__all__` lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .config import ApiSettings, PlanSettings, SequenceSpec, load_api_settings, load_plan_settings
from .errors import (
    ApiError,
    AuthError,
    Conflict,
    InputFileError,
    LeadbatchError,
    NetworkError,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
    TerminalApiError,
    TransientApiError,
    UsageError,
)
from .models import (
    Assistant,
    CustomField,
    Lead,
    LeadResult,
    PlanRow,
    RowError,
    RowStatus,
    SourceRow,
)
from .reader import LeadSheet, parse_rows, read_leads
from .template import write_template

if TYPE_CHECKING:  # imported on first use (see __getattr__): httpx and uvicorn are slow to load
    from .assistants import dump_assistants_json, load_assistants
    from .auth import ClientCredentialsAuth
    from .client import LeadsClient, RetryPolicy, Sent, fetch_assistants
    from .sandbox import Faults, SandboxServer

_LAZY = {
    "ClientCredentialsAuth": "auth",
    "Faults": "sandbox",
    "LeadsClient": "client",
    "RetryPolicy": "client",
    "SandboxServer": "sandbox",
    "Sent": "client",
    "dump_assistants_json": "assistants",
    "fetch_assistants": "client",
    "load_assistants": "assistants",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ApiError",
    "ApiSettings",
    "Assistant",
    "AuthError",
    "ClientCredentialsAuth",
    "Conflict",
    "CustomField",
    "Faults",
    "InputFileError",
    "Lead",
    "LeadResult",
    "LeadSheet",
    "LeadbatchError",
    "LeadsClient",
    "NetworkError",
    "NotFound",
    "PlanRow",
    "PlanSettings",
    "RateLimited",
    "RequestRejected",
    "RetryPolicy",
    "RowError",
    "RowStatus",
    "SandboxServer",
    "Sent",
    "SequenceSpec",
    "ServerError",
    "SourceRow",
    "TerminalApiError",
    "TransientApiError",
    "UsageError",
    "__version__",
    "dump_assistants_json",
    "fetch_assistants",
    "load_api_settings",
    "load_assistants",
    "load_plan_settings",
    "parse_rows",
    "read_leads",
    "write_template",
]
