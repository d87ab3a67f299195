"""What one ticket means to analytics: its measured times and what it adds to the rollups.

`snapshots_load` reads a batch of tickets with a fixed number of queries;
`fact_of` turns one snapshot into the fact row and its contributions. Every
definition here is the one docs/metrics.md states; the rollups, the
dashboards and the exports only ever sum what this module produces.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from opora.quality.models import CsatResponse
from opora.sla.engine import WorkingTime
from opora.sla.models import Calendar, Clock, Target
from opora.sla.services import default_calendar_id_any, working_time
from opora.tickets.models import Message, Ticket, TicketLink, TicketSettings

HOUR = 3600.0
DAY = 24 * HOUR
# Duration buckets (seconds): fine where support times live, coarse in the tail.
# Medians and p90 are read from these (docs/metrics.md «Percentiles»).
BUCKET_EDGES: tuple[float, ...] = (
    0,
    60,
    2 * 60,
    5 * 60,
    10 * 60,
    15 * 60,
    20 * 60,
    30 * 60,
    45 * 60,
    HOUR,
    1.5 * HOUR,
    2 * HOUR,
    3 * HOUR,
    4 * HOUR,
    6 * HOUR,
    8 * HOUR,
    12 * HOUR,
    16 * HOUR,
    DAY,
    1.5 * DAY,
    2 * DAY,
    3 * DAY,
    4 * DAY,
    5 * DAY,
    7 * DAY,
    10 * DAY,
    14 * DAY,
    21 * DAY,
    30 * DAY,
    45 * DAY,
    60 * DAY,
    90 * DAY,
)
# The four duration distributions kept in DurationHistogram.
FRT, FRT_BUSINESS, RESOLUTION, RESOLUTION_BUSINESS = "frt", "frt_b", "res", "res_b"
SATISFIED = 4  # CSAT 4 and 5 count as «satisfied»
# A clock met within this many seconds of the reply/resolution stopped for it (the two
# stamps come from separate `now()` calls within one transaction).
STOPPED_THERE = 60.0
MET, BREACHED = "met", "breached"

# Contribution cubes: the rollup table each contribution row goes to.
DAILY, HISTOGRAM, CATEGORY = "d", "h", "c"


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration: i means BUCKET_EDGES[i] <= seconds < the next edge."""
    return max(0, bisect.bisect_right(BUCKET_EDGES, max(seconds, 0.0)) - 1)


@dataclass
class ClockFacts:
    state: str
    minutes: int
    cap_days: int | None
    consumed: float
    consumed_calendar: float
    met_at: dt.datetime | None
    breached_at: dt.datetime | None

    def late(self) -> bool:
        """Over budget (or over the calendar cap) when it was met."""
        over_cap = self.cap_days is not None and self.consumed_calendar > self.cap_days * DAY
        return self.consumed > self.minutes * 60 or over_cap

    def outcome(self) -> tuple[str, dt.datetime | None]:
        """«met» or «breached» with the moment it was decided, or "" while undecided.

        A clock met late before the breach job noticed is a breach all the same.
        """
        if self.breached_at is not None:
            return BREACHED, self.breached_at
        if self.state == Clock.State.MET:
            return (BREACHED if self.late() else MET), self.met_at
        return "", None


@dataclass
class TicketSnapshot:
    """Everything about one ticket that analytics reads, loaded in bulk."""

    ticket: dict[str, Any]
    clocks: dict[str, ClockFacts] = field(default_factory=dict)
    # (author id, local day) → public replies written that day.
    replies: dict[tuple[int, dt.date], int] = field(default_factory=dict)
    csat: tuple[int, dt.datetime] | None = None
    repeat_contact: bool = False
    working_time: WorkingTime | None = None


TICKET_FIELDS = (
    "id",
    "number",
    "created_at",
    "team_id",
    "type_id",
    "channel",
    "category_id",
    "client_id",
    "assignee_id",
    "status",
    "first_responded_at",
    "resolved_at",
    "reopened_count",
    "is_repeat",
    "is_escalated",
    "is_spam",
    "merged_into_id",
)


def snapshots_load(ticket_ids: Iterable[int]) -> dict[int, TicketSnapshot]:
    """Snapshots of the tickets that exist among `ticket_ids`: a fixed number of queries
    for any batch (one calendar compiled per calendar, not per ticket)."""
    ids = list(ticket_ids)
    snapshots = {
        row["id"]: TicketSnapshot(ticket=row)
        for row in Ticket.objects.filter(pk__in=ids).values(*TICKET_FIELDS)
    }
    if not snapshots:
        return snapshots
    ids = list(snapshots)
    clocks = Clock.objects.filter(
        ticket_id__in=ids, kind__in=[Target.Kind.FIRST_RESPONSE, Target.Kind.RESOLUTION]
    ).values_list(
        "ticket_id",
        "kind",
        "state",
        "minutes",
        "cap_days",
        "consumed",
        "consumed_calendar",
        "met_at",
        "breached_at",
    )
    for ticket_id, kind, state, minutes, cap, consumed, calendar, met, breached in clocks:
        snapshots[ticket_id].clocks[kind] = ClockFacts(
            state, minutes, cap, consumed, calendar, met, breached
        )
    replies = (
        Message.objects.filter(ticket_id__in=ids, kind=Message.Kind.REPLY)
        .annotate(day=TruncDate("created_at", tzinfo=company_zone()))
        .values("ticket_id", "author_id", "day")
        .annotate(n=Count("id"))
    )
    for row in replies:
        snapshots[row["ticket_id"]].replies[(row["author_id"] or 0, row["day"])] = row["n"]
    for ticket_id, score, answered_at in CsatResponse.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "score", "created_at"
    ):
        snapshots[ticket_id].csat = (score, answered_at)
    window = dt.timedelta(days=TicketSettings.load().repeat_window_days)
    for target_id, kind, written_at in TicketLink.objects.filter(
        target_id__in=ids, kind__in=[TicketLink.Kind.REPEAT, TicketLink.Kind.FOLLOW_UP]
    ).values_list("target_id", "kind", "source__created_at"):
        snapshot = snapshots[target_id]
        resolved_at = snapshot.ticket["resolved_at"]
        # A follow-up months later is a new question, not a failed first answer.
        if kind == TicketLink.Kind.REPEAT or (
            resolved_at is not None and written_at <= resolved_at + window
        ):
            snapshot.repeat_contact = True
    _attach_working_time(snapshots.values())
    return snapshots


def _attach_working_time(snapshots: Iterable[TicketSnapshot]) -> None:
    """The calendar for business time where no SLA clock measured it: the queue's, or the default."""
    team_calendar: dict[int, int] = {}
    # The first calendar by name, as opora.sla.services.default_calendar_id chooses.
    for team_id, calendar_id in Calendar.teams.through.objects.order_by(
        "calendar__name"
    ).values_list("team_id", "calendar_id"):
        team_calendar.setdefault(team_id, calendar_id)
    default_id = default_calendar_id_any()
    compiled: dict[int | None, WorkingTime] = {}
    for snapshot in snapshots:
        chosen = team_calendar.get(snapshot.ticket["team_id"], default_id)
        if chosen not in compiled:
            compiled[chosen] = working_time(chosen)
        snapshot.working_time = compiled[chosen]


def company_zone() -> ZoneInfo:
    """The department's time zone: its days are the analytics days, whoever is looking."""
    return ZoneInfo(settings.TIME_ZONE)


def company_today() -> dt.date:
    return timezone.localdate(timezone=company_zone())


def company_day(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment, company_zone())


def _day(moment: dt.datetime) -> str:
    return company_day(moment).isoformat()


def fact_of(snapshot: TicketSnapshot) -> dict[str, Any]:
    """The fact row of one ticket: measured values and `contributions` to the rollups."""
    t = snapshot.ticket
    created_at: dt.datetime = t["created_at"]
    fact: dict[str, Any] = {
        "number": t["number"],
        "created_at": created_at,
        "created_day": company_day(created_at),
        "team_id": t["team_id"],
        "type_id": t["type_id"],
        "channel": t["channel"],
        "category_id": t["category_id"],
        "client_id": t["client_id"],
        "operator_id": t["assignee_id"],
        "status": t["status"],
        "first_response_at": t["first_responded_at"],
        "resolved_at": t["resolved_at"],
        "reopened": t["reopened_count"],
        "is_repeat": t["is_repeat"],
        "is_escalated": t["is_escalated"],
        "replies": sum(snapshot.replies.values()),
        "frt_seconds": None,
        "frt_business_seconds": None,
        "resolution_seconds": None,
        "resolution_business_seconds": None,
        "sla_first_response": "",
        "sla_resolution": "",
        "fcr": None,
        "csat": snapshot.csat[0] if snapshot.csat else None,
        "contributions": [],
    }
    # Spam and tickets merged into another are not support work: they count nowhere.
    if t["is_spam"] or t["merged_into_id"] is not None:
        return fact
    team, kind, channel, operator = (
        t["team_id"] or 0,
        t["type_id"] or 0,
        t["channel"],
        t["assignee_id"] or 0,
    )
    rows: list[list[Any]] = []

    def add(day: str, measure: str, value: float, who: int = operator) -> None:
        rows.append([DAILY, day, team, kind, channel, who, measure, value])

    def histogram(day: str, measure: str, seconds: float) -> None:
        rows.append([HISTOGRAM, day, team, kind, channel, measure, bucket_of(seconds), 1])

    created = _day(created_at)
    add(created, "created", 1)
    rows.append([CATEGORY, created, t["category_id"] or 0, team, kind, channel, "created", 1])
    if t["is_repeat"]:
        add(created, "repeat", 1)
    if t["is_escalated"]:
        add(created, "escalated", 1)

    clocks = snapshot.clocks
    hours = snapshot.working_time
    responded_at: dt.datetime | None = t["first_responded_at"]
    if responded_at is not None:
        seconds = max((responded_at - created_at).total_seconds(), 0.0)
        business = _business(
            clocks.get(Target.Kind.FIRST_RESPONSE), hours, created_at, responded_at
        )
        fact["frt_seconds"], fact["frt_business_seconds"] = seconds, business
        day = _day(responded_at)
        add(day, "first_responses", 1)
        add(day, "frt_sum", seconds)
        add(day, "frt_business_sum", business)
        histogram(day, FRT, seconds)
        histogram(day, FRT_BUSINESS, business)

    resolved_at: dt.datetime | None = t["resolved_at"]
    if resolved_at is not None and t["status"] in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        seconds = max((resolved_at - created_at).total_seconds(), 0.0)
        business = _business(clocks.get(Target.Kind.RESOLUTION), hours, created_at, resolved_at)
        fact["resolution_seconds"], fact["resolution_business_seconds"] = seconds, business
        day = _day(resolved_at)
        add(day, "resolved", 1)
        add(day, "resolution_sum", seconds)
        add(day, "resolution_business_sum", business)
        histogram(day, RESOLUTION, seconds)
        histogram(day, RESOLUTION_BUSINESS, business)
        if t["reopened_count"]:
            add(day, "reopened", 1)
        fcr = fact["replies"] == 1 and not t["reopened_count"] and not snapshot.repeat_contact
        fact["fcr"] = fcr
        if fcr:
            add(day, "fcr", 1)

    for clock_kind, prefix, column in (
        (Target.Kind.FIRST_RESPONSE, "sla_frt", "sla_first_response"),
        (Target.Kind.RESOLUTION, "sla_resolution", "sla_resolution"),
    ):
        clock = clocks.get(clock_kind)
        if clock is None or clock.state == Clock.State.CANCELLED:
            continue
        outcome, decided_at = clock.outcome()
        if not outcome or decided_at is None:
            continue
        fact[column] = outcome
        add(_day(decided_at), f"{prefix}_total", 1)
        if outcome == MET:
            add(_day(decided_at), f"{prefix}_met", 1)

    for (author, written), count in snapshot.replies.items():
        add(written.isoformat(), "replies", count, who=author)

    if snapshot.csat is not None:
        score, answered_at = snapshot.csat
        day = _day(answered_at)
        add(day, "csat_count", 1)
        add(day, "csat_sum", score)
        if score >= SATISFIED:
            add(day, "csat_satisfied", 1)
    fact["contributions"] = rows
    return fact


def _business(
    clock: ClockFacts | None,
    hours: WorkingTime | None,
    start: dt.datetime,
    end: dt.datetime,
) -> float:
    """Business seconds from start to end: the SLA clock's own count (pauses excluded) when it
    stopped there, else the calendar's working time between the two."""
    if (
        clock is not None
        and clock.state == Clock.State.MET
        and clock.met_at is not None
        and abs((clock.met_at - end).total_seconds()) < STOPPED_THERE
    ):
        return clock.consumed
    if hours is None:
        return max((end - start).total_seconds(), 0.0)
    return hours.business_seconds(start, end)


def contributions_sum(rows: Iterable[list[Any]]) -> dict[tuple[Any, ...], float]:
    """Contribution rows summed by everything but the value: the form deltas are taken in."""
    totals: dict[tuple[Any, ...], float] = defaultdict(float)
    for row in rows:
        totals[tuple(row[:-1])] += row[-1]
    return totals
