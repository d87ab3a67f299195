"""Personal API tokens: shown once, stored as a hash, refused once revoked or expired."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from opora.accounts import services
from opora.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db


def call_me(raw: str) -> HttpResponse:
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})


def assert_not_authenticated(response: HttpResponse) -> None:
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "not_authenticated"
    assert error["message"]


@pytest.fixture
def raw_token(operator: User) -> str:
    """The raw value of an operator's token that expires in 30 days."""
    _token, raw = services.api_token_create(
        user=operator, name="CRM", expires_at=timezone.now() + dt.timedelta(days=30)
    )
    return raw


def test_it_shows_a_new_token_once_and_stores_only_its_hash(
    operator_client: Client, operator: User
) -> None:
    assert ApiToken.objects.count() == 0

    response = operator_client.post("/account/tokens/", {"name": "CRM", "expires_in_days": "30"})

    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("opr_")
    assert raw in response.content.decode()
    token = ApiToken.objects.get()
    assert token.user == operator
    assert token.token_hash != raw
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.name, token.prefix, token.token_hash)
    assert token.expires_at is not None
    assert token.expires_at - timezone.now() > dt.timedelta(days=29)
    again = operator_client.get("/account/tokens/")
    assert token.prefix in again.content.decode()
    assert raw not in again.content.decode()


def test_it_authenticates_the_api_with_a_bearer_token(operator: User, raw_token: str) -> None:
    assert_not_authenticated(Client().get("/api/v1/me"))

    response = call_me(raw_token)

    assert response.status_code == 200
    assert response.json()["email"] == "operator@example.com"
    assert response.json()["role"] == "operator"
    assert ApiToken.objects.get().last_used_at is not None


def test_it_refuses_an_unknown_token(raw_token: str) -> None:
    assert_not_authenticated(call_me(raw_token[:-2] + "xx"))


def test_it_refuses_a_revoked_token(operator_client: Client, raw_token: str) -> None:
    token = ApiToken.objects.get()
    assert call_me(raw_token).status_code == 200

    response = operator_client.post(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_not_authenticated(call_me(raw_token))


def test_it_refuses_an_expired_token(raw_token: str) -> None:
    with time_machine.travel(timezone.now() + dt.timedelta(days=29), tick=False):
        assert call_me(raw_token).status_code == 200

    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        assert_not_authenticated(call_me(raw_token))


def test_it_refuses_the_token_of_a_deactivated_user(operator: User, raw_token: str) -> None:
    assert call_me(raw_token).status_code == 200

    operator.is_active = False
    operator.save()

    assert_not_authenticated(call_me(raw_token))


def test_it_hides_someone_elses_token_from_revocation(
    operator_client: Client, other_operator: User
) -> None:
    token, raw = services.api_token_create(user=other_operator, name="Другой")

    response = operator_client.post(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert call_me(raw).status_code == 200
