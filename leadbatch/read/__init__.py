"""Read: a lead sheet (CSV, xlsx, xls, ods) or an assistants file into checked rows.

`read_leads` finds a file's real format from its content, reads its cells (`files`),
matches its headers and checks every cell (`cells`, `rows`); a bad cell is a `RowError`
with the spreadsheet's own row number, never an exception.
"""

from __future__ import annotations

from .assistants import dump_assistants_json, load_assistants
from .files import SheetCells, read_cells
from .rows import LeadSheet, parse_rows, read_leads

__all__ = [
    "LeadSheet",
    "SheetCells",
    "dump_assistants_json",
    "load_assistants",
    "parse_rows",
    "read_cells",
    "read_leads",
]
