"""The assistants file: the list `--assistants FILE` reads so that planning needs no API.

JSON is what `leadbatch assistants --json` writes (the API's own shape); CSV and
spreadsheets are for lists typed by hand, with loosely matched column names. Any problem
is one `InputFileError` line naming the file, row and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputFileError
from ..models import Assistant
from .files import read_cells

# normalised header -> Assistant field (by alias)
_COLUMNS = {
    "email": "emailid",
    "emailid": "emailid",
    "emailaddress": "emailid",
    "assistantemail": "emailid",
    "assistant": "emailid",
    "perdayemaillimit": "perDayEmailLimit",
    "limit": "perDayEmailLimit",
    "dailylimit": "perDayEmailLimit",
    "perdaylimit": "perDayEmailLimit",
    "defaultscheduleid": "defaultScheduleId",
    "scheduleid": "defaultScheduleId",
    "defaultsequenceid": "defaultScheduleId",
    "name": "name",
    "assistantname": "name",
    "id": "id",
    "assistantid": "id",
}
_TABLES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def load_assistants(path: str | Path) -> list[Assistant]:
    """Assistants from a JSON, CSV or spreadsheet file; InputFileError if unusable."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise InputFileError(path, "is a folder, not a file")
    if suffix == ".json":
        assistants = _from_json(path)
    elif suffix in _TABLES:
        # The lead reader's own file handling: format by content, encodings, delimiters,
        # the first visible sheet, damaged and protected workbooks, each one line.
        cells = read_cells(path)
        assistants = _from_table(path, cells.header, cells.rows)
    else:
        raise InputFileError(
            path, f"unsupported assistants file type {suffix or '(none)'!r}: use .json, .csv or .xlsx"
        )
    if not assistants:
        raise InputFileError(path, "no assistants in the file")
    seen: dict[str, int] = {}
    for n, assistant in enumerate(assistants, 1):
        if assistant.email in seen:
            raise InputFileError(
                path, f"assistant {assistant.email} is listed twice (entries {seen[assistant.email]} and {n})"
            )
        seen[assistant.email] = n
    return assistants


def dump_assistants_json(assistants: Iterable[Assistant]) -> str:
    """The JSON array `load_assistants` reads back: the API's own field names."""
    data = [a.model_dump(by_alias=True, mode="json") for a in assistants]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _from_json(path: Path) -> list[Assistant]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputFileError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, list):
        raise InputFileError(path, "expected a JSON array of assistants")
    out = []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise InputFileError(path, f"entry {n}: expected an object with emailid and perDayEmailLimit")
        out.append(_validate(path, item, f"entry {n}"))
    return out


def _from_table(
    path: Path, header: Sequence[object], rows: Iterable[tuple[int, Sequence[object]]]
) -> list[Assistant]:
    fields: dict[int, str] = {}
    for i, cell in enumerate(header):
        key = _COLUMNS.get(re.sub(r"[\s_\-]", "", str(cell or "")).lower())
        if key is not None and key not in fields.values():
            fields[i] = key
    missing = [c for c in ("emailid", "perDayEmailLimit") if c not in fields.values()]
    if missing:
        names = {"emailid": "email", "perDayEmailLimit": "perDayEmailLimit"}
        raise InputFileError(
            path, f"missing column {' and '.join(names[m] for m in missing)} in the header row"
        )
    out = []
    for row_number, row in rows:
        cells = {fields[i]: _cell(v) for i, v in enumerate(row) if i in fields}
        cells = {k: v for k, v in cells.items() if v != ""}
        if not cells:
            continue  # blank rows are not assistants
        out.append(_validate(path, cells, f"row {row_number}"))
    return out


def _validate(path: Path, data: dict[str, Any], where: str) -> Assistant:
    try:
        return Assistant.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        column = str(first["loc"][0]) if first["loc"] else ""
        value = data.get(column)
        shown = f": {value!r}" if value not in (None, "") else ""
        raise InputFileError(path, f"{where}, column {column}: {first['msg'].lower()}{shown}") from None


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # spreadsheets store 200 as 200.0
    if isinstance(value, str):
        return value.strip()
    return "" if value is None else value
