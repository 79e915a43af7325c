"""The `To fix` sheet: every row that needs the user, the column to edit and what to do.

It is a list, not a second place to fix: it names the row of the Plan/Results sheet
(the one sheet `retry` and `run` read) and that sheet's column, so the fix is made there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..models import RowStatus, SourceRow
from .writer import Cell, SheetSpec

FIX_COLUMNS = ["line", "row", "status", "email", "column to edit", "what to do", "why"]

# Statuses that need the user, in the order the sheet lists them; warnings come after.
NEEDS_USER = (RowStatus.INVALID, RowStatus.FAILED, RowStatus.UNPLACEABLE)


@dataclass(frozen=True)
class Need:
    """One row that needs the user: where it is and what it says."""

    line: int  # the row's line in the Plan/Results sheet (header = 1)
    status: RowStatus
    source: SourceRow
    email: str
    error: str


def needs(items: Iterable[Need]) -> Iterator[Need]:
    """The rows that need the user: a status in NEEDS_USER, or any warning."""
    for n in items:
        if n.status in NEEDS_USER or (n.source.warnings and n.status is not RowStatus.DUPLICATE):
            yield n


def fix_sheet(found: Callable[[], list[Need]], sheet: str, command: str) -> SheetSpec:
    """`sheet` is where the fix is made (Plan / Results); `command` what then to run.
    `found` is asked when the sheet is written (after the sheet it lists)."""

    def rows() -> Iterator[list[Cell]]:
        for n in sorted(found(), key=lambda n: (_rank(n), n.line)):
            yield from _lines(n, sheet, command)

    return SheetSpec(
        name="To fix",
        headers=FIX_COLUMNS,
        rows=rows(),
        widths={"line": 7, "row": 7, "status": 13, "email": 30, "column to edit": 24,
                "what to do": 70, "why": 70},
        status_column="status",
    )


def summary_line(found: list[Need], sheet: str) -> str:
    """The count with a hint, for the top of a Summary sheet."""
    if not found:
        return "nothing: every row is ready"
    by = Counter("warning" if n.status not in NEEDS_USER else n.status.value for n in found)
    parts = ", ".join(f"{by[k]} {k}" for k in (*(s.value for s in NEEDS_USER), "warning") if by[k])
    rows = "row" if len(found) == 1 else "rows"
    return (f"{len(found)} {rows} ({parts}): the To fix sheet lists each with the column to "
            f"edit; fix them in the {sheet} sheet (filter its status column)")


def _rank(n: Need) -> int:
    return NEEDS_USER.index(n.status) if n.status in NEEDS_USER else len(NEEDS_USER)


def _lines(n: Need, sheet: str, command: str) -> Iterator[list[Cell]]:
    src = n.source
    head: list[Cell] = [n.line, src.row, n.status.value, n.email]
    if n.status is RowStatus.INVALID:
        problems = src.errors or []
        if problems:
            for e in problems:
                column = e.column or "the row"
                yield [*head, column, f"correct {column} in {sheet} line {n.line}, then {command}",
                       e.message]
            return
        yield [*head, "the row", f"correct the row in {sheet} line {n.line}, then {command}",
               n.error]
    elif n.status is RowStatus.UNPLACEABLE:
        yield [*head, "sendDate / assistantEmail",
               f"clear or change sendDate or assistantEmail in {sheet} line {n.line} (or raise "
               f"the limits), set status to planned, then {command}", n.error]
    elif n.status is RowStatus.FAILED:
        yield [*head, "what the error names",
               f"correct what the API refused in {sheet} line {n.line}, then {command}", n.error]
    if n.status in NEEDS_USER and n.status is not RowStatus.UNPLACEABLE and n.status is not \
            RowStatus.FAILED:
        return
    for w in src.warnings:
        column = w.column or "the row"
        yield [n.line, src.row, "warning", n.email, column,
               f"check {column} in {sheet} line {n.line}: it is sent with this caveat "
               "(nothing to do if that is right)", w.message]
