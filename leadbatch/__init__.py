"""leadbatch: get a spreadsheet of sales leads into 7Targets AI Sales Assistants safely.

reader -> planner -> executor; each stage is a library module usable without the CLI.
The public API is what `__all__` lists.
"""

from __future__ import annotations

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

__all__ = [
    "ApiError",
    "ApiSettings",
    "Assistant",
    "AuthError",
    "Conflict",
    "CustomField",
    "InputFileError",
    "Lead",
    "LeadResult",
    "LeadbatchError",
    "NetworkError",
    "NotFound",
    "PlanRow",
    "PlanSettings",
    "RateLimited",
    "RequestRejected",
    "RowError",
    "RowStatus",
    "SequenceSpec",
    "ServerError",
    "SourceRow",
    "TerminalApiError",
    "TransientApiError",
    "UsageError",
    "__version__",
    "load_api_settings",
    "load_plan_settings",
]
