from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts import services
from opora.accounts.models import User
from opora.core.audit import REDACTED, audit_record, diff, snapshot
from opora.core.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_diff_lists_only_changed_fields_and_masks_secrets() -> None:
    before = {"role": "operator", "team": None, "password": "old-hash"}
    after = {"role": "lead", "team": None, "password": "new-hash"}

    assert diff(before, after) == {"role": ["operator", "lead"], "password": [REDACTED, REDACTED]}


def test_snapshot_renders_related_objects_as_id_and_label(operator: User) -> None:
    assert snapshot(operator, ["team"]) == {
        "team": {"id": operator.team_id, "label": "Первая линия"}
    }


def test_a_service_change_writes_who_what_and_the_diff(admin_user: User, operator: User) -> None:
    before = AuditEntry.objects.count()

    services.user_update(actor=admin_user, user=operator, role=User.Role.LEAD)

    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.actor == admin_user
    assert entry.action == "user.update"
    assert entry.target_type == "accounts.user"
    assert entry.target_id == str(operator.pk)
    assert entry.changes == {"role": ["operator", "lead"]}


def test_an_unchanged_save_writes_no_entry(admin_user: User, operator: User) -> None:
    before = AuditEntry.objects.count()

    services.user_update(actor=admin_user, user=operator, role=operator.role)

    assert AuditEntry.objects.count() == before


def test_the_trail_keeps_the_actor_name_after_the_actor_is_deleted(operator: User) -> None:
    actor = UserFactory(full_name="Уволенный Сотрудник")
    audit_record(actor=actor, action="test.touch", target=operator)
    actor.delete()

    entry = AuditEntry.objects.get(action="test.touch")
    assert entry.actor is None
    assert entry.actor_label == "Уволенный Сотрудник"


def test_admins_see_the_trail_page(admin_client: Client, admin_user: User, operator: User) -> None:
    services.user_update(actor=admin_user, user=operator, full_name="Иван Новиков")

    response = admin_client.get("/audit/", {"action": "user.update"})

    assert response.status_code == 200
    assert "Иван Новиков" in response.content.decode()


@pytest.mark.parametrize(
    "who", ["head_client", "lead_client", "operator_client", "viewer_client", "analyst_client"]
)
def test_other_roles_get_403_on_the_trail(who: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(who)

    assert client.get("/audit/").status_code == 403


def test_the_trail_page_costs_the_same_queries_for_5_or_60_entries(
    admin_client: Client, admin_user: User, operator: User, django_assert_max_num_queries: object
) -> None:
    for i in range(5):
        audit_record(
            actor=admin_user, action="test.touch", target=operator, changes={"n": [i, i + 1]}
        )
    with django_assert_max_num_queries(4) as small:  # type: ignore[operator]
        admin_client.get("/audit/")
    for i in range(55):
        audit_record(
            actor=admin_user, action="test.touch", target=operator, changes={"n": [i, i + 1]}
        )
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[operator]
        response = admin_client.get("/audit/")

    assert response.status_code == 200
    assert response.context["page"].next_before is not None


def test_older_pages_follow_the_keyset_cursor(
    admin_client: Client, admin_user: User, operator: User
) -> None:
    for i in range(60):
        audit_record(
            actor=admin_user, action="test.touch", target=operator, changes={"n": [i, i + 1]}
        )
    first = admin_client.get("/audit/", {"action": "test.touch"}).context["page"]

    second = admin_client.get(
        "/audit/", {"action": "test.touch", "before": first.next_before}
    ).context["page"]

    assert len(first.items) == 50
    assert len(second.items) == 10
    assert second.next_before is None
    assert {e.pk for e in first.items}.isdisjoint({e.pk for e in second.items})
