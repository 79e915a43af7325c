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
    from .calendar import SendingCalendar, today_in
    from .client import LeadsClient, RetryPolicy, Sent, fetch_assistants
    from .executor import Progress, Report, execute
    from .jobs import Sending, retry_job, run_job
    from .journal import Journal, rebuild_results
    from .planner import Plan, plan_leads
    from .results import RESULT_COLUMNS, ResultRow, read_back, write_results_workbook
    from .sandbox import Faults, SandboxServer
    from .workbooks import PLAN_COLUMNS, write_plan_workbook

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
    "PLAN_COLUMNS": "workbooks",
    "Plan": "planner",
    "SendingCalendar": "calendar",
    "plan_leads": "planner",
    "today_in": "calendar",
    "write_plan_workbook": "workbooks",
    "Progress": "executor",
    "Report": "executor",
    "execute": "executor",
    "Sending": "jobs",
    "retry_job": "jobs",
    "run_job": "jobs",
    "Journal": "journal",
    "rebuild_results": "journal",
    "RESULT_COLUMNS": "results",
    "ResultRow": "results",
    "read_back": "results",
    "write_results_workbook": "results",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PLAN_COLUMNS",
    "RESULT_COLUMNS",
    "ApiError",
    "ApiSettings",
    "Assistant",
    "AuthError",
    "ClientCredentialsAuth",
    "Conflict",
    "CustomField",
    "Faults",
    "InputFileError",
    "Journal",
    "Lead",
    "LeadResult",
    "LeadSheet",
    "LeadbatchError",
    "LeadsClient",
    "NetworkError",
    "NotFound",
    "Plan",
    "PlanRow",
    "PlanSettings",
    "Progress",
    "RateLimited",
    "Report",
    "RequestRejected",
    "ResultRow",
    "RetryPolicy",
    "RowError",
    "RowStatus",
    "SandboxServer",
    "Sending",
    "SendingCalendar",
    "Sent",
    "SequenceSpec",
    "ServerError",
    "SourceRow",
    "TerminalApiError",
    "TransientApiError",
    "UsageError",
    "__version__",
    "dump_assistants_json",
    "execute",
    "fetch_assistants",
    "load_api_settings",
    "load_assistants",
    "load_plan_settings",
    "parse_rows",
    "plan_leads",
    "read_back",
    "read_leads",
    "rebuild_results",
    "retry_job",
    "run_job",
    "today_in",
    "write_plan_workbook",
    "write_results_workbook",
    "write_template",
]
