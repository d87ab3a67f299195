from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from opora.core import views


def explode(request: object) -> None:
    raise RuntimeError("secret internals: password=hunter2")


urlpatterns = [
    path("boom/", explode),
    *__import__("opora.urls", fromlist=["urlpatterns"]).urlpatterns,
]
handler500 = "opora.core.views.error_500"
handler404 = "opora.core.views.error_404"
handler403 = "opora.core.views.error_403"

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_a_localised_404(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert 'lang="ru"' in response.content.decode()
    assert response.templates[0].name == "404.html"


def test_the_404_page_follows_the_language_cookie(client: Client) -> None:
    client.cookies["opora_language"] = "en"

    response = client.get("/no-such-page/")

    assert "Page not found" in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_crash_shows_the_500_page_without_a_stack_trace(client: Client) -> None:
    client.raise_request_exception = False

    response = client.get("/boom/")

    body = response.content.decode()
    assert response.status_code == 500
    assert "500" in body
    assert "Traceback" not in body
    assert "hunter2" not in body


def test_the_500_handler_renders_without_any_context() -> None:
    from django.test import RequestFactory

    response = views.error_500(RequestFactory().get("/"))

    assert response.status_code == 500
