"""The command line's shared options (planning for `plan`/`run`, sending for `run`/`retry`)
and what they turn into: PlanSettings, dates, the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import UsageError

if TYPE_CHECKING:  # config loads pydantic: imported by the functions that use it, so that
    # defining the commands (all `leadbatch --help` does) does not pay for it
    from .config import PlanSettings, ReadSettings


def _iso_date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--{param.name}: {value!r} is not a date (use YYYY-MM-DD)") from None


def _headroom(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip()
    try:
        share = float(text.removesuffix("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise UsageError(f"--headroom: {value!r} is not a share (use 0.1 or 10%)") from None
    return share


def planning_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The planning options shared by `plan` and `run` (DESIGN.md "Command line")."""
    options = [
        click.option("--start", callback=_iso_date, metavar="DATE",
                     help="First sending day, YYYY-MM-DD (default: today in --timezone)."),
        click.option("--end", callback=_iso_date, metavar="DATE",
                     help="Spread leads evenly over the sending days up to this day."),
        click.option("--days", metavar="mon,tue,...",
                     help="Sending weekdays (default: mon,tue,wed,thu,fri)."),
        click.option("--holidays", metavar="CC",
                     help="Skip this country's public holidays: US, GB, IN, DE, US-CA..."),
        click.option("--timezone", metavar="TZ", help="IANA time zone of 'today' (default UTC)."),
        click.option("--assistants", "assistants_file", metavar="FILE",
                     type=click.Path(dir_okay=False),
                     help="Assistants from a JSON/CSV/XLSX file instead of the API."),
        click.option("--max-per-day", type=click.IntRange(min=1), metavar="N",
                     help="Cap on emails per assistant per day (lowers perDayEmailLimit)."),
        click.option("--pace", type=click.IntRange(min=1), metavar="N",
                     help="At most N new leads per assistant a day (default: as fast as the "
                     "limits allow, evenly)."),
        click.option("--per-company", type=click.IntRange(min=1), metavar="N",
                     help="At most N new leads of one email domain per assistant a day "
                     "(free mail such as gmail.com exempt)."),
        click.option("--headroom", callback=_headroom, metavar="SHARE",
                     help="Share of each daily limit to keep free, e.g. 10% (default 0)."),
        click.option("--mode", type=click.Choice(["release", "sequence"]),
                     help="release: create each lead on its day; sequence: send all now, "
                     "start delays from [[sequences]]."),
        click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
                     metavar="FILE", help="Planning settings (default: ./leadbatch.toml)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def plan_settings_from(
    *,
    config: Path | None,
    start: dt.date | None,
    end: dt.date | None,
    days: str | None,
    holidays: str | None,
    timezone: str | None,
    max_per_day: int | None,
    headroom: float | None,
    mode: str | None,
    pace: int | None = None,
    per_company: int | None = None,
) -> PlanSettings:
    """PlanSettings from leadbatch.toml and the planning options (flags win)."""
    from .config import check_span, load_plan_settings

    try:
        check_span(start, end, flags=True)  # both flags: named as flags, before the file is read
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return load_plan_settings(
        config,
        start=start,
        end=end,
        days=tuple(days.split(",")) if days is not None else None,
        holidays=holidays,
        timezone=timezone,
        max_per_day=max_per_day,
        headroom=headroom,
        mode=mode,
        pace=pace,
        per_company=per_company,
    )


def clock_of(ctx: click.Context) -> Callable[[], dt.datetime]:
    """The clock for "today": the context's {"clock": f} if a caller gave one, else UTC now."""
    clock = (ctx.obj or {}).get("clock") if isinstance(ctx.obj, dict) else None
    return clock if callable(clock) else lambda: dt.datetime.now(dt.UTC)


def sending_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The sending options shared by `run` and `retry`."""
    options = [
        click.option("--through", callback=_iso_date, metavar="DATE",
                     help="Send the rows planned on or before this day (default: today)."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
                     metavar="N", help="Requests in flight at once."),
        click.option("--rate", type=click.FloatRange(min=0, min_open=True), metavar="R",
                     help="At most R requests per second (default: no cap)."),
        click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=15.0,
                     show_default=True, metavar="SECONDS",
                     help="Each request's total deadline: connecting, sending and the whole "
                     "answer (a timeout is retried like a lost connection)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def reading_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """How to read the sheet where its cells do not say (validate, plan, run)."""
    options = [
        click.option("--phone-region", metavar="CC",
                     help="Country of phone numbers written without one: US, IN, GB... "
                     "(default: the --holidays country)."),
        click.option("--date-order", type=click.Choice(["dmy", "mdy", "ymd"]),
                     help="Day/month order of numeric dates that nothing in their column "
                     "decides (03/04/2027)."),
        click.option("--map", "mapping", multiple=True, metavar='"HEADER=field"',
                     help='Which column is which, e.g. --map "Work e-mail=email" (repeatable; '
                     "fields: email, name, lastName, fullName, phone, country, ..., custom, "
                     "ignore)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def read_settings_from(*, config: Path | None, holidays: str | None, phone_region: str | None,
                       date_order: str | None, mapping: tuple[str, ...]) -> ReadSettings:
    """ReadSettings from leadbatch.toml ([read], [columns]) and the reading options."""
    from .config import load_read_settings

    mapped: dict[str, str] = {}
    for pair in mapping:
        header, sep, target = pair.rpartition("=")
        if not sep or not header.strip() or not target.strip():
            raise UsageError(f'--map: {pair!r} is not "HEADER=field" (e.g. --map "Work e-mail=email")')
        mapped[header.strip()] = target.strip()
    return load_read_settings(config, holidays=holidays, phone_region=phone_region,
                              date_order=date_order, mapped=mapped or None)
