"""The API's frame: root, OpenAPI document, error shape, roles, CSRF, keyset pages."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.test import Client

from opora.accounts import services
from opora.accounts.models import User
from opora.core.audit import audit_record

pytestmark = pytest.mark.django_db


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def test_it_answers_the_root_without_authentication(client: Client) -> None:
    response = client.get("/api/v1/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Opora API"
    assert body["docs"] == "/api/v1/docs"


def test_it_publishes_an_openapi_document_listing_me(operator_client: Client) -> None:
    response = operator_client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me" in document["paths"]
    assert "get" in document["paths"]["/api/v1/me"]


def test_it_shows_the_docs_to_a_signed_in_user(operator_client: Client) -> None:
    response = operator_client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_it_answers_an_unknown_path_with_a_json_404(operator_client: Client) -> None:
    assert_error(operator_client.get("/api/v1/nope"), 404, "not_found")


@pytest.mark.parametrize("client_fixture", ["admin_client", "head_client", "lead_client"])
def test_it_lists_users_to_those_who_may_see_staff(
    request: pytest.FixtureRequest, client_fixture: str, operator: User
) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    response = client.get("/api/v1/users")

    assert response.status_code == 200
    emails = {user["email"] for user in response.json()}
    assert "operator@example.com" in emails
    listed = next(user for user in response.json() if user["email"] == "operator@example.com")
    assert listed["team"] == {"id": operator.team_id, "name": "Первая линия"}


@pytest.mark.parametrize("client_fixture", ["operator_client", "viewer_client", "analyst_client"])
def test_it_forbids_the_user_list_to_other_roles(
    request: pytest.FixtureRequest, client_fixture: str
) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    assert_error(client.get("/api/v1/users"), 403, "forbidden")


def test_it_forbids_the_audit_trail_to_the_head(head_client: Client) -> None:
    assert_error(head_client.get("/api/v1/audit"), 403, "forbidden")


def test_it_pages_the_audit_trail_for_an_admin_by_keyset(
    admin_client: Client, admin_user: User
) -> None:
    for n in range(51):
        audit_record(
            actor=admin_user, action="test.page", target=admin_user, changes={"n": [n - 1, n]}
        )

    first = admin_client.get("/api/v1/audit", {"action": "test.page"})

    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 50
    assert page["items"][0]["changes"] == {"n": [49, 50]}
    ids = [item["id"] for item in page["items"]]
    assert ids == sorted(ids, reverse=True)
    assert page["next_before"] == ids[-1]

    second = admin_client.get(
        "/api/v1/audit", {"action": "test.page", "before": page["next_before"]}
    ).json()

    assert [item["changes"] for item in second["items"]] == [{"n": [-1, 0]}]
    assert second["next_before"] is None


def test_it_rejects_a_session_delete_without_the_csrf_token(operator: User) -> None:
    token, _raw = services.api_token_create(user=operator, name="CRM")
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    client.get("/account/tokens/")  # sets the CSRF cookie, as a browser visit would
    csrf_token = client.cookies["csrftoken"].value

    refused = client.delete(f"/api/v1/tokens/{token.pk}")

    assert refused.status_code == 403
    assert "error" in refused.json()
    token.refresh_from_db()
    assert token.revoked_at is None

    accepted = client.delete(f"/api/v1/tokens/{token.pk}", headers={"X-CSRFToken": csrf_token})

    assert accepted.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_it_reports_a_validation_error_with_its_fields(
    operator_client: Client, operator: User
) -> None:
    token, _raw = services.api_token_create(user=operator, name="CRM")

    error = assert_error(
        operator_client.delete("/api/v1/tokens/not-a-number"), 422, "validation_error"
    )

    fields = error["fields"]
    assert isinstance(fields, dict)
    assert list(fields) == ["token_id"]
    assert fields["token_id"]
    token.refresh_from_db()
    assert token.revoked_at is None
