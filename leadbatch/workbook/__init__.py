"""Workbook: every workbook leadbatch writes (plan, results, template), atomically and
as values only, and the plan and results workbooks read back.

`writer` builds workbooks from `SheetSpec`s with xlsxwriter; `render` writes the data
rows of big sheets itself, many times faster, and `splice` splices them into its zip.
"""

from __future__ import annotations

from .columns import CONTRACT_HELD, contract_columns, shown_headers
from .plan import PLAN_COLUMNS, SUMMARY_COLUMNS, write_plan_workbook
from .read_back import ReadBack, RowParser, read_back
from .results import RESULT_COLUMNS, result_cells, write_results_workbook
from .template import TEMPLATE_COLUMNS, write_template
from .writer import STATUS_COLOURS, Cell, SheetSpec, write_workbook

__all__ = [
    "CONTRACT_HELD",
    "PLAN_COLUMNS",
    "RESULT_COLUMNS",
    "STATUS_COLOURS",
    "SUMMARY_COLUMNS",
    "TEMPLATE_COLUMNS",
    "Cell",
    "ReadBack",
    "RowParser",
    "SheetSpec",
    "contract_columns",
    "read_back",
    "result_cells",
    "shown_headers",
    "write_plan_workbook",
    "write_results_workbook",
    "write_template",
    "write_workbook",
]
