"""Settings: API credentials from the environment (and `.env`), planning from `leadbatch.toml`.

Real environment variables win over `.env`. The client secret is a `SecretStr` so that it
never appears in a repr, a log line or an error message by accident.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import UsageError

DEFAULT_API_URL = "https://api.7targets.com"
DEFAULT_TOKEN_URL = "https://login.7targets.com/oauth2/token"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def sending_days(names: Sequence[str]) -> tuple[str, ...]:
    """Weekday names ("Mon", "tuesday", " wed") as WEEKDAYS keys, in week order.
    ValueError for an unknown name or none at all."""
    days = {d.strip().lower()[:3] for d in names if d.strip()}
    if not days or days - set(WEEKDAYS):
        raise ValueError(f"sending days must be among {','.join(WEEKDAYS)}")
    return tuple(d for d in WEEKDAYS if d in days)


def check_span(start: dt.date | None, end: dt.date | None, *, flags: bool = False) -> None:
    """A plan's end may not come before its start: ValueError naming them as the user
    wrote them (`--end`/`--start` when both came from flags)."""
    if start is not None and end is not None and end < start:
        dash = "--" if flags else ""
        raise ValueError(f"{dash}end {end} is before {dash}start {start}")


class ApiSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    client_id: str
    client_secret: SecretStr
    user_identifier: str
    api_url: str = DEFAULT_API_URL
    token_url: str = DEFAULT_TOKEN_URL
    use_proxy: bool = True  # HTTP(S)_PROXY / NO_PROXY from the environment; LEADBATCH_PROXY=off


def check_url(variable: str, url: str) -> None:
    """An http(s) URL with a host and no credentials in it, or a UsageError naming the
    variable (a URL with a password is not shown: it is a secret)."""
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # ValueError for a port that is not a number or out of range
    except ValueError:
        raise UsageError(f"{variable} is not a valid URL: {url[:200]!r}") from None
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{variable} has a user name or password in it: remove them (the "
                         "API takes LEADBATCH_CLIENT_ID and LEADBATCH_CLIENT_SECRET)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{variable} is not an http(s) URL: {url[:200]!r}")
    if port == 0 or any(c.isspace() or not c.isprintable() for c in url):
        raise UsageError(f"{variable} is not a valid URL: {url[:200]!r}")


def _environment(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env_file = (cwd or Path.cwd()) / ".env"
    merged: dict[str, str] = {}
    if env_file.is_file():
        _warn_if_loose(env_file)
        try:
            values = dotenv_values(env_file, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else \
                (exc.strerror or type(exc).__name__)
            raise UsageError(f"{env_file}: cannot read it ({why}): save it as UTF-8, or "
                             "move it away and set the LEADBATCH_* variables") from None
        merged.update({k: v for k, v in values.items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def _warn_if_loose(env_file: Path) -> None:
    # A .env holds the client secret: readable by other users of the machine is a leak.
    try:
        mode = env_file.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH) and os.name == "posix":
        print(
            f"leadbatch: warning: {env_file} is readable by other users; "
            f"run: chmod 600 {env_file}",
            file=sys.stderr,
        )


def account_from_env(cwd: Path | None = None,
                     environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(API URL, user identifier) when the environment names an account, without needing
    its secret (a dry-run plan reads the account's ledger with it); else None."""
    env = _environment(cwd, environ)
    user = env.get("LEADBATCH_USER_IDENTIFIER", "").strip()
    if not user:
        return None
    return env.get("LEADBATCH_API_URL", "").strip() or DEFAULT_API_URL, user


def load_api_settings(
    cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> ApiSettings:
    """Credentials and endpoints, or a UsageError naming the variable to set."""
    env = _environment(cwd, environ)
    missing = [
        name
        for name in ("LEADBATCH_CLIENT_ID", "LEADBATCH_CLIENT_SECRET", "LEADBATCH_USER_IDENTIFIER")
        if not env.get(name, "").strip()
    ]
    if missing:
        raise UsageError(
            f"missing {', '.join(missing)}: set {'it' if len(missing) == 1 else 'them'} in the "
            "environment or in .env (try `leadbatch sandbox` for a local API to rehearse with)"
        )
    api_url = env.get("LEADBATCH_API_URL", "").strip() or DEFAULT_API_URL
    token_url = env.get("LEADBATCH_TOKEN_URL", "").strip() or DEFAULT_TOKEN_URL
    check_url("LEADBATCH_API_URL", api_url)
    check_url("LEADBATCH_TOKEN_URL", token_url)
    proxy = env.get("LEADBATCH_PROXY", "").strip().lower()
    if proxy not in ("", "on", "off", "env", "none"):
        raise UsageError(f"LEADBATCH_PROXY={proxy!r}: use off (no proxy) or on (the "
                         "environment's HTTP_PROXY/HTTPS_PROXY/NO_PROXY, the default)")
    return ApiSettings(
        use_proxy=proxy not in ("off", "none"),
        client_id=env["LEADBATCH_CLIENT_ID"].strip(),
        client_secret=SecretStr(env["LEADBATCH_CLIENT_SECRET"].strip()),
        user_identifier=env["LEADBATCH_USER_IDENTIFIER"].strip(),
        api_url=api_url,
        token_url=token_url,
    )


class SequenceSpec(BaseModel):
    """A 7Targets sequence the user has set up, with the day offsets of its steps.

    `steps[0]` is the delay of the first email after the lead is created (0 = same day);
    later entries are the followups' offsets from creation, in calendar days.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    id: int | None = Field(default=None, ge=1, le=2**63 - 1)  # what the API and SQLite hold
    steps: tuple[int, ...] = (0,)

    @field_validator("steps")
    @classmethod
    def _steps_sorted(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or any(s < 0 for s in v) or list(v) != sorted(v):
            raise ValueError("steps must be non-negative day offsets in increasing order")
        return v

    @model_validator(mode="after")
    def _named(self) -> SequenceSpec:
        if self.name is None and self.id is None:
            raise ValueError("a sequence needs a name or an id (as set up in 7Targets)")
        return self

    @property
    def delay(self) -> int:
        return self.steps[0]

    @property
    def label(self) -> str:
        return self.name if self.name is not None else f"id {self.id}"


def _day_list(value: Any) -> tuple[dt.date, ...]:
    """Dates from TOML dates, ISO strings and "FROM..TO" ranges (both ends included)."""
    out: list[dt.date] = []
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if isinstance(item, dt.date):
            out.append(item)
            continue
        text = str(item).strip()
        first, sep, last = text.partition("..")
        try:
            a = dt.date.fromisoformat(first.strip())
            b = dt.date.fromisoformat(last.strip()) if sep else a
        except ValueError:
            raise ValueError(f"{text!r} is not a date or a FROM..TO range of dates") from None
        if b < a:
            raise ValueError(f"{text!r}: the range ends before it starts")
        out.extend(a + dt.timedelta(days=n) for n in range((b - a).days + 1))
    return tuple(sorted(set(out)))


class AssistantRules(BaseModel):
    """One assistant's own rules, beside the plan's calendar: `[assistant."ava@acme.com"]`.

    `days`/`off`/`holidays`: the weekdays it sends on, its days off (leave) and its own
    country's public holidays; an email due on a day off counts on its next working day. Ramp-up (a new mailbox warming
    up): its daily limit starts at `ramp_start` on `ramp_from` (default: the plan's start)
    and rises by `ramp_step` each of its sending days (`ramp_every = "week"`: each 7 days)
    up to its own limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: tuple[str, ...] | None = None
    off: tuple[dt.date, ...] = ()
    holidays: str | None = None  # its own country's public holidays ("GB", "US-CA")
    ramp_start: int | None = Field(default=None, ge=0)
    ramp_step: int = Field(default=1, ge=0)
    ramp_every: Literal["day", "week"] = "day"
    ramp_from: dt.date | None = None

    @field_validator("days")
    @classmethod
    def _days(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if v is None else sending_days(v)

    @field_validator("off", mode="before")
    @classmethod
    def _off(cls, v: Any) -> tuple[dt.date, ...]:
        return _day_list(v)


class PlanSettings(BaseModel):
    """Everything the planner needs besides the leads and assistants.

    Filled from `leadbatch.toml` ([plan] table and [[sequences]]), then from flags.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.date | None = None  # None: today in `timezone`
    end: dt.date | None = None
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: str | None = None  # country code, optionally with subdivision: "US", "US-CA"
    timezone: str = "UTC"
    max_per_day: int | None = Field(default=None, ge=1)
    headroom: float = Field(default=0.0, ge=0.0, lt=1.0)
    mode: Literal["release", "sequence"] = "release"
    sequences: tuple[SequenceSpec, ...] = ()
    rotation: tuple[str, ...] = ()  # sequence names to rotate unpinned rows through (A/B)
    default_steps: tuple[int, ...] | None = None  # step offsets of assistants' defaults
    pace: int | None = Field(default=None, ge=1)  # at most N new leads per assistant a day
    per_company: int | None = Field(default=None, ge=1)  # new leads of one domain per assistant-day
    free_mail: tuple[str, ...] = ()  # more domains the per-company cap leaves alone
    assistant: dict[str, AssistantRules] = Field(default_factory=dict)  # by assistant email
    time_limit: float = Field(default=10.0, gt=0)  # seconds the solver may take

    @field_validator("assistant")
    @classmethod
    def _assistant_keys(cls, v: dict[str, AssistantRules]) -> dict[str, AssistantRules]:
        return {k.strip().lower(): r for k, r in v.items()}

    @field_validator("free_mail")
    @classmethod
    def _free_mail(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d.strip().lower().lstrip("@") for d in v if d.strip())

    @field_validator("days")
    @classmethod
    def _days(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return sending_days(v)

    @model_validator(mode="after")
    def _consistent(self) -> PlanSettings:
        # Checked here, not in the planner, so a bad leadbatch.toml fails before any work.
        check_span(self.start, self.end)
        labels = [s.label for s in self.sequences]
        twice = sorted({x for x in labels if labels.count(x) > 1})
        if twice:
            raise ValueError(f"sequence {twice[0]!r} is listed twice in [[sequences]]")
        names = {s.name for s in self.sequences if s.name is not None}
        unknown = [r for r in self.rotation if r not in names]
        if unknown:
            raise ValueError(
                f"rotation: sequence {unknown[0]!r} is not one of the [[sequences]] "
                "(names are case sensitive)"
            )
        if self.mode == "sequence":
            if not self.sequences:
                raise ValueError(
                    "mode = sequence needs [[sequences]] whose first step is the start delay"
                )
            if self.rotation:
                raise ValueError(
                    "rotation is for release mode; in sequence mode, sequences with the "
                    "same start delay take turns"
                )
        return self


def _toml(config: Path | None) -> tuple[dict[str, Any], Path]:
    """The TOML file's tables (if given, or `leadbatch.toml` in the working folder)."""
    path = config if config is not None else Path("leadbatch.toml")
    if config is None and not path.is_file():
        return {}, path
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except FileNotFoundError:
        raise UsageError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: not a readable TOML file: {exc}") from None


class ReadSettings(BaseModel):
    """How to read a lead sheet where its cells do not say: the country of phones written
    without one, the day/month order of dates no cell of their column decides, and which
    column is which (`columns`: [columns] in leadbatch.toml; `mapped`: --map, whose
    headers must exist). Targets are checked by the reader, which knows the fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phone_region: str | None = None  # ISO code or country name, e.g. "US", "IN", "UK"
    date_order: Literal["dmy", "mdy", "ymd"] | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    mapped: dict[str, str] = Field(default_factory=dict)


_ABOUT_KEYS = {"phone region": "phone_region", "date order": "date_order", "columns": "columns"}
READ_ABOUT_KEYS = frozenset(_ABOUT_KEYS)


def read_about(settings: ReadSettings) -> dict[str, str]:
    """The read settings as a workbook's Summary lists them, so that reading the
    workbook's input columns back reads them as they were read (`read_from_about`)."""
    columns = {**settings.columns, **settings.mapped}
    return {"phone region": settings.phone_region or "",
            "date order": settings.date_order or "",
            "columns": "; ".join(f"{h}={f}" for h, f in columns.items())}


def read_from_about(about: Mapping[str, str]) -> ReadSettings:
    """ReadSettings from a Summary block written by `read_about` (blank: the defaults)."""
    data: dict[str, Any] = {}
    for label, name in _ABOUT_KEYS.items():
        value = about.get(label, "").strip()
        if value and name == "columns":
            data[name] = dict(p.rsplit("=", 1) for p in value.split("; ") if "=" in p)
        elif value:
            data[name] = value
    try:
        return ReadSettings.model_validate(data)
    except ValidationError:
        return ReadSettings()  # an edited Summary: read as a fresh sheet would be


def load_read_settings(config: Path | None, *, holidays: str | None = None,
                       **flags: Any) -> ReadSettings:
    """[read] and [columns] of leadbatch.toml, then flags that are not None. The phone
    region defaults to the country of `holidays` ("US-CA" -> "US")."""
    raw, path = _toml(config)
    data: dict[str, Any] = dict(raw.get("read", {}))
    if "columns" in raw:
        data["columns"] = raw["columns"]
    data.update({k: v for k, v in flags.items() if v is not None})
    if not data.get("phone_region") and holidays:
        data["phone_region"] = holidays.split("-")[0].strip()
    try:
        return ReadSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        where = f"--{loc[0].replace('_', '-')}" if loc and flags.get(loc[0]) is not None else str(path)
        raise UsageError(f"{where}: {'.'.join(loc)}: {first['msg']}") from None


def load_plan_settings(config: Path | None, **flags: Any) -> PlanSettings:
    """Settings from a TOML file (if given, or `leadbatch.toml` in the working folder),
    then flags that are not None. Any problem is one UsageError line."""
    raw, path = _toml(config)
    data: dict[str, Any] = dict(raw.get("plan", {}))
    for table in ("sequences", "assistant"):
        if table in raw:
            data[table] = raw[table]
    data.update({k: v for k, v in flags.items() if v is not None})
    try:
        return PlanSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = first["msg"].removeprefix("Value error, ")
        loc = [str(p) for p in first["loc"]]
        # Blame what the user actually wrote: the flag if it came from one, else the file.
        if loc and flags.get(loc[0]) is not None:
            raise UsageError(f"--{loc[0].replace('_', '-')}: {msg}") from None
        origin = str(path) if path.is_file() else "settings"
        raise UsageError(f"{origin}: {'.'.join(loc) + ': ' if loc else ''}{msg}") from None
