"""leadbatch: get a spreadsheet of sales leads into 7Targets AI Sales Assistants safely.

read -> plan -> send -> workbook: one subpackage per stage, each usable without the CLI
and independent of the others; `jobs` ties them together. The public API is what
`__all__` lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
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

# Everything but the version and the exceptions is imported on first use (see
# __getattr__): `leadbatch --help` and `--version` import this package, and pydantic
# (building the model classes), phonenumbers, xlsxwriter, httpx and uvicorn are slow to
# load (~0.15 s together, measured with python -X importtime).
if TYPE_CHECKING:
    from .config import (
        ApiSettings,
        PlanSettings,
        SequenceSpec,
        load_api_settings,
        load_plan_settings,
    )
    from .jobs import PlanResult, Sending, plan_job, read_back, rebuild_results, retry_job, run_job
    from .models import (
        Assistant,
        CustomField,
        Lead,
        LeadResult,
        Outcome,
        PlanRow,
        ResultRow,
        RowError,
        RowStatus,
        SourceRow,
    )
    from .plan import Plan, SendingCalendar, plan_leads, today_in
    from .read import dump_assistants_json, load_assistants
    from .read.rows import LeadSheet, parse_rows, read_leads
    from .sandbox import Faults, SandboxServer
    from .send import (
        ClientCredentialsAuth,
        Journal,
        LeadsClient,
        Progress,
        Report,
        RetryPolicy,
        Sent,
        execute,
        fetch_assistants,
    )
    from .workbook import PLAN_COLUMNS, RESULT_COLUMNS, write_plan_workbook, write_results_workbook
    from .workbook.template import write_template

_LAZY = {
    "ApiSettings": "config",
    "PlanSettings": "config",
    "SequenceSpec": "config",
    "load_api_settings": "config",
    "load_plan_settings": "config",
    "Assistant": "models",
    "CustomField": "models",
    "Lead": "models",
    "LeadResult": "models",
    "PlanRow": "models",
    "RowError": "models",
    "RowStatus": "models",
    "SourceRow": "models",
    "LeadSheet": "read.rows",
    "parse_rows": "read.rows",
    "read_leads": "read.rows",
    "write_template": "workbook.template",
    "ClientCredentialsAuth": "send",
    "Faults": "sandbox",
    "LeadsClient": "send",
    "RetryPolicy": "send",
    "SandboxServer": "sandbox",
    "Sent": "send",
    "dump_assistants_json": "read",
    "fetch_assistants": "send",
    "load_assistants": "read",
    "PLAN_COLUMNS": "workbook",
    "Plan": "plan",
    "SendingCalendar": "plan",
    "plan_leads": "plan",
    "today_in": "plan",
    "write_plan_workbook": "workbook",
    "Progress": "send",
    "Report": "send",
    "execute": "send",
    "PlanResult": "jobs",
    "Sending": "jobs",
    "plan_job": "jobs",
    "retry_job": "jobs",
    "run_job": "jobs",
    "Journal": "send",
    "rebuild_results": "jobs",
    "RESULT_COLUMNS": "workbook",
    "Outcome": "models",
    "ResultRow": "models",
    "read_back": "jobs",
    "write_results_workbook": "workbook",
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
    "Outcome",
    "Plan",
    "PlanResult",
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
    "plan_job",
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
