"""An administrator invites staff by email; the invitee picks a password and is in."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext, override

from opora.accounts.models import Invitation, Team, User
from opora.core.models import AuditEntry

NEW_PASSWORD = "lantern-orbit-1987"

pytestmark = pytest.mark.django_db


def invite(client: Client, **overrides: object) -> HttpResponse:
    data: dict[str, object] = {
        "email": "new@example.com",
        "full_name": "Ольга Новикова",
        "role": User.Role.OPERATOR,
        "team": "",
        "language": User.Language.RU,
        **overrides,
    }
    return client.post("/staff/invite/", data)


def invite_path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/invite/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def accept(client: Client, path: str, password: str = NEW_PASSWORD) -> HttpResponse:
    return client.post(path, {"password1": password, "password2": password})


@pytest.fixture
def invitation_link(admin_client: Client, first_line: Team) -> str:
    """A pending invitation to join the first line as a team lead, by its emailed link."""
    response = invite(admin_client, role=User.Role.LEAD, team=first_line.pk)
    assert response.status_code == 302
    return invite_path(mail.outbox[-1].body)


def assert_invalid_page(response: HttpResponse) -> None:
    assert response.status_code == 404
    assert "accounts/invitation_invalid.html" in [t.name for t in response.templates]


def test_it_lets_an_admin_invite_with_an_emailed_link_and_an_audit_entry(
    admin_client: Client, admin_user: User, first_line: Team
) -> None:
    assert Invitation.objects.count() == 0

    response = invite(admin_client, role=User.Role.LEAD, team=first_line.pk)

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.team) == (
        "new@example.com",
        User.Role.LEAD,
        first_line,
    )
    assert invitation.invited_by == admin_user
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert invite_path(mail.outbox[0].body).startswith("/invite/")
    entry = AuditEntry.objects.get(action="invitation.create")
    assert entry.actor_id == admin_user.pk
    assert entry.target_id == str(invitation.pk)
    assert entry.changes == {"email": [None, "new@example.com"], "role": [None, "lead"]}


@pytest.mark.parametrize(
    ("language", "expiry_date", "other_language_date"),
    [
        (User.Language.RU, "9 марта 2026", "March 9, 2026"),
        (User.Language.EN, "March 9, 2026", "9 марта 2026"),
    ],
)
def test_it_writes_the_email_in_the_invitation_language(
    admin_client: Client, language: str, expiry_date: str, other_language_date: str
) -> None:
    moscow_noon = dt.datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    with time_machine.travel(moscow_noon, tick=False):
        invite(admin_client, language=language)

    message = mail.outbox[0]
    with override(language):
        assert message.subject == gettext("You are invited to Opora")
    assert expiry_date in message.body
    assert other_language_date not in message.body


@pytest.mark.parametrize("client_fixture", ["head_client", "lead_client", "operator_client"])
def test_it_forbids_the_invitation_page_to_everyone_but_an_admin(
    request: pytest.FixtureRequest, client_fixture: str
) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    assert client.get("/staff/invite/").status_code == 403
    assert invite(client).status_code == 403
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_it_creates_the_invited_user_on_acceptance_and_signs_them_in(
    client: Client, invitation_link: str, first_line: Team
) -> None:
    assert not User.objects.filter(email="new@example.com").exists()
    page = client.get(invitation_link)
    assert page.status_code == 200
    assert client.session.get(SESSION_KEY) is None

    response = accept(client, invitation_link)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="new@example.com")
    assert (user.full_name, user.role, user.team) == ("Ольга Новикова", User.Role.LEAD, first_line)
    assert user.check_password(NEW_PASSWORD)
    assert client.session.get(SESSION_KEY) == str(user.pk)
    assert client.get("/").status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is not None
    assert invitation.user == user


def test_it_accepts_a_link_only_once(client: Client, invitation_link: str) -> None:
    accept(client, invitation_link)
    users_before = User.objects.count()

    assert_invalid_page(Client().get(invitation_link))
    assert_invalid_page(accept(Client(), invitation_link, password="another-pass-2024"))
    assert User.objects.count() == users_before


def test_it_keeps_the_link_working_until_the_invitation_expires(
    client: Client, invitation_link: str
) -> None:
    days = settings.OPORA_INVITATION_DAYS

    with time_machine.travel(timezone.now() + dt.timedelta(days=days, minutes=-5), tick=False):
        assert client.get(invitation_link).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=days, minutes=5), tick=False):
        assert_invalid_page(client.get(invitation_link))
        assert_invalid_page(accept(client, invitation_link))

    assert not User.objects.filter(email="new@example.com").exists()


def test_it_refuses_a_revoked_invitation(
    admin_client: Client, client: Client, invitation_link: str
) -> None:
    invitation = Invitation.objects.get()
    assert client.get(invitation_link).status_code == 200

    response = admin_client.post(f"/staff/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert_invalid_page(client.get(invitation_link))
    assert_invalid_page(accept(client, invitation_link))
    assert not User.objects.filter(email="new@example.com").exists()


def test_it_refuses_to_invite_the_email_of_an_existing_user(
    admin_client: Client, operator: User
) -> None:
    response = invite(admin_client, email="Operator@Example.com")

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_it_refuses_a_tampered_token(client: Client, invitation_link: str) -> None:
    token = invitation_link.removeprefix("/invite/").removesuffix("/")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(invitation_link).status_code == 200

    assert_invalid_page(client.get(f"/invite/{tampered}/"))
    assert_invalid_page(accept(client, f"/invite/{tampered}/"))
    assert not User.objects.filter(email="new@example.com").exists()


def test_it_revokes_the_earlier_pending_invitation_when_the_same_email_is_invited_again(
    admin_client: Client, client: Client, invitation_link: str
) -> None:
    first = Invitation.objects.get()
    assert first.revoked_at is None

    invite(admin_client, email="NEW@example.com", role=User.Role.OPERATOR)

    first.refresh_from_db()
    assert first.revoked_at is not None
    second = Invitation.objects.exclude(pk=first.pk).get()
    assert second.revoked_at is None
    assert_invalid_page(client.get(invitation_link))
    assert client.get(invite_path(mail.outbox[-1].body)).status_code == 200
