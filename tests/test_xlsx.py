"""The shared workbook writer: atomic, values only, and tidy after a killed write."""

import os
import time
from pathlib import Path

import openpyxl

from leadbatch.workbook import SheetSpec, write_workbook


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    out = write_workbook(tmp_path / "w.xlsx", [SheetSpec("S", ["a"], [["=1+2"], ["+44 20"], ["@x"]])])
    ws = openpyxl.load_workbook(out).active
    assert [c.value for c in ws["A"]] == ["a", "=1+2", "+44 20", "@x"]
    assert all(c.data_type == "s" for c in ws["A"])


def test_a_killed_writes_temporary_is_cleared_by_the_next_write(tmp_path: Path) -> None:
    stale = tmp_path / ".w.xlsx.abc123.tmp"
    young = tmp_path / ".w.xlsx.def456.tmp"
    other = tmp_path / ".other.xlsx.abc123.tmp"
    for f in (stale, young, other):
        f.write_bytes(b"half a workbook")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_workbook(tmp_path / "w.xlsx", [SheetSpec("S", ["a"], [["v"]])])
    assert not stale.exists()
    assert young.exists() and other.exists()  # maybe another writer's; another file's
