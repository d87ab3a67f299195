"""«To development»: a contact reason with its latest tickets, from the reasons dashboard."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.analytics.models import ProductRequest
from opora.core.audit import AuditEntry
from opora.tickets.models import Category, Ticket
from tests.analytics.test_views import work

pytestmark = pytest.mark.django_db


def test_a_lead_sends_a_reason_to_development_with_sample_tickets(
    lead_client: Client, operator: User, first_line: Team
) -> None:
    work(5, operator, first_line)
    category = Category.objects.get(name="Кассы 5")
    page = lead_client.get("/analytics/reasons/?period=30")
    assert "В разработку" in page.content.decode()

    response = lead_client.post(
        "/analytics/requests/new/", {"period": "30", "category": str(category.pk)}
    )

    item = ProductRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/analytics/requests/{item.pk}/"
    assert item.tickets_in_period == 5
    assert set(item.samples.all()) == set(Ticket.objects.filter(category=category))
    assert "Кассы 5" in item.title
    assert AuditEntry.objects.filter(action="analytics.product_request").exists()
    detail = lead_client.get(response["Location"]).content.decode()
    assert Ticket.objects.filter(category=category).first().reference in detail  # type: ignore[union-attr]
    assert item.title in lead_client.get("/analytics/requests/").content.decode()


def test_viewers_see_requests_but_cannot_create_them(
    viewer_client: Client, operator_client: Client
) -> None:
    assert viewer_client.get("/analytics/requests/").status_code == 200
    assert viewer_client.post("/analytics/requests/new/", {"category": "0"}).status_code == 403
    assert operator_client.get("/analytics/requests/").status_code == 403
    assert not ProductRequest.objects.exists()


def test_a_broken_category_is_404(head_client: Client) -> None:
    assert head_client.post("/analytics/requests/new/", {"category": "x"}).status_code == 404
    assert head_client.get("/analytics/requests/999/").status_code == 404
