"""Working time: deadlines and business time on a production calendar.

ORM-free. A calendar is weekly wall-clock hours in a time zone, a country's
holidays and worked weekend days (the `holidays` package), and dated
exceptions on top (shortened pre-holiday days, regional holidays, company
days off). `WorkingTime` turns a calendar into a sorted list of working
intervals in epoch seconds, a year at a time and only when asked, with the
running total of working seconds at the end of each interval. Then:

- the business time before an instant is one bisection plus a subtraction;
- a deadline is one bisection into the running totals.

No day-by-day or minute-by-minute loops, so a deadline costs microseconds
(bench/bench_sla.py) whatever the budget.

Conventions, relied on by tests and by the CLI:

- a start outside working hours counts from the next working moment;
- a budget that runs out exactly at the end of an interval ends there
  (18:00), not at the start of the next one;
- a shortened day loses its minutes from the end of the day's last
  interval(s);
- a worked weekend day uses the hours of the first weekday that has any;
- a zero budget gives the first working moment at or after the start.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# Minutes since local midnight; an interval ends at most at 24:00 (1440).
Interval = tuple[int, int]
Week = tuple[tuple[Interval, ...], ...]  # seven entries, Monday first

MINUTES_PER_DAY = 24 * 60
# A calendar whose weeks hold no working time would make deadlines run forever.
MAX_YEARS_AHEAD = 30


class CalendarError(ValueError):
    """The calendar cannot be used (unknown country, no working hours, bad interval)."""


class DayKind(enum.StrEnum):
    """What a date is on a calendar, after the country baseline and exceptions."""

    WORKING = "working"  # an ordinary working day
    SHORTENED = "shortened"  # a working day ending early
    WORKING_WEEKEND = "working_weekend"  # a weekend day worked by decree
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a public holiday
    DAY_OFF = "day_off"  # a transferred or company day off


class ExceptionKind(enum.StrEnum):
    """Kinds of dated exception a calendar may store (mirrors the model's choices)."""

    HOLIDAY = "holiday"
    DAY_OFF = "day_off"
    WORKING = "working"
    SHORTENED = "shortened"


@dataclass(frozen=True)
class DayException:
    kind: ExceptionKind
    shorter_by_minutes: int = 60
    note: str = ""


@dataclass(frozen=True)
class CalendarSpec:
    """Everything that defines a calendar's working time; hashable, so compiled once."""

    time_zone: str
    week: Week
    country: str = ""
    exceptions: tuple[tuple[dt.date, DayException], ...] = ()
    always_open: bool = False

    @classmethod
    def round_the_clock(cls) -> CalendarSpec:
        return cls(time_zone="UTC", week=(((0, MINUTES_PER_DAY),),) * 7, always_open=True)


@dataclass(frozen=True)
class Segment:
    """One stretch of the ledger: counted working time, or why time did not count."""

    kind: str  # "working", "outside_hours", "weekend", "holiday", "day_off"
    start: float
    end: float
    note: str = ""

    @property
    def seconds(self) -> float:
        return self.end - self.start


def parse_hours(text: str) -> tuple[Interval, ...]:
    """«09:00-13:00, 14:00-18:00» → ((540, 780), (840, 1080)); raises CalendarError."""
    intervals: list[Interval] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            start_text, end_text = (p.strip() for p in part.split("-"))
            interval = (_minute_of(start_text), _minute_of(end_text))
        except ValueError as error:
            raise CalendarError(f"bad working hours «{part}»: expected HH:MM-HH:MM") from error
        intervals.append(interval)
    return check_intervals(intervals)


def check_intervals(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    ordered = sorted(intervals)
    for start, end in ordered:
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise CalendarError("a working interval must start before it ends, within one day")
    for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
        if start < end:
            raise CalendarError("working intervals overlap")
    return tuple(ordered)


def _minute_of(text: str) -> int:
    hours, minutes = text.split(":")
    if len(minutes) != 2 or not hours.isdigit() or not minutes.isdigit():
        raise ValueError(text)
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_PER_DAY:
        raise ValueError(text)
    return value


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@lru_cache(maxsize=256)
def country_baseline(country: str, year: int, language: str = "") -> Mapping[dt.date, DayException]:
    """The `holidays` package's view of a year: holidays, transferred days off, worked weekends.

    Shortened days are not in the package; they come from stored exceptions.
    Holiday names are in `language` where the package has it ("ru", "en_US").
    """
    try:
        days = holidays.country_holidays(country, years=year, language=language or None)
    except NotImplementedError as error:
        raise CalendarError(f"unknown country «{country}»") from error
    baseline: dict[dt.date, DayException] = {
        date: DayException(ExceptionKind.HOLIDAY, note=str(name)) for date, name in days.items()
    }
    for date in days.weekend_workdays:
        baseline[date] = DayException(ExceptionKind.WORKING)
    return baseline


def known_country(country: str) -> bool:
    return country.upper() in holidays.list_supported_countries()


@dataclass
class WorkingTime:
    """A compiled calendar: answers deadline and elapsed-business-time questions.

    Instants are epoch seconds (floats) in the hot methods; `deadline()` and
    `business_seconds()` wrap them for datetimes.
    """

    spec: CalendarSpec
    _zone: ZoneInfo = field(init=False)
    _exceptions: dict[dt.date, DayException] = field(init=False)
    _starts: list[float] = field(init=False, default_factory=list)
    _ends: list[float] = field(init=False, default_factory=list)
    _totals: list[float] = field(init=False, default_factory=list)  # working seconds up to each end
    _first_year: int = field(init=False, default=0)
    _last_year: int = field(init=False, default=0)
    _covered_from: float = field(init=False, default=0.0)  # Jan 1 of _first_year
    _covered_until: float = field(init=False, default=0.0)  # Jan 1 after _last_year

    def __post_init__(self) -> None:
        self._exceptions = dict(self.spec.exceptions)
        if self.spec.always_open:
            self._zone = ZoneInfo("UTC")
            return
        try:
            self._zone = ZoneInfo(self.spec.time_zone)
        except (KeyError, ValueError) as error:
            raise CalendarError(f"unknown time zone «{self.spec.time_zone}»") from error
        if len(self.spec.week) != 7:
            raise CalendarError("a week has seven days")
        for day in self.spec.week:
            check_intervals(day)
        if not any(self.spec.week):
            raise CalendarError("the calendar has no working hours")
        if self.spec.country and not known_country(self.spec.country):
            raise CalendarError(f"unknown country «{self.spec.country}»")

    # --- What a date is ---------------------------------------------------

    def day(self, date: dt.date, language: str = "") -> tuple[DayKind, str]:
        """The kind of a date and the note explaining it (a holiday's name, a decree)."""
        if self.spec.always_open:
            return DayKind.WORKING, ""
        exception = self._exceptions.get(date)
        if exception is None and self.spec.country:
            exception = country_baseline(self.spec.country, date.year, language).get(date)
        has_hours = bool(self.spec.week[date.weekday()])
        if exception is None:
            return (DayKind.WORKING if has_hours else DayKind.WEEKEND), ""
        kind = exception.kind
        if kind == ExceptionKind.HOLIDAY:
            return DayKind.HOLIDAY, exception.note
        if kind == ExceptionKind.DAY_OFF:
            return DayKind.DAY_OFF, exception.note
        if kind == ExceptionKind.SHORTENED:
            return DayKind.SHORTENED, exception.note
        return (DayKind.WORKING if has_hours else DayKind.WORKING_WEEKEND), exception.note

    def hours_of(self, date: dt.date) -> tuple[Interval, ...]:
        """The working intervals of a date, after holidays and shortening."""
        if self.spec.always_open:
            return ((0, MINUTES_PER_DAY),)
        kind, _ = self.day(date)
        if kind in (DayKind.HOLIDAY, DayKind.DAY_OFF, DayKind.WEEKEND):
            return ()
        hours = self.spec.week[date.weekday()] or next(d for d in self.spec.week if d)
        if kind == DayKind.SHORTENED:
            exception = self._exceptions.get(date)
            cut = exception.shorter_by_minutes if exception else 60
            hours = _cut_from_end(hours, cut)
        return hours

    # --- Compiling intervals, a year at a time ------------------------------

    def _wall(self, date: dt.date, minute: int) -> float:
        if minute == MINUTES_PER_DAY:
            date, minute = date + dt.timedelta(days=1), 0
        local = dt.datetime(
            date.year, date.month, date.day, minute // 60, minute % 60, tzinfo=self._zone
        )
        return local.timestamp()

    def _year_intervals(self, year: int) -> Iterator[tuple[float, float]]:
        date = dt.date(year, 1, 1)
        one_day = dt.timedelta(days=1)
        while date.year == year:
            for start, end in self.hours_of(date):
                yield self._wall(date, start), self._wall(date, end)
            date += one_day

    def _cover(self, first_year: int, last_year: int) -> None:
        """Make the compiled intervals span at least these years (they stay contiguous)."""
        covered = bool(self._covered_until)
        if covered and self._first_year <= first_year and last_year <= self._last_year:
            return
        if covered:
            first_year = min(first_year, self._first_year)
            last_year = max(last_year, self._last_year)
        if covered and first_year == self._first_year:
            years = range(self._last_year + 1, last_year + 1)  # append only
        else:
            self._starts, self._ends, self._totals = [], [], []
            years = range(first_year, last_year + 1)
        total = self._totals[-1] if self._totals else 0.0
        for year in years:
            for start, end in self._year_intervals(year):
                total += end - start
                self._starts.append(start)
                self._ends.append(end)
                self._totals.append(total)
        self._first_year, self._last_year = first_year, last_year
        self._covered_from = self._wall(dt.date(first_year, 1, 1), 0)
        self._covered_until = self._wall(dt.date(last_year + 1, 1, 1), 0)

    def _year_of(self, instant: float) -> int:
        return dt.datetime.fromtimestamp(instant, self._zone).year

    def _cover_instant(self, instant: float) -> None:
        if not self._covered_until:
            year = self._year_of(instant)
            self._cover(year - 1, year + 1)
            return
        # Cheap bounds check first: only a real miss pays for a year lookup.
        if self._covered_from <= instant < self._covered_until:
            return
        year = self._year_of(instant)
        self._cover(min(year, self._first_year), max(year, self._last_year) + 1)

    # --- The two questions --------------------------------------------------

    def position(self, instant: float) -> float:
        """Working seconds from the start of the compiled range up to `instant`."""
        self._cover_instant(instant)
        i = bisect_right(self._starts, instant) - 1
        if i < 0:
            return 0.0
        start, end = self._starts[i], self._ends[i]
        return self._totals[i] - (end - start) + min(instant - start, end - start)

    def is_working(self, instant: float) -> bool:
        """Whether `instant` falls inside working hours."""
        if self.spec.always_open:
            return True
        self._cover_instant(instant)
        i = bisect_right(self._starts, instant) - 1
        return i >= 0 and instant < self._ends[i]

    def add(self, start: float, seconds: float) -> float:
        """The instant when `seconds` of working time have passed since `start`."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("a budget must be a finite number of seconds, not negative")
        if self.spec.always_open:
            return start + seconds
        self._cover_instant(start)
        i = bisect_right(self._ends, start)
        grown = 0
        while i >= len(self._ends):
            grown = self._grow(grown)
        first_start = self._starts[i]
        begin_total = self._totals[i] - (self._ends[i] - first_start)
        target = begin_total + max(start - first_start, 0.0) + seconds
        while self._totals[-1] < target:
            grown = self._grow(grown)
        j = bisect_left(self._totals, target, lo=i)
        return self._ends[j] - (self._totals[j] - target)

    def business_between(self, start: float, end: float) -> float:
        """Working seconds in [start, end] (zero if end is not after start)."""
        if end <= start:
            return 0.0
        if self.spec.always_open:
            return end - start
        self._cover_instant(start)
        self._cover_instant(end)
        return self.position(end) - self.position(start)

    def _grow(self, grown: int) -> int:
        """Compile one more year; a search that needs over MAX_YEARS_AHEAD of them gives up."""
        if grown >= MAX_YEARS_AHEAD:
            raise CalendarError("no working time within 30 years of the start")
        self._cover(self._first_year, self._last_year + 1)
        return grown + 1

    # --- datetime wrappers ------------------------------------------------------

    def deadline(self, start: dt.datetime, seconds: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.add(start.timestamp(), seconds), start.tzinfo)

    def business_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.business_between(start.timestamp(), end.timestamp())

    # --- The ledger -------------------------------------------------------------

    def explain(self, start: float, end: float, language: str = "") -> list[Segment]:
        """Split [start, end] into counted working time and the reasons the rest did not count."""
        if end <= start:
            return []
        if self.spec.always_open:
            return [Segment("working", start, end)]
        self._cover_instant(start)
        self._cover_instant(end)
        segments: list[Segment] = []
        cursor = start
        i = bisect_right(self._ends, start)
        while cursor < end:
            if i < len(self._starts) and self._starts[i] < end:
                next_start, next_end = self._starts[i], self._ends[i]
            else:
                next_start, next_end = end, end
            if cursor < next_start:
                self._explain_gap(segments, cursor, min(next_start, end), language)
                cursor = min(next_start, end)
            if cursor < end and next_start < next_end:
                stop = min(next_end, end)
                _append(segments, Segment("working", max(cursor, next_start), stop))
                cursor = stop
            i += 1
        return segments

    def _explain_gap(
        self, segments: list[Segment], start: float, end: float, language: str
    ) -> None:
        """Non-working time, cut at local midnights and labelled by what each day is."""
        cursor = start
        while cursor < end:
            local = dt.datetime.fromtimestamp(cursor, self._zone)
            midnight = self._wall(local.date(), MINUTES_PER_DAY)
            stop = min(midnight, end)
            kind, note = self.day(local.date(), language)
            label = GAP_LABELS.get(kind, "outside_hours")
            _append(
                segments, Segment(label, cursor, stop, note if label != "outside_hours" else "")
            )
            cursor = stop


# How non-working time on a day of this kind reads in the ledger.
GAP_LABELS = {DayKind.HOLIDAY: "holiday", DayKind.DAY_OFF: "day_off", DayKind.WEEKEND: "weekend"}


def _append(segments: list[Segment], segment: Segment) -> None:
    last = segments[-1] if segments else None
    if (
        last
        and last.kind == segment.kind
        and last.note == segment.note
        and last.end == segment.start
    ):
        segments[-1] = Segment(last.kind, last.start, segment.end, last.note)
    else:
        segments.append(segment)


def _cut_from_end(hours: tuple[Interval, ...], minutes: int) -> tuple[Interval, ...]:
    kept = list(hours)
    while minutes > 0 and kept:
        start, end = kept.pop()
        if end - start > minutes:
            kept.append((start, end - minutes))
            break
        minutes -= end - start
    return tuple(kept)


@lru_cache(maxsize=64)
def compile_calendar(spec: CalendarSpec) -> WorkingTime:
    """One compiled WorkingTime per distinct calendar definition, per process."""
    return WorkingTime(spec)


def weekdays_week(hours: tuple[Interval, ...]) -> Week:
    """Monday to Friday on the same hours, weekends off."""
    return (hours,) * 5 + ((), ())


def sla_deadline(
    calendar: WorkingTime, start: dt.datetime, budget_seconds: float, cap_seconds: float | None
) -> dt.datetime:
    """The earlier of the business-time deadline and the calendar-time cap."""
    try:
        due = calendar.add(start.timestamp(), budget_seconds)
    except CalendarError:
        if cap_seconds is None:
            raise
        due = math.inf  # the cap comes first whatever lies beyond the horizon
    if cap_seconds is not None:
        due = min(due, start.timestamp() + cap_seconds)
    return dt.datetime.fromtimestamp(due, start.tzinfo)
