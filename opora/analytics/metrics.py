"""The metrics layer: every number a dashboard, report, export or the API shows comes from here.

Definitions are in docs/metrics.md; each function below names the section it
implements. Numbers are sums over the rollups (`DailyStat`,
`DurationHistogram`, `CategoryStat`). A filter the rollups do not carry (a
client; an operator, for distributions and reasons) is answered from the
tickets' facts instead — from the very contributions the rollups were summed
from, so both paths give the same number.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from opora.analytics.facts import (
    BUCKET_EDGES,
    CATEGORY,
    DAILY,
    FRT,
    FRT_BUSINESS,
    HISTOGRAM,
    RESOLUTION,
    RESOLUTION_BUSINESS,
    company_today,
)
from opora.analytics.models import CategoryStat, DailyStat, DurationHistogram, TicketFact
from opora.tickets.models import Ticket

DAILY_MEASURES: tuple[str, ...] = (
    "created",
    "repeat",
    "escalated",
    "first_responses",
    "frt_sum",
    "frt_business_sum",
    "resolved",
    "resolution_sum",
    "resolution_business_sum",
    "reopened",
    "fcr",
    "sla_frt_total",
    "sla_frt_met",
    "sla_resolution_total",
    "sla_resolution_met",
    "replies",
    "csat_count",
    "csat_sum",
    "csat_satisfied",
)
DURATIONS = (FRT, FRT_BUSINESS, RESOLUTION, RESOLUTION_BUSINESS)


@dataclass(frozen=True)
class Filters:
    """Which tickets a metric covers: a period (inclusive local days) and any dimensions."""

    start: dt.date
    end: dt.date
    team_ids: tuple[int, ...] = ()
    type_ids: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    operator_ids: tuple[int, ...] = ()
    client_ids: tuple[int, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The same filters over the period of equal length just before this one."""
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

    def quarters(self) -> tuple[Filters, Filters]:
        """The quarter holding the period's end (up to that day) and the whole quarter before."""
        start = dt.date(self.end.year, 3 * ((self.end.month - 1) // 3) + 1, 1)
        before_end = start - dt.timedelta(days=1)
        before_start = dt.date(before_end.year, before_end.month - 2, 1)
        return (
            replace(self, start=start, end=self.end),
            replace(self, start=before_start, end=before_end),
        )

    def dimensions(self) -> dict[str, tuple[Any, ...]]:
        return {
            "team_id": self.team_ids,
            "type_id": self.type_ids,
            "channel": self.channels,
            "operator_id": self.operator_ids,
        }


def last_days(days: int, *, today: dt.date | None = None, **dimensions: Any) -> Filters:
    """The `days` full days up to yesterday, with optional dimension filters."""
    end = (today or company_today()) - dt.timedelta(days=1)
    return Filters(start=end - dt.timedelta(days=days - 1), end=end, **dimensions)


# --- Sums: the rollups, or the facts when a filter needs them ---------------------------


def _rollup_filter(filters: Filters, *, with_operator: bool = True) -> Q:
    q = Q(day__gte=filters.start, day__lte=filters.end)
    for name, values in filters.dimensions().items():
        if values and (with_operator or name != "operator_id"):
            q &= Q(**{f"{name}__in": values})
    return q


def _facts_rows(filters: Filters, cube: str) -> Iterable[list[Any]]:
    """The contributions of the filtered tickets to one cube, within the period."""
    facts = TicketFact.objects.all()
    if filters.client_ids:
        facts = facts.filter(client_id__in=filters.client_ids)
    if filters.operator_ids and cube != DAILY:
        # Durations and reasons belong to the ticket's operator; daily rows name their own
        # (a reply counts for its author, whoever the ticket is assigned to).
        facts = facts.filter(operator_id__in=filters.operator_ids)
    start, end = filters.start.isoformat(), filters.end.isoformat()
    # Day-level attribution may differ from the creation day, but never precedes it.
    facts = facts.filter(created_day__lte=filters.end)
    dims = filters.dimensions()
    for contributions in facts.values_list("contributions", flat=True).iterator(chunk_size=2000):
        for row in contributions:
            if row[0] != cube or not start <= row[1] <= end:
                continue
            if cube == DAILY:
                _, _day, team, kind, channel, operator, _measure, _value = row
                if dims["operator_id"] and operator not in dims["operator_id"]:
                    continue
            elif cube == HISTOGRAM:
                _, _day, team, kind, channel = row[:5]
            else:
                _, _day, _category, team, kind, channel = row[:6]
            if (
                (dims["team_id"] and team not in dims["team_id"])
                or (dims["type_id"] and kind not in dims["type_id"])
                or (dims["channel"] and channel not in dims["channel"])
            ):
                continue
            yield row


DAILY_KEYS = ("day", "team_id", "type_id", "channel", "operator_id")


def daily_sums(filters: Filters, group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """DAILY_MEASURES summed over the filter, one dict per group (one in all if no group)."""
    if filters.client_ids:
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in _facts_rows(filters, DAILY):
            key_values = dict(zip(DAILY_KEYS, row[1:6], strict=True))
            key_values["day"] = dt.date.fromisoformat(key_values["day"])
            group = tuple(key_values[g] for g in group_by)
            sums = groups.setdefault(group, {**dict(zip(group_by, group, strict=True))})
            sums[row[6]] = sums.get(row[6], 0) + row[7]
        result = list(groups.values())
        for sums in result:
            for name in DAILY_MEASURES:
                sums.setdefault(name, 0)
        return result or ([] if group_by else [dict.fromkeys(DAILY_MEASURES, 0)])
    rows = DailyStat.objects.filter(_rollup_filter(filters))
    annotations = {name: Sum(name) for name in DAILY_MEASURES}
    if group_by:
        return [
            {**row, **{n: row[n] or 0 for n in DAILY_MEASURES}}
            for row in rows.values(*group_by).annotate(**annotations).order_by(*group_by)
        ]
    totals = rows.aggregate(**annotations)
    return [{name: totals[name] or 0 for name in DAILY_MEASURES}]


def histograms(filters: Filters, measures: Sequence[str] = DURATIONS) -> dict[str, dict[int, int]]:
    """How many durations of each measure fell in each bucket (docs/metrics.md «Percentiles»),
    all measures in one query."""
    counts: dict[str, dict[int, int]] = {measure: defaultdict(int) for measure in measures}
    if filters.client_ids or filters.operator_ids:
        for row in _facts_rows(filters, HISTOGRAM):
            if row[5] in counts:
                counts[row[5]][row[6]] += row[7]
    else:
        rows = (
            DurationHistogram.objects.filter(_rollup_filter(filters, with_operator=False))
            .filter(measure__in=measures)
            .values_list("measure", "bucket")
            .annotate(n=Sum("count"))
        )
        for measure, bucket, n in rows:
            if n:
                counts[measure][bucket] += n
    return {measure: dict(buckets) for measure, buckets in counts.items()}


def histogram(filters: Filters, measure: str) -> dict[int, int]:
    return histograms(filters, (measure,))[measure]


def percentile(counts: dict[int, int], q: float) -> float | None:
    """The q-quantile (0..1) of a histogram, interpolated linearly inside its bucket."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = q * total
    seen = 0.0
    for bucket in sorted(counts):
        n = counts[bucket]
        if seen + n >= rank:
            low = BUCKET_EDGES[bucket]
            if bucket + 1 >= len(BUCKET_EDGES):
                return low
            high = BUCKET_EDGES[bucket + 1]
            return low + (high - low) * ((rank - seen) / n)
        seen += n
    return BUCKET_EDGES[max(counts)]


def category_counts(
    filters: Filters, group_by: Sequence[str] = ("category_id",)
) -> list[dict[str, Any]]:
    """Tickets created per category (and whatever else `group_by` names)."""
    if filters.client_ids or filters.operator_ids:
        groups: dict[tuple[Any, ...], int] = defaultdict(int)
        keys = ("day", "category_id", "team_id", "type_id", "channel")
        for row in _facts_rows(filters, CATEGORY):
            values = dict(zip(keys, row[1:6], strict=True))
            values["day"] = dt.date.fromisoformat(values["day"])
            groups[tuple(values[g] for g in group_by)] += row[7]
        return [
            {**dict(zip(group_by, group, strict=True)), "created": n}
            for group, n in sorted(groups.items(), key=lambda item: str(item[0]))
        ]
    return list(
        CategoryStat.objects.filter(_rollup_filter(filters, with_operator=False))
        .values(*group_by)
        .annotate(created=Sum("created"))
        .order_by(*group_by)
    )


# --- Derived numbers (docs/metrics.md, one function per definition) ---------------------


def relative_change(current: float | None, previous: float | None) -> float | None:
    """How much `current` moved against `previous`, in percent of `previous`."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous * 100


def ratio(part: float, whole: float, scale: float = 100.0) -> float | None:
    return None if not whole else part * scale / whole


def mean(total: float, count: float) -> float | None:
    return None if not count else total / count


@dataclass
class Summary:
    """The headline numbers of a period: what came in, what was done, how long, what result."""

    sums: dict[str, Any]
    durations: dict[str, dict[str, float | None]] = field(default_factory=dict)
    histograms: dict[str, dict[int, int]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values()[name]

    def values(self) -> dict[str, Any]:
        s = self.sums
        sla_total = s["sla_frt_total"] + s["sla_resolution_total"]
        return {
            "created": s["created"],
            "resolved": s["resolved"],
            "first_responses": s["first_responses"],
            "replies": s["replies"],
            "frt_mean_business": mean(s["frt_business_sum"], s["first_responses"]),
            "resolution_mean_business": mean(s["resolution_business_sum"], s["resolved"]),
            "frt_median_business": self.durations[FRT_BUSINESS]["median"],
            "frt_p90_business": self.durations[FRT_BUSINESS]["p90"],
            "frt_median": self.durations[FRT]["median"],
            "frt_p90": self.durations[FRT]["p90"],
            "resolution_median_business": self.durations[RESOLUTION_BUSINESS]["median"],
            "resolution_p90_business": self.durations[RESOLUTION_BUSINESS]["p90"],
            "resolution_median": self.durations[RESOLUTION]["median"],
            "resolution_p90": self.durations[RESOLUTION]["p90"],
            "sla_percent": ratio(s["sla_frt_met"] + s["sla_resolution_met"], sla_total),
            "sla_frt_percent": ratio(s["sla_frt_met"], s["sla_frt_total"]),
            "sla_resolution_percent": ratio(s["sla_resolution_met"], s["sla_resolution_total"]),
            "sla_breaches": sla_total - s["sla_frt_met"] - s["sla_resolution_met"],
            "reopen_rate": ratio(s["reopened"], s["resolved"]),
            "repeat_rate": ratio(s["repeat"], s["created"]),
            "fcr_rate": ratio(s["fcr"], s["resolved"]),
            "escalation_rate": ratio(s["escalated"], s["created"]),
            "escalated": s["escalated"],
            "csat_average": mean(s["csat_sum"], s["csat_count"]),
            "csat_count": s["csat_count"],
            "csat_satisfied_percent": ratio(s["csat_satisfied"], s["csat_count"]),
            "replies_per_resolved": mean(s["replies"], s["resolved"]),
        }


def summary(
    filters: Filters,
    durations: Sequence[str] = DURATIONS,
    *,
    sums: dict[str, Any] | None = None,
) -> Summary:
    """Every headline metric of the period (docs/metrics.md §§ 1–11).

    Medians and p90 are read for the `durations` asked for (a dashboard that shows
    none passes ()); the others are None. `sums`: the period's daily sums when the
    caller already has them (from a trend over the same filters).
    """
    result = Summary(
        sums=sums if sums is not None else daily_sums(filters)[0],
        histograms=histograms(filters, durations) if durations else {},
    )
    for measure in DURATIONS:
        counts = result.histograms.get(measure, {})
        result.durations[measure] = {
            "median": percentile(counts, 0.5),
            "p90": percentile(counts, 0.9),
        }
    return result


def grain_for(filters: Filters) -> str:
    """Trend resolution: days for up to two months, weeks up to a year, months beyond."""
    if filters.days <= 62:
        return "day"
    if filters.days <= 366:
        return "week"
    return "month"


def period_start(day: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def periods(filters: Filters, grain: str) -> list[dt.date]:
    """The starts of the trend's periods covering the filter's days, in order."""
    starts: list[dt.date] = []
    day = filters.start
    while day <= filters.end:
        start = period_start(day, grain)
        if not starts or starts[-1] != start:
            starts.append(start)
        day += dt.timedelta(days=1)
    return starts


def trend(
    filters: Filters, group_by: Sequence[str] = (), grain: str | None = None
) -> tuple[list[dt.date], dict[tuple[Any, ...], dict[dt.date, dict[str, Any]]]]:
    """Daily sums rolled up to the grain: (period starts, {group: {period: sums}})."""
    grain = grain or grain_for(filters)
    starts = periods(filters, grain)
    series: dict[tuple[Any, ...], dict[dt.date, dict[str, Any]]] = defaultdict(dict)
    for row in daily_sums(filters, ("day", *group_by)):
        group = tuple(row[g] for g in group_by)
        start = period_start(row["day"], grain)
        accumulate(series[group].setdefault(start, dict.fromkeys(DAILY_MEASURES, 0)), row)
    return starts, dict(series)


def accumulate(into: dict[str, Any], sums: Mapping[str, Any]) -> None:
    """Add one set of DAILY_MEASURES sums to another."""
    for name in DAILY_MEASURES:
        into[name] += sums[name]


def total(many: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Several sets of DAILY_MEASURES sums added up (periods of a trend into the period)."""
    result = dict.fromkeys(DAILY_MEASURES, 0)
    for sums in many:
        accumulate(result, sums)
    return result


def per_operator(filters: Filters, *, include: Iterable[int] = ()) -> list[dict[str, Any]]:
    """The team table: each operator's handled tickets, replies, times, SLA and CSAT (§ 10);
    `include` lists people to show even with no tickets in the period (e.g. reviewed ones)."""
    no_durations: dict[str, dict[str, float | None]] = {
        m: {"median": None, "p90": None} for m in DURATIONS
    }
    listed = daily_sums(filters, ("operator_id",))
    seen = {sums["operator_id"] for sums in listed}
    listed += [
        {"operator_id": pk, **dict.fromkeys(DAILY_MEASURES, 0)} for pk in include if pk not in seen
    ]
    return [
        {"operator_id": sums["operator_id"], **Summary(sums, no_durations).values()}
        for sums in listed
    ]


# --- Live: the backlog now (not a rollup: the active slice of the tickets) ---------------


BACKLOG_AGES: tuple[tuple[str, dt.timedelta | None], ...] = (
    ("lt_4h", dt.timedelta(hours=4)),
    ("lt_1d", dt.timedelta(days=1)),
    ("lt_3d", dt.timedelta(days=3)),
    ("lt_7d", dt.timedelta(days=7)),
    ("older", None),
)


def tickets_matching(filters: Filters) -> QuerySet[Ticket]:
    """Live tickets (not spam, not merged away) with the filter's dimensions; period ignored."""
    tickets = Ticket.objects.filter(is_spam=False, merged_into__isnull=True)
    if filters.team_ids:
        tickets = tickets.filter(team_id__in=filters.team_ids)
    if filters.type_ids:
        tickets = tickets.filter(type_id__in=filters.type_ids)
    if filters.channels:
        tickets = tickets.filter(channel__in=filters.channels)
    if filters.operator_ids:
        tickets = tickets.filter(assignee_id__in=filters.operator_ids)
    if filters.client_ids:
        tickets = tickets.filter(client_id__in=filters.client_ids)
    return tickets


def active_tickets(filters: Filters) -> QuerySet[Ticket]:
    """Tickets waiting for work now."""
    return tickets_matching(filters).filter(status__in=Ticket.ACTIVE_STATUSES)


def backlog(filters: Filters, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The open backlog by age and SLA state (§ 5), in one query."""
    now = now or timezone.now()
    aggregates: dict[str, Any] = {"total": Count("id")}
    lower = now
    for name, age in BACKLOG_AGES:
        if age is None:
            aggregates[name] = Count("id", filter=Q(created_at__lte=lower))
        else:
            upper = now - age
            aggregates[name] = Count("id", filter=Q(created_at__lte=lower, created_at__gt=upper))
            lower = upper
    aggregates["breached"] = Count("id", filter=Q(sla_breached=True))
    aggregates["at_risk"] = Count(
        "id", filter=Q(sla_breached=False, sla_paused=False, sla_warn_at__lte=now)
    )
    aggregates["waiting_on_client"] = Count("id", filter=Q(status=Ticket.Status.PENDING))
    aggregates["unassigned"] = Count("id", filter=Q(assignee__isnull=True))
    return active_tickets(filters).aggregate(**aggregates)
