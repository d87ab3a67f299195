"""The production calendars Opora ships as data (opora/sla/data/<country>-<year>.xml).

They are the government decrees in xmlcalendar format: holidays, moved days
off, worked weekend days, and the shortened pre-holiday days that the
`holidays` package does not model.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from opora.sla.engine import DayException, ExceptionKind
from opora.sla.importers import ImportedDay, parse_xmlcalendar

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=8)
def shipped_years(country: str) -> dict[int, tuple[ImportedDay, ...]]:
    """Year → the decree's days, for every shipped file of the country."""
    years: dict[int, tuple[ImportedDay, ...]] = {}
    for path in sorted(DATA_DIR.glob(f"{country.lower()}-*.xml")):
        year, days = parse_xmlcalendar(path.read_bytes())
        years[year] = tuple(days)
    return years


def shipped_exceptions(country: str) -> tuple[tuple[dt.date, DayException], ...]:
    return tuple(
        (day.date, DayException(ExceptionKind(day.kind), day.shorter_by_minutes or 60, day.note))
        for days in shipped_years(country).values()
        for day in days
    )
