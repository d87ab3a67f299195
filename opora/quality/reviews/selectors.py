"""Reads of QA data: who sees which review, the sample to review, IQS, calibration spread.

IQS (internal quality score) = the mean score of submitted reviews that are
not part of a calibration session; reviews scored «N/A throughout» count as
reviews but not in the mean. Periods are company days of `submitted_at`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from opora.analytics.facts import company_zone
from opora.analytics.metrics import Filters, period_start, periods
from opora.core.access import Perm, has_perm
from opora.quality.models import (
    CalibrationSession,
    Dispute,
    Review,
    ReviewAnswer,
)
from opora.quality.reviews import scoring
from opora.quality.reviews.services import answer_items
from opora.tickets.models import Ticket

if TYPE_CHECKING:
    from opora.accounts.models import User

GRAINS = ("day", "week", "month")
TWO_PLACES = Decimal("0.01")


# ---------------------------------------------------------------- IQS


@dataclass(frozen=True)
class IqsValue:
    """The internal quality score of a set of reviews."""

    score: float | None
    reviews: int
    critical_failed: int


EMPTY = IqsValue(score=None, reviews=0, critical_failed=0)


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=company_zone())


def iqs_reviews(
    *, start: dt.date, end: dt.date, team_id: int | None = None, operator_id: int | None = None
) -> QuerySet[Review]:
    """Submitted, non-calibration reviews of the company days start…end (inclusive)."""
    reviews = Review.objects.filter(
        status=Review.Status.SUBMITTED,
        calibration__isnull=True,
        submitted_at__gte=_moment(start),
        submitted_at__lt=_moment(end + dt.timedelta(days=1)),
    )
    if team_id is not None:
        reviews = reviews.filter(operator__team_id=team_id)
    if operator_id is not None:
        reviews = reviews.filter(operator_id=operator_id)
    return reviews


_SUMS: dict[str, Any] = {
    "score_sum": Sum("score"),
    "scored": Count("score"),
    "reviews": Count("id"),
    "critical": Count("id", filter=Q(critical_failed=True)),
}


def _value(row: dict[str, Any]) -> IqsValue:
    scored = row["scored"] or 0
    mean = (
        (Decimal(row["score_sum"]) / scored).quantize(TWO_PLACES, ROUND_HALF_UP) if scored else None
    )
    return IqsValue(
        score=float(mean) if mean is not None else None,
        reviews=row["reviews"] or 0,
        critical_failed=row["critical"] or 0,
    )


def iqs_by_operator(
    *, start: dt.date, end: dt.date, team_id: int | None = None, operator_id: int | None = None
) -> dict[int, IqsValue]:
    """{operator id: IQS} for operators with at least one review in the period; one query."""
    rows = (
        iqs_reviews(start=start, end=end, team_id=team_id, operator_id=operator_id)
        .values("operator_id")
        .annotate(**_SUMS)
        .order_by()
    )
    return {row["operator_id"]: _value(row) for row in rows}


def iqs_total(
    *, start: dt.date, end: dt.date, team_id: int | None = None, operator_id: int | None = None
) -> IqsValue:
    """The IQS of everyone (or of a team / an operator) over the period; one query."""
    row = iqs_reviews(start=start, end=end, team_id=team_id, operator_id=operator_id).aggregate(
        **_SUMS
    )
    return _value(row)


def iqs_trend(
    *,
    start: dt.date,
    end: dt.date,
    grain: str,
    team_id: int | None = None,
    operator_id: int | None = None,
) -> list[tuple[dt.date, IqsValue]]:
    """(period start, IQS) for every day/week/month touching start…end, empty ones included.

    One query by company day; days are summed into periods here so the mean is exact.
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    rows = (
        iqs_reviews(start=start, end=end, team_id=team_id, operator_id=operator_id)
        .annotate(day=TruncDate("submitted_at", tzinfo=company_zone()))
        .values("day")
        .annotate(**_SUMS)
        .order_by()
    )
    sums: dict[dt.date, dict[str, Any]] = defaultdict(
        lambda: {"score_sum": Decimal(0), "scored": 0, "reviews": 0, "critical": 0}
    )
    for row in rows:
        day = row["day"]
        if isinstance(day, dt.datetime):
            day = day.date()
        elif isinstance(day, str):
            day = dt.date.fromisoformat(day)
        bucket = sums[period_start(day, grain)]
        bucket["score_sum"] += Decimal(row["score_sum"] or 0)
        for key in ("scored", "reviews", "critical"):
            bucket[key] += row[key] or 0
    return [
        (first, _value(sums[first]) if first in sums else EMPTY)
        for first in periods(Filters(start, end), grain)
    ]


# ---------------------------------------------------------------- visibility


def review_queryset() -> QuerySet[Review]:
    return Review.objects.select_related(
        "ticket", "operator", "operator__team", "reviewer", "scorecard", "calibration"
    )


def review_get_for(user: User, pk: int) -> Review:
    """The review if `user` may see it, else 404 (outsiders must not learn it exists).

    Reviewers see every review, except that in an open calibration session a
    participant sees the others' answers only after submitting their own. An
    operator sees only their own submitted, non-calibration reviews.
    """
    review = get_object_or_404(review_queryset(), pk=pk)
    if has_perm(user, Perm.REVIEW_QUALITY):
        session = review.calibration
        if (
            session is not None
            and review.reviewer_id != user.pk
            and session.status == CalibrationSession.Status.OPEN
            and session.reviewers.filter(pk=user.pk).exists()
            and not session.reviews.filter(reviewer=user, status=Review.Status.SUBMITTED).exists()
        ):
            raise Http404
        return review
    if (
        review.operator_id == user.pk
        and review.calibration_id is None
        and review.status == Review.Status.SUBMITTED
    ):
        return review
    raise Http404


@dataclass(frozen=True)
class ReviewFilters:
    operator_id: int | None = None
    team_id: int | None = None
    reviewer_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    status: str = ""
    disputed: bool = False


def review_list(user: User, filters: ReviewFilters) -> QuerySet[Review]:
    """The reviews list: everything for reviewers, only one's own for an operator."""
    reviews = review_queryset().filter(calibration__isnull=True)
    if not has_perm(user, Perm.REVIEW_QUALITY):
        reviews = reviews.filter(operator=user, status=Review.Status.SUBMITTED)
    if filters.operator_id:
        reviews = reviews.filter(operator_id=filters.operator_id)
    if filters.team_id:
        reviews = reviews.filter(operator__team_id=filters.team_id)
    if filters.reviewer_id:
        reviews = reviews.filter(reviewer_id=filters.reviewer_id)
    if filters.start:
        reviews = reviews.filter(created_at__gte=_moment(filters.start))
    if filters.end:
        reviews = reviews.filter(created_at__lt=_moment(filters.end + dt.timedelta(days=1)))
    if filters.status:
        reviews = reviews.filter(status=filters.status)
    if filters.disputed:
        reviews = reviews.filter(is_disputed=True)
    return reviews.order_by("-created_at", "-id")


def open_disputes(*, operator: User | None = None) -> QuerySet[Dispute]:
    disputes = Dispute.objects.filter(status=Dispute.Status.OPEN).select_related(
        "review__ticket", "review__operator", "raised_by"
    )
    if operator is not None:
        disputes = disputes.filter(review__operator=operator)
    return disputes


# ---------------------------------------------------------------- sampling


class SampleKind:
    RANDOM = "random"
    LOW_CSAT = "low_csat"
    SLA_BREACHED = "sla_breached"
    ESCALATED = "escalated"
    ALL = (RANDOM, LOW_CSAT, SLA_BREACHED, ESCALATED)


LOW_CSAT_MAX = 3


@dataclass(frozen=True)
class SampleRow:
    operator: User
    tickets: list[Ticket]
    available: int


def review_sample(
    *,
    reviewer: User,
    start: dt.date,
    end: dt.date,
    team_id: int | None = None,
    operator_id: int | None = None,
    kind: str = SampleKind.RANDOM,
    per_operator: int = 3,
    seed: str = "",
) -> list[SampleRow]:
    """Up to `per_operator` tickets per operator, resolved in the period and not yet reviewed.

    The choice is random but seeded (`seed`, e.g. today + the reviewer), so the
    page shows the same sample on every reload. The reviewer's own tickets are left out.
    """
    from opora.accounts.models import User

    reviewed = Review.objects.filter(ticket=OuterRef("pk"), calibration__isnull=True)
    tickets = Ticket.objects.filter(
        status__in=(Ticket.Status.RESOLVED, Ticket.Status.CLOSED),
        resolved_at__gte=_moment(start),
        resolved_at__lt=_moment(end + dt.timedelta(days=1)),
        assignee__isnull=False,
        is_spam=False,
        merged_into__isnull=True,
    ).exclude(assignee=reviewer)
    tickets = tickets.exclude(Exists(reviewed))
    if team_id:
        tickets = tickets.filter(assignee__team_id=team_id)
    if operator_id:
        tickets = tickets.filter(assignee_id=operator_id)
    if kind == SampleKind.LOW_CSAT:
        tickets = tickets.filter(csat__score__lte=LOW_CSAT_MAX)
    elif kind == SampleKind.SLA_BREACHED:
        tickets = tickets.filter(sla_breached=True)
    elif kind == SampleKind.ESCALATED:
        tickets = tickets.filter(is_escalated=True)
    candidates: dict[int, list[int]] = defaultdict(list)
    for ticket_id, assignee_id in tickets.order_by("id").values_list("id", "assignee_id"):
        candidates[assignee_id].append(ticket_id)
    rng = random.Random(f"{seed}:{start}:{end}:{team_id}:{operator_id}:{kind}")  # noqa: S311 -- a stable sample, not a secret
    chosen: dict[int, list[int]] = {}
    for assignee_id in sorted(candidates):
        ids = candidates[assignee_id]
        chosen[assignee_id] = sorted(rng.sample(ids, min(per_operator, len(ids))))
    picked = {
        t.pk: t
        for t in Ticket.objects.filter(
            pk__in=[pk for ids in chosen.values() for pk in ids]
        ).select_related("client", "csat")
    }
    operators = User.objects.in_bulk(list(chosen))
    rows = [
        SampleRow(
            operator=operators[assignee_id],
            tickets=[picked[pk] for pk in ids if pk in picked],
            available=len(candidates[assignee_id]),
        )
        for assignee_id, ids in chosen.items()
    ]
    return sorted(rows, key=lambda row: str(row.operator))


def sample_seed(reviewer: User) -> str:
    return f"{timezone.localdate(timezone=company_zone())}:{reviewer.pk}"


# ---------------------------------------------------------------- calibration


@dataclass(frozen=True)
class SpreadRow:
    label: str
    category: str
    values: list[float | None]
    spread: scoring.Spread


@dataclass(frozen=True)
class CalibrationSpread:
    reviewers: list[User]
    rows: list[SpreadRow]
    overall: SpreadRow


def calibration_reviews(session: CalibrationSession) -> list[Review]:
    return list(session.reviews.select_related("reviewer").order_by("reviewer__full_name", "id"))


def calibration_spread(session: CalibrationSession, reviews: Iterable[Review]) -> CalibrationSpread:
    """Per criterion and overall: each submitted reviewer's value on 0–100, and their spread."""
    submitted = [r for r in reviews if r.status == Review.Status.SUBMITTED]
    answers = ReviewAnswer.objects.filter(review__in=submitted)
    by_review: dict[int, dict[tuple[int, int, str], ReviewAnswer]] = defaultdict(dict)
    keys: dict[tuple[int, int, str], str] = {}
    for answer in answers:
        key = (answer.category_position, answer.position, answer.text)
        by_review[answer.review_id][key] = answer
        keys[key] = answer.category_name
    rows = []
    for key in sorted(keys):
        values: list[float | None] = []
        for review in submitted:
            given = by_review[review.pk].get(key)
            values.append(scoring.percent(answer_items([given])[0]) if given else None)
        rows.append(SpreadRow(key[2], keys[key], values, scoring.spread(values)))
    scores = [float(r.score) if r.score is not None else None for r in submitted]
    overall = SpreadRow("", "", scores, scoring.spread(scores))
    return CalibrationSpread([r.reviewer for r in submitted], rows, overall)


def calibration_list() -> QuerySet[CalibrationSession]:
    return (
        CalibrationSession.objects.select_related("ticket", "scorecard", "created_by")
        .annotate(
            submitted=Count(
                "reviews", filter=Q(reviews__status=Review.Status.SUBMITTED), distinct=True
            ),
            invited=Count("reviewers", distinct=True),
        )
        .order_by("-created_at", "-id")
    )
