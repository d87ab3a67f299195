"""`opora sla_deadline`: when does a business-time budget run out?

Prints only the deadline (ISO 8601, in --tz). Bad input prints one line
and exits non-zero. Uses the country's calendar from the `holidays`
package plus the shortened days Opora ships for it (no database needed).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandParser

from opora.sla.engine import (
    CalendarError,
    CalendarSpec,
    WorkingTime,
    parse_hours,
    sla_deadline,
    weekdays_week,
)
from opora.sla.shipped import shipped_exceptions


class Command(BaseCommand):
    help = "Print the SLA deadline for a start and a budget of business minutes."
    requires_system_checks: list[str] = []  # noqa: RUF012 -- Django's own attribute

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--country", required=True, help="ISO code, e.g. RU")
        parser.add_argument("--tz", required=True, help="IANA time zone, e.g. Europe/Moscow")
        parser.add_argument("--hours", default="09:00-18:00", help="e.g. 09:00-13:00,14:00-18:00")
        parser.add_argument("--start", required=True, help="ISO 8601 with offset")
        parser.add_argument("--business-minutes", required=True)
        parser.add_argument("--cap-calendar-days", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            deadline = _deadline(options)
        except (CalendarError, ValueError) as error:
            self.stderr.write(f"sla_deadline: {error}")
            sys.exit(2)
        self.stdout.write(deadline.isoformat())


def _deadline(options: dict[str, Any]) -> dt.datetime:
    try:
        zone = ZoneInfo(options["tz"])
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone «{options['tz']}»") from error
    try:
        start = dt.datetime.fromisoformat(options["start"])
    except ValueError as error:
        raise ValueError(f"bad --start «{options['start']}»: expected ISO 8601") from error
    if start.tzinfo is None:
        raise ValueError("--start needs a UTC offset, e.g. 2025-12-30T17:30:00+03:00")
    minutes = _number(options["business_minutes"], "--business-minutes")
    cap = options["cap_calendar_days"]
    cap_days = None if cap is None else _number(cap, "--cap-calendar-days")
    country = options["country"].upper()
    spec = CalendarSpec(
        time_zone=options["tz"],
        week=weekdays_week(parse_hours(options["hours"])),
        country=country,
        exceptions=shipped_exceptions(country),
    )
    cap = None if cap_days is None else cap_days * 86400
    return sla_deadline(WorkingTime(spec), start, minutes * 60, cap).astimezone(zone)


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, not «{text}»") from error
    if value < 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must not be negative")
    return value
