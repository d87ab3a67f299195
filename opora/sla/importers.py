"""Parsers of production-calendar data: the decree's days, without the ORM.

Two public formats are read. Both describe one calendar year; both are turned
into `ImportedDay` rows, one per day that differs from a plain Monday–Friday
week, with the same four kinds as the calendar's dated exceptions.

xmlcalendar (xmlcalendar.ru, also the format of `opora/sla/data/*.xml`)::

    <calendar year="2025" lang="ru" date="2024.12.01" country="ru">
      <holidays>
        <holiday id="1" title="Новогодние каникулы"/>
      </holidays>
      <days>
        <day d="01.01" t="1" h="1"/>     a holiday (h: a <holiday> id)
        <day d="05.02" t="1" f="01.04"/> a day off moved from 4 January
        <day d="03.07" t="2"/>           a working day shortened by an hour
        <day d="11.01" t="2"/>           ... also a worked Saturday, still just t=2
        <day d="04.27" t="3"/>           a worked weekend day
      </days>
    </calendar>

`d` and `f` are MM.DD within `year`. A t="1" day with `h` is a holiday titled
after its <holiday>; with `f` (or neither) it is a day off. Holidays falling
on a weekend are listed too. The document is parsed with defusedxml and
without a DTD, so entity tricks (billion laughs, external entities) are
refused, and it may be at most `MAX_IMPORT_BYTES` long.

isdayoff (isdayoff.ru, `getdata?year=YYYY&pre=1`): one digit per day of the
year, 365 or 366 in all: 0 working day, 1 day off, 2 shortened working day,
4 working day. It cannot tell a holiday from a moved day off, so every
non-working weekday becomes a "day_off" with no note.

Errors are `CalendarImportError` with one translated sentence naming the bad
entry, fit to show to the administrator who uploaded the file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

HOLIDAY = "holiday"
DAY_OFF = "day_off"
WORKING = "working"
SHORTENED = "shortened"

# A pre-holiday day is one hour shorter (Labour Code, art. 95).
SHORTENED_BY_MINUTES = 60

# A year's calendar is a few kilobytes; anything near this is not a calendar.
MAX_IMPORT_BYTES = 1024 * 1024

MIN_YEAR = 1990
MAX_YEAR = 2100

_MONTH_DAY = re.compile(r"\d\d\.\d\d")
_YEAR = re.compile(r"\d{4}")
_ISDAYOFF_DIGITS = frozenset("0124")


@dataclass(frozen=True)
class ImportedDay:
    """One day of a decree that differs from a plain Monday–Friday week."""

    date: dt.date
    kind: str  # HOLIDAY, DAY_OFF, WORKING or SHORTENED
    shorter_by_minutes: int  # SHORTENED_BY_MINUTES for a shortened day, else 0
    note: str  # the holiday's title, «перенесено с 04.01», or ""


class CalendarImportError(ValueError):
    """The data is not a calendar we can read; the message says which entry and why."""


def parse_xmlcalendar(data: bytes) -> tuple[int, list[ImportedDay]]:
    """Read an xmlcalendar document; return its year and its days sorted by date."""
    if len(data) > MAX_IMPORT_BYTES:
        raise CalendarImportError(
            _("The file is %(size)d bytes long; a calendar may be at most %(limit)d bytes.")
            % {"size": len(data), "limit": MAX_IMPORT_BYTES}
        )
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise CalendarImportError(
            _("The file declares a DTD or entities, which a calendar never needs.")
        ) from exc
    except ParseError as exc:
        raise CalendarImportError(
            _("The file is not well-formed XML: %(error)s.") % {"error": exc}
        ) from exc

    if root.tag != "calendar":
        raise CalendarImportError(
            _("The document's root element is <%(tag)s>, expected <calendar>.") % {"tag": root.tag}
        )
    year = _xml_year(root.get("year"))
    titles = _xml_holiday_titles(root)

    days: dict[dt.date, ImportedDay] = {}
    for element in root.iterfind("days/day"):
        day = _xml_day(element, year, titles)
        if day.date in days:
            raise CalendarImportError(
                _("Day %(day)s is listed twice.") % {"day": element.get("d", "")}
            )
        days[day.date] = day
    return year, sorted(days.values(), key=lambda day: day.date)


def parse_isdayoff(text: str, *, year: int) -> list[ImportedDay]:
    """Read an isdayoff year string; return the days that differ from a Mon–Fri week."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarImportError(
            _("Year %(year)d is out of range; expected %(min)d to %(max)d.")
            % {"year": year, "min": MIN_YEAR, "max": MAX_YEAR}
        )
    digits = text.strip()
    first = dt.date(year, 1, 1)
    expected = (dt.date(year + 1, 1, 1) - first).days
    if len(digits) != expected:
        raise CalendarImportError(
            _("The data for %(year)d should have %(expected)d digits, one per day; it has %(got)d.")
            % {"year": year, "expected": expected, "got": len(digits)}
        )

    days: list[ImportedDay] = []
    for offset, digit in enumerate(digits):
        date = first + dt.timedelta(days=offset)
        if digit not in _ISDAYOFF_DIGITS:
            raise CalendarImportError(
                _("Unexpected character “%(char)s” for %(date)s; expected 0, 1, 2 or 4.")
                % {"char": digit, "date": date.isoformat()}
            )
        weekend = date.weekday() >= 5
        if digit == "2":
            days.append(ImportedDay(date, SHORTENED, SHORTENED_BY_MINUTES, ""))
        elif digit == "1" and not weekend:
            days.append(ImportedDay(date, DAY_OFF, 0, ""))
        elif digit in ("0", "4") and weekend:
            days.append(ImportedDay(date, WORKING, 0, ""))
    return days


def _xml_year(raw: str | None) -> int:
    if raw is None:
        raise CalendarImportError(_("The <calendar> element has no year attribute."))
    if not _YEAR.fullmatch(raw) or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise CalendarImportError(
            _("The calendar's year “%(year)s” is not a year from %(min)d to %(max)d.")
            % {"year": raw, "min": MIN_YEAR, "max": MAX_YEAR}
        )
    return int(raw)


def _xml_holiday_titles(root: Element) -> dict[str, str]:
    titles: dict[str, str] = {}
    for element in root.iterfind("holidays/holiday"):
        holiday_id = element.get("id", "")
        if not holiday_id:
            raise CalendarImportError(_("A <holiday> element has no id."))
        titles[holiday_id] = element.get("title", "").strip()
    return titles


def _xml_month_day(raw: str, year: int) -> dt.date | None:
    if not _MONTH_DAY.fullmatch(raw):
        return None
    try:
        return dt.date(year, int(raw[:2]), int(raw[3:]))
    except ValueError:
        return None


def _xml_day(element: Element, year: int, titles: dict[str, str]) -> ImportedDay:
    raw_date = element.get("d", "")
    date = _xml_month_day(raw_date, year)
    if date is None:
        raise CalendarImportError(
            _("Day “%(day)s” is not a date of %(year)d in MM.DD form.")
            % {"day": raw_date, "year": year}
        )
    kind = element.get("t", "")
    if kind == "2":
        return ImportedDay(date, SHORTENED, SHORTENED_BY_MINUTES, "")
    if kind == "3":
        return ImportedDay(date, WORKING, 0, "")
    if kind != "1":
        raise CalendarImportError(
            _("Day %(day)s has an unknown type “%(type)s”; expected 1, 2 or 3.")
            % {"day": raw_date, "type": kind}
        )

    holiday_id = element.get("h")
    if holiday_id is not None:
        if holiday_id not in titles:
            raise CalendarImportError(
                _("Day %(day)s refers to holiday %(id)s, which the file does not list.")
                % {"day": raw_date, "id": holiday_id}
            )
        return ImportedDay(date, HOLIDAY, 0, titles[holiday_id])

    moved_from = element.get("f")
    if moved_from is None:
        return ImportedDay(date, DAY_OFF, 0, "")
    # The source day may lie in a neighbouring year; check it against a leap year.
    source = _xml_month_day(moved_from, 2000)
    if source is None:
        raise CalendarImportError(
            _("Day %(day)s is moved from “%(from)s”, which is not a date in MM.DD form.")
            % {"day": raw_date, "from": moved_from}
        )
    return ImportedDay(date, DAY_OFF, 0, f"перенесено с {source:%d.%m}")
