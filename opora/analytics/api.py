"""Analytics over the API: the dashboards' numbers from the same metrics layer.

Every endpoint takes the dashboards' filters as query parameters — `start` and
`end` (inclusive dates; default the last 30 full days), `team`, `type`,
`channel`, `operator`, `client` — and needs the VIEW_ANALYTICS capability.
Metric names and definitions: docs/metrics.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Router, Schema

from opora.analytics import dashboards, metrics
from opora.analytics.forms import FilterForm
from opora.analytics.metrics import Filters
from opora.core.access import Perm, ensure_perm
from opora.core.http import AuthedRequest

router = Router(tags=["analytics"])


class PeriodOut(Schema):
    start: dt.date
    end: dt.date


class SummaryOut(Schema):
    period: PeriodOut
    previous_period: PeriodOut
    metrics: dict[str, Any]
    previous: dict[str, Any]


class TrendOut(Schema):
    grain: str
    points: list[dict[str, Any]]


def _filters(request: AuthedRequest) -> Filters:
    """The query string through the dashboards' own filter form (same rules, same errors)."""
    ensure_perm(request.user, Perm.VIEW_ANALYTICS)
    data = request.GET.copy()
    if data.get("start") or data.get("end"):
        data["period"] = "custom"
    form = FilterForm(data)
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    return form.filters()


def _period(filters: Filters) -> PeriodOut:
    return PeriodOut(start=filters.start, end=filters.end)


@router.get("/analytics/summary", response=SummaryOut)
def analytics_summary(request: AuthedRequest) -> SummaryOut:
    """Every headline metric of the period and of the same-length period before it."""
    filters = _filters(request)
    return SummaryOut(
        period=_period(filters),
        previous_period=_period(filters.previous()),
        metrics=metrics.summary(filters).values(),
        previous=metrics.summary(filters.previous()).values(),
    )


@router.get("/analytics/trend", response=TrendOut)
def analytics_trend(request: AuthedRequest, grain: str = "") -> TrendOut:
    """The period's metrics by day, week or month (chosen from the period's length if omitted)."""
    filters = _filters(request)
    if grain not in ("", "day", "week", "month"):
        raise ValidationError({"grain": ["day, week or month"]})
    table = dashboards.trend_table(filters, grain or None)
    points = [dict(row) for row in table.rows]
    return TrendOut(grain=grain or metrics.grain_for(filters), points=points)


@router.get("/analytics/operators", response=list[dict[str, Any]])
def analytics_operators(request: AuthedRequest) -> list[dict[str, Any]]:
    """Per operator: resolved, replies, mean business FRT and resolution (seconds), SLA, CSAT."""
    rows: list[dict[str, Any]] = dashboards.team(_filters(request))["rows"]
    return rows


@router.get("/analytics/reasons", response=list[dict[str, Any]])
def analytics_reasons(request: AuthedRequest) -> list[dict[str, Any]]:
    """Tickets in per category, their share and the previous period's count."""
    rows: list[dict[str, Any]] = dashboards.reasons(_filters(request), top=0)["rows"]
    return rows


@router.get("/analytics/backlog", response=dict[str, int])
def analytics_backlog(request: AuthedRequest) -> dict[str, int]:
    """Open tickets now: total, by age, breached, at risk, waiting on the client, unassigned."""
    return metrics.backlog(_filters(request))
