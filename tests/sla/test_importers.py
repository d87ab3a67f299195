"""Production-calendar parsers (xmlcalendar, isdayoff) and the calendars Opora ships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from opora.sla.importers import (
    MAX_IMPORT_BYTES,
    CalendarImportError,
    ImportedDay,
    parse_isdayoff,
    parse_xmlcalendar,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "opora" / "sla" / "data"


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """Error messages are matched by their English text, whatever LANGUAGE_CODE is."""
    with translation.override("en"):
        yield


def xmlcalendar(days: str, *, year: str = "2025", holidays: str = "") -> bytes:
    holidays = holidays or '<holiday id="1" title="Новогодние каникулы"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<calendar year="{year}" lang="ru" date="2024.12.01" country="ru">'
        f"<holidays>{holidays}</holidays><days>{days}</days></calendar>"
    ).encode()


def only_day(days: str) -> ImportedDay:
    _year, parsed = parse_xmlcalendar(xmlcalendar(days))
    assert len(parsed) == 1
    return parsed[0]


def year_days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - first).days)]


def is_working(date: dt.date, by_date: dict[dt.date, ImportedDay]) -> bool:
    day = by_date.get(date)
    if day is None:
        return date.weekday() < 5
    return day.kind in ("working", "shortened")


def working_days_and_norm(year: int, days: list[ImportedDay]) -> tuple[int, int]:
    """Working days and the 40-hour week's norm in hours, as the Ministry of Labour counts them."""
    by_date = {day.date: day for day in days}
    working = sum(is_working(date, by_date) for date in year_days(year))
    shortened = sum(day.kind == "shortened" for day in days)
    return working, 8 * working - shortened


def shipped(year: int) -> tuple[int, list[ImportedDay]]:
    return parse_xmlcalendar((DATA_DIR / f"ru-{year}.xml").read_bytes())


def as_isdayoff(year: int, days: list[ImportedDay]) -> str:
    by_date = {day.date: day for day in days}
    digits = []
    for date in year_days(year):
        day = by_date.get(date)
        if day is not None and day.kind == "shortened":
            digits.append("2")
        else:
            digits.append("0" if is_working(date, by_date) else "1")
    return "".join(digits)


# xmlcalendar: each kind of day


def test_it_reads_a_holiday_with_its_title() -> None:
    day = only_day('<day d="01.01" t="1" h="1"/>')

    assert day == ImportedDay(dt.date(2025, 1, 1), "holiday", 0, "Новогодние каникулы")


def test_it_reads_a_transferred_day_off_with_its_source() -> None:
    day = only_day('<day d="05.02" t="1" f="01.04"/>')

    assert day == ImportedDay(dt.date(2025, 5, 2), "day_off", 0, "перенесено с 04.01")


def test_it_reads_a_day_off_without_a_reason() -> None:
    day = only_day('<day d="12.31" t="1"/>')

    assert day == ImportedDay(dt.date(2025, 12, 31), "day_off", 0, "")


def test_it_reads_a_shortened_day_as_an_hour_shorter() -> None:
    day = only_day('<day d="03.07" t="2"/>')

    assert day == ImportedDay(dt.date(2025, 3, 7), "shortened", 60, "")


def test_it_reads_a_worked_saturday_that_is_shortened_as_shortened() -> None:
    day = only_day('<day d="11.01" t="2"/>')

    assert day.date.weekday() == 5
    assert (day.kind, day.shorter_by_minutes) == ("shortened", 60)


def test_it_reads_a_worked_weekend_day() -> None:
    day = only_day('<day d="04.27" t="3"/>')

    assert day == ImportedDay(dt.date(2025, 4, 27), "working", 0, "")


def test_it_returns_the_year_and_the_days_sorted_by_date() -> None:
    year, days = parse_xmlcalendar(
        xmlcalendar(
            '<day d="12.31" t="1"/><day d="01.01" t="1" h="1"/><day d="03.07" t="2"/>',
            year="2031",
        )
    )

    assert year == 2031
    assert [day.date for day in days] == [
        dt.date(2031, 1, 1),
        dt.date(2031, 3, 7),
        dt.date(2031, 12, 31),
    ]


def test_it_names_each_holiday_after_its_own_title() -> None:
    holidays = (
        '<holiday id="1" title="Новогодние каникулы"/><holiday id="2" title="Рождество Христово"/>'
    )
    _year, days = parse_xmlcalendar(
        xmlcalendar('<day d="01.06" t="1" h="1"/><day d="01.07" t="1" h="2"/>', holidays=holidays)
    )

    assert [day.note for day in days] == ["Новогодние каникулы", "Рождество Христово"]


# The shipped federal calendars


@pytest.mark.parametrize(
    ("year", "working_days", "norm"),
    [(2024, 248, 1979), (2025, 247, 1972), (2026, 247, 1972), (2027, 247, 1972)],
)
def test_the_shipped_calendar_gives_the_official_working_days_and_norm(
    year: int, working_days: int, norm: int
) -> None:
    parsed_year, days = shipped(year)

    assert parsed_year == year
    assert working_days_and_norm(year, days) == (working_days, norm)


def test_the_shipped_2025_calendar_names_holidays_and_moved_days() -> None:
    _year, days = shipped(2025)
    by_date = {day.date: day for day in days}

    assert by_date[dt.date(2025, 1, 7)].note == "Рождество Христово"
    assert by_date[dt.date(2025, 2, 23)].kind == "holiday"  # a Sunday, listed all the same
    assert by_date[dt.date(2025, 5, 2)] == ImportedDay(
        dt.date(2025, 5, 2), "day_off", 0, "перенесено с 04.01"
    )
    assert by_date[dt.date(2025, 11, 1)].kind == "shortened"
    assert by_date[dt.date(2025, 12, 31)].note == "перенесено с 05.01"


def test_the_shipped_2024_calendar_has_worked_saturdays() -> None:
    _year, days = shipped(2024)
    by_date = {day.date: day.kind for day in days}

    assert by_date[dt.date(2024, 4, 27)] == "working"
    assert by_date[dt.date(2024, 11, 2)] == "shortened"
    assert by_date[dt.date(2024, 12, 28)] == "working"


# isdayoff


def test_isdayoff_data_built_from_the_2025_calendar_reads_back_the_same_days() -> None:
    _year, days = shipped(2025)

    parsed = parse_isdayoff(as_isdayoff(2025, days) + "\n", year=2025)

    # isdayoff cannot tell a holiday from a moved day off, and a holiday on a
    # weekend is just a weekend to it.
    def visible(day: ImportedDay) -> tuple[dt.date, str] | None:
        if day.kind in ("holiday", "day_off"):
            return None if day.date.weekday() >= 5 else (day.date, "off")
        return day.date, day.kind

    expected = {visible(day) for day in days} - {None}
    assert {visible(day) for day in parsed} == expected
    assert working_days_and_norm(2025, parsed) == (247, 1972)


def test_isdayoff_reads_each_digit_against_the_weekday() -> None:
    # A plain week: 0 on weekdays, 1 on weekends. 2025-01-03 is a Friday.
    digits = ["1" if date.weekday() >= 5 else "0" for date in year_days(2025)]
    digits[2] = "1"  # Friday 3 January off
    digits[3] = "4"  # Saturday 4 January worked
    digits[10] = "0"  # Saturday 11 January worked
    digits[12] = "2"  # Monday 13 January shortened

    days = parse_isdayoff("".join(digits), year=2025)

    assert days == [
        ImportedDay(dt.date(2025, 1, 3), "day_off", 0, ""),
        ImportedDay(dt.date(2025, 1, 4), "working", 0, ""),
        ImportedDay(dt.date(2025, 1, 11), "working", 0, ""),
        ImportedDay(dt.date(2025, 1, 13), "shortened", 60, ""),
    ]


def test_isdayoff_lists_nothing_for_a_plain_week() -> None:
    digits = "".join("1" if date.weekday() >= 5 else "0" for date in year_days(2026))

    assert parse_isdayoff(digits, year=2026) == []


def test_isdayoff_accepts_a_leap_year_of_366_digits() -> None:
    days = parse_isdayoff("0" * 366, year=2028)

    assert all(day.kind == "working" for day in days)
    assert dt.date(2028, 12, 31) in {day.date for day in days}  # a Sunday


# Rejections


def test_it_refuses_malformed_xml() -> None:
    with pytest.raises(CalendarImportError, match="not well-formed XML"):
        parse_xmlcalendar(b'<calendar year="2025"><days><day d="01.01" t="1"></days>')


def test_it_refuses_a_billion_laughs_payload() -> None:
    payload = (
        b'<?xml version="1.0"?>'
        b'<!DOCTYPE calendar [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<calendar year="2025"><holidays><holiday id="1" title="&lol3;"/></holidays>'
        b"<days/></calendar>"
    )

    with pytest.raises(CalendarImportError, match="DTD or entities"):
        parse_xmlcalendar(payload)


def test_it_refuses_an_oversized_file() -> None:
    padding = b" " * MAX_IMPORT_BYTES

    with pytest.raises(CalendarImportError, match="at most 1048576 bytes"):
        parse_xmlcalendar(xmlcalendar("") + padding)


def test_it_refuses_a_document_that_is_not_a_calendar() -> None:
    with pytest.raises(CalendarImportError, match="root element is <holidays>"):
        parse_xmlcalendar(b'<holidays year="2025"/>')


@pytest.mark.parametrize(
    ("year", "message"),
    [
        (None, "no year attribute"),
        ("20x5", "“20x5” is not a year"),
        ("1812", "“1812” is not a year"),
    ],
)
def test_it_refuses_a_missing_or_invalid_year(year: str | None, message: str) -> None:
    attribute = "" if year is None else f' year="{year}"'

    with pytest.raises(CalendarImportError, match=message):
        parse_xmlcalendar(f"<calendar{attribute}><days/></calendar>".encode())


@pytest.mark.parametrize("d", ["1.01", "01/01", "13.01", "02.30", "02.29", ""])
def test_it_refuses_a_day_that_is_not_a_date_of_the_year(d: str) -> None:
    with pytest.raises(CalendarImportError, match=f"Day “{d}” is not a date of 2025"):
        parse_xmlcalendar(xmlcalendar(f'<day d="{d}" t="1"/>'))


def test_it_accepts_the_29th_of_february_in_a_leap_year() -> None:
    _year, days = parse_xmlcalendar(xmlcalendar('<day d="02.29" t="1"/>', year="2028"))

    assert days[0].date == dt.date(2028, 2, 29)


@pytest.mark.parametrize("t", ["4", "0", "", "holiday"])
def test_it_refuses_an_unknown_day_type(t: str) -> None:
    with pytest.raises(CalendarImportError, match=f"Day 03.07 has an unknown type “{t}”"):
        parse_xmlcalendar(xmlcalendar(f'<day d="03.07" t="{t}"/>'))


def test_it_refuses_a_day_listed_twice() -> None:
    with pytest.raises(CalendarImportError, match="Day 03.07 is listed twice"):
        parse_xmlcalendar(xmlcalendar('<day d="03.07" t="2"/><day d="03.07" t="1"/>'))


def test_it_refuses_a_holiday_the_file_does_not_list() -> None:
    with pytest.raises(CalendarImportError, match="refers to holiday 9"):
        parse_xmlcalendar(xmlcalendar('<day d="01.01" t="1" h="9"/>'))


def test_it_refuses_a_day_moved_from_a_bad_date() -> None:
    with pytest.raises(CalendarImportError, match="moved from “04.1”"):
        parse_xmlcalendar(xmlcalendar('<day d="05.02" t="1" f="04.1"/>'))


@pytest.mark.parametrize(("length", "year"), [(364, 2025), (366, 2025), (365, 2028)])
def test_isdayoff_refuses_the_wrong_number_of_days(length: int, year: int) -> None:
    expected = 366 if year == 2028 else 365

    with pytest.raises(
        CalendarImportError, match=f"should have {expected} digits.*it has {length}"
    ):
        parse_isdayoff("0" * length, year=year)


def test_isdayoff_refuses_a_character_other_than_its_digits() -> None:
    text = "0" * 31 + "3" + "0" * 333

    with pytest.raises(CalendarImportError, match="“3” for 2025-02-01"):
        parse_isdayoff(text, year=2025)


@pytest.mark.parametrize("year", [1989, 2101])
def test_isdayoff_refuses_a_year_out_of_range(year: int) -> None:
    with pytest.raises(CalendarImportError, match=f"Year {year} is out of range"):
        parse_isdayoff("0" * 365, year=year)
