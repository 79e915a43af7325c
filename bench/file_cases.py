"""The file cases: `leadbatch validate` / `leadbatch plan` end to end, their phases, the
floor and the naive path, on every generated input."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from . import profiles
from .harness import PYTHON, Case, measure, measure_together
from .inputs import START, Inputs
from .profiles import Profile
from .writers import WRITERS


@dataclass
class FileConfig:
    runs: int
    runs_large: int
    work: Path
    files: bool = True
    writers: bool = True
    naive: bool = True
    profiles: bool = True


@dataclass
class Source:
    key: str  # "xlsx-100k"
    label: str  # "xlsx, 100,000 rows"
    path: Path
    rows: int
    large: bool = False


@dataclass
class FileResults:
    sources: list[Source]
    cases: dict[str, Case] = field(default_factory=dict)  # "<kind>:<source key>"
    profiles: dict[str, Profile | None] = field(default_factory=dict)
    main: str = ""  # key of the N-row xlsx the targets are about
    main_csv: str = ""
    big: str = ""
    small: str = ""


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n >= 1000 else str(n)


def sources(inputs: Inputs) -> list[Source]:
    def src(kind: str, path: Path, rows: int, large: bool = False) -> Source:
        return Source(f"{kind}-{_short(rows)}", f"{kind}, {rows:,} rows", path, rows, large)

    return [
        src("xlsx", inputs.xlsx, inputs.rows),
        src("csv", inputs.csv, inputs.rows),
        src("csv", inputs.big_csv, inputs.big_rows, large=True),
        src("xlsx", inputs.small_xlsx, inputs.small_rows),
    ]


def run_file_cases(inputs: Inputs, cfg: FileConfig) -> FileResults:
    srcs = sources(inputs)
    res = FileResults(
        srcs, main=srcs[0].key, main_csv=srcs[1].key, big=srcs[2].key, small=srcs[3].key
    )
    work, logs = cfg.work, cfg.work / "logs"
    work.mkdir(parents=True, exist_ok=True)
    plan_opts = ["--assistants", str(inputs.assistants), "--start", START.isoformat()]

    def case(kind: str, s: Source, argv: list[str], ok: tuple[int, ...] = (0,)) -> None:
        name = f"{kind}:{s.key}"
        runs = cfg.runs_large if s.large else cfg.runs
        print(f"bench: {name}", flush=True)
        res.cases[name] = measure(name, argv, runs=runs, logs=logs, ok_codes=ok)

    if cfg.files:
        res.cases["baseline"] = measure(
            "baseline", [PYTHON, "-m", "leadbatch", "--version"], runs=cfg.runs, logs=logs
        )
        for s in srcs:
            out = work / f"plan-{s.key}.xlsx"
            case("validate", s, [PYTHON, "-m", "leadbatch", "validate", str(s.path)], (0, 1))
            plan = [PYTHON, "-m", "leadbatch", "plan", str(s.path), "-o", str(out), *plan_opts]
            if s.large:
                case("plan", s, plan, (0, 1))
                continue
            # plan / floor is a ratio: its cases run in turn (see measure_together)
            together = {
                f"plan:{s.key}": (plan, (0, 1)),
                f"phases:{s.key}": (
                    [PYTHON, "-m", "bench.phases", str(s.path), str(out), *plan_opts], (0,)),
                f"floor:{s.key}": (
                    [PYTHON, "-m", "bench.floor", str(s.path), str(work / f"floor-{s.key}.xlsx")],
                    (0,)),
            }
            if cfg.naive and s.key == res.small:
                together[f"naive:{s.key}"] = (
                    [PYTHON, "-m", "bench.naive", str(s.path), str(work / "naive.xlsx"),
                     str(inputs.assistants)], (0,))
            print(f"bench: {', '.join(together)} in turn", flush=True)
            res.cases.update(measure_together(together, runs=cfg.runs, logs=logs))
    if cfg.writers:
        main = srcs[0]
        for w in WRITERS:
            if w == "leadbatch" and cfg.files:
                continue  # that is the floor's own write, measured above
            if w == "rustpy" and importlib.util.find_spec("rustpy_xlsxwriter") is None:
                continue
            argv = [
                PYTHON,
                "-m",
                "bench.writers",
                str(main.path),
                w,
                str(work / f"writer-{w}.xlsx"),
            ]
            case(f"writer-{w}", main, argv)
    if cfg.naive and f"naive:{res.small}" not in res.cases:
        small = next(s for s in srcs if s.key == res.small)
        case(
            "naive",
            small,
            [
                PYTHON,
                "-m",
                "bench.naive",
                str(small.path),
                str(work / "naive.xlsx"),
                str(inputs.assistants),
            ],
        )
        if f"plan:{small.key}" not in res.cases:
            out = work / f"plan-{small.key}.xlsx"
            case(
                "plan",
                small,
                [PYTHON, "-m", "leadbatch", "plan", str(small.path), "-o", str(out), *plan_opts],
                (0, 1),
            )
    if cfg.profiles:
        main = srcs[0]
        print(f"bench: profiling the phases of plan on {main.label}", flush=True)
        res.profiles["plan"] = profiles.record(
            [
                PYTHON,
                "-m",
                "bench.phases",
                str(main.path),
                str(work / "plan-profiled.xlsx"),
                *plan_opts,
            ],
            work / "profile-plan",
            focus=("read_cells ", "parse_rows ", "plan_leads ", "write_plan_workbook "),
        )
    return res
