"""Which of the input's own columns a plan or results workbook shows: each lead field in
one place, the one the user edits."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence

# The input's own columns that the contract's `email` and `name` columns hold: listed on
# the Summary, left out of the sheet (one place per field, the one the user edits), and put
# back by `read_back` from the contract's columns.
CONTRACT_HELD = {"email column": "email", "name column": "name"}


def contract_columns(fields: Mapping[str, str]) -> dict[str, str]:
    """The Summary entries naming the input's email and name columns (first of each)."""
    held: dict[str, str] = {}
    for label, fieldname in CONTRACT_HELD.items():
        header = next((h for h, f in fields.items() if f == fieldname), None)
        if header is not None:
            held[label] = header
    return held


def shown_headers(headers: Sequence[str], about: Mapping[str, str]) -> list[str]:
    """The input's own headers a workbook shows: all but those the contract holds."""
    held = {about[label] for label in CONTRACT_HELD if about.get(label)}
    return [h for h in headers if h not in held]


def picker(headers: Sequence[str]) -> Callable[[Mapping[str, str]], Sequence[str]]:
    """The cells of `headers` from a row's values, in order ("" for a missing one).

    itemgetter does it in C: a lookup per header in Python was a fifth of a big plan's
    write (the reader gives every row every header, so the fallback is rare)."""
    if not headers:
        return lambda values: ()
    get = operator.itemgetter(*headers)
    first = headers[0]

    def pick(values: Mapping[str, str]) -> Sequence[str]:
        try:
            got = get(values)
        except KeyError:
            return [values.get(h, "") for h in headers]
        return got if len(headers) > 1 else (values[first],)

    return pick
