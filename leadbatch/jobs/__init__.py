"""The jobs, as library calls: the one package that ties the stages together.

`validate_job`: read -> check pins; `plan_job`: read -> plan -> plan workbook (sends
nothing); `run_job` and `retry_job`: plan or read back -> journal -> send -> results
workbook. The CLI only parses options and calls these.
"""

from __future__ import annotations

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
