"""The `To fix` sheet: every row that needs the user, the column to edit and what to do.

It is a list, not a second place to fix: it names the row of the Plan/Results sheet
(the one sheet `retry` and `run` read) and that sheet's column, so the fix is made there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from ..models import RowStatus, SourceRow
from .columns import CONTRACT_HELD
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


def fix_sheet(found: Callable[[], list[Need]], kind: Literal["plan", "results"],
              held: Mapping[str, str] | None = None) -> SheetSpec:
    """The To fix sheet of a plan or results workbook. `found` is asked when the sheet is
    written (after the sheet it lists). `held` (the Summary's `email column` / `name
    column` entries) names the input's columns that the contract's `email` and `name`
    columns hold: in a results workbook those are the ones to edit.

    Where the fix is made is the one place the next command reads: a results workbook's
    Results sheet (`retry` reads it, and plans the invalid and unplaceable rows fixed
    there); for a plan, the input sheet it was made from (`run PLAN.xlsx` sends a plan as
    it is, so a row is fixed in the input, or after the run in the Results sheet)."""
    where = {header: CONTRACT_HELD[label] for label, header in (held or {}).items()
             if label in CONTRACT_HELD} if kind == "results" else {}

    def rows() -> Iterator[list[Cell]]:
        for n in sorted(found(), key=lambda n: (_rank(n), n.line)):
            yield from _lines(n, kind, where)

    return SheetSpec(
        name="To fix",
        headers=FIX_COLUMNS,
        rows=rows(),
        widths={"line": 7, "row": 7, "status": 13, "email": 30, "column to edit": 24,
                "what to do": 70, "why": 70},
        status_column="status",
    )


def summary_line(found: list[Need], kind: Literal["plan", "results"]) -> str:
    """The count with a hint, for the top of a Summary sheet."""
    if not found:
        return "nothing: every row is ready"
    by = Counter("warning" if n.status not in NEEDS_USER else n.status.value for n in found)
    parts = ", ".join(f"{by[k]} {k}" for k in (*(s.value for s in NEEDS_USER), "warning") if by[k])
    rows = "row" if len(found) == 1 else "rows"
    where = ("fix them in the Results sheet (filter its status column), then leadbatch retry"
             if kind == "results" else
             "fix them in the input sheet and plan again (the Plan sheet's status filter "
             "shows them)")
    return f"{len(found)} {rows} ({parts}): the To fix sheet lists each with the column to " \
        f"edit; {where}"


def _rank(n: Need) -> int:
    return NEEDS_USER.index(n.status) if n.status in NEEDS_USER else len(NEEDS_USER)


def _lines(n: Need, kind: str, where: Mapping[str, str]) -> Iterator[list[Cell]]:
    src = n.source
    head: list[Cell] = [n.line, src.row, n.status.value, n.email]
    if kind == "results":
        place, then = f"Results line {n.line}", "then leadbatch retry this workbook"
    else:
        place = f"the input sheet (row {src.row})"
        then = "then plan again (or, once run, fix it in the Results sheet and retry)"
    if n.status is RowStatus.INVALID:
        for column, why in [(e.column, e.message) for e in src.errors] or [(None, n.error)]:
            column = where.get(column or "", column or "the row")
            yield [*head, column, f"correct {column} in {place}, {then}", why]
        return
    if n.status is RowStatus.UNPLACEABLE:
        yield [*head, "sendDate / assistantEmail",
               f"change or clear sendDate or assistantEmail in {place} (or raise the "
               f"limits), {then}", n.error]
    elif n.status is RowStatus.FAILED:
        yield [*head, "what the error names",
               f"correct what the API refused in {place}, {then}", n.error]
    for w in src.warnings:
        column = where.get(w.column or "", w.column or "the row")
        yield [n.line, src.row, "warning", n.email, column,
               f"check {column} in {place}: it is sent with this caveat (nothing to do "
               "if that is right)", w.message]
