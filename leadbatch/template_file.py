"""The input template as shipped: `leadbatch template` copies it rather than building it.

Building it takes xlsxwriter and the workbook stage (pydantic's models come with them),
~0.1 s of imports for a file that never changes; `workbook.write_template` still builds
it, and a test holds the two byte for byte equal (tests/test_startup.py). Standard
library only, so that the command starts as fast as `--help`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from .errors import UsageError

SHIPPED_TEMPLATE = Path(__file__).with_name("leadbatch-template.xlsx")


def copy_template(path: str | os.PathLike[str]) -> Path:
    """Write the shipped template to `path` atomically (the errors write_workbook gives)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{target}: folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write here: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out, open(SHIPPED_TEMPLATE, "rb") as shipped:
            shutil.copyfileobj(shipped, out)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)  # mkstemp's 0600 -> what a plain open() gives
        os.replace(tmp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise UsageError(f"{target}: could not write workbook: {exc.strerror or exc}") from None
    return target
