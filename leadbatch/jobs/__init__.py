"""The jobs, as library calls: the one package that ties the stages together.

`validate_job`: read -> check pins; `plan_job`: read -> plan -> plan workbook (sends
nothing); `run_job` and `retry_job`: plan or read back -> journal -> send -> results
workbook. The CLI only parses options and calls these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .campaign import forget_sends, ledger_tables, write_ledger_workbook
    from .checking import (
        PlanResult,
        find_assistants,
        plan_job,
        read_back,
        validate_job,
        workbook_kind,
    )
    from .sending import JobResult, Sending, carry_over, rebuild_results, retry_job, run_job

# Each job's module loads when one of its names is first asked for: `validate` needs
# checking alone, and campaign and sending bring the send stage (sqlite, asyncio) and the
# workbook writer with them (~60 ms of a validate's start, python -X importtime).
_LAZY = {
    "forget_sends": "campaign", "ledger_tables": "campaign", "write_ledger_workbook": "campaign",
    "PlanResult": "checking", "find_assistants": "checking", "plan_job": "checking",
    "read_back": "checking", "validate_job": "checking", "workbook_kind": "checking",
    "JobResult": "sending", "Sending": "sending", "carry_over": "sending",
    "rebuild_results": "sending", "retry_job": "sending", "run_job": "sending",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "JobResult",
    "PlanResult",
    "Sending",
    "carry_over",
    "find_assistants",
    "forget_sends",
    "ledger_tables",
    "plan_job",
    "read_back",
    "rebuild_results",
    "retry_job",
    "run_job",
    "validate_job",
    "workbook_kind",
    "write_ledger_workbook",
]
