"""GET /api/v1/kb/articles and /api/v1/kb/articles/{number}."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts import services as account_services
from opora.accounts.models import User
from opora.knowledge.models import Article, Section
from tests.knowledge.factories import make_article

pytestmark = pytest.mark.django_db


def api(user: User) -> Client:
    _token, raw = account_services.api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_searches_with_morphology(operator: User, published: Article) -> None:
    items = api(operator).get("/api/v1/kb/articles", {"q": "заявка"}).json()
    assert [item["number"] for item in items] == [published.number]
    assert "<mark>заявки</mark>" in items[0]["snippet_html"]


def test_the_api_reads_one_article(operator: User, published: Article) -> None:
    body = api(operator).get(f"/api/v1/kb/articles/{published.number}").json()
    assert body["status"] == "published"
    assert body["texts"][0]["body_markdown"].startswith("Новые заявки")


def test_drafts_of_others_are_404(operator: User, other_operator: User, section: Section) -> None:
    draft = make_article(author=other_operator, section=section)
    response = api(operator).get(f"/api/v1/kb/articles/{draft.number}")
    assert response.status_code == 404
    assert api(operator).get("/api/v1/kb/articles", {"q": "заявки"}).json() == []
