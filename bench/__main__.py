"""`make bench`: generate the inputs, measure every case in fresh processes, write BENCHMARKS.md.

python -m bench                 # the full run (10-25 minutes on 2 cores)
python -m bench --quick         # a smoke run on small inputs (under a minute)
python -m bench --runs 5 --only files,executor
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

from .executor_cases import ExecutorConfig, run_executor_cases
from .file_cases import FileConfig, run_file_cases
from .harness import ROOT, CaseFailed
from .inputs import prepare
from .planner_cases import run_planner_cases
from .report import Machine, write_report
from .speed import run_speed_cases

SECTIONS = ("files", "writers", "naive", "executor", "profiles", "planner", "speed")


def machine() -> Machine:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    from leadbatch import __version__

    return Machine(
        cores=os.cpu_count() or 0,
        cpu=model,
        python=platform.python_version(),
        leadbatch=__version__,
        date=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        system=f"{platform.system()} {platform.release()}",
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small inputs, one run: a smoke test")
    ap.add_argument("--runs", type=int, help="runs per case (default 3; 1 with --quick)")
    ap.add_argument("--runs-large", type=int, help="runs of the 1M-row cases (default 1)")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"sections: {','.join(SECTIONS)}")
    ap.add_argument("--output", type=Path, help="report path (default BENCHMARKS.md)")
    ap.add_argument("--workdir", type=Path, help="inputs and scratch files (default bench/out/)")
    args = ap.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if unknown := only - set(SECTIONS):
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    quick = args.quick
    out = args.workdir or ROOT / "bench" / "out" / ("quick" if quick else "full")
    runs = args.runs or (1 if quick else 3)
    started = time.monotonic()
    if quick:
        inputs = prepare(
            out / "inputs", rows=2_000, big_rows=20_000, small_rows=1_000, sandbox_rows=200
        )
    else:
        inputs = prepare(
            out / "inputs", rows=100_000, big_rows=1_000_000, small_rows=20_000, sandbox_rows=2_000
        )
    results: dict[str, object] = {}
    try:
        if only & {"files", "writers", "naive", "profiles"}:
            results["files"] = run_file_cases(
                inputs,
                FileConfig(
                    runs=runs,
                    runs_large=args.runs_large or 1,
                    work=out / "work",
                    files="files" in only,
                    writers="writers" in only,
                    naive="naive" in only,
                    profiles="profiles" in only,
                ),
            )
        if "executor" in only or "profiles" in only:
            results["executor"] = run_executor_cases(
                inputs,
                ExecutorConfig(
                    runs=runs,
                    quick=quick,
                    work=out / "work",
                    cases="executor" in only,
                    profiles="profiles" in only,
                ),
            )
        if "planner" in only:
            results["planner"] = run_planner_cases(quick)
        if "speed" in only:
            results["speed"] = run_speed_cases(inputs, runs=runs, work=out / "work")
    except CaseFailed as exc:
        print(f"bench: a case failed: {exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    report = args.output or (out / "BENCHMARKS.md" if quick else ROOT / "BENCHMARKS.md")
    write_report(report, machine(), inputs, results, runs=runs, quick=quick, elapsed=elapsed)
    raw = out / "results.json"
    raw.write_text(json.dumps(results, default=_jsonable, indent=1))
    print(f"bench: wrote {report} ({elapsed / 60:.1f} min); raw figures in {raw}")
    return 0


def _jsonable(obj: object) -> object:
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)  # type: ignore[call-overload]
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


if __name__ == "__main__":
    sys.exit(main())
