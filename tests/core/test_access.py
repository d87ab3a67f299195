"""Every screen, every role: least privilege, written out as a table a person can check."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["admin", "head", "lead", "operator", "account_manager", "analyst", "viewer"]
ALL = set(ROLES)

# path -> the roles that get 200; every other role gets 403.
SCREENS = {
    "/": ALL,
    "/account/": ALL,
    "/account/tokens/": ALL,
    "/tickets/": ALL - {"analyst"},
    "/tickets/settings/macros/": {"admin", "head", "lead", "operator", "account_manager"},
    "/tickets/settings/macros/new/": {"admin", "head", "lead", "operator", "account_manager"},
    "/tickets/settings/rules/": {"admin", "head", "lead"},
    "/tickets/settings/rules/new/": {"admin", "head", "lead"},
    "/tickets/settings/assignment/": {"admin", "head", "lead"},
    "/tickets/settings/blocked/": {"admin", "head", "lead"},
    "/tickets/settings/": {"admin", "head"},
    "/tickets/settings/fields/new/": {"admin", "head"},
    "/staff/": {"admin", "head", "lead"},
    "/teams/": {"admin", "head", "lead"},
    "/teams/new/": {"admin", "head"},
    "/staff/invite/": {"admin"},
    "/audit/": {"admin"},
    "/jobs/": {"admin"},
    "/api/v1/docs": ALL,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", list(SCREENS))
def test_each_role_sees_only_its_screens(role: str, path: str, client: Client) -> None:
    user = UserFactory(role=role)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(path)

    expected = 200 if role in SCREENS[path] else 403
    assert response.status_code == expected, f"{role} on {path}"


@pytest.mark.parametrize("path", [p for p in SCREENS if not p.startswith("/api/")])
def test_anonymous_visitors_are_sent_to_sign_in(path: str, client: Client) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_a_deactivated_user_is_signed_out(client: Client) -> None:
    user = UserFactory(role=User.Role.ADMIN)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    user.is_active = False
    user.save()

    response = client.get("/audit/")

    assert response.status_code == 302


def test_the_navigation_shows_only_what_the_role_may_open(client: Client) -> None:
    client.force_login(
        UserFactory(role=User.Role.OPERATOR), backend="django.contrib.auth.backends.ModelBackend"
    )

    nav = {item["url"] for item in client.get("/").context["nav_items"]}

    assert "/audit/" not in nav
    assert "/staff/" not in nav
    assert "/" in nav
