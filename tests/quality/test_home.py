"""The quality home: each person sees the parts they may open, with their numbers."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts.models import User

pytestmark = pytest.mark.django_db


def tiles(client: Client) -> dict[str, str]:
    response = client.get("/quality/")
    assert response.status_code == 200
    return {
        str(tile.title): tile.url for _title, group in response.context["groups"] for tile in group
    }


def test_an_operator_sees_their_own_quality_only(client: Client, operator: User) -> None:
    client.force_login(operator)
    shown = tiles(client)
    assert set(shown.values()) == {"/quality/reviews/mine/", "/quality/certification/"}


def test_a_lead_also_sees_quality_control_and_certification(client: Client, lead: User) -> None:
    client.force_login(lead)
    shown = set(tiles(client).values())
    assert "/quality/reviews/sample/" in shown and "/quality/certification/status/" in shown
    assert "/quality/scorecards/" not in shown


def test_a_head_sets_up_scorecards(client: Client, head: User) -> None:
    client.force_login(head)
    assert "/quality/scorecards/" in set(tiles(client).values())


def test_a_viewer_has_no_quality_pages(client: Client, viewer: User) -> None:
    client.force_login(viewer)
    assert client.get("/quality/").status_code == 403
