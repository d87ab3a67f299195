"""IQS on the analytics screens: the same numbers as the QA reviews give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from opora.accounts.models import User
from opora.analytics import dashboards, reports
from opora.analytics.facts import company_today, company_zone
from opora.analytics.metrics import Filters
from opora.quality.models import Scorecard
from tests.quality.surveys_factories import account_with_contact, nps_answers
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


def test_the_quality_dashboard_and_the_monthly_report_show_nps() -> None:
    account, _contact = account_with_contact()
    march = dt.date(2026, 3, 10)
    at = dt.datetime.combine(march, dt.time(12), tzinfo=company_zone())
    nps_answers([9, 10, 9, 10, 10, 7, 8, 8, 6, 0], at=at, account=account)
    nps_answers([0, 0], at=at)  # another client's detractors
    month = Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31))

    card = next(c for c in dashboards.quality(month)["cards"] if c.goal == 50.0)
    assert card.value == 8.3  # (5 − 4) / 12 promoters less detractors, to one decimal
    client_only = Filters(month.start, month.end, client_ids=(account.pk,))
    quality = dashboards.quality(client_only)
    assert next(c for c in quality["cards"] if c.goal == 50.0).value == 30.0
    assert sum(quality["charts"]["nps"]["series"][1]["data"]) == 10  # answers a day

    lines = reports.monthly(month.start)["lines"]
    assert next(c for c in lines if c.goal == 50.0).value == 8.3
