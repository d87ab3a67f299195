"""IQS on the analytics screens: the same numbers as the QA reviews give."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts.models import User
from opora.analytics import dashboards
from opora.analytics.facts import company_today
from opora.analytics.metrics import Filters
from opora.quality.models import Scorecard
from tests.quality.test_reviews_helpers import make_scorecard, submitted_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def scorecard(head: User) -> Scorecard:
    return make_scorecard(head)


def test_the_quality_dashboard_and_the_team_table_show_iqs(
    scorecard: Scorecard, lead: User, operator: User, other_operator: User
) -> None:
    submitted_review(lead, operator, scorecard)
    today = company_today()
    filters = Filters(today, today)

    card = next(c for c in dashboards.quality(filters)["cards"] if c.goal == 90.0)
    assert card.value == pytest.approx(91.67) and card.previous is None
    chart = dashboards.quality(filters)["charts"]["iqs"]
    assert chart["series"][0]["data"][-1] == pytest.approx(91.7)

    # The other operator's team has no reviews: the queue filter narrows IQS to it.
    other_team = Filters(today, today, team_ids=(other_operator.team_id,))
    assert next(c for c in dashboards.quality(other_team)["cards"] if c.goal == 90.0).value is None


def test_the_team_table_has_an_iqs_column_sorted_best_first(
    client: Client, scorecard: Scorecard, lead: User, operator: User, head: User
) -> None:
    submitted_review(lead, operator, scorecard)
    today = company_today()
    rows = dashboards.team(Filters(today, today), sort="iqs")["rows"]
    # The operator resolved nothing today, yet is listed: their review was submitted today.
    assert rows[0]["operator_id"] == operator.pk and rows[0]["resolved"] == 0
    assert rows[0]["iqs"] == pytest.approx(91.67) and rows[0]["iqs_reviews"] == 1
    client.force_login(head)
    response = client.get("/analytics/team/?sort=iqs")
    assert response.status_code == 200
    assert "IQS" in response.content.decode()
