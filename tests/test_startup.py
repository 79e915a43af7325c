"""What each command imports: `--help`, `--version` and `template` none of the heavy
libraries, `validate` no HTTP stack and no solver (issue 16). Imports are a process's
state, so each command runs in a fresh interpreter; the time they save is in make bench."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadbatch.template_file import SHIPPED_TEMPLATE
from leadbatch.workbook import write_template

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {"pydantic", "xlsxwriter", "phonenumbers", "aiohttp", "httpx", "holidays", "highspy",
         "numpy", "rich", "python_calamine", "uvicorn", "starlette", "dotenv"}
# The CLI as the console script runs it; SystemExit is its normal end.
_DRIVER = """
import json, sys
from leadbatch.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def imported(*argv: str, cwd: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _DRIVER, *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=True)
    last = done.stderr.rstrip().splitlines()[-1]
    assert last.startswith("MODULES "), done.stderr
    return set(json.loads(last[len("MODULES "):]))


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["validate", "--help"],
                                  ["template", "-o", "t.xlsx"]])
def test_light_commands_import_no_heavy_library(argv: list[str], tmp_path: Path) -> None:
    assert imported(*argv, cwd=tmp_path) & HEAVY == set()


def test_validate_imports_no_http_stack_and_no_solver(tmp_path: Path) -> None:
    found = imported("validate", str(ROOT / "sample_data" / "leads.xlsx"), cwd=tmp_path)
    assert "phonenumbers" in found  # it did read and check the rows
    # Nor the workbook writer and the send stage: only plan and run write or send.
    assert found & {"httpx", "aiohttp", "httpcore", "highspy", "numpy", "uvicorn",
                    "starlette", "xlsxwriter", "asyncio"} == set()


def test_the_shipped_template_is_the_built_one(tmp_path: Path) -> None:
    # `leadbatch template` copies the shipped file; it must be what write_template builds.
    built = write_template(tmp_path / "built.xlsx")
    assert built.read_bytes() == SHIPPED_TEMPLATE.read_bytes()
    assert SHIPPED_TEMPLATE.read_bytes() == (ROOT / "templates" / "leadbatch-template.xlsx"
                                             ).read_bytes()
