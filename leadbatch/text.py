"""A cell as the text a person sees in Excel: the one rule the reader (every input cell)
and the workbook read-back (leadbatch's own columns) share.
"""

from __future__ import annotations

import datetime as dt

# Unicode whitespace (non-breaking spaces included) plus zero-width characters and BOMs
# pasted in from web pages: one str.strip() call with this set does it all.
STRIP = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200b\u200c\u200d\u2060\ufeff"


def clean_text(value: object) -> str:
    """A cell as the text a person sees in Excel, without stray spaces or NUL bytes."""
    if type(value) is float:  # first: numbers are the commonest cells that reach here
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(value, ".15g")
    if value is None:
        return ""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value.strip(STRIP)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))  # 9.19123456789E11 -> "919123456789", no ".0"
        return format(value, ".15g")  # Excel shows 15 significant digits
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
