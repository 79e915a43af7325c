"""Cleaning single cell values: headers, emails, actions, ids (phones and dates have
their own modules, `phones` and `dates`).

Every cleaner takes what a spreadsheet reader produced (str, int, float, bool, date,
datetime...) and returns a clean value or raises `CellError` with a message a sales-ops
person understands. Nothing here knows about rows or files. These run once per cell of
100,000-row sheets, so the common, already-clean case takes a fast path.
"""

from __future__ import annotations

import re
from typing import Final

from ..models import ACTIONS, MAX_ID, Action

MAX_EMAIL_LENGTH: Final = 254  # RFC 5321 path limit, minus the angle brackets
MAX_LOCAL_LENGTH: Final = 64


class CellError(ValueError):
    """A cell that cannot be used; `str()` is the message shown for the row."""


MAX_SHOWN: Final = 300  # characters of a cell quoted in a message (the sheet has the rest)
_ESCAPES: Final = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """Cell text quoted for a one-line message.

    A newline in a cell must not start a line of its own in the output (where it could
    pass for another message), an invisible character must be seen, and a 50 MB cell
    must not become a 50 MB message: control and invisible characters are escaped,
    long text is cut.
    """
    part = text[:MAX_SHOWN]
    if not part.isprintable() or '"' in part or "\\" in part:
        part = "".join(_ESCAPES.get(c) or shown_char(c) for c in part)
    if len(text) > MAX_SHOWN:
        return f'"{part}…" ({len(text):,} characters)'
    return f'"{part}"'


def shown_char(c: str) -> str:
    """A character as itself if it is visible, else as its escape (\\u200b)."""
    if c.isprintable():
        return c
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


# --- email ---------------------------------------------------------------------------------

# Dot-atom local part (RFC 5322 without quoted strings or comments, which no CRM produces)
# and a hostname domain of at least two labels with an alphabetic (or punycode) TLD.
# \w is Unicode-aware, so internationalised addresses pass.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL = re.compile(
    r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
    rf"@(?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}})"
)


def clean_email(text: str) -> str:
    """A syntactically valid email, lower-cased; CellError saying what is wrong otherwise."""
    email = text.strip().lower()
    if email.startswith("mailto:"):
        email = email[7:].strip()
    if (
        len(email) <= MAX_EMAIL_LENGTH
        and _EMAIL.fullmatch(email)
        and email.index("@") <= MAX_LOCAL_LENGTH
        and "_" not in email[email.index("@") :]
    ):
        return email
    raise CellError(f'invalid email {shown(text)}: {_email_problem(email)}')


def _email_problem(email: str) -> str:
    # Only reached for bad addresses, so clarity matters more than speed here.
    if "<" in email and email.rstrip().endswith(">"):
        return "write only the address, without a name or < >"
    if any(c.isspace() for c in email):
        if any(sep in email for sep in ",;") or email.count("@") > 1:
            return "more than one address in the cell"
        if "\n" in email or "\r" in email:
            return "contains a line break"
        return "contains a space"
    if "@" not in email:
        return "no @"
    if email.count("@") > 1:
        return "more than one @"
    local, domain = email.split("@")
    if not local:
        return "nothing before the @"
    if not domain:
        return "nothing after the @"
    if len(email) > MAX_EMAIL_LENGTH:
        return f"longer than {MAX_EMAIL_LENGTH} characters"
    if len(local) > MAX_LOCAL_LENGTH:
        return f"the part before the @ is longer than {MAX_LOCAL_LENGTH} characters"
    if ".." in email:
        return "two dots in a row"
    if local.startswith(".") or local.endswith("."):
        return "the part before the @ starts or ends with a dot"
    if "." not in domain:
        return f'the domain {shown(domain)} has no dot (like example.com)'
    bad = sorted({c for c in email if not (c.isalnum() or c in ".@-_!#$%&'*+/=?^`{|}~")})
    if bad:
        return "character not allowed: " + " ".join(map(shown_char, bad))
    return f'the domain {shown(domain)} is not a valid domain name'


# --- small fields --------------------------------------------------------------------------


def clean_action(text: str) -> Action:
    """create (the default for a blank cell), update or stop, in any case."""
    if not text:
        return "create"
    action = text.strip().lower()
    for known in ACTIONS:
        if action == known:
            return known
    raise CellError(f'unknown action {shown(text)} (use create, update or stop)')


def clean_int(text: str, what: str) -> int:
    """A positive whole number (a lead or sequence id), from "2345" or "2345.0"."""
    number = text[:-2] if text.endswith(".0") else text
    if number.isascii() and number.isdigit() and 0 < int(number) <= MAX_ID:
        return int(number)
    if number.isascii() and number.isdigit() and int(number) > 0:
        raise CellError(f"{what} {shown(text)} is larger than any 7Targets id "
                        f"(at most {MAX_ID})")
    raise CellError(f'{what} {shown(text)} is not a positive whole number')
