"""Reads of the surveys: NPS for analytics and the results screen, follow-ups, CSAT of a ticket.

NPS = % promoters (9–10) − % detractors (0–6), from −100 to 100. Periods are
days of the company's time zone (`analytics.facts.company_zone`), `end`
included. Each function runs a fixed number of queries, whatever the volume.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from opora.accounts.models import User
from opora.analytics.facts import company_zone
from opora.analytics.metrics import Filters, periods
from opora.quality.models import CsatRequest, CsatResponse, FollowUp, NpsResponse, NpsSurvey

PROMOTER = Q(score__gte=9)
PASSIVE = Q(score__gte=7, score__lte=8)
DETRACTOR = Q(score__lte=6)
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class NpsValue:
    """NPS of a set of answers; `score` is None when there are none."""

    score: float | None
    responses: int
    promoters: int
    passives: int
    detractors: int

    @classmethod
    def of(cls, promoters: int, passives: int, detractors: int) -> NpsValue:
        total = promoters + passives + detractors
        score = round(100.0 * (promoters - detractors) / total, 1) if total else None
        return cls(score, total, promoters, passives, detractors)

    @property
    def promoters_percent(self) -> float | None:
        return round(100.0 * self.promoters / self.responses, 1) if self.responses else None

    @property
    def detractors_percent(self) -> float | None:
        return round(100.0 * self.detractors / self.responses, 1) if self.responses else None


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = company_zone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return since, until


def _answers(start: dt.date, end: dt.date, account_id: int | None) -> QuerySet[NpsResponse]:
    since, until = _bounds(start, end)
    answers = NpsResponse.objects.filter(created_at__gte=since, created_at__lt=until)
    if account_id is not None:
        answers = answers.filter(account_id=account_id)
    return answers


_GROUPS: dict[str, Any] = {
    "promoters": Count("pk", filter=PROMOTER),
    "passives": Count("pk", filter=PASSIVE),
    "detractors": Count("pk", filter=DETRACTOR),
}


def _value(row: dict[str, Any]) -> NpsValue:
    return NpsValue.of(row["promoters"] or 0, row["passives"] or 0, row["detractors"] or 0)


def nps_summary(*, start: dt.date, end: dt.date, account_id: int | None = None) -> NpsValue:
    """NPS of the answers given from `start` to `end` (both days included); one query."""
    return _value(_answers(start, end, account_id).aggregate(**_GROUPS))


def nps_trend(
    *, start: dt.date, end: dt.date, grain: str, account_id: int | None = None
) -> list[tuple[dt.date, NpsValue]]:
    """NPS per day, week (from Monday) or month, every period listed, empty ones too; one query."""
    if grain not in _TRUNC:
        raise ValueError(f"unknown grain {grain!r}")
    zone = company_zone()
    rows = (
        _answers(start, end, account_id)
        .annotate(period=_TRUNC[grain]("created_at", tzinfo=zone))
        .values("period")
        .annotate(**_GROUPS)
        .order_by("period")
    )
    found: dict[dt.date, NpsValue] = {}
    for row in rows:
        period = row["period"]
        day = period.astimezone(zone).date() if isinstance(period, dt.datetime) else period
        found[day] = _value(row)
    empty = NpsValue.of(0, 0, 0)
    return [(day, found.get(day, empty)) for day in periods(Filters(start, end), grain)]


def nps_by_account(*, start: dt.date, end: dt.date) -> list[tuple[int, str, NpsValue]]:
    """NPS per client account that answered in the period, by account name; one query."""
    rows = (
        _answers(start, end, None)
        .filter(account__isnull=False)
        .values("account_id", "account__name")
        .annotate(**_GROUPS)
        .order_by("account__name", "account_id")
    )
    return [(row["account_id"], row["account__name"], _value(row)) for row in rows]


def nps_answer_list(
    *, start: dt.date, end: dt.date, account_id: int | None = None, limit: int = 200
) -> list[NpsResponse]:
    """The latest answers of the period, with who gave them and their follow-up."""
    return list(
        _answers(start, end, account_id)
        .select_related("contact", "account", "follow_up", "invitation__survey")
        .order_by("-created_at", "-pk")[:limit]
    )


def nps_survey_list() -> QuerySet[NpsSurvey]:
    return NpsSurvey.objects.annotate(
        invited=Count("invitations", distinct=True),
        answered=Count("invitations", filter=Q(invitations__answered_at__isnull=False)),
    ).order_by("name")


# --- Follow-ups --------------------------------------------------------------------


def follow_up_list(
    *, user: User, everyone: bool = False, status: str = FollowUp.Status.OPEN
) -> QuerySet[FollowUp]:
    """The follow-ups on a person's screen: their own, or everyone's; by due time."""
    follow_ups = FollowUp.objects.select_related(
        "ticket", "account", "contact", "assignee", "closed_by"
    )
    if not everyone:
        follow_ups = follow_ups.filter(assignee=user)
    if status in FollowUp.Status.values:
        follow_ups = follow_ups.filter(status=status)
    return follow_ups.order_by("due_at", "pk")


# --- CSAT of a ticket ----------------------------------------------------------------


@dataclass(frozen=True)
class TicketCsat:
    """What the ticket page shows about CSAT: asked when and how, the answer if any."""

    request: CsatRequest | None
    answer: CsatResponse | None
    follow_up: FollowUp | None


def ticket_csat(ticket_id: int) -> TicketCsat:
    request = CsatRequest.objects.filter(ticket_id=ticket_id).first()
    answer = CsatResponse.objects.filter(ticket_id=ticket_id).first()
    follow_up = FollowUp.objects.filter(csat=answer).first() if answer is not None else None
    return TicketCsat(request, answer, follow_up)
