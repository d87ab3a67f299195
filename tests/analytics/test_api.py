"""Analytics through the API: the dashboards' numbers, the same filters and errors, roles."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.analytics import metrics
from opora.analytics.forms import FilterForm
from tests.analytics.test_views import work

pytestmark = pytest.mark.django_db


def test_the_summary_is_the_dashboards_summary(
    head_client: Client, operator: User, first_line: Team
) -> None:
    work(7, operator, first_line)
    response = head_client.get("/api/v1/analytics/summary")
    assert response.status_code == 200
    body = response.json()
    filters = FilterForm({}).filters()
    assert body["period"] == {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    assert body["metrics"]["created"] == 7
    expected = metrics.summary(filters).values()
    assert body["metrics"]["resolved"] == expected["resolved"]
    assert body["metrics"]["frt_mean_business"] == pytest.approx(expected["frt_mean_business"])
    assert body["previous"]["created"] == 0


def test_filters_narrow_every_endpoint(
    head_client: Client, operator: User, first_line: Team, second_line: Team
) -> None:
    work(4, operator, first_line)
    other = head_client.get(f"/api/v1/analytics/summary?team={second_line.pk}").json()
    assert other["metrics"]["created"] == 0
    operators = head_client.get(f"/api/v1/analytics/operators?team={first_line.pk}").json()
    assert [row["operator"] for row in operators] == [operator.full_name]
    reasons = head_client.get("/api/v1/analytics/reasons").json()
    assert sum(row["created"] for row in reasons) == 4
    backlog = head_client.get("/api/v1/analytics/backlog").json()
    assert backlog["total"] == 1  # every fourth ticket stays open
    trend = head_client.get("/api/v1/analytics/trend?grain=week").json()
    assert trend["grain"] == "week"
    assert sum(point["created"] for point in trend["points"]) == 4


def test_bad_filters_get_the_forms_errors(head_client: Client) -> None:
    response = head_client.get("/api/v1/analytics/summary?start=2026-05-10&end=2026-05-01")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "rule_violation"
    assert head_client.get("/api/v1/analytics/trend?grain=hour").status_code == 400
    assert head_client.get("/api/v1/analytics/summary?team=abc").status_code == 400


def test_operators_may_not_read_analytics(operator_client: Client) -> None:
    response = operator_client.get("/api/v1/analytics/summary")
    assert response.status_code == 403
