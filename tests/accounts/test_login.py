"""Signing in and out through the real login form (django-axes sees the request)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse
from django.test import Client

from opora.accounts.models import User
from tests.factories import TEST_PASSWORD

# Django's Russian "invalid_login" message; Russian is the default for everyone.
# The field's name inside it comes from Opora's catalogue, so it is left out here.
WRONG_CREDENTIALS_RU = "Неверная эл. почта или пароль."

pytestmark = pytest.mark.django_db


def sign_in(client: Client, email: str, password: str) -> HttpResponse:
    return client.post("/login/", {"username": email, "password": password})


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def test_it_signs_in_with_email_and_password_and_goes_to_the_overview(
    client: Client, operator: User
) -> None:
    assert signed_in_user_id(client) is None

    response = sign_in(client, "operator@example.com", TEST_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(operator.pk)
    assert client.get("/").status_code == 200


def test_it_keeps_a_wrong_password_on_the_login_page_with_a_russian_error(
    client: Client, operator: User
) -> None:
    response = sign_in(client, "operator@example.com", "not-the-password")

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "accounts/login.html"
    assert WRONG_CREDENTIALS_RU in response.content.decode()
    assert response.context["form"].non_field_errors().as_data()[0].code == "invalid_login"
    assert signed_in_user_id(client) is None


def test_it_still_lets_the_right_password_in_after_four_failures(
    client: Client, operator: User
) -> None:
    for _attempt in range(4):
        assert sign_in(client, operator.email, "not-the-password").status_code == 200

    response = sign_in(client, operator.email, TEST_PASSWORD)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(operator.pk)


def test_it_locks_the_account_out_after_five_failures_even_for_the_right_password(
    client: Client, operator: User
) -> None:
    for _attempt in range(5):
        sign_in(client, operator.email, "not-the-password")

    response = sign_in(client, operator.email, TEST_PASSWORD)

    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert signed_in_user_id(client) is None
    assert client.get("/").status_code == 302


def test_it_does_not_sign_out_on_a_get(operator_client: Client) -> None:
    response = operator_client.get("/logout/")

    assert response.status_code == 405
    assert operator_client.get("/").status_code == 200


def test_it_signs_out_on_a_post_and_ends_the_session(operator_client: Client) -> None:
    assert operator_client.get("/").status_code == 200

    response = operator_client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert signed_in_user_id(operator_client) is None
    assert operator_client.get("/")["Location"] == "/login/?next=/"


def test_it_sends_an_anonymous_visitor_to_the_login_page_with_next(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_the_email_is_matched_whatever_its_case(client: Client, operator: User) -> None:
    response = client.post(
        "/login/", {"username": "  Operator@Example.COM ", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
