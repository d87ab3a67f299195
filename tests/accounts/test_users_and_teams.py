"""Staff and teams: who may see and change them, and a user's own settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext, override

from opora.accounts.models import Invitation, Team, User
from opora.core.models import AuditEntry
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# Queries for one page of each list, whatever the number of rows: the session,
# the user, the rows and their related objects. Raise only with a reason.
STAFF_LIST_QUERIES = 4
TEAM_LIST_QUERIES = 4


def edit_user(client: Client, user: User, **overrides: object) -> HttpResponse:
    data: dict[str, object] = {
        "full_name": user.full_name,
        "role": user.role,
        "team": user.team_id or "",
        "is_active": "on" if user.is_active else "",
        **overrides,
    }
    return client.post(f"/staff/{user.pk}/", {k: v for k, v in data.items() if v != ""})


def save_team(client: Client, path: str, **fields: object) -> HttpResponse:
    data: dict[str, object] = {"name": "", "description": "", "lead": "", **fields}
    return client.post(path, data)


def save_preferences(client: Client, user: User, **overrides: object) -> HttpResponse:
    data = {
        "full_name": user.full_name,
        "language": user.language,
        "timezone": user.timezone,
        **overrides,
    }
    return client.post("/account/", data)


def in_russian(message: str) -> str:
    with override("ru"):
        return gettext(message)


# Editing staff ---------------------------------------------------------------------


def test_it_lets_an_admin_change_a_users_role_and_team_with_an_audited_diff(
    admin_client: Client, admin_user: User, operator: User, first_line: Team, second_line: Team
) -> None:
    assert (operator.role, operator.team) == (User.Role.OPERATOR, first_line)

    response = edit_user(admin_client, operator, role=User.Role.LEAD, team=second_line.pk)

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    operator.refresh_from_db()
    assert (operator.role, operator.team) == (User.Role.LEAD, second_line)
    entry = AuditEntry.objects.get(action="user.update")
    assert entry.actor_id == admin_user.pk
    assert entry.target_id == str(operator.pk)
    assert entry.changes == {
        "role": ["operator", "lead"],
        "team": [
            {"id": first_line.pk, "label": "Первая линия"},
            {"id": second_line.pk, "label": "Вторая линия"},
        ],
    }


@pytest.mark.parametrize(
    "change",
    [{"role": User.Role.HEAD}, {"is_active": ""}],
    ids=["demote", "deactivate"],
)
def test_it_stops_the_last_active_admin_from_demoting_or_deactivating_themself(
    admin_client: Client, admin_user: User, change: dict[str, object]
) -> None:
    response = edit_user(admin_client, admin_user, **change)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        in_russian("The last active administrator cannot be demoted or deactivated.")
    ]
    admin_user.refresh_from_db()
    assert (admin_user.role, admin_user.is_active) == (User.Role.ADMIN, True)
    assert not AuditEntry.objects.filter(action="user.update").exists()


def test_it_lets_an_admin_step_down_when_another_active_admin_remains(
    admin_client: Client, admin_user: User
) -> None:
    UserFactory(role=User.Role.ADMIN)

    response = edit_user(admin_client, admin_user, role=User.Role.HEAD)

    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.role == User.Role.HEAD


# Who may see what --------------------------------------------------------------------


def test_it_forbids_an_operator_the_staff_pages(operator_client: Client, lead: User) -> None:
    assert operator_client.get("/staff/").status_code == 403
    assert operator_client.get(f"/staff/{lead.pk}/").status_code == 403


def test_it_forbids_an_operator_to_change_a_user(operator_client: Client, lead: User) -> None:
    response = edit_user(operator_client, lead, role=User.Role.ADMIN)

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.role == User.Role.LEAD


def test_it_shows_a_lead_the_staff_and_teams_but_not_the_editors(
    lead_client: Client, operator: User, first_line: Team
) -> None:
    staff = lead_client.get("/staff/")
    teams = lead_client.get("/teams/")

    assert staff.status_code == 200
    assert operator.email in staff.content.decode()
    assert staff.context["can_manage"] is False
    assert teams.status_code == 200
    assert first_line.name in teams.content.decode()
    assert lead_client.get(f"/staff/{operator.pk}/").status_code == 403
    assert lead_client.get("/teams/new/").status_code == 403
    assert lead_client.get(f"/teams/{first_line.pk}/").status_code == 403


def test_it_forbids_a_lead_to_create_a_team(lead_client: Client) -> None:
    response = save_team(lead_client, "/teams/new/", name="Третья линия")

    assert response.status_code == 403
    assert not Team.objects.filter(name="Третья линия").exists()


# Teams ---------------------------------------------------------------------------------


def test_it_lets_the_head_create_a_team(head_client: Client, head: User, lead: User) -> None:
    assert not Team.objects.filter(name="Третья линия").exists()

    response = save_team(
        head_client, "/teams/new/", name="Третья линия", description="VIP-клиенты", lead=lead.pk
    )

    assert response.status_code == 302
    assert response["Location"] == "/teams/"
    team = Team.objects.get(name="Третья линия")
    assert (team.description, team.lead) == ("VIP-клиенты", lead)
    entry = AuditEntry.objects.get(action="team.create")
    assert (entry.actor_id, entry.target_id) == (head.pk, str(team.pk))


def test_it_lets_the_head_edit_a_team(head_client: Client, lead: User, first_line: Team) -> None:
    assert first_line.lead == lead

    response = save_team(head_client, f"/teams/{first_line.pk}/", name="L1", description="Звонки")

    assert response.status_code == 302
    first_line.refresh_from_db()
    assert (first_line.name, first_line.description, first_line.lead) == ("L1", "Звонки", None)
    entry = AuditEntry.objects.get(action="team.update")
    assert entry.changes["name"] == ["Первая линия", "L1"]


def test_it_refuses_a_duplicate_team_name_on_create(head_client: Client, second_line: Team) -> None:
    teams_before = Team.objects.count()

    response = save_team(head_client, "/teams/new/", name="Вторая линия")

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert Team.objects.count() == teams_before


def test_it_refuses_renaming_a_team_to_a_taken_name(
    head_client: Client, first_line: Team, second_line: Team
) -> None:
    response = save_team(head_client, f"/teams/{first_line.pk}/", name="Вторая линия")

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    first_line.refresh_from_db()
    assert first_line.name == "Первая линия"


# Own settings --------------------------------------------------------------------------


def test_it_saves_and_audits_a_users_language_and_time_zone(
    operator_client: Client, operator: User
) -> None:
    assert (operator.language, operator.timezone) == ("ru", "Europe/Moscow")
    assert operator_client.get("/account/")["Content-Language"] == "ru"

    response = save_preferences(
        operator_client, operator, language="en", timezone="Asia/Yekaterinburg"
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    operator.refresh_from_db()
    assert (operator.language, operator.timezone) == ("en", "Asia/Yekaterinburg")
    entry = AuditEntry.objects.get(action="user.preferences")
    assert entry.target_id == str(operator.pk)
    assert entry.changes == {
        "language": ["ru", "en"],
        "timezone": ["Europe/Moscow", "Asia/Yekaterinburg"],
    }
    assert operator_client.get("/account/")["Content-Language"] == "en"


def test_it_refuses_an_unknown_time_zone_and_changes_nothing(
    operator_client: Client, operator: User
) -> None:
    response = save_preferences(operator_client, operator, language="en", timezone="Mars/Olympus")

    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    operator.refresh_from_db()
    assert (operator.language, operator.timezone) == ("ru", "Europe/Moscow")
    assert not AuditEntry.objects.filter(action="user.preferences").exists()


# Query counts ---------------------------------------------------------------------------


def make_staff(count: int, admin_user: User) -> None:
    for n in range(count):
        team = TeamFactory(name=f"Команда {n % 4}")
        UserFactory(team=team)
        Invitation.objects.create(
            email=f"invitee{n}@example.com",
            full_name=f"Приглашённый {n}",
            role=User.Role.OPERATOR,
            team=team,
            invited_by=admin_user,
            expires_at=timezone.now() + dt.timedelta(days=7),
        )


def make_teams(count: int, admin_user: User) -> None:
    for n in range(count):
        lead = UserFactory(role=User.Role.LEAD)
        team = TeamFactory(name=f"Команда {n}", lead=lead)
        lead.team = team
        lead.save()
        UserFactory.create_batch(2, team=team)


@pytest.mark.parametrize("rows", [3, 20])
@pytest.mark.parametrize(
    ("path", "make_rows", "queries", "rows_in_context"),
    [
        ("/staff/", make_staff, STAFF_LIST_QUERIES, "users"),
        ("/teams/", make_teams, TEAM_LIST_QUERIES, "teams"),
    ],
    ids=["staff", "teams"],
)
def test_it_lists_staff_and_teams_in_a_fixed_number_of_queries(
    admin_client: Client,
    admin_user: User,
    django_assert_num_queries: Any,
    rows: int,
    path: str,
    make_rows: Callable[[int, User], None],
    queries: int,
    rows_in_context: str,
) -> None:
    make_rows(rows, admin_user)

    with django_assert_num_queries(queries):
        response = admin_client.get(path)

    assert response.status_code == 200
    assert len(response.context[rows_in_context]) >= rows
