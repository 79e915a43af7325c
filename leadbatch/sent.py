"""What the API receives for a row, as a line a person checks in a workbook.

`PlanRow.api_body()` (models.py) builds the body the executor sends; `sent_text` says the
same from the row's checked fields, without building the pydantic Lead (7 µs a row), once
a row of a big plan. tests/test_desk.py holds the two to each other.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from .models import PlanRow

SENT_FORMAT = "lastName | phone | customFields | sequence"


def sent_text(row: PlanRow, defaults: Mapping[str, int | None] | None = None,
              memo: dict[Any, Any] | None = None) -> str:
    """`lastName | phone | customFields | sequence` as `row.api_body()` sends them (`·`
    for a field not sent): the number of custom fields, and the sequence the assistant
    will use: `id N`, its name, or `default (id N)` (`defaults`: assistant email -> its
    default sequence id). "" for a row without a lead.

    `memo` (one dict for all the rows of a sheet) keeps what rows share: the default
    sequence's words per assistant, an itemgetter per set of custom headers."""
    src = row.source
    fields = src.checked
    if fields is None:
        return ""
    memo = memo if memo is not None else {}
    sid, sname = row.schedule_id, row.schedule_name
    if sid is None and sname is None:  # the plan's sequence, else the row's own
        sid, sname = fields.get("schedule_id"), fields.get("schedule_name")
    if sid is not None:  # the API takes scheduleId before scheduleName
        sequence = f"id {sid}"
    elif sname is not None:
        sequence = sname
    else:
        assistant = row.assistant_email or ""
        known: str | None = memo.get(assistant)
        if known is not None:
            sequence = known
        else:
            default = (defaults or {}).get(assistant)
            sequence = "default" + (f" (id {default})" if default is not None else "")
            memo[assistant] = sequence
    count = 0
    if fields.get("action") != "stop":  # the stop call takes no custom fields
        custom = src.custom_headers
        if "custom_fields" in fields:
            count = len(fields["custom_fields"])
        elif custom:
            get = memo.get(custom)
            if get is None:  # the first header again: a tuple even for one header
                get = memo[custom] = operator.itemgetter(*custom, custom[0])
            cells = get(src.values)
            count = len(custom) - operator.countOf(cells, "") + (not cells[-1])
    # Short on purpose: the bytes of this cell are much of its cost on a big plan.
    return f"{fields.get('last_name') or '·'} | {fields.get('phone') or '·'} | {count} | " \
        + sequence
