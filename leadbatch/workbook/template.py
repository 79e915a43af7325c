"""The input template a person fills in Excel: a Leads sheet and an Instructions sheet.

The Leads sheet has the columns leadbatch understands (the API's own names), text format
on the columns Excel would otherwise mangle (phone numbers, ids), a dropdown for
`action` and one example row; the reader refuses the example row if it is left in, so
"John Doe" is never sent by accident.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..models import ACTIONS, TEMPLATE_EXAMPLE_EMAIL
from .writer import Cell, SheetSpec, write_workbook

# (header, required, what to put there, example value)
TEMPLATE_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("name", "yes", "First name (or full name) of the lead.", "John"),
    ("lastName", "", "Last name.", "Doe"),
    ("email", "yes", "Email address; each lead once (case does not matter).",
     TEMPLATE_EXAMPLE_EMAIL),
    ("phone", "", "Phone in international form, starting with + and the country code.",
     "+919123456789"),
    ("assistantEmail", "", "Email of the 7Targets assistant to send this lead; blank: "
     "leadbatch picks the assistant with the most room.", ""),
    ("scheduleId", "", "Id of the sequence to use (a number); blank: scheduleName, else the "
     "assistant's default sequence.", ""),
    ("scheduleName", "", "Name of the sequence, exactly as in 7Targets (case matters).", ""),
    ("sendDate", "", "Day of the first email, YYYY-MM-DD; blank: leadbatch spreads the "
     "leads over the sending days. A date in the past is an error.", ""),
    ("action", "", "create (blank = create), update or stop.", "create"),
    ("id", "", "7Targets lead id, for update and stop (blank: found by email).", ""),
    ("source", "", "Where the lead came from (7Targets uses Website if blank).", "Website"),
    ("context", "", "What the assistant should write about.", "AI Sales Assistant"),
    ("additionalInformationLine", "", "One extra line the assistant may use.",
     "Met at the Pune expo"),
    ("Lead Company", "", "Any other column is sent as a custom field named by its header.",
     "Acme Corp"),
    ("Lead Designation", "", "Another custom field: add, rename or delete these freely.", "CTO"),
)

_NOTES = (
    "One row per lead. Row 2 is an example: overwrite or delete it (leadbatch refuses it).",
    "Column names may also be the ones of 7Targets' own Excel upload (First_Name, Email_ID, "
    "Country_Code + Phone_Number, Start Email Sending Date...); case, spaces, _ and - "
    "do not matter.",
    "Check the sheet with: leadbatch validate FILE.xlsx",
    "Then plan without sending: leadbatch plan FILE.xlsx -o plan.xlsx",
)

_TEXT_COLUMNS = frozenset({"phone", "scheduleId", "id"})  # Excel would drop + and digits
_ROWS_PREPARED = 5000  # rows that get the dropdown and formats
# A fixed creation time keeps the file byte-for-byte reproducible.
_CREATED = dt.datetime(2025, 1, 1)


def write_template(path: str | os.PathLike[str]) -> Path:
    """Write the input template workbook to `path` (atomically)."""
    headers = [c[0] for c in TEMPLATE_COLUMNS]
    leads = SheetSpec(
        name="Leads",
        headers=headers,
        rows=[[c[3] for c in TEMPLATE_COLUMNS]],
        widths={h: _width(h) for h in headers},
        autofilter=False,
        finish=_prepare_leads_sheet,
        # A few rows: through xlsxwriter, so the example row takes the column formats
        # (and the template stays the file shipped in templates/, byte for byte).
        stream=False,
    )
    instructions: list[list[Cell]] = [[h, req, what] for h, req, what, _ in TEMPLATE_COLUMNS]
    instructions.append([])
    instructions.extend([note] for note in _NOTES)
    help_sheet = SheetSpec(
        name="Instructions",
        headers=["column", "required", "what to put there"],
        rows=instructions,
        widths={"column": 26.0, "required": 10.0, "what to put there": 100.0},
        autofilter=False,
        stream=False,
    )
    return write_workbook(
        path,
        [leads, help_sheet],
        properties={"title": "leadbatch input template", "created": _CREATED},
    )


def _width(header: str) -> float:
    return 28.0 if header in ("email", "assistantEmail") else max(14.0, len(header) + 4.0)


def _prepare_leads_sheet(book: Workbook, ws: Worksheet, last_row: int) -> None:
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, (header, _required, what, _example) in enumerate(TEMPLATE_COLUMNS):
        if header in _TEXT_COLUMNS:
            ws.set_column(col, col, _width(header), text)
        elif header == "sendDate":
            ws.set_column(col, col, _width(header), date)
        # A tooltip on the header cell (comments cannot be added to rows already
        # written in xlsxwriter's constant-memory mode; validations can).
        ws.data_validation(
            0, col, 0, col,
            {"validate": "any", "input_title": header[:32], "input_message": what[:255]},
        )
        if header == "action":
            ws.data_validation(
                1, col, _ROWS_PREPARED, col,
                {
                    "validate": "list",
                    "source": list(ACTIONS),
                    "input_title": "action",
                    "input_message": "create, update or stop (blank = create)",
                    "error_title": "Unknown action",
                    "error_message": "Use create, update or stop.",
                },
            )
