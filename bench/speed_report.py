"""BENCHMARKS.md's section and targets for issue 16's ratios (bench/speed.py)."""

from __future__ import annotations

from typing import Any

from .harness import Case, Stat
from .speed import SpeedResults

CHECK_GOAL_US = 12.0
VALIDATE_GOAL = 1.5
HELP_GOAL = 3.0


def _ratio(a: Case, b: Case, pick: str = "wall") -> float:
    return float(getattr(a, pick).median / getattr(b, pick).median)


def _s(stat: Stat, scale: float = 1.0, fmt: str = "{:.2f}") -> str:
    return (f"{fmt.format(stat.median * scale)} ({fmt.format(stat.low * scale)}–"
            f"{fmt.format(stat.high * scale)})")


def speed_targets(res: SpeedResults, targets: list[Any], target: type) -> None:
    """Append issue 16's targets (rows of the Targets table) to `targets`."""
    c = res.cases
    validate, raw = c["validate"], c["raw read"]
    ratio = _ratio(validate, raw)
    beyond = validate.wall.median - raw.wall.median
    checking = c["phases"].figure("check").median
    allowed = (VALIDATE_GOAL - 1) * raw.wall.median
    targets.append(target(
        f"`validate` / raw read on the {res.source}", f"≤ {VALIDATE_GOAL}×",
        f"{ratio:.2f}× ({validate.wall.median:.2f} s / {raw.wall.median:.2f} s)",
        ratio <= VALIDATE_GOAL,
        f"each a process from start to exit; CPU {_ratio(validate, raw, 'cpu'):.2f}×; beyond "
        f"the raw read: checking the rows {checking:.2f} s (bench/reading.py), the rest "
        f"{beyond - checking:.2f} s (start-up imports, the pinned days' checks, the output, "
        f"freeing the rows); {VALIDATE_GOAL}× leaves {allowed:.2f} s for all of it, "
        f"{1e6 * allowed / res.rows:.1f} µs a row: more than the checking alone takes on one core"))
    check = c["phases"].figure("check_us").median
    read = c["phases"].figure("read_us").median
    targets.append(target(
        f"checking a row (the {res.source})", f"< {CHECK_GOAL_US:.0f} µs",
        f"{check:.1f} µs (reading {read:.1f} µs)", check < CHECK_GOAL_US,
        "CPU time by phase, bench/reading.py"))
    helped, click = c["leadbatch --help"], c["python + click"]
    ratio = _ratio(helped, click)
    targets.append(target(
        "`leadbatch --help` / `python -c \"import click\"`", f"≤ {HELP_GOAL:.0f}×",
        f"{ratio:.2f}× ({1000 * helped.wall.median:.0f} ms / {1000 * click.wall.median:.0f} ms)",
        ratio <= HELP_GOAL,
        f"bare interpreter {1000 * c['python'].wall.median:.0f} ms; which modules each "
        "command imports is held by tests/test_startup.py"))


def speed_tables(res: SpeedResults) -> list[str]:
    c = res.cases
    lines = [
        "## Reading, checking and start-up (issue 16)",
        "",
        "bench/speed.py: each case a fresh process, the cases of a ratio in turn, a round at "
        "a time; peak RSS as the harness reports it (for the start-ups, mostly the forked "
        f"parent's before exec). `raw read`: bench/raw_read.py on the {res.source} (python-calamine, every "
        "row as Python values, nothing checked); `phases`: bench/reading.py (read and check "
        "timed apart in one process, CPU time, 3 rounds each, medians).",
        "",
        "| case | wall | CPU | peak RSS |",
        "|---|---:|---:|---:|",
    ]
    for name, case in c.items():
        # A start-up is tens of milliseconds: shown in ms, the others in seconds.
        scale, unit = (1000.0, "ms") if case.wall.median < 1 else (1.0, "s")
        fmt = "{:.0f}" if scale > 1 else "{:.2f}"
        lines.append(f"| {name} | {_s(case.wall, scale, fmt)} {unit} | "
                     f"{_s(case.cpu, scale, fmt)} {unit} | {case.rss.median:.0f} MiB |")
    p = c["phases"]
    share = p.figure("main_thread_share").median
    lines += [
        "",
        f"Per row ({res.rows:,} rows, CPU): read {_s(p.figure('read_us'), fmt='{:.1f}')} µs, "
        f"check {_s(p.figure('check_us'), fmt='{:.1f}')} µs.",
        "",
        "Both cores for reading: python-calamine parses the whole sheet in one call "
        f"(get_sheet_by_index: {p.figure('parse_alone').median:.2f} s alone, "
        f"{p.figure('parse_in_thread').median:.2f} s in a thread) before any row reaches "
        f"Python; its rows then become Python lists in {p.figure('rows_to_python').median:.2f} s. "
        f"While it parses in a thread, the main thread keeps {share:.0%} of its speed alone"
        + (" (it releases the GIL)" if share >= 0.7 else " (it holds the GIL most of the time)")
        + ". Checking needs rows, and none exists until that one call returns, so there is "
        "no block to check while the next is read; and with the GIL held, work on the other "
        "thread would not run beside it anyway. A pipelined reader is therefore not built "
        "(issue 16, part 2): reading stays on one core.",
        "",
        "Both cores for checking: a forked process could check half the rows, but must hand "
        f"them back: pickling {res.rows // 2:,} checked rows takes "
        f"{p.figure('half_dumps').median:.2f} s there and unpickling "
        f"{p.figure('half_loads').median:.2f} s here, against "
        f"{p.figure('check').median / 2:.2f} s to check them here. "
        + ("The hand-over costs more than it saves: checking stays on one core."
           if p.figure("half_dumps").median + p.figure("half_loads").median
           >= p.figure("check").median / 2 else
           "The hand-over costs less than the checking it moves: worth building."),
        "",
    ]
    return lines
