"""The demo's QA data: a scorecard, a spread of reviews, a dispute, a calibration; idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opora.accounts.demo import seed_accounts
from opora.analytics.history import history_generate
from opora.core.access import Perm, has_perm
from opora.quality.models import CalibrationSession, Dispute, Review, Scorecard
from opora.quality.reviews import selectors
from opora.quality.reviews.demo import seed_reviews


@pytest.mark.django_db
def test_the_demo_has_reviews_a_dispute_and_a_calibration() -> None:
    seed_accounts()
    history_generate(tickets=600, days=100)
    seed_reviews()
    scorecard = Scorecard.objects.get(name="Стандарт качества ответа")
    assert scorecard.categories.count() == 3
    reviews = Review.objects.filter(calibration=None, status="submitted")
    assert 25 <= reviews.count() <= 40
    scores = [r.score for r in reviews if not r.critical_failed]
    assert min(scores) >= 50 and max(scores) <= 100
    assert reviews.filter(critical_failed=True).count() == 1
    dispute = Dispute.objects.get(status="open")
    assert dispute.review.operator.email == "operator@opora.demo"
    assert dispute.review.comments.count() == 2
    session = CalibrationSession.objects.get()
    assert session.status == "closed" and session.reviews.filter(status="submitted").count() == 2
    today = timezone.localdate()
    assert (
        selectors.iqs_total(start=today - dt.timedelta(days=100), end=today).reviews
        == reviews.count()
    )
    lead = reviews.first().reviewer  # type: ignore[union-attr]
    assert has_perm(lead, Perm.REVIEW_QUALITY)
    seed_reviews()
    assert Review.objects.filter(calibration=None).count() == reviews.count()
