"""What each dashboard shows: cards, charts and tables assembled from the metrics layer.

One function per dashboard returns a plain dict the template renders and the
exports reuse (`tables`), so a number on screen, in CSV/XLSX and in a report
is the same number. Chart specs follow opora/static/opora/charts.js.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.accounts.models import Team, User
from opora.analytics import metrics
from opora.analytics.facts import (
    BUCKET_EDGES,
    FRT_BUSINESS,
    RESOLUTION_BUSINESS,
    company_day,
    company_zone,
)
from opora.analytics.goals import goals_current
from opora.analytics.metrics import Filters, Summary
from opora.analytics.models import KpiGoals
from opora.core.exports import Column, Table
from opora.quality.reviews.selectors import EMPTY as IQS_NONE
from opora.quality.reviews.selectors import iqs_by_operator, iqs_total, iqs_trend
from opora.quality.surveys.selectors import NpsValue, nps_summary, nps_trend
from opora.sla.services import duration
from opora.tickets.models import Category, Ticket, TicketType

Spec = dict[str, Any]


# --- Small pieces -------------------------------------------------------------------------


def chart(
    kind: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[dict[str, Any]],
    *,
    unit: str = "",
    target: float | None = None,
    target_label: str = "",
    height: int | None = None,
) -> Spec:
    spec: Spec = {
        "kind": kind,
        "title": title,
        "labels": list(labels),
        "series": list(series),
        "unit": unit,
        "empty": _("No data for the period"),
    }
    if target is not None:
        spec.update(target=target, target_label=target_label)
    if height:
        spec["height"] = height
    return spec


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def period_label(start: dt.date, grain: str) -> str:
    if grain == "month":
        return formats.date_format(start, "M Y")
    return formats.date_format(start, "d.m")


@dataclass(frozen=True)
class Card:
    """A headline number with its previous-period value and whether up is good."""

    label: str | Promise
    value: Any
    previous: Any
    kind: str = "number"  # number | percent | duration | score
    higher_is_better: bool = True
    goal: float | None = None

    @property
    def shown(self) -> str:
        return _shown(self.value, self.kind)

    @property
    def previous_shown(self) -> str:
        return _shown(self.previous, self.kind)

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return float(self.value) - float(self.previous)

    @property
    def trend(self) -> str:
        """«good», «bad» or «flat», for the colour of the change."""
        change = self.change
        if change is None or abs(change) < 1e-9:
            return "flat"
        return "good" if (change > 0) == self.higher_is_better else "bad"

    @property
    def change_shown(self) -> str:
        change = self.change
        if change is None:
            return ""
        sign = "+" if change > 0 else "−" if change < 0 else "±"
        if self.kind == "percent":
            return _("%(sign)s%(value)s pp") % {
                "sign": sign,
                "value": formats.number_format(abs(change), 1),
            }
        if self.kind == "duration":
            return f"{sign}{duration(abs(change))}"
        if self.kind == "score":
            return f"{sign}{formats.number_format(abs(change), 2)}"
        return f"{sign}{formats.number_format(abs(change), 0, force_grouping=True)}"

    @property
    def goal_met(self) -> bool | None:
        if self.goal is None or self.value is None:
            return None
        value = float(self.value)
        return value >= self.goal if self.higher_is_better else value <= self.goal

    @property
    def goal_shown(self) -> str:
        return "" if self.goal is None else _shown(self.goal, self.kind)


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "percent":
        return f"{formats.number_format(value, 1)}%"
    if kind == "duration":
        return duration(value)
    if kind == "score":
        return formats.number_format(value, 2)
    return formats.number_format(value, 0, force_grouping=True)


def cards_for(
    current: Summary, previous: Summary, specs: Sequence[tuple[Any, ...]], goals: KpiGoals
) -> list[Card]:
    """Cards from (label, metric name, kind, higher is better, goal name or None) tuples."""
    return [
        Card(label, current[name], previous[name], kind, better, goal and goals.value(goal))
        for label, name, kind, better, goal in specs
    ]


def online_now() -> list[str]:
    """Operators and leads who set themselves «online»."""
    return list(
        User.objects.filter(
            is_active=True,
            availability=User.Availability.ONLINE,
            role__in=[User.Role.OPERATOR, User.Role.LEAD],
        ).values_list("full_name", flat=True)
    )


# --- Names for ids ---------------------------------------------------------------------------


def names() -> dict[str, dict[Any, str]]:
    """Display names of every dimension value (few rows: teams, types, operators, categories)."""
    return {
        "team_id": {t.pk: t.name for t in Team.objects.all()} | {0: _("No queue")},
        "type_id": {t.pk: str(t) for t in TicketType.objects.all()} | {0: "—"},
        "operator_id": {u.pk: u.full_name for u in User.objects.all()} | {0: _("Not assigned")},
        "category_id": {c.pk: str(c) for c in Category.objects.select_related("parent")}
        | {0: _("No category")},
        "channel": {value: str(label) for value, label in Ticket.Channel.choices},
    }


def distribution(counts: dict[int, int], title: str) -> Spec:
    """A duration histogram as a chart: bucket labels in human units."""
    if not counts:
        return chart("histogram", title, [], [])
    low, high = min(counts), max(counts)
    labels = [duration(BUCKET_EDGES[i]) for i in range(low, high + 1)]
    data = [counts.get(i, 0) for i in range(low, high + 1)]
    return chart("histogram", title, labels, [{"name": _("Tickets"), "data": data}])


# --- Traffic and SLA -------------------------------------------------------------------------

TRAFFIC_CARDS = (
    (gettext_lazy("Tickets in"), "created", "number", True, None),
    (gettext_lazy("Resolved"), "resolved", "number", True, None),
    (
        gettext_lazy("First response, median (business)"),
        "frt_median_business",
        "duration",
        False,
        None,
    ),
    (
        gettext_lazy("Resolution, median (business)"),
        "resolution_median_business",
        "duration",
        False,
        None,
    ),
    (gettext_lazy("Within SLA"), "sla_percent", "percent", True, "sla_default"),
    (gettext_lazy("SLA breaches"), "sla_breaches", "number", False, None),
)


def sla_by_type(filters: Filters, goals: KpiGoals) -> list[dict[str, Any]]:
    """SLA compliance per ticket type against the type's goal (docs/metrics.md § 4)."""
    types = {t.pk: t for t in TicketType.objects.all()}
    sla_rows = []
    for row in metrics.daily_sums(filters, ("type_id",)):
        kind = types.get(row["type_id"])
        code = kind.code if kind else ""
        goal = goals.sla_for(code)
        frt = metrics.ratio(row["sla_frt_met"], row["sla_frt_total"])
        resolution = metrics.ratio(row["sla_resolution_met"], row["sla_resolution_total"])
        total = metrics.ratio(
            row["sla_frt_met"] + row["sla_resolution_met"],
            row["sla_frt_total"] + row["sla_resolution_total"],
        )
        sla_rows.append(
            {
                "type": str(kind) if kind else "—",
                "created": row["created"],
                "sla_frt": rounded(frt),
                "sla_resolution": rounded(resolution),
                "sla_total": rounded(total),
                "goal": goal,
                "goal_met": None if total is None else total >= goal,
            }
        )
    return sla_rows


def traffic(filters: Filters) -> dict[str, Any]:
    shown = (FRT_BUSINESS, RESOLUTION_BUSINESS)
    labels_of = names()
    grain = metrics.grain_for(filters)
    starts, by_channel = metrics.trend(filters, ("channel",), grain)
    labels = [period_label(s, grain) for s in starts]
    intake_series = [
        {
            "name": labels_of["channel"].get(channel, channel),
            "data": [sums.get(s, {}).get("created", 0) for s in starts],
        }
        for (channel,), sums in sorted(by_channel.items())
    ]
    # The totals are the channels summed: no second query.
    per_period: dict[dt.date, dict[str, Any]] = {}
    for sums_by_period in by_channel.values():
        for start, sums in sums_by_period.items():
            metrics.accumulate(
                per_period.setdefault(start, dict.fromkeys(metrics.DAILY_MEASURES, 0)), sums
            )
    current = metrics.summary(filters, shown, sums=metrics.total(per_period.values()))
    previous = metrics.summary(filters.previous(), shown)
    sla_trend = [
        rounded(
            metrics.ratio(
                per_period[s]["sla_frt_met"] + per_period[s]["sla_resolution_met"],
                per_period[s]["sla_frt_total"] + per_period[s]["sla_resolution_total"],
            )
        )
        if s in per_period
        else None
        for s in starts
    ]
    resolved_series = [per_period.get(s, {}).get("resolved", 0) for s in starts]
    goals = goals_current()
    sla_rows = sla_by_type(filters, goals)
    return {
        "cards": cards_for(current, previous, TRAFFIC_CARDS, goals),
        "charts": {
            "intake": chart("stacked", _("Tickets in by channel"), labels, intake_series),
            "resolved": chart(
                "bar",
                _("Resolved"),
                labels,
                [{"name": _("Resolved"), "data": resolved_series}],
            ),
            "sla": chart(
                "line",
                _("Within SLA"),
                labels,
                [{"name": _("Within SLA"), "data": sla_trend}],
                unit="%",
                target=goals.value("sla_default"),
                target_label=_("Goal %(goal)s%%")
                % {"goal": formats.number_format(goals.sla_default, 0)},
            ),
            "frt": distribution(
                current.histograms[FRT_BUSINESS], _("First response (business time)")
            ),
            "resolution": distribution(
                current.histograms[RESOLUTION_BUSINESS], _("Resolution (business time)")
            ),
        },
        "sla_rows": sla_rows,
        "tables": [
            Table(
                title=str(_("SLA by ticket type")),
                columns=[
                    Column("type", str(_("Type"))),
                    Column("created", str(_("Tickets in")), "int"),
                    Column("sla_frt", str(_("First response within SLA")), "percent"),
                    Column("sla_resolution", str(_("Resolution within SLA")), "percent"),
                    Column("sla_total", str(_("Within SLA")), "percent"),
                    Column("goal", str(_("Goal")), "percent"),
                ],
                rows=sla_rows,
            ),
            trend_table(filters, grain),
        ],
    }


def trend_table(filters: Filters, grain: str | None = None) -> Table:
    """The period's headline numbers per day/week/month: the table behind the trend charts."""
    grain = grain or metrics.grain_for(filters)
    starts, totals = metrics.trend(filters, (), grain)
    rows = []
    for start in starts:
        sums = totals.get((), {}).get(start, dict.fromkeys(metrics.DAILY_MEASURES, 0))
        values = Summary(sums=sums, durations=_no_durations()).values()
        rows.append(
            {
                "period": start,
                "created": values["created"],
                "resolved": values["resolved"],
                "frt_mean_business": hours(values["frt_mean_business"]),
                "resolution_mean_business": hours(values["resolution_mean_business"]),
                "sla_percent": rounded(values["sla_percent"]),
                "fcr_rate": rounded(values["fcr_rate"]),
                "reopen_rate": rounded(values["reopen_rate"]),
                "repeat_rate": rounded(values["repeat_rate"]),
                "csat_average": rounded(values["csat_average"], 2),
            }
        )
    return Table(
        title=str(_("By period")),
        columns=[
            Column("period", str(_("Period from")), "date"),
            Column("created", str(_("Tickets in")), "int"),
            Column("resolved", str(_("Resolved")), "int"),
            Column("frt_mean_business", str(_("First response, mean, business hours")), "hours"),
            Column("resolution_mean_business", str(_("Resolution, mean, business hours")), "hours"),
            Column("sla_percent", str(_("Within SLA")), "percent"),
            Column("fcr_rate", str(_("FCR")), "percent"),
            Column("reopen_rate", str(_("Reopened")), "percent"),
            Column("repeat_rate", str(_("Repeat contacts")), "percent"),
            Column("csat_average", str(_("CSAT")), "float"),
        ],
        rows=rows,
    )


def _no_durations() -> dict[str, dict[str, float | None]]:
    return {m: {"median": None, "p90": None} for m in metrics.DURATIONS}


# --- Team -----------------------------------------------------------------------------------------

TEAM_SORTS = {
    "operator": lambda row: row["operator"].lower(),
    "resolved": lambda row: -(row["resolved"] or 0),
    "replies": lambda row: -(row["replies"] or 0),
    "frt": lambda row: row["frt_mean_business"] if row["frt_mean_business"] is not None else 1e18,
    "resolution": lambda row: (
        row["resolution_mean_business"] if row["resolution_mean_business"] is not None else 1e18
    ),
    "sla": lambda row: -(row["sla_percent"] if row["sla_percent"] is not None else -1),
    "csat": lambda row: -(row["csat_average"] if row["csat_average"] is not None else -1),
    "fcr": lambda row: -(row["fcr_rate"] if row["fcr_rate"] is not None else -1),
    "reopen": lambda row: row["reopen_rate"] if row["reopen_rate"] is not None else 1e18,
    "open": lambda row: -(row["open_now"] or 0),
    "iqs": lambda row: -(row["iqs"] if row["iqs"] is not None else -1),
}


def quality_scope(filters: Filters) -> dict[str, int | None]:
    """QA reviews are filtered by the operator's team and the operator (one of each at most):
    a review belongs to a person, not to a ticket type, channel or client."""
    return {
        "team_id": filters.team_ids[0] if len(filters.team_ids) == 1 else None,
        "operator_id": filters.operator_ids[0] if len(filters.operator_ids) == 1 else None,
    }


def team(filters: Filters, *, sort: str = "resolved") -> dict[str, Any]:
    labels_of = names()
    open_now: dict[int, int] = {
        assignee or 0: n
        for assignee, n in metrics.active_tickets(filters)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    }
    iqs = iqs_by_operator(start=filters.start, end=filters.end, **quality_scope(filters))
    rows = []
    for row in metrics.per_operator(filters, include=iqs):
        operator_id = row["operator_id"]
        scored = iqs.get(operator_id, IQS_NONE)
        rows.append(
            {
                "operator_id": operator_id,
                "operator": labels_of["operator_id"].get(operator_id, "—"),
                "resolved": row["resolved"],
                "replies": row["replies"],
                "first_responses": row["first_responses"],
                "frt_mean_business": row["frt_mean_business"],
                "resolution_mean_business": row["resolution_mean_business"],
                "sla_percent": rounded(row["sla_percent"]),
                "csat_average": rounded(row["csat_average"], 2),
                "csat_count": row["csat_count"],
                "fcr_rate": rounded(row["fcr_rate"]),
                "reopen_rate": rounded(row["reopen_rate"]),
                "open_now": open_now.get(operator_id, 0),
                "iqs": scored.score,
                "iqs_reviews": scored.reviews,
            }
        )
    rows.sort(key=TEAM_SORTS.get(sort, TEAM_SORTS["resolved"]))
    people = [r for r in rows if r["operator_id"]]
    names_list = [r["operator"] for r in people]
    online = online_now()
    export_rows = [
        {
            **r,
            "frt_mean_business": hours(r["frt_mean_business"]),
            "resolution_mean_business": hours(r["resolution_mean_business"]),
        }
        for r in rows
    ]
    return {
        "rows": rows,
        "sort": sort if sort in TEAM_SORTS else "resolved",
        "sorts": list(TEAM_SORTS),
        "columns": [
            ("operator", _("Operator")),
            ("resolved", _("Resolved")),
            ("replies", _("Replies")),
            ("frt", _("First response")),
            ("resolution", _("Resolution")),
            ("sla", _("Within SLA")),
            ("csat", _("CSAT")),
            ("fcr", _("FCR")),
            ("reopen", _("Reopened")),
            ("iqs", _("IQS")),
            ("open", _("Open now")),
        ],
        "online": online,
        "charts": {
            "balance": chart(
                "hbar",
                _("Workload: resolved in the period and open now"),
                names_list,
                [
                    {"name": _("Resolved"), "data": [r["resolved"] for r in people]},
                    {"name": _("Open now"), "data": [r["open_now"] for r in people]},
                ],
                height=max(240, 36 * len(people) + 80),
            ),
        },
        "tables": [
            Table(
                title=str(_("Operators")),
                columns=[
                    Column("operator", str(_("Operator"))),
                    Column("resolved", str(_("Resolved")), "int"),
                    Column("replies", str(_("Replies")), "int"),
                    Column(
                        "frt_mean_business", str(_("First response, mean, business hours")), "hours"
                    ),
                    Column(
                        "resolution_mean_business",
                        str(_("Resolution, mean, business hours")),
                        "hours",
                    ),
                    Column("sla_percent", str(_("Within SLA")), "percent"),
                    Column("csat_average", str(_("CSAT")), "float"),
                    Column("csat_count", str(_("CSAT answers")), "int"),
                    Column("fcr_rate", str(_("FCR")), "percent"),
                    Column("reopen_rate", str(_("Reopened")), "percent"),
                    Column("iqs", str(_("IQS")), "percent"),
                    Column("iqs_reviews", str(_("QA reviews")), "int"),
                    Column("open_now", str(_("Open now")), "int"),
                ],
                rows=export_rows,
            )
        ],
    }


# --- Quality ------------------------------------------------------------------------------------

QUALITY_CARDS = (
    (gettext_lazy("CSAT"), "csat_average", "score", True, "csat"),
    (gettext_lazy("Satisfied (4–5)"), "csat_satisfied_percent", "percent", True, None),
    (gettext_lazy("First contact resolution"), "fcr_rate", "percent", True, None),
    (gettext_lazy("Repeat contacts"), "repeat_rate", "percent", False, None),
    (gettext_lazy("Reopened"), "reopen_rate", "percent", False, None),
    (gettext_lazy("Escalated"), "escalation_rate", "percent", False, None),
)


def repeat_quarter_card(filters: Filters, goals: KpiGoals) -> Card:
    """The repeat-contact goal is quarterly: this quarter so far against the whole last one."""
    this_quarter, last_quarter = filters.quarters()
    rates = [metrics.summary(q, ())["repeat_rate"] for q in (this_quarter, last_quarter)]
    return Card(
        _("Repeat contacts: this quarter against the last"),
        metrics.relative_change(*rates),
        None,
        "percent",
        False,
        goals.value("repeat_quarterly_change"),
    )


def iqs_card(filters: Filters, goals: KpiGoals, previous: Filters | None = None) -> Card:
    scope = quality_scope(filters)
    previous = previous or filters.previous()
    return Card(
        _("QA score (IQS)"),
        iqs_total(start=filters.start, end=filters.end, **scope).score,
        iqs_total(start=previous.start, end=previous.end, **scope).score,
        "percent",
        True,
        goals.value("iqs"),
    )


def nps_account(filters: Filters) -> int | None:
    """NPS is a client's answer, not a ticket's: only the client filter (one client) applies."""
    return filters.client_ids[0] if len(filters.client_ids) == 1 else None


def nps_card(filters: Filters, goals: KpiGoals, previous: Filters | None = None) -> Card:
    account_id = nps_account(filters)
    previous = previous or filters.previous()
    return Card(
        _("NPS"),
        nps_summary(start=filters.start, end=filters.end, account_id=account_id).score,
        nps_summary(start=previous.start, end=previous.end, account_id=account_id).score,
        "number",
        True,
        goals.value("nps"),
    )


def quality(filters: Filters) -> dict[str, Any]:
    grain = metrics.grain_for(filters)
    starts, totals = metrics.trend(filters, (), grain)
    per = totals.get((), {})
    # The period's sums are its trend's periods added up: no second scan.
    current = metrics.summary(filters, (), sums=metrics.total(per.values()))
    previous = metrics.summary(filters.previous(), ())
    labels = [period_label(s, grain) for s in starts]
    goals = goals_current()
    account_id = nps_account(filters)
    nps = dict(nps_trend(start=filters.start, end=filters.end, grain=grain, account_id=account_id))
    no_nps = NpsValue(score=None, responses=0, promoters=0, passives=0, detractors=0)
    iqs = dict(
        iqs_trend(start=filters.start, end=filters.end, grain=grain, **quality_scope(filters))
    )

    def series(name: str, fn: Callable[[dict[str, Any]], float | None]) -> dict[str, Any]:
        return {
            "name": name,
            "data": [rounded(fn(per[s]), 2) if s in per else None for s in starts],
        }

    return {
        "cards": [
            *cards_for(current, previous, QUALITY_CARDS, goals),
            repeat_quarter_card(filters, goals),
            iqs_card(filters, goals),
            nps_card(filters, goals),
        ],
        "charts": {
            "csat": chart(
                "line",
                _("CSAT"),
                labels,
                [
                    series(_("CSAT"), lambda s: metrics.mean(s["csat_sum"], s["csat_count"])),
                    {
                        "name": _("Answers"),
                        "kind": "bar",
                        "axis": 1,
                        "data": [per.get(s, {}).get("csat_count", 0) for s in starts],
                    },
                ],
                target=goals.value("csat"),
                target_label=_("Goal %(goal)s") % {"goal": formats.number_format(goals.csat, 1)},
            ),
            "iqs": chart(
                "line",
                _("QA score (IQS)"),
                labels,
                [
                    {
                        "name": _("IQS"),
                        "data": [rounded(iqs.get(s, IQS_NONE).score) for s in starts],
                    },
                    {
                        "name": _("Reviews"),
                        "kind": "bar",
                        "axis": 1,
                        "unit": "",
                        "data": [iqs.get(s, IQS_NONE).reviews for s in starts],
                    },
                ],
                unit="%",
                target=goals.value("iqs"),
                target_label=_("Goal %(goal)s%%") % {"goal": formats.number_format(goals.iqs, 0)},
            ),
            "nps": chart(
                "line",
                _("NPS"),
                labels,
                [
                    {"name": _("NPS"), "data": [rounded(nps.get(s, no_nps).score) for s in starts]},
                    {
                        "name": _("Answers"),
                        "kind": "bar",
                        "axis": 1,
                        "data": [nps.get(s, no_nps).responses for s in starts],
                    },
                ],
                target=goals.value("nps"),
                target_label=_("Goal %(goal)s") % {"goal": goals.nps},
            ),
            "rates": chart(
                "line",
                _("FCR, repeat contacts and reopens"),
                labels,
                [
                    series(_("FCR"), lambda s: metrics.ratio(s["fcr"], s["resolved"])),
                    series(
                        _("Repeat contacts"), lambda s: metrics.ratio(s["repeat"], s["created"])
                    ),
                    series(_("Reopened"), lambda s: metrics.ratio(s["reopened"], s["resolved"])),
                ],
                unit="%",
            ),
        },
        "tables": [trend_table(filters, grain)],
    }


# --- Reasons ------------------------------------------------------------------------------------


def reasons(filters: Filters, *, top: int = 10) -> dict[str, Any]:
    labels_of = names()
    current = {r["category_id"]: r["created"] for r in metrics.category_counts(filters)}
    before = {r["category_id"]: r["created"] for r in metrics.category_counts(filters.previous())}
    total = sum(current.values())
    rows = [
        {
            "category_id": category_id,
            "category": labels_of["category_id"].get(category_id, "—"),
            "created": n,
            "share": rounded(metrics.ratio(n, total)),
            "previous": before.get(category_id, 0),
            "change": rounded(
                metrics.ratio(n - before.get(category_id, 0), before.get(category_id, 0))
            ),
        }
        for category_id, n in current.items()
    ]
    rows.sort(key=lambda r: (-r["created"], r["category"]))
    grain = metrics.grain_for(filters)
    starts = metrics.periods(filters, grain)
    leaders = [r["category_id"] for r in rows[:5]]
    by_period: dict[int, dict[dt.date, int]] = {c: {} for c in leaders}
    for row in metrics.category_counts(filters, ("day", "category_id")):
        if row["category_id"] in by_period:
            start = metrics.period_start(row["day"], grain)
            by_period[row["category_id"]][start] = (
                by_period[row["category_id"]].get(start, 0) + row["created"]
            )
    return {
        "rows": rows[:top] if top else rows,
        "all_rows": rows,
        "total": total,
        "charts": {
            "top": chart(
                "hbar",
                _("Top contact reasons"),
                [r["category"] for r in rows[:top]][::-1],
                [{"name": _("Tickets"), "data": [r["created"] for r in rows[:top]][::-1]}],
                height=max(240, 30 * min(len(rows), top) + 80),
            ),
            "trend": chart(
                "line",
                _("Top five reasons over time"),
                [period_label(s, grain) for s in starts],
                [
                    {
                        "name": labels_of["category_id"].get(c, "—"),
                        "data": [by_period[c].get(s, 0) for s in starts],
                    }
                    for c in leaders
                ],
            ),
        },
        "tables": [
            Table(
                title=str(_("Contact reasons")),
                columns=[
                    Column("category", str(_("Category"))),
                    Column("created", str(_("Tickets in")), "int"),
                    Column("share", str(_("Share")), "percent"),
                    Column("previous", str(_("Previous period")), "int"),
                    Column("change", str(_("Difference")), "percent"),
                ],
                rows=rows,
            )
        ],
    }


# --- Operations now ---------------------------------------------------------------------------

AGE_LABELS = {
    "lt_4h": gettext_lazy("under 4 h"),
    "lt_1d": gettext_lazy("4–24 h"),
    "lt_3d": gettext_lazy("1–3 days"),
    "lt_7d": gettext_lazy("3–7 days"),
    "older": gettext_lazy("over 7 days"),
}


def operations(filters: Filters, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The department right now: backlog by age and SLA state, tickets at risk, intake today."""
    now = now or timezone.now()
    backlog = metrics.backlog(filters, now=now)
    at_risk = list(
        metrics.active_tickets(filters)
        .filter(sla_due_at__isnull=False, sla_paused=False, sla_warn_at__lte=now)
        .select_related("assignee", "client", "type")
        .order_by("sla_due_at")[:15]
    )
    today = company_day(now)
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=company_zone())
    came_today = metrics.tickets_matching(filters).filter(created_at__gte=midnight).count()
    # Four weeks of daily intake, one query: the last two weeks for the chart, and the
    # same weekday of each week for the forecast of the whole day.
    weeks = replace(filters, start=today - dt.timedelta(weeks=4), end=today - dt.timedelta(days=1))
    per_day = {row["day"]: row["created"] for row in metrics.daily_sums(weeks, ("day",))}
    forecast = sum(per_day.get(today - dt.timedelta(weeks=w), 0) for w in range(1, 5)) / 4
    recent_days = [today - dt.timedelta(days=n) for n in range(14, 0, -1)]
    return {
        "backlog": backlog,
        "ages": [(AGE_LABELS[name], backlog[name]) for name, _age in metrics.BACKLOG_AGES],
        "at_risk": at_risk,
        "came_today": came_today,
        "forecast_today": round(forecast),
        "online": online_now(),
        "charts": {
            "ages": chart(
                "bar",
                _("Open tickets by age"),
                [str(AGE_LABELS[name]) for name, _age in metrics.BACKLOG_AGES],
                [
                    {
                        "name": _("Open tickets"),
                        "data": [backlog[name] for name, _age in metrics.BACKLOG_AGES],
                    }
                ],
            ),
            "intake": chart(
                "bar",
                _("Tickets in: the last two weeks and today"),
                [period_label(d, "day") for d in recent_days] + [str(_("today"))],
                [
                    {
                        "name": _("Tickets in"),
                        "data": [per_day.get(d, 0) for d in recent_days] + [came_today],
                    },
                    {
                        "name": _("Forecast"),
                        "kind": "line",
                        "dashed": True,
                        "data": [None] * len(recent_days) + [round(forecast)],
                    },
                ],
            ),
        },
        "tables": [],
    }
