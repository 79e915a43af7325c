"""The hostile input corpus (tests/data/make_bad.py) through the real CLI, bounded.

Every file gives exactly what its manifest says: one clear fatal line and exit 2, or
its row problems; within a time limit and an address-space limit; never a traceback.
Cells that look like formulas come back from the plan and results workbooks as text,
and reach the API as the text they are.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import make_bad
import pytest
from forkrun import ForkRunner
from kit import (
    FULL,
    GIB,
    Figures,
    FiguresBook,
    clean_env,
    formula_cells,
    leadbatch,
    sheet_rows,
    size,
)

from leadbatch.sandbox import SandboxServer

CASES = [b.__name__ for b in make_bad.BUILDERS]
SIZES = make_bad.FULL if FULL else make_bad.QUICK
# A million rows take about 2 GB to hold; nothing in the corpus may take more than this.
MEMORY = size(1, 4) * GIB
TIMEOUT = size(60, 600)


@dataclass
class Outcome:
    expect: make_bad.Expect
    done: subprocess.CompletedProcess[str]
    seconds: float


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    make_bad.generate(folder, SIZES)
    return folder


@pytest.fixture(scope="module")
def outcomes(corpus: Path, forked: ForkRunner) -> dict[str, Outcome]:
    """`leadbatch validate --json` on every corpus file, each in its own bounded process."""
    manifest = [make_bad.Expect(**e) for e in json.loads((corpus / "manifest.json").read_text())]
    found: dict[str, Outcome] = {}
    for name, e in zip(CASES, manifest, strict=True):
        started = time.monotonic()
        done = forked.run(["validate", e.name, "--json"], cwd=corpus, env=clean_env(),
                          memory=MEMORY, timeout=TIMEOUT)
        found[name] = Outcome(e, done, time.monotonic() - started)
        assert "Traceback" not in done.stderr, done.stderr
    return found


@pytest.mark.parametrize("case", CASES)
def test_each_file_gives_its_one_line_or_its_row_problems(
    case: str, outcomes: dict[str, Outcome]
) -> None:
    o = outcomes[case]
    e, done = o.expect, o.done
    if e.fatal is not None:
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == "leadbatch: error: " + e.fatal.format(path=e.name) + "\n"
        return
    report = json.loads(done.stdout)
    problems = [(p["row"], p["column"], p["message"]) for p in report["problems"]]
    assert (done.returncode, done.stderr) == (e.exit, "")
    assert problems == [tuple(p) for p in e.problems]
    warnings = [(w["row"], w["column"], w["message"]) for w in report["warnings"]]
    assert warnings == [tuple(w) for w in e.warnings]
    assert (report["rows"], report["valid"]) == (e.rows, e.valid)


BOUNDED = ["zip-bomb.xlsx", "zip-bomb-cell.xlsx", "long-cell.csv", "million-rows.csv"]


@pytest.mark.parametrize("name", BOUNDED)
def test_the_big_ones_through_the_installed_entry_point_under_rlimit(
    name: str, corpus: Path, outcomes: dict[str, Outcome]
) -> None:
    # The same answers from a fresh `python -m leadbatch` whose address space is capped
    # by setrlimit in preexec_fn: what holds in the forked children holds here too.
    expected = next(o.done for o in outcomes.values() if o.expect.name == name)
    done = leadbatch("validate", name, "--json", cwd=corpus, env=clean_env(), memory=MEMORY,
                     timeout=TIMEOUT)
    assert (done.returncode, done.stdout, done.stderr) == (
        expected.returncode, expected.stdout, expected.stderr)


def test_corpus_figures(outcomes: dict[str, Outcome], corpus: Path, figures: FiguresBook) -> None:
    """One figures row per file in full mode: its size, the answer and the time it took."""
    assert all(o.seconds < TIMEOUT for o in outcomes.values())
    for o in outcomes.values():
        answer = (o.done.stderr.strip().removeprefix("leadbatch: error: ")
                  if o.done.returncode == 2 else f"exit {o.done.returncode}, "
                  f"{len(json.loads(o.done.stdout)['problems'])} row problem(s)")
        figures.add(Figures(
            "hostile input", o.expect.name, notes=f"{o.expect.what}: {answer}",
            seconds=round(o.seconds, 2),
            extra={"bytes": (corpus / o.expect.name).stat().st_size}))


def test_validate_prints_one_line_per_problem_whatever_the_cells_hold(
    corpus: Path, forked: ForkRunner
) -> None:
    # A newline in a cell must not make a line of its own, where it could pass for
    # another message ("injection.csv: 8 rows read: 8 valid").
    done = forked.run(["validate", "injection.csv"], cwd=corpus, env=clean_env())
    lines = done.stdout.splitlines()
    assert done.returncode == 1
    assert len(lines) == 6 + 2  # six problems, the columns line, the counts line
    assert all(line.startswith("injection.csv: ") for line in lines)
    assert lines[1] == ('injection.csv: row 3, column Email_ID: invalid email '
                        '"bob@example.org\\r\\nX-Injected: yes": contains a line break')


FORMULA_CASES = ["formula-text.csv", "formulas.xlsx", "injection.csv"]


def _expected_text(corpus: Path, name: str) -> list[str]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    return next(e["plan_text"] for e in manifest if e["name"] == name)


def test_every_readable_file_plans_to_a_workbook_of_values_never_formulas(
    corpus: Path, tmp_path: Path, forked: ForkRunner
) -> None:
    (tmp_path / "assistants.json").write_text(json.dumps([
        {"id": 1, "name": "A", "emailid": "a@7targets.example", "perDayEmailLimit": 100_000}]))
    manifest = json.loads((corpus / "manifest.json").read_text())
    # the many-row one is for the reader's bounds; planning it adds only time
    readable = [e for e in manifest if e["fatal"] is None and (e["rows"] or 0) < 1000
                and (corpus / e["name"]).stat().st_size < 64 << 20]
    assert {"formula-text.csv", "formulas.xlsx", "injection.csv"} <= {e["name"] for e in readable}
    for e in readable:
        plan = tmp_path / f"plan-{e['name']}.xlsx"
        done = forked.run(["plan", str(corpus / e["name"]), "-o", str(plan), "--assistants",
                           "assistants.json"], cwd=tmp_path, env=clean_env(), memory=MEMORY)
        assert "Traceback" not in done.stderr
        assert done.returncode == e["exit"], (e["name"], done.stderr)
        assert formula_cells(plan) == [], e["name"]
        texts = {v for row in sheet_rows(plan, "Plan") for v in row.values()
                 if isinstance(v, str)}
        assert set(e["plan_text"]) <= texts, e["name"]


@pytest.mark.parametrize("name", FORMULA_CASES)
def test_formula_like_cells_stay_text_in_the_results_and_reach_the_api_as_text(
    corpus: Path, tmp_path: Path, sandbox: SandboxServer, forked: ForkRunner, name: str
) -> None:
    results = tmp_path / "results.xlsx"
    done = forked.run(["run", str(corpus / name), "-o", str(results)], cwd=tmp_path,
                      env=clean_env(sandbox.env()), memory=MEMORY)
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert formula_cells(results) == []
    rows = sheet_rows(results, "Results")
    texts = {v for row in rows for v in row.values() if isinstance(v, str)}
    assert set(_expected_text(corpus, name)) <= texts
    sent = {lead["name"] for lead in sandbox.state.leads.values()}
    sent |= {f["value"] for lead in sandbox.state.leads.values() for f in lead["customFields"]}
    created = [r for r in rows if r["status"] == "created"]
    assert created and {r["name"] for r in created} <= sent
    for row in created:  # what the API holds is the cell's text, byte for byte
        assert sandbox.state.leads[row["email"]]["name"] == row["name"]


def test_the_corpus_is_deterministic(corpus: Path, tmp_path: Path) -> None:
    first, second = (corpus, tmp_path / "b") if not FULL else (tmp_path / "a", tmp_path / "b")
    made = make_bad.generate(second, make_bad.QUICK)
    if FULL:
        make_bad.generate(first, make_bad.QUICK)
    for e in made:
        if e.reproducible:
            assert (first / e.name).read_bytes() == (second / e.name).read_bytes(), e.name
    assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()
