"""Forgotten password: request a link by email, follow it, choose a new password."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from opora.accounts.models import User
from opora.core.models import AuditEntry
from tests.factories import TEST_PASSWORD

NEW_PASSWORD = "lantern-orbit-1987"

pytestmark = pytest.mark.django_db


def request_reset(client: Client, email: str) -> HttpResponse:
    return client.post("/password-reset/", {"email": email})


def link_path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/password-reset/[^\s]+/[^\s]+/)", body)
    assert match, body
    return match.group(1)


def open_link(client: Client, path: str) -> HttpResponse:
    """Follow the emailed link; Django swaps the token into the session and redirects."""
    return client.get(path, follow=True)


def set_password(client: Client, page: HttpResponse, password: str) -> HttpResponse:
    return client.post(
        page.request["PATH_INFO"], {"new_password1": password, "new_password2": password}
    )


@pytest.fixture
def reset_link(client: Client, operator: User) -> str:
    request_reset(client, operator.email)
    assert len(mail.outbox) == 1
    return link_path(mail.outbox[0].body)


def can_sign_in(email: str, password: str) -> bool:
    response = Client().post("/login/", {"username": email, "password": password})
    return response.status_code == 302 and response["Location"] == "/"


def test_it_emails_one_link_to_a_known_address(client: Client, operator: User) -> None:
    assert mail.outbox == []

    response = request_reset(client, "operator@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["operator@example.com"]
    assert link_path(message.body).startswith("/password-reset/")


def test_it_answers_the_same_for_an_unknown_address_and_sends_nothing(
    client: Client, operator: User
) -> None:
    response = request_reset(client, "nobody@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_it_sets_a_new_password_from_the_link_and_the_user_signs_in_with_it(
    client: Client, operator: User, reset_link: str
) -> None:
    # Signing in would change last_login and so void the link: check the hash instead.
    assert operator.check_password(TEST_PASSWORD)
    assert not operator.check_password(NEW_PASSWORD)

    page = open_link(client, reset_link)
    assert page.status_code == 200
    assert page.context["validlink"] is True
    response = set_password(client, page, NEW_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/done/"
    assert can_sign_in(operator.email, NEW_PASSWORD)
    assert not can_sign_in(operator.email, TEST_PASSWORD)


def test_it_audits_the_password_change_without_the_password(
    client: Client, operator: User, reset_link: str
) -> None:
    assert not AuditEntry.objects.filter(action="user.password").exists()

    set_password(client, open_link(client, reset_link), NEW_PASSWORD)

    entry = AuditEntry.objects.get(action="user.password")
    assert entry.target_id == str(operator.pk)
    assert entry.actor_id == operator.pk
    assert entry.changes == {"password": ["•••", "•••"]}
    operator.refresh_from_db()
    recorded = json.dumps(
        [entry.changes, entry.target_label, entry.actor_label], ensure_ascii=False
    )
    assert NEW_PASSWORD not in recorded
    assert operator.password not in recorded


def test_it_shows_the_no_longer_works_page_for_a_forged_link(
    client: Client, operator: User, reset_link: str
) -> None:
    forged = re.sub(r"/[^/]+/$", "/abc123-0123456789abcdef0123456789abcdef/", reset_link)

    page = open_link(client, forged)

    assert page.status_code == 200
    assert page.context["validlink"] is False
    assert b'name="new_password1"' not in page.content


def test_it_shows_the_no_longer_works_page_for_a_used_link(
    client: Client, operator: User, reset_link: str
) -> None:
    set_password(client, open_link(client, reset_link), NEW_PASSWORD)

    page = open_link(Client(), reset_link)

    assert page.status_code == 200
    assert page.context["validlink"] is False
    assert b'name="new_password1"' not in page.content


def test_it_refuses_a_weak_password_and_keeps_the_old_one(
    client: Client, operator: User, reset_link: str
) -> None:
    page = open_link(client, reset_link)

    response = set_password(client, page, "12345678")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert "new_password2" in response.context["form"].errors
    assert can_sign_in(operator.email, TEST_PASSWORD)
    assert not AuditEntry.objects.filter(action="user.password").exists()
