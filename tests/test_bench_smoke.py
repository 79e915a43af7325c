"""The benchmark suite runs end to end on small inputs (`python -m bench --quick`).

Speed is not asserted here (that is what BENCHMARKS.md is for): only that every case
runs, in fresh processes, against the real CLI and sandbox, and that the report has its
tables and a verdict for every target.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_quick_bench_writes_a_full_report(tmp_path: Path) -> None:
    pytest.importorskip("pandas", reason="the bench extra (pip install -e '.[bench]')")
    pytest.importorskip("email_validator", reason="the bench extra")
    report = tmp_path / "BENCHMARKS.md"
    res = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(report), "--workdir", str(tmp_path / "w")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    text = report.read_text()
    for heading in (
        "## Machine",
        "## Targets",
        "## Files: end to end",
        "## Files: phases of `leadbatch plan`",
        "## Executor: requests per second against the sandbox",
        "## Executor: `leadbatch run` end to end",
    ):
        assert heading in text
    targets = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    verdicts = [line for line in targets.splitlines() if line.startswith("| ") and "verdict" not in line]
    assert len(verdicts) == 11  # 8, and issue 16's three (bench/speed_report.py)
    assert all("**PASS**" in line or "**MISS**" in line for line in verdicts)
    raw = json.loads((tmp_path / "w" / "results.json").read_text())
    lib = raw["executor"]["cases"]["lib:20:8"]["runs"][0]["report"]
    assert lib["requests"] == 100 and lib["failures"] == 0
    assert raw["files"]["cases"]["plan:xlsx-2k"]["runs"][0]["code"] in (0, 1)
