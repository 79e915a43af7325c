"""Sending days: chosen weekdays, minus a country's public holidays, in a time zone.

Public holidays come from the maintained `holidays` library (observed days included, so
a Christmas falling on a Saturday also frees the Friday that offices take off). The time
zone only decides what "today" is; days themselves are plain dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from ..config import WEEKDAYS, PlanSettings, sending_days
from ..errors import UsageError

Clock = Callable[[], dt.datetime]

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def utc_now() -> dt.datetime:
    """The default clock: the current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or a UsageError line."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/London or Asia/Kolkata)"
        ) from None


def today_in(tz: str | dt.tzinfo, clock: Clock = utc_now) -> dt.date:
    """The local date in `tz` at the instant `clock()` returns (a naive result counts as UTC)."""
    info = zone(tz) if isinstance(tz, str) else tz
    now = clock()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(info).date()


def country_holidays(code: str) -> holidays_lib.HolidayBase:
    """Public holidays of `code` ("US", "GB", "US-CA", "GB-SCT"), or a UsageError line."""
    country, _, subdiv = code.strip().upper().partition("-")
    try:
        return holidays_lib.country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError:
        where = f"{country} has no subdivision {subdiv}" if subdiv and _known(country) else (
            f"no public holidays known for {code.strip()!r}"
        )
        raise UsageError(
            f"holidays: {where} (use a country code such as US, GB, IN, DE, "
            "optionally with a subdivision: US-CA)"
        ) from None


def _known(country: str) -> bool:
    return country in holidays_lib.list_supported_countries()


class SendingCalendar:
    """Which dates are sending days: chosen weekdays that are not public holidays."""

    def __init__(
        self,
        days: Sequence[str] = WEEKDAYS[:5],
        holidays: str | None = None,
        timezone: str = "UTC",
    ) -> None:
        try:
            self.days = sending_days(days)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self._weekdays = frozenset(WEEKDAYS.index(d) for d in self.days)
        self.holidays_code = holidays.strip().upper() if holidays else None
        self._holidays = country_holidays(holidays) if holidays else None
        self.timezone = timezone
        self.tz = zone(timezone)
        self._cache: dict[dt.date, bool] = {}

    @classmethod
    def from_settings(cls, settings: PlanSettings) -> SendingCalendar:
        return cls(settings.days, settings.holidays, settings.timezone)

    def today(self, clock: Clock = utc_now) -> dt.date:
        """Today's date in this calendar's time zone."""
        return today_in(self.tz, clock)

    def holiday(self, d: dt.date) -> str | None:
        """The name of the public holiday on `d`, if any."""
        if self._holidays is None:
            return None
        name = self._holidays.get(d)
        return str(name) if name else None

    def is_sending_day(self, d: dt.date) -> bool:
        found = self._cache.get(d)
        if found is None:
            found = d.weekday() in self._weekdays and self.holiday(d) is None
            self._cache[d] = found
        return found

    def why_not(self, d: dt.date) -> str:
        """Why `d` is not a sending day, as a phrase for an error message ("" if it is one)."""
        if d.weekday() not in self._weekdays:
            return f"{d} is a {_DAY_NAMES[d.weekday()]}, not a sending day ({','.join(self.days)})"
        name = self.holiday(d)
        if name is not None:
            return f"{d} is a public holiday in {self.holidays_code} ({name})"
        return ""

    def next_sending_day(self, d: dt.date) -> dt.date:
        """The first sending day on or after `d`."""
        while not self.is_sending_day(d):
            d += dt.timedelta(days=1)
        return d

    def iter_sending_days(self, start: dt.date) -> Iterator[dt.date]:
        """Every sending day from `start` on, endlessly."""
        d = self.next_sending_day(start)
        while True:
            yield d
            d = self.next_sending_day(d + dt.timedelta(days=1))

    def sending_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The sending days from `start` to `end`, both included."""
        out: list[dt.date] = []
        for d in self.iter_sending_days(start):
            if d > end:
                break
            out.append(d)
        return out
