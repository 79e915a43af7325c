import datetime as dt

import pytest

from leadbatch.config import PlanSettings
from leadbatch.errors import UsageError
from leadbatch.plan import SendingCalendar, today_in

D = dt.date


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_weekends_are_not_sending_days_by_default() -> None:
    cal = SendingCalendar()
    assert [cal.is_sending_day(D(2026, 3, d)) for d in range(2, 9)] == [
        True, True, True, True, True, False, False,
    ]
    assert cal.why_not(D(2026, 3, 7)) == (
        "2026-03-07 is a Saturday, not a sending day (mon,tue,wed,thu,fri)"
    )
    assert cal.why_not(D(2026, 3, 6)) == ""


def test_chosen_weekdays_only() -> None:
    cal = SendingCalendar(days=("sat", "Tuesday"))
    assert cal.days == ("tue", "sat")
    assert cal.sending_days(D(2026, 3, 2), D(2026, 3, 15)) == [
        D(2026, 3, 3), D(2026, 3, 7), D(2026, 3, 10), D(2026, 3, 14),
    ]


def test_us_christmas_is_skipped() -> None:
    cal = SendingCalendar(holidays="US")
    assert not cal.is_sending_day(D(2026, 12, 25))
    assert cal.why_not(D(2026, 12, 25)) == "2026-12-25 is a public holiday in US (Christmas Day)"
    assert cal.next_sending_day(D(2026, 12, 25)) == D(2026, 12, 28)
    assert cal.sending_days(D(2026, 12, 23), D(2026, 12, 29)) == [
        D(2026, 12, 23), D(2026, 12, 24), D(2026, 12, 28), D(2026, 12, 29),
    ]


def test_observed_holiday_is_skipped() -> None:
    # 2027-12-25 is a Saturday: the US observes it on Friday the 24th.
    assert not SendingCalendar(holidays="us").is_sending_day(D(2027, 12, 24))


@pytest.mark.parametrize(
    ("code", "day"),
    [
        ("US-CA", D(2026, 3, 31)),  # Cesar Chavez Day, California only
        ("GB-SCT", D(2026, 1, 2)),  # 2 January, Scotland only
        ("IN", D(2026, 1, 26)),  # Republic Day
        ("DE", D(2025, 10, 3)),  # German Unity Day
    ],
)
def test_country_and_subdivision_holidays(code: str, day: dt.date) -> None:
    assert not SendingCalendar(holidays=code).is_sending_day(day)
    assert SendingCalendar().is_sending_day(day)


def test_subdivision_holiday_is_not_national() -> None:
    assert SendingCalendar(holidays="US").is_sending_day(D(2026, 3, 31))
    assert SendingCalendar(holidays="GB").is_sending_day(D(2026, 1, 2))


def test_unknown_country_is_one_line() -> None:
    with pytest.raises(UsageError) as exc:
        SendingCalendar(holidays="XX")
    assert str(exc.value) == (
        "holidays: no public holidays known for 'XX' (use a country code such as US, GB, IN, "
        "DE, optionally with a subdivision: US-CA)"
    )


def test_unknown_subdivision_is_one_line() -> None:
    with pytest.raises(UsageError) as exc:
        SendingCalendar(holidays="US-ZZ")
    assert str(exc.value).startswith("holidays: US has no subdivision ZZ (")


def test_unknown_time_zone() -> None:
    with pytest.raises(UsageError) as exc:
        SendingCalendar(timezone="Mars/Olympus")
    assert str(exc.value) == (
        "unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/London or Asia/Kolkata)"
    )


def test_unknown_weekday() -> None:
    with pytest.raises(UsageError, match="sending days must be among"):
        SendingCalendar(days=("mon", "funday"))


def test_today_around_midnight() -> None:
    monday_late = at(2026, 3, 2, 23, 30)  # Monday 23:30 UTC
    assert today_in("UTC", lambda: monday_late) == D(2026, 3, 2)
    assert today_in("Asia/Kolkata", lambda: monday_late) == D(2026, 3, 3)  # 05:00 Tuesday
    tuesday_early = at(2026, 3, 3, 5, 0)  # 05:00 UTC Tuesday
    assert today_in("America/Los_Angeles", lambda: tuesday_early) == D(2026, 3, 2)
    assert today_in("Pacific/Kiritimati", lambda: at(2026, 3, 2, 10, 0)) == D(2026, 3, 3)


def test_today_across_daylight_saving_change() -> None:
    # New York moves to UTC-4 on 2026-03-08: 03:30 UTC is 23:30 the day before either way.
    assert today_in("America/New_York", lambda: at(2026, 3, 8, 3, 30)) == D(2026, 3, 7)
    assert today_in("America/New_York", lambda: at(2026, 3, 9, 3, 30)) == D(2026, 3, 8)


def test_naive_clock_counts_as_utc() -> None:
    assert today_in("Asia/Kolkata", lambda: dt.datetime(2026, 3, 2, 23, 30)) == D(2026, 3, 3)


def test_calendar_today_uses_its_zone() -> None:
    cal = SendingCalendar.from_settings(PlanSettings(timezone="Asia/Kolkata", holidays="IN"))
    assert cal.today(lambda: at(2026, 3, 2, 23, 30)) == D(2026, 3, 3)


def test_next_and_iter_sending_days() -> None:
    cal = SendingCalendar(holidays="US")
    assert cal.next_sending_day(D(2026, 3, 6)) == D(2026, 3, 6)
    assert cal.next_sending_day(D(2026, 3, 7)) == D(2026, 3, 9)
    days = cal.iter_sending_days(D(2026, 12, 31))
    # 2027-01-01 is New Year's Day, then a weekend.
    assert [next(days) for _ in range(3)] == [D(2026, 12, 31), D(2027, 1, 4), D(2027, 1, 5)]
    assert cal.sending_days(D(2026, 3, 7), D(2026, 3, 8)) == []
