"""Fixtures of the reliability suite: the figures it collects, and RELIABILITY.md.

In full mode (`LEADBATCH_RELIABILITY=full`, set by `make reliability`) every test may
take minutes, and at the end of the session the figures and the outcome of every test
are written to RELIABILITY.md at the project root.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "data"))  # make_bad

from forkrun import ForkRunner
from kit import FULL, ROOT, FiguresBook
from report import table, write_report

_BOOK = FiguresBook()
_OUTCOMES: dict[str, str] = {}
_STARTED = time.time()


@pytest.fixture(scope="session")
def figures() -> Iterator[FiguresBook]:
    yield _BOOK


@pytest.fixture(scope="session")
def forked() -> Iterator[ForkRunner]:
    """Runs leadbatch commands in bounded child processes of one pre-imported server."""
    runner = ForkRunner()
    yield runner
    runner.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not FULL:
        return
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.timeout(3600))  # full size takes minutes


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "reliability" not in report.nodeid:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome: str = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed (known defect)" if report.skipped else "XPASS"
        _OUTCOMES[report.nodeid] = outcome


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Only a run of the whole suite rewrites the file: a partial one would drop figures.
    here = Path(__file__).resolve().parent
    suite = {p.name for p in here.glob("test_*.py")}
    ran = {node.split("::")[0].rsplit("/", 1)[-1] for node in _OUTCOMES}
    if FULL and suite <= ran:
        write_report(ROOT / "RELIABILITY.md", _BOOK.rows, _OUTCOMES, time.time() - _STARTED)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _BOOK.rows and (FULL or terminalreporter.config.option.verbose > 0):
        terminalreporter.write_sep("-", "reliability figures")
        terminalreporter.write_line(table(_BOOK.rows))
