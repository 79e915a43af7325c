"""What the commands show on a terminal: validate's lines, the plan summary table and the
sending progress.

Kept out of `cli.py` so that the CLI only parses options and calls the library.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # models loads pydantic, which `leadbatch --help` must not wait for
    from .models import RowError
    from .plan import Plan
    from .read import LeadSheet


def print_plan(result: Plan, leads: Path, written: Path) -> None:
    from rich.console import Console

    from .models import RowStatus

    console = Console(highlight=False, soft_wrap=False)
    s = result.settings
    console.print(
        f"Plan for {leads.name}: {len(result.rows)} rows, start {result.start}"
        + (f", end {result.end}" if result.end else "")
        + f", {s.mode} mode, days {','.join(s.days)}"
        + (f", holidays {s.holidays}" if s.holidays else ""),
        soft_wrap=True,
    )
    table = _summary_table(result)
    if table is not None:
        console.print("Emails per day, followups included, against the daily limit:")
        console.print(table)
    for line in result.proof_lines():
        console.print(f"Proof: {line}", markup=False, soft_wrap=True)
    counts = result.counts()
    console.print(
        " · ".join(f"{st.value} {counts[st]}" for st in (
            RowStatus.PLANNED, RowStatus.UNPLACEABLE, RowStatus.INVALID, RowStatus.DUPLICATE)),
        soft_wrap=True,
    )
    problems = [r for r in result.rows if r.status is not RowStatus.PLANNED]
    for r in problems[:_SHOWN_PROBLEMS]:
        console.print(f"  row {r.row}: {r.status.value}: {r.error}", markup=False, soft_wrap=True)
    if len(problems) > _SHOWN_PROBLEMS:
        console.print(f"  ... and {len(problems) - _SHOWN_PROBLEMS} more (see the Plan sheet)")
    console.print(f"Plan written to {written} (nothing was sent).", markup=False, soft_wrap=True)


_SHOWN_PROBLEMS = 10
_SHOWN_DAYS = (10, 3)  # a long plan shows its first and last days around a gap


def _summary_table(result: Plan) -> Any:
    from rich.table import Table

    per_day: dict[dt.date, list[tuple[str, int, int]]] = {}
    for day, email, emails, limit in result.summary():
        per_day.setdefault(day, []).append((email, emails, limit))
    if not per_day:
        return None
    new: dict[dt.date, int] = {}
    for (_, day), n in result.new_leads.items():
        new[day] = new.get(day, 0) + n
    emails_ = sorted(result.limits)
    wide = len(emails_) <= 4
    table = Table()
    table.add_column("day")
    table.add_column("new leads", justify="right")
    if wide:
        for e in emails_:
            table.add_column(e, justify="right")
    else:
        table.add_column("emails / limit", justify="right")
        table.add_column("fullest assistant")
    # Days with no email at all say nothing a person needs: show the days that carry load.
    days = sorted(d for d, cells in per_day.items() if any(n for _, n, _ in cells))
    head, tail = _SHOWN_DAYS
    shown: list[dt.date | None] = list(days)
    if len(days) > head + tail + 1:
        shown = [*days[:head], None, *days[-tail:]]
    for shown_day in shown:
        if shown_day is None:
            table.add_row(f"... {len(days) - head - tail} more", *[""] * (len(table.columns) - 1))
            continue
        day, cells = shown_day, per_day[shown_day]
        if wide:
            loads = [f"{n}/{lim}" for _, n, lim in cells]
        else:
            total, cap = sum(n for _, n, _ in cells), sum(lim for _, _, lim in cells)
            e, n, lim = max(cells, key=lambda c: (c[1] / c[2] if c[2] else 1.0, c[0]))
            loads = [f"{total}/{cap}", f"{e} {n}/{lim}"]
        table.add_row(day.isoformat(), str(new.get(day, 0)), *loads)
    return table


class SendDisplay:
    """A progress bar on a terminal, a plain line every few seconds otherwise (stderr)."""

    PLAIN_EVERY = 10.0

    def __init__(self) -> None:
        import time

        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self._clock = time.monotonic
        self._bar: Any = None
        self._task: Any = None
        self._last = -self.PLAIN_EVERY

    def __enter__(self) -> SendDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def sending(self, through: dt.date | None, concurrency: int, rate: float | None,
                timeout: float = 15.0) -> Any:
        from .jobs import Sending

        return Sending(through, concurrency, rate, timeout, progress=self.update,
                       handle_sigint=True, on_stopping=self.stopping)

    def stopping(self) -> None:
        self.console.print("leadbatch: stopping: finishing the requests in flight, then "
                           "writing the results (Ctrl-C again to stop at once)")

    def update(self, p: Any) -> None:
        if p.total == 0:
            return
        if self.console.is_terminal:
            self._bar_update(p)
        elif p.done == 0:
            self._last = self._clock()
            self.console.print(f"sending {p.total} rows...")
        elif p.done == p.total or self._clock() - self._last >= self.PLAIN_EVERY:
            self._last = self._clock()
            left = f", about {p.eta:.0f}s left" if p.eta is not None and p.done < p.total else ""
            unsent = f", {p.not_sent} not sent" if p.not_sent else ""
            self.console.print(f"sent {p.done - p.not_sent}/{p.total} rows, {p.failed} failed"
                               f"{unsent}, {p.rate:.1f} rows/s{left}")

    def _bar_update(self, p: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        if self._bar is None:
            self._bar = Progress(
                TextColumn("sending"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed · {task.fields[rate]} rows/s"),
                TimeRemainingColumn(), console=self.console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("send", total=p.total, failed=0, rate="0.0")
        self._bar.update(self._task, completed=p.done, failed=p.failed, rate=f"{p.rate:.1f}")


def validation_json(path: Path, sheet: LeadSheet) -> list[str]:
    """`validate --json`: the counts, the column map, every problem, warning and note."""
    import json

    def listed(errors: list[RowError]) -> list[dict[str, object]]:
        return [{"row": e.row, "column": e.column, "message": e.message} for e in errors]

    report = {"file": str(path), **_counts(sheet), "columns": sheet.fields,
              "problems": listed(sheet.problems()), "column_problems": sheet.column_problems,
              "warnings": listed(sheet.warnings()), "notes": sheet.notes}
    return [json.dumps(report, indent=2, ensure_ascii=False)]


def validation_lines(path: Path, sheet: LeadSheet) -> list[str]:
    """`validate`: a line per note, problem and warning, the column map, the counts."""
    warnings = sheet.warnings()
    lines = [f"{path}: note: {note}" for note in sheet.notes]
    lines += [f"{path}: {problem}" for problem in sheet.column_problems]
    lines += [f"{path}: {p}" for p in sheet.problems()]
    lines += [f"{path}: row {w.row}" + (f", column {w.column}" if w.column else "")
              + f": warning: {w.message}" for w in warnings]
    mapped = ", ".join(f"{h} -> {f}" for h, f in sheet.fields.items() if f != "custom")
    custom = ", ".join(h for h, f in sheet.fields.items() if f == "custom")
    lines.append(f"{path}: columns: {mapped}" + (f"; custom fields: {custom}" if custom else ""))
    counts, with_warnings = _counts(sheet), len({w.row for w in warnings})
    lines.append(f"{path}: {counts['rows']} rows read: {counts['valid']} valid, "
                 f"{counts['invalid']} invalid, {counts['duplicates']} duplicate"
                 + (f"; {with_warnings} with warnings" if with_warnings else ""))
    return lines


def _counts(sheet: LeadSheet) -> dict[str, int]:
    # One pass over the rows, not one per count (three passes: 0.1 s of a 100,000-row
    # validate).
    from collections import Counter

    from .models import RowStatus

    counts = Counter(row.status for row in sheet.rows)
    return {"rows": len(sheet.rows), "valid": counts[None],
            "invalid": counts[RowStatus.INVALID], "duplicates": counts[RowStatus.DUPLICATE]}
