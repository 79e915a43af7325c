"""The plan Summary's parts that make it readable at a glance: what needs the user and the
planner's proof on top of the settings block, a day x assistant grid coloured by load
against each assistant's own limit, and a chart scaled to the load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .writer import Cell

NEAR = 0.9  # an assistant-day at 90% of its limit or more is "near the limit"
MAX_CHART_SERIES = 30  # beyond this a chart per assistant is unreadable: chart the total
GRID_TITLE = "emails / limit"
# The grid's colour scale: empty white, three quarters of the limit yellow, the limit red.
_SCALE = {"min_color": "#FFFFFF", "mid_color": "#FFEB84", "max_color": "#F8696B"}


def about_head(needs: str, proof: Sequence[str], load: Mapping[tuple[str, dt.date], int],
               limits: Mapping[str, int]) -> list[tuple[str, Cell]]:
    """The first lines of the plan/value block: what needs the user, then the proof."""
    head: list[tuple[str, Cell]] = [("needs you", needs)]
    head += [(f"proof {n}" if n > 1 else "proof", line) for n, line in enumerate(proof, 1)]
    ratios = [(n / limits[a] if limits.get(a) else 0.0, -n, d, a)
              for (a, d), n in load.items() if n and a in limits]
    if ratios:
        ratio, n, d, a = max(ratios, key=lambda t: (t[0], -t[1], -t[2].toordinal(), t[3]))
        head.append(("busiest assistant-day",
                     f"{d} {a}: {-n} of {limits[a]} emails ({ratio:.0%})"))
    near = sum(1 for r, *_ in ratios if r >= NEAR)
    head.append(("near the limit", f"{near} assistant-day{'' if near == 1 else 's'} at "
                 f"{NEAR:.0%} of the limit or more (red in the grid)"))
    head.append(("grid colours", "white: no emails; yellow: 3/4 of the limit; red: at it"))
    return head


def grid_block(
    days: Sequence[dt.date], emails: Sequence[str], load: Mapping[tuple[str, dt.date], int],
    limits: Mapping[str, int],
) -> tuple[list[list[Cell]], list[str], Callable[[Workbook, Worksheet, int], None]]:
    """Rows (a limit row, then one per day), the header, and `paint` to colour it once
    placed at a column: a colour scale per assistant, from 0 to its own limit."""
    rows: list[list[Cell]] = [["limit", *(limits[a] for a in emails)]]
    rows += [[d, *(load.get((a, d), 0) for a in emails)] for d in days]

    def paint(book: Workbook, ws: Worksheet, col: int) -> None:
        if not days:
            return
        for j, a in enumerate(emails):
            limit = max(limits[a], 1)
            ws.conditional_format(2, col + 1 + j, 1 + len(days), col + 1 + j, {
                "type": "3_color_scale", **_SCALE,
                "min_type": "num", "min_value": 0,
                "mid_type": "num", "mid_value": round(limit * 0.75, 2),
                "max_type": "num", "max_value": limit,
            })

    return rows, [GRID_TITLE, *emails], paint


def load_chart(book: Workbook, load: Mapping[tuple[str, dt.date], int],
               limits: Mapping[str, int], days: Sequence[dt.date], emails: Sequence[str]) -> Any:
    """Each assistant's emails per day (clustered, so each bar meets its own limit) with a
    dashed line per distinct limit; the axis scales to them, not to the sum of all limits.
    Past MAX_CHART_SERIES assistants: the day totals against the combined limit."""
    n, k = len(days), len(emails)
    cats = ["Load", 1, 0, n, 0]
    distinct = sorted(set(limits.values()))
    if k > MAX_CHART_SERIES:
        chart = book.add_chart({"type": "column"})
        chart.add_series({"name": "all assistants", "categories": cats,
                          "values": ["Load", 1, k + 1, n, k + 1], "gap": 50})
        lines = [("daily limit (all assistants)", k + 2)]
    else:
        chart = book.add_chart({"type": "column"})
        for i, a in enumerate(emails):
            chart.add_series({"name": a, "categories": cats,
                              "values": ["Load", 1, i + 1, n, i + 1], "gap": 80})
        lines = []
        for j, value in enumerate(distinct):
            who = [a for a in emails if limits[a] == value]
            label = f"limit {value}: " + (", ".join(who) if len(who) <= 2
                                          else f"{len(who)} assistants")
            lines.append((label, k + 3 + j))
    limit = book.add_chart({"type": "line"})
    for label, col in lines:
        limit.add_series({
            "name": label[:250], "categories": cats, "values": ["Load", 1, col, n, col],
            "line": {"color": "#C00000", "dash_type": "dash", "width": 1.5},
            "marker": {"type": "none"},
        })
    chart.combine(limit)
    chart.set_title({"name": "Emails a day per assistant (followups too) against its limit",
                     "name_font": {"size": 11}})
    chart.set_x_axis({"name": "day"})
    chart.set_y_axis({"name": "emails", "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 600, "height": 380})  # the width of the plan/value block
    return chart


def side_by_side(blocks: Sequence[tuple[Sequence[Sequence[Cell]], int]]) -> list[list[Cell]]:
    """Blocks of rows (each with its width) next to each other, a blank column between:
    the writer streams a sheet's rows in order, so blocks share rows."""
    height = max((len(rows) for rows, _ in blocks), default=0)
    out: list[list[Cell]] = []
    for i in range(height):
        line: list[Cell] = []
        for b, (rows, width) in enumerate(blocks):
            if b:
                line.append(None)
            cells = list(rows[i]) if i < len(rows) else []
            line.extend([*cells, *([None] * (width - len(cells)))])
        out.append(line)
    return out
