"""Issue 16's ratios: `leadbatch validate` against the raw read of the same file, the
light commands' start-up against a bare interpreter importing click, and reading and
checking per row by phase (bench/reading.py). Each case a fresh process; the cases of a
ratio run in turn, a round at a time (harness.measure_together)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .harness import PYTHON, Case, measure_together
from .inputs import Inputs

# A start-up is ~50 ms: more runs than a file case, so that one slow run does not decide.
STARTUP_RUNS = 15


@dataclass
class SpeedResults:
    source: str  # the file's label
    rows: int
    cases: dict[str, Case] = field(default_factory=dict)


def run_speed_cases(inputs: Inputs, *, runs: int, work: Path) -> SpeedResults:
    logs = work / "logs" / "speed"
    path = str(inputs.xlsx)
    res = SpeedResults(f"xlsx, {inputs.rows:,} rows", inputs.rows)
    print("speed: validate / raw read, per-row phases", flush=True)
    res.cases.update(measure_together({
        "validate": ([PYTHON, "-m", "leadbatch", "validate", path], (0, 1)),
        "raw read": ([PYTHON, "-m", "bench.raw_read", path], (0,)),
        "phases": ([PYTHON, "-m", "bench.reading", path, "--rounds", "3"], (0,)),
    }, runs=runs, logs=logs))
    print("speed: start-up", flush=True)
    template = str(work / "template.xlsx")
    res.cases.update(measure_together({
        "python": ([PYTHON, "-c", "pass"], (0,)),
        "python + click": ([PYTHON, "-c", "import click"], (0,)),
        "leadbatch --help": ([PYTHON, "-m", "leadbatch", "--help"], (0,)),
        "leadbatch --version": ([PYTHON, "-m", "leadbatch", "--version"], (0,)),
        "leadbatch template": ([PYTHON, "-m", "leadbatch", "template", "-o", template], (0,)),
    }, runs=max(runs, STARTUP_RUNS), logs=logs))
    return res
