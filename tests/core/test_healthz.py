from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from opora.core import selectors

pytestmark = pytest.mark.django_db


def test_it_reports_ok_with_the_database_reachable(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert set(body["jobs"]) == {"ready", "running", "failed", "last_heartbeat_at"}


def test_it_answers_503_when_the_database_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    class BrokenCursor:
        def __enter__(self) -> BrokenCursor:
            raise OperationalError("connection refused")

        def __exit__(self, *exc: object) -> None:
            return None

    class BrokenConnection:
        def cursor(self) -> BrokenCursor:
            return BrokenCursor()

    monkeypatch.setattr(selectors, "connections", {"default": BrokenConnection()})

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable", "version": "0.1.0"}


def test_it_needs_no_login_and_is_never_cached(client: Client) -> None:
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]
