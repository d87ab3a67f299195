"""Working-time math: the Russian production calendar, deadlines, DST, the ledger, properties.

Pure: no database. Hand-checked deadlines carry their reasoning in a comment;
the federal decrees are the ones Opora ships (opora/sla/data/ru-*.xml).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opora.sla.engine import (
    CalendarError,
    CalendarSpec,
    DayException,
    DayKind,
    ExceptionKind,
    Segment,
    WorkingTime,
    compile_calendar,
    country_baseline,
    parse_hours,
    sla_deadline,
    weekdays_week,
)
from opora.sla.shipped import shipped_exceptions

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600
MINUTE = 60
DAY = 24 * HOUR

OFFICIAL = [(2024, 248, 1979), (2025, 247, 1972), (2026, 247, 1972), (2027, 247, 1972)]


def russian(hours: str = "09:00-18:00", time_zone: str = "Europe/Moscow") -> WorkingTime:
    """Mon–Fri on `hours`, the `holidays` baseline for RU plus the shipped decrees."""
    return WorkingTime(
        CalendarSpec(
            time_zone=time_zone,
            week=weekdays_week(parse_hours(hours)),
            country="RU",
            exceptions=shipped_exceptions("RU"),
        )
    )


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def year_span(year: int, zone: ZoneInfo = MOSCOW) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def dates_of(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - first).days)]


# --- Known answers: the Russian production calendar ------------------------------------


@pytest.mark.parametrize(("year", "working_days", "norm"), OFFICIAL)
@pytest.mark.parametrize("hours", ["09:00-13:00,14:00-18:00", "09:00-17:00"])
def test_a_year_of_eight_hour_days_holds_exactly_the_official_norm_of_hours(
    year: int, working_days: int, norm: int, hours: str
) -> None:
    start, end = year_span(year)

    assert russian(hours).business_seconds(start, end) == norm * HOUR


@pytest.mark.parametrize(("year", "working_days", "norm"), OFFICIAL)
def test_counting_the_kinds_of_days_gives_the_official_working_days_and_norm(
    year: int, working_days: int, norm: int
) -> None:
    hours = russian()

    kinds = Counter(hours.day(date)[0] for date in dates_of(year))

    worked = kinds[DayKind.WORKING] + kinds[DayKind.SHORTENED] + kinds[DayKind.WORKING_WEEKEND]
    assert worked == working_days
    assert 8 * worked - kinds[DayKind.SHORTENED] == norm


@pytest.mark.parametrize(("year", "working_days", "norm"), OFFICIAL)
def test_the_holidays_package_alone_gives_the_official_working_days(
    year: int, working_days: int, norm: int
) -> None:
    # Fails when an upgrade of `holidays` drifts from the decrees.
    days = holidays.country_holidays("RU", years=year)
    package_only = WorkingTime(
        CalendarSpec("Europe/Moscow", weekdays_week(parse_hours("09:00-17:00")), country="RU")
    )
    start, end = year_span(year)

    worked = [
        date
        for date in dates_of(year)
        if (date.weekday() < 5 or date in days.weekend_workdays) and date not in days
    ]

    assert len(worked) == working_days
    assert package_only.business_seconds(start, end) == 8 * working_days * HOUR


@pytest.mark.parametrize(
    "date",
    [
        dt.date(2024, 2, 22),
        dt.date(2024, 11, 2),  # a Saturday, worked and shortened
        dt.date(2025, 4, 30),
        dt.date(2025, 11, 1),  # a Saturday, worked and shortened
        dt.date(2026, 11, 3),
        dt.date(2027, 2, 20),  # a Saturday, worked and shortened
    ],
)
def test_a_shortened_day_ends_its_last_interval_an_hour_early(date: dt.date) -> None:
    assert russian().day(date)[0] == DayKind.SHORTENED
    assert russian().hours_of(date) == ((9 * 60, 17 * 60),)
    assert russian("09:00-13:00,14:00-18:00").hours_of(date) == (
        (9 * 60, 13 * 60),
        (14 * 60, 17 * 60),
    )


@pytest.mark.parametrize(
    ("date", "note"),
    [(dt.date(2025, 12, 31), "перенесено с 05.01"), (dt.date(2026, 12, 31), "перенесено с 04.01")],
)
def test_new_years_eve_of_2025_and_2026_is_a_day_off_not_a_shortened_day(
    date: dt.date, note: str
) -> None:
    assert russian().day(date) == (DayKind.DAY_OFF, note)
    assert russian().hours_of(date) == ()


def test_a_worked_saturday_takes_the_hours_of_a_weekday() -> None:
    hours = russian("09:00-13:00,14:00-18:00")

    assert hours.day(dt.date(2024, 12, 28))[0] == DayKind.WORKING_WEEKEND
    assert hours.hours_of(dt.date(2024, 12, 28)) == ((9 * 60, 13 * 60), (14 * 60, 18 * 60))
    assert hours.day(dt.date(2024, 12, 21))[0] == DayKind.WEEKEND
    assert hours.hours_of(dt.date(2024, 12, 21)) == ()


def test_an_office_in_berlin_can_run_on_the_russian_calendar() -> None:
    hours = russian(time_zone="Europe/Berlin")

    assert hours.day(dt.date(2026, 1, 9)) == (DayKind.DAY_OFF, "перенесено с 03.01")
    assert hours.day(dt.date(2026, 6, 12)) == (DayKind.HOLIDAY, "День России")
    assert hours.day(dt.date(2026, 10, 3))[0] == DayKind.WEEKEND  # German Unity Day, not here


def test_stored_exceptions_override_the_country_baseline() -> None:
    before = russian()
    company = WorkingTime(
        CalendarSpec(
            time_zone="Europe/Moscow",
            week=weekdays_week(parse_hours("09:00-18:00")),
            country="RU",
            exceptions=(
                (dt.date(2025, 3, 3), DayException(ExceptionKind.DAY_OFF, note="корпоратив")),
                (dt.date(2025, 3, 4), DayException(ExceptionKind.SHORTENED, 120)),
                (dt.date(2025, 5, 9), DayException(ExceptionKind.WORKING)),
                (dt.date(2025, 7, 1), DayException(ExceptionKind.HOLIDAY, note="День города")),
            ),
        )
    )

    assert [before.day(dt.date(2025, m, d))[0] for m, d in [(3, 3), (3, 4), (5, 9), (7, 1)]] == [
        DayKind.WORKING,
        DayKind.WORKING,
        DayKind.HOLIDAY,
        DayKind.WORKING,
    ]
    assert company.day(dt.date(2025, 3, 3)) == (DayKind.DAY_OFF, "корпоратив")
    assert company.hours_of(dt.date(2025, 3, 4)) == ((9 * 60, 16 * 60),)  # two hours shorter
    assert company.day(dt.date(2025, 5, 9))[0] == DayKind.WORKING
    assert company.hours_of(dt.date(2025, 5, 9)) == ((9 * 60, 18 * 60),)
    assert company.day(dt.date(2025, 7, 1)) == (DayKind.HOLIDAY, "День города")


def test_the_country_baseline_holds_holidays_and_worked_weekends_but_no_shortened_days() -> None:
    baseline = country_baseline("RU", 2024)

    assert baseline[dt.date(2024, 1, 1)].kind == ExceptionKind.HOLIDAY
    assert baseline[dt.date(2024, 4, 27)].kind == ExceptionKind.WORKING
    assert dt.date(2024, 2, 22) not in baseline


# --- Hand-checked deadlines ------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "start", "minutes", "expected"),
    [
        # Tue 30.12.2025: 17:30–18:00 = 30 min; 31.12 day off (moved from 05.01); 1–8.01
        # holidays; Fri 09.01 day off (moved from 03.01); 10–11.01 weekend;
        # Mon 12.01 09:00 + the remaining 210 min = 12:30.
        ("09:00-18:00", "2025-12-30T17:30:00+03:00", 240, "2026-01-12T12:30:00+03:00"),
        # Wed 30.04.2025 is shortened (09–17): 16:00–17:00 = 60 min; 1.05 holiday,
        # 2.05 day off, 3–4.05 weekend; Mon 5.05 09:00 + 60 min = 10:00.
        ("09:00-18:00", "2025-04-30T16:00:00+03:00", 120, "2025-05-05T10:00:00+03:00"),
        # Wed 7.05.2025 is a full day (8.05 is a moved day off, not a holiday):
        # 17:00–18:00 = 60 min; 8.05 day off, 9.05 holiday, 10–11.05 weekend;
        # Mon 12.05 09:00 + 60 min = 10:00.
        ("09:00-18:00", "2025-05-07T17:00:00+03:00", 120, "2025-05-12T10:00:00+03:00"),
        # Fri 1.11.2024 is a full day: 17:00–18:00 = 60 min; Sat 2.11 is worked:
        # 09:00 + 60 min = 10:00.
        ("09:00-18:00", "2024-11-01T17:00:00+03:00", 120, "2024-11-02T10:00:00+03:00"),
        # Sat 2.11.2024 is worked and shortened (09–17): 16:00–17:00 = 60 min;
        # 3.11 Sunday, 4.11 holiday; Tue 5.11 09:00 + 60 min = 10:00.
        ("09:00-18:00", "2024-11-02T16:00:00+03:00", 120, "2024-11-05T10:00:00+03:00"),
        # Sat 2.11.2024, 09:00 + 8 h ends exactly at its shortened end, 17:00.
        ("09:00-18:00", "2024-11-02T09:00:00+03:00", 480, "2024-11-02T17:00:00+03:00"),
        # Fri 27.12.2024 17:00–18:00 = 60 min; Sat 28.12 is a full worked day:
        # 09:00 + 60 min = 10:00.
        ("09:00-18:00", "2024-12-27T17:00:00+03:00", 120, "2024-12-28T10:00:00+03:00"),
        # Sat 28.12.2024 runs to 18:00 (not shortened): 60 min; 29.12 Sunday,
        # 30–31.12 days off, 1–8.01.2025 holidays; Thu 9.01 09:00 + 60 min = 10:00.
        ("09:00-18:00", "2024-12-28T17:00:00+03:00", 120, "2025-01-09T10:00:00+03:00"),
        # Lunch 13–14: Mon 3.03.2025 09:00 + 4 h runs out exactly at 13:00.
        ("09:00-13:00,14:00-18:00", "2025-03-03T09:00:00+03:00", 240, "2025-03-03T13:00:00+03:00"),
        # Started during lunch: counts from 14:00, + 60 min = 15:00.
        ("09:00-13:00,14:00-18:00", "2025-03-03T13:30:00+03:00", 60, "2025-03-03T15:00:00+03:00"),
        # 12:30–13:00 = 30 min, lunch, 14:00 + 30 min = 14:30.
        ("09:00-13:00,14:00-18:00", "2025-03-03T12:30:00+03:00", 60, "2025-03-03T14:30:00+03:00"),
        # Fri 7.03.2025 is shortened, so the afternoon ends at 17:00: 16:00–17:00 = 60 min;
        # 8.03 holiday (a Saturday, moved to 13.06), 9.03 Sunday; Mon 10.03 09:00 + 60 = 10:00.
        ("09:00-13:00,14:00-18:00", "2025-03-07T16:00:00+03:00", 120, "2025-03-10T10:00:00+03:00"),
    ],
)
def test_a_hand_checked_deadline_on_the_russian_calendar(
    hours: str, start: str, minutes: int, expected: str
) -> None:
    assert russian(hours).deadline(at(start), minutes * MINUTE).isoformat() == expected


def test_it_counts_from_the_next_working_moment_when_started_at_night() -> None:
    hours = russian()

    # Mon 3.03.2025 02:00 → counts from 09:00, + 60 min = 10:00.
    assert hours.deadline(at("2025-03-03T02:00:00+03:00"), HOUR).isoformat() == (
        "2025-03-03T10:00:00+03:00"
    )
    # Tue 4.03.2025 20:00 → counts from Wed 09:00.
    assert hours.deadline(at("2025-03-04T20:00:00+03:00"), 30 * MINUTE).isoformat() == (
        "2025-03-05T09:30:00+03:00"
    )


def test_it_counts_from_monday_morning_when_started_on_a_weekend() -> None:
    # Sat 15.03.2025 12:00 → Mon 17.03 09:00 + 30 min.
    assert russian().deadline(at("2025-03-15T12:00:00+03:00"), 30 * MINUTE).isoformat() == (
        "2025-03-17T09:30:00+03:00"
    )


def test_a_budget_that_runs_out_at_the_end_of_the_day_ends_at_18_00_not_the_next_morning() -> None:
    hours = russian()

    assert hours.deadline(at("2025-03-03T17:00:00+03:00"), HOUR).isoformat() == (
        "2025-03-03T18:00:00+03:00"
    )
    assert hours.deadline(at("2025-03-03T09:00:00+03:00"), 9 * HOUR).isoformat() == (
        "2025-03-03T18:00:00+03:00"
    )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2025-03-03T12:00:00+03:00", "2025-03-03T12:00:00+03:00"),  # already working
        ("2025-03-03T09:00:00+03:00", "2025-03-03T09:00:00+03:00"),  # the first moment itself
        ("2025-03-03T07:15:00+03:00", "2025-03-03T09:00:00+03:00"),  # before opening
        ("2025-03-03T18:00:00+03:00", "2025-03-04T09:00:00+03:00"),  # 18:00 is not working
        ("2025-03-07T17:30:00+03:00", "2025-03-10T09:00:00+03:00"),  # after a shortened day
    ],
)
def test_a_zero_budget_gives_the_first_working_moment_at_or_after_the_start(
    start: str, expected: str
) -> None:
    assert russian().deadline(at(start), 0).isoformat() == expected


def test_a_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        russian().add(at("2025-03-03T12:00:00+03:00").timestamp(), -1)


def test_a_negative_budget_is_refused_on_a_round_the_clock_calendar_too() -> None:
    # A 24×7 deadline must never land before its start.
    with pytest.raises(ValueError, match="negative"):
        WorkingTime(CalendarSpec.round_the_clock()).add(1_700_000_000.0, -1)


def test_a_budget_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError):
        russian().add(at("2025-03-03T12:00:00+03:00").timestamp(), float("nan"))


def test_a_deadline_is_found_after_the_calendar_has_answered_about_a_distant_past() -> None:
    # Compiled calendars live for the whole process: an old question that compiled
    # 1989–2027 must not stop a later deadline from reaching into 2028.
    fresh = russian()
    used = russian()
    used.business_seconds(at("1990-01-01T00:00:00+03:00"), at("2026-06-01T00:00:00+03:00"))
    start = at("2027-12-30T17:00:00+03:00")

    assert used.deadline(start, 2 * HOUR) == fresh.deadline(start, 2 * HOUR)


# --- The calendar-time cap ---------------------------------------------------------------


def test_the_cap_wins_when_it_comes_before_the_business_deadline() -> None:
    start = at("2025-12-30T17:30:00+03:00")

    # The business deadline is 12.01.2026 12:30; 30.12 17:30 + 5 calendar days = 4.01 17:30.
    due = sla_deadline(russian(), start, 240 * MINUTE, 5 * DAY)

    assert due.isoformat() == "2026-01-04T17:30:00+03:00"


@pytest.mark.parametrize("cap", [None, 30 * DAY])
def test_the_business_deadline_wins_without_a_cap_or_with_a_later_one(cap: float | None) -> None:
    due = sla_deadline(russian(), at("2025-12-30T17:30:00+03:00"), 240 * MINUTE, cap)

    assert due.isoformat() == "2026-01-12T12:30:00+03:00"


def test_the_cap_still_applies_when_the_budget_runs_past_the_calendars_horizon() -> None:
    start = at("2025-12-30T17:30:00+03:00")

    due = sla_deadline(russian(), start, 1e12, 5 * DAY)

    assert due.isoformat() == "2026-01-04T17:30:00+03:00"


# --- Round the clock ------------------------------------------------------------------------


def test_a_round_the_clock_calendar_is_plain_arithmetic() -> None:
    always = WorkingTime(CalendarSpec.round_the_clock())
    start = at("2025-12-31T23:00:00+03:00")  # a day off on the Russian calendar: irrelevant

    assert always.deadline(start, 90 * MINUTE).isoformat() == "2026-01-01T00:30:00+03:00"
    assert always.business_seconds(start, at("2026-01-01T01:00:00+03:00")) == 2 * HOUR
    assert sla_deadline(always, start, 10 * DAY, DAY).isoformat() == "2026-01-01T23:00:00+03:00"


def test_a_round_the_clock_calendar_says_every_date_is_a_full_working_day() -> None:
    # The year view asks a 24×7 calendar about every date too.
    always = WorkingTime(CalendarSpec.round_the_clock())

    assert always.day(dt.date(2026, 1, 1)) == (DayKind.WORKING, "")
    assert always.hours_of(dt.date(2026, 1, 1)) == ((0, 24 * 60),)


# --- Daylight saving time: business hours are wall-clock --------------------------------------


def test_a_berlin_deadline_across_the_spring_change_keeps_wall_clock_hours() -> None:
    berlin = russian(time_zone="Europe/Berlin")
    moscow = russian()
    # Fri 27.03.2026 17:00–18:00 = 1 h; Sun 29.03 clocks go forward; Mon 30.03 09:00 + 1 h.
    berlin_start = dt.datetime(2026, 3, 27, 17, tzinfo=BERLIN)
    moscow_start = dt.datetime(2026, 3, 27, 17, tzinfo=MOSCOW)

    berlin_due = berlin.deadline(berlin_start, 2 * HOUR)
    moscow_due = moscow.deadline(moscow_start, 2 * HOUR)

    assert berlin_start.isoformat() == "2026-03-27T17:00:00+01:00"
    assert berlin_due.isoformat() == "2026-03-30T10:00:00+02:00"
    assert moscow_due.isoformat() == "2026-03-30T10:00:00+03:00"
    # Same wall-clock span (65 h), but Berlin lost an hour of real time.
    assert berlin_due.timestamp() - berlin_start.timestamp() == 64 * HOUR
    assert moscow_due.timestamp() - moscow_start.timestamp() == 65 * HOUR


def test_a_berlin_deadline_across_the_autumn_change_keeps_wall_clock_hours() -> None:
    berlin = russian(time_zone="Europe/Berlin")
    moscow = russian()
    # Fri 23.10.2026 17:00–18:00 = 1 h; Sun 25.10 clocks go back; Mon 26.10 09:00 + 1 h.
    berlin_start = dt.datetime(2026, 10, 23, 17, tzinfo=BERLIN)
    moscow_start = dt.datetime(2026, 10, 23, 17, tzinfo=MOSCOW)

    berlin_due = berlin.deadline(berlin_start, 2 * HOUR)
    moscow_due = moscow.deadline(moscow_start, 2 * HOUR)

    assert berlin_start.isoformat() == "2026-10-23T17:00:00+02:00"
    assert berlin_due.isoformat() == "2026-10-26T10:00:00+01:00"
    assert moscow_due.isoformat() == "2026-10-26T10:00:00+03:00"
    assert berlin_due.timestamp() - berlin_start.timestamp() == 66 * HOUR
    assert moscow_due.timestamp() - moscow_start.timestamp() == 65 * HOUR


@pytest.mark.parametrize(
    ("monday", "next_tuesday"),
    [(dt.date(2026, 3, 23), dt.date(2026, 3, 31)), (dt.date(2026, 10, 19), dt.date(2026, 10, 27))],
)
def test_business_time_across_a_change_of_clocks_counts_eight_hours_a_day(
    monday: dt.date, next_tuesday: dt.date
) -> None:
    berlin = russian("09:00-17:00", time_zone="Europe/Berlin")
    start = dt.datetime.combine(monday, dt.time(), BERLIN)
    end = dt.datetime.combine(next_tuesday, dt.time(), BERLIN)

    # Mon–Fri, then the Monday after the change: six ordinary Russian working days.
    assert berlin.business_seconds(start, end) == 6 * 8 * HOUR
    assert (
        berlin.business_seconds(
            dt.datetime.combine(next_tuesday - dt.timedelta(days=4), dt.time(17), BERLIN),
            dt.datetime.combine(next_tuesday - dt.timedelta(days=1), dt.time(10), BERLIN),
        )
        == HOUR
    )


@pytest.mark.parametrize(
    ("sunday", "hours"), [(dt.date(2026, 3, 29), 23), (dt.date(2026, 10, 25), 25)]
)
def test_a_wall_clock_day_of_round_the_clock_hours_follows_the_change_of_clocks(
    sunday: dt.date, hours: int
) -> None:
    every_day = WorkingTime(CalendarSpec("Europe/Berlin", (((0, 24 * 60),),) * 7))
    start = dt.datetime.combine(sunday, dt.time(), BERLIN)
    end = dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(), BERLIN)

    assert every_day.business_seconds(start, end) == hours * HOUR


# --- The ledger -------------------------------------------------------------------------------


def test_the_ledger_explains_every_hour_of_the_new_year_holidays() -> None:
    hours = russian()
    start, end = at("2025-12-30T17:30:00+03:00"), at("2026-01-12T12:30:00+03:00")

    segments = hours.explain(start.timestamp(), end.timestamp())

    def local(instant: float) -> str:
        return dt.datetime.fromtimestamp(instant, MOSCOW).strftime("%d.%m %H:%M")

    assert [(s.kind, local(s.start), local(s.end), s.note) for s in segments] == [
        ("working", "30.12 17:30", "30.12 18:00", ""),
        ("outside_hours", "30.12 18:00", "31.12 00:00", ""),
        ("day_off", "31.12 00:00", "01.01 00:00", "перенесено с 05.01"),
        ("holiday", "01.01 00:00", "07.01 00:00", "Новогодние каникулы"),
        ("holiday", "07.01 00:00", "08.01 00:00", "Рождество Христово"),
        ("holiday", "08.01 00:00", "09.01 00:00", "Новогодние каникулы"),
        ("day_off", "09.01 00:00", "10.01 00:00", "перенесено с 03.01"),
        ("weekend", "10.01 00:00", "12.01 00:00", ""),
        ("outside_hours", "12.01 00:00", "12.01 09:00", ""),
        ("working", "12.01 09:00", "12.01 12:30", ""),
    ]
    assert sum(s.seconds for s in segments if s.kind == "working") == 240 * MINUTE


def test_the_ledger_of_an_empty_span_is_empty() -> None:
    instant = at("2025-03-03T12:00:00+03:00").timestamp()

    assert russian().explain(instant, instant) == []
    assert WorkingTime(CalendarSpec.round_the_clock()).explain(instant, instant + 60) == [
        Segment("working", instant, instant + 60)
    ]


# --- Refusals -----------------------------------------------------------------------------------


def test_it_reads_working_hours_with_a_lunch_break() -> None:
    assert parse_hours(" 14:00-18:00; 09:00-13:00 ") == ((540, 780), (840, 1080))
    assert parse_hours("00:00-24:00") == ((0, 1440),)


@pytest.mark.parametrize(
    "text",
    ["9-18", "18:00-09:00", "09:00-13:00,12:00-18:00", "09:60-10:00", "24:00-24:30", "09:00"],
)
def test_it_refuses_working_hours_it_cannot_read(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_hours(text)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (CalendarSpec("Mars/Olympus", weekdays_week(((540, 1080),))), "unknown time zone"),
        (CalendarSpec("Europe/Moscow", weekdays_week(((540, 1080),)), "XX"), "unknown country"),
        (CalendarSpec("Europe/Moscow", weekdays_week(())), "no working hours"),
    ],
)
def test_it_refuses_a_calendar_it_cannot_use(spec: CalendarSpec, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        WorkingTime(spec)


# --- Properties -------------------------------------------------------------------------------

ZONES = ["Europe/Moscow", "Europe/Berlin", "Asia/Vladivostok", "America/New_York"]
WEEKS = {
    "office": weekdays_week(parse_hours("09:00-18:00")),
    "lunch": weekdays_week(parse_hours("09:00-13:00,14:00-18:00")),
    "six_days": (parse_hours("08:00-20:00"),) * 6 + ((),),
    # Crosses 02:00–03:00, where the clocks change in Berlin and New York.
    "night": weekdays_week(parse_hours("00:00-03:00,22:00-24:00")),
    "every_day": (parse_hours("00:00-24:00"),) * 7,
}
FROM = dt.datetime(2023, 1, 1, tzinfo=dt.UTC).timestamp()
UNTIL = dt.datetime(2029, 1, 1, tzinfo=dt.UTC).timestamp()


def spec_for(zone: str, week: str, on_russian_calendar: bool) -> CalendarSpec:
    if on_russian_calendar:
        return CalendarSpec(zone, WEEKS[week], "RU", shipped_exceptions("RU"))
    return CalendarSpec(zone, WEEKS[week])


calendars = st.builds(
    lambda zone, week, on_russian: compile_calendar(spec_for(zone, week, on_russian)),
    st.sampled_from(ZONES),
    st.sampled_from(sorted(WEEKS)),
    st.booleans(),
)
# Whole seconds, and often on the half hour, so interval edges get hit.
instants = st.one_of(
    st.integers(int(FROM), int(UNTIL)),
    st.integers(int(FROM) // 1800, int(UNTIL) // 1800).map(lambda n: n * 1800),
).map(float)
budgets = st.one_of(
    st.integers(0, 200 * HOUR),
    st.integers(0, 200 * 2).map(lambda n: n * 1800),
).map(float)
spans = st.integers(0, 40 * DAY).map(float)
fast = settings(max_examples=60, deadline=None)


@fast
@given(calendars, instants, spans, budgets)
def test_a_later_start_never_gives_an_earlier_deadline(
    hours: WorkingTime, start: float, delay: float, budget: float
) -> None:
    assert hours.add(start + delay, budget) >= hours.add(start, budget)


@fast
@given(calendars, instants, budgets, budgets)
def test_a_bigger_budget_never_gives_an_earlier_deadline(
    hours: WorkingTime, start: float, budget: float, other: float
) -> None:
    small, big = sorted((budget, other))

    assert hours.add(start, big) >= hours.add(start, small)


@fast
@given(calendars, instants, budgets)
def test_the_business_time_up_to_a_deadline_is_the_budget(
    hours: WorkingTime, start: float, budget: float
) -> None:
    due = hours.add(start, budget)

    assert due >= start
    assert hours.business_between(start, due) == pytest.approx(budget, abs=1e-6)


@fast
@given(instants, budgets)
def test_round_the_clock_deadlines_are_plain_arithmetic(start: float, budget: float) -> None:
    always = compile_calendar(CalendarSpec.round_the_clock())

    assert always.add(start, budget) == start + budget
    assert always.business_between(start, start + budget) == budget


@fast
@given(calendars, instants, budgets, st.floats(0, 1), spans)
def test_a_pause_never_brings_a_deadline_forward(
    hours: WorkingTime, start: float, budget: float, share: float, pause: float
) -> None:
    due = hours.add(start, budget)
    paused_at = start + share * (due - start)
    consumed = hours.business_between(start, paused_at)

    resumed_due = hours.add(paused_at + pause, max(budget - consumed, 0.0))

    assert resumed_due >= due - 1e-6


@fast
@given(calendars, instants, spans)
def test_the_ledger_covers_the_span_without_gaps_and_counts_the_business_time(
    hours: WorkingTime, start: float, length: float
) -> None:
    end = start + length

    segments = hours.explain(start, end)

    if length == 0:
        assert segments == []
        return
    assert segments[0].start == start
    assert segments[-1].end == end
    assert all(a.end == b.start for a, b in zip(segments, segments[1:], strict=False))
    assert all(s.end > s.start for s in segments)
    assert {s.kind for s in segments} <= {
        "working",
        "outside_hours",
        "weekend",
        "holiday",
        "day_off",
    }
    working = sum(s.seconds for s in segments if s.kind == "working")
    assert working == pytest.approx(hours.business_between(start, end), abs=1e-6)
