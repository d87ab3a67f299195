"""KPI goals: a head sets them, every dashboard and report compares with them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from opora.accounts.models import User
from opora.analytics import dashboards, metrics, reports
from opora.analytics.goals import goals_current
from opora.analytics.metrics import Filters
from opora.analytics.models import KpiGoals
from opora.core.models import AuditEntry

pytestmark = pytest.mark.django_db

VALUES = {
    "sla_emergency": "99",
    "sla_default": "90",
    "csat": "4.7",
    "nps": "40",
    "iqs": "85",
    "repeat_quarterly_change": "-15",
}


def test_the_defaults_are_the_products_kpi_until_someone_saves() -> None:
    goals = goals_current()
    assert (goals.sla_for("emergency"), goals.sla_for("standard")) == (100.0, 95.0)
    assert (goals.value("csat"), goals.value("nps"), goals.value("iqs")) == (4.5, 50.0, 90.0)
    assert not KpiGoals.objects.exists()


def test_a_head_changes_the_goals_and_the_cards_follow(client: Client, head: User) -> None:
    client.force_login(head)
    response = client.post("/analytics/goals/", VALUES)
    assert response.status_code == 302
    goals = goals_current()
    assert goals.value("csat") == 4.7 and goals.sla_for("emergency") == 99.0
    entry = AuditEntry.objects.get(action="analytics.goals_update")
    assert entry.changes["csat"] == ["4.5", "4.7"]

    day = goals.updated_at.date()
    translation.activate("en")
    traffic = dashboards.traffic(Filters(day, day))
    quality = dashboards.quality(Filters(day, day))
    goal_of = {str(c.label): c.goal for c in traffic["cards"] + quality["cards"]}
    assert goal_of["Within SLA"] == 90.0 and goal_of["CSAT"] == 4.7
    monthly = reports.monthly(day.replace(day=1))
    assert {str(c.label): c.goal for c in monthly["lines"]}["Within SLA, all targets"] == 90.0


def test_a_lead_sees_the_goals_but_cannot_change_them(client: Client, lead: User) -> None:
    client.force_login(lead)
    page = client.get("/analytics/goals/")
    assert page.status_code == 200
    assert all(field.disabled for field in page.context["form"].fields.values())
    assert not page.context["can_edit"]
    assert client.post("/analytics/goals/", VALUES).status_code == 403
    assert not KpiGoals.objects.exists()


def test_an_operator_does_not_see_the_goals(client: Client, operator: User) -> None:
    client.force_login(operator)
    assert client.get("/analytics/goals/").status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [("csat", "7"), ("sla_default", "101"), ("nps", "-101"), ("iqs", "много")],
)
def test_a_goal_out_of_range_is_refused_and_nothing_changes(
    client: Client, head: User, field: str, value: str
) -> None:
    client.force_login(head)
    client.post("/analytics/goals/", VALUES)
    response = client.post("/analytics/goals/", VALUES | {field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert goals_current().value("csat") == 4.7


@pytest.mark.parametrize(
    ("end", "quarter", "before"),
    [
        (
            dt.date(2026, 11, 24),
            (dt.date(2026, 10, 1), dt.date(2026, 11, 24)),
            (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ),
        (
            dt.date(2026, 1, 1),
            (dt.date(2026, 1, 1), dt.date(2026, 1, 1)),
            (dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
        ),
        (
            dt.date(2026, 3, 31),
            (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
            (dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
        ),
    ],
)
def test_the_repeat_goal_compares_the_quarter_so_far_with_the_last_one(
    end: dt.date, quarter: tuple[dt.date, dt.date], before: tuple[dt.date, dt.date]
) -> None:
    this, last = Filters(end - dt.timedelta(days=29), end).quarters()
    assert (this.start, this.end) == quarter and (last.start, last.end) == before


def test_a_repeat_rate_falling_from_20_to_18_percent_is_the_goal_met() -> None:
    assert metrics.relative_change(18.0, 20.0) == pytest.approx(-10.0)
    assert metrics.relative_change(5.0, 0.0) is None and metrics.relative_change(None, 3.0) is None
    card = dashboards.Card("", -10.0, None, "percent", False, -10.0)
    assert card.goal_met and not dashboards.Card("", -4.0, None, "percent", False, -10.0).goal_met


def test_the_quality_dashboard_shows_the_quarterly_repeat_card() -> None:
    day = dt.date(2026, 11, 24)
    cards = dashboards.quality(Filters(day, day))["cards"]
    repeat = next(c for c in cards if c.goal == -10.0)
    assert repeat.value is None and not repeat.higher_is_better
