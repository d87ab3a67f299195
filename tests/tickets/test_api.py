"""The tickets API through HTTP with personal tokens: reads, changes, roles, errors, pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from opora.accounts import services as account_services
from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.tickets import services
from opora.tickets.models import (
    Category,
    Message,
    ResolutionCode,
    Ticket,
    TicketEvent,
    TicketType,
)

pytestmark = pytest.mark.django_db

ApiClient = Callable[[User], Client]


@pytest.fixture
def api_as() -> ApiClient:
    """A client that authenticates every request with a fresh personal token of `user`."""

    def make(user: User) -> Client:
        _token, raw = account_services.api_token_create(user=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def operator_api(api_as: ApiClient, operator: User) -> Client:
    return api_as(operator)


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def post_json(client: Client, path: str, data: dict[str, Any]) -> HttpResponse:
    return client.post(path, data, content_type="application/json")


def patch_json(client: Client, path: str, data: dict[str, Any]) -> HttpResponse:
    return client.patch(path, data, content_type="application/json")


def make_tickets(n: int, *, type: TicketType, requester: Contact | None = None) -> list[Ticket]:
    return [
        services.ticket_create(
            subject=f"Тикет {i}",
            body="Текст",
            channel="email",
            type=type,
            requester=requester,
            tags=["vip"] if i % 2 else [],
        )
        for i in range(n)
    ]


def close(ticket: Ticket, actor: User) -> None:
    """Resolve (meeting the closing criteria) and close `ticket`."""
    services.ticket_update(
        ticket=ticket,
        actor=actor,
        status="resolved",
        category=Category.objects.create(name="Прочее"),
        resolution=ResolutionCode.objects.order_by("pk").first(),
    )
    services.ticket_update(ticket=ticket, actor=actor, status="closed")


def numbers(response: HttpResponse) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


# --- Reading -----------------------------------------------------------------


def test_it_lists_active_tickets_with_their_properties(
    operator_api: Client, ticket: Ticket, contact: Contact, first_line: Team
) -> None:
    response = operator_api.get("/api/v1/tickets")

    assert response.status_code == 200
    page = response.json()
    assert page["next_before"] is None
    [item] = page["items"]
    assert item["number"] == ticket.number
    assert item["reference"] == ticket.reference
    assert item["subject"] == "Не работает выгрузка"
    assert item["status"] == "new"
    assert item["priority"] == "normal"
    assert item["type"] == "standard"
    assert item["channel"] == "email"
    assert item["team_id"] == first_line.pk
    assert item["assignee_id"] is None
    assert item["client_id"] == ticket.client_id
    assert item["requester_id"] == contact.pk
    assert item["is_escalated"] is False
    assert item["tags"] == ["1с", "выгрузка"]
    assert item["created_at"] and item["updated_at"]


def test_it_filters_like_the_queue_and_by_client_and_tag(
    operator_api: Client,
    operator: User,
    ticket: Ticket,
    contact: Contact,
    standard: TicketType,
    first_line: Team,
) -> None:
    other_client = ClientAccount.objects.create(name="ООО «Василёк»")
    urgent = services.ticket_create(
        subject="Всё упало",
        body="Срочно",
        channel="phone",
        type=TicketType.objects.get(code="emergency"),
        client=other_client,
        priority=Ticket.Priority.URGENT,
        tags=["VIP"],
    )
    services.ticket_update(ticket=urgent, actor=operator, assignee=operator, status="pending")
    closed = services.ticket_create(subject="Старое", body="Было", channel="email", type=standard)
    close(closed, operator)

    def listed(**params: Any) -> list[int]:
        return numbers(operator_api.get("/api/v1/tickets", params))

    assert listed() == [urgent.number, ticket.number]
    assert listed(status="all") == [closed.number, urgent.number, ticket.number]
    assert listed(status="closed") == [closed.number]
    assert listed(team=first_line.pk) == [ticket.number]
    assert listed(assignee="me") == [urgent.number]
    assert listed(assignee="none") == [ticket.number]
    assert listed(assignee=str(operator.pk)) == [urgent.number]
    assert listed(priority="urgent") == [urgent.number]
    assert listed(type="emergency") == [urgent.number]
    assert listed(type="no-such-type") == []
    assert listed(q=ticket.reference) == [ticket.number]
    assert listed(q="упало") == [urgent.number]
    assert listed(client=other_client.pk) == [urgent.number]
    assert listed(client=ticket.client_id) == [ticket.number]
    assert listed(tag="Vip") == [urgent.number]
    assert listed(tag="выгрузка", status="all") == [ticket.number]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"priority": "sky-high"},
        {"assignee": "someone"},
        {"limit": "0"},
        {"limit": "201"},
        {"before": "abc"},
    ],
)
def test_it_refuses_a_malformed_filter(operator_api: Client, params: dict[str, str]) -> None:
    error = assert_error(operator_api.get("/api/v1/tickets", params), 422, "validation_error")

    assert list(error["fields"]) == list(params)


def test_it_pages_by_keyset_with_a_limit(
    operator_api: Client, standard: TicketType, contact: Contact
) -> None:
    made = [t.number for t in make_tickets(5, type=standard, requester=contact)]

    first = operator_api.get("/api/v1/tickets", {"limit": 2}).json()
    second = operator_api.get("/api/v1/tickets", {"limit": 2, "before": first["next_before"]})
    third = operator_api.get(
        "/api/v1/tickets", {"limit": 2, "before": second.json()["next_before"]}
    ).json()

    assert [i["number"] for i in first["items"]] == made[:2:-1]
    assert [i["number"] for i in second.json()["items"]] == made[2:0:-1]
    assert [i["number"] for i in third["items"]] == made[:1]
    assert third["next_before"] is None
    assert len(numbers(operator_api.get("/api/v1/tickets", {"limit": 200}))) == 5


def test_the_list_costs_the_same_queries_for_3_or_60_tickets(
    operator_api: Client,
    standard: TicketType,
    contact: Contact,
    django_assert_num_queries: Any,
) -> None:
    make_tickets(3, type=standard, requester=contact)
    operator_api.get("/api/v1/tickets")  # the token's first use notes last_used_at once

    # The token with its user, the page of tickets with their types, their tags.
    with django_assert_num_queries(3):
        assert len(numbers(operator_api.get("/api/v1/tickets"))) == 3
    make_tickets(57, type=standard, requester=contact)
    with django_assert_num_queries(3):
        assert len(numbers(operator_api.get("/api/v1/tickets", {"limit": 200}))) == 60


def test_it_shows_one_ticket_with_all_messages_and_events(
    operator_api: Client, operator: User, ticket: Ticket, django_assert_num_queries: Any
) -> None:
    services.ticket_reply(ticket=ticket, author=operator, body="Уже смотрим")
    services.ticket_reply(ticket=ticket, author=operator, body="Похоже на 1С", internal=True)
    operator_api.get("/api/v1/tickets/0")  # the token's first use notes last_used_at once

    # The token with its user, the ticket with its type, tags, messages, attachments, events.
    with django_assert_num_queries(6):
        response = operator_api.get(f"/api/v1/tickets/{ticket.number}")

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == ticket.number
    assert body["status"] == "open"
    assert [(m["kind"], m["body"]) for m in body["messages"]] == [
        ("client", "Со вчерашнего дня не выгружаются заказы."),
        ("reply", "Уже смотрим"),
        ("note", "Похоже на 1С"),
    ]
    assert body["messages"][1]["author_id"] == operator.pk
    assert body["messages"][0]["attachments"] == []
    assert [e["field"] for e in body["events"]] == ["created", "status"]
    assert body["events"][1]["actor_id"] == operator.pk


def test_an_unknown_ticket_is_a_json_404(operator_api: Client) -> None:
    assert_error(operator_api.get("/api/v1/tickets/999999"), 404, "not_found")


def test_it_requires_authentication(client: Client, ticket: Ticket) -> None:
    assert_error(client.get("/api/v1/tickets"), 401, "not_authenticated")


def test_an_analyst_may_not_see_tickets(
    api_as: ApiClient, analyst: User, ticket: Ticket, standard: TicketType
) -> None:
    analyst_api = api_as(analyst)

    assert_error(analyst_api.get("/api/v1/tickets"), 403, "forbidden")
    assert_error(analyst_api.get(f"/api/v1/tickets/{ticket.number}"), 403, "forbidden")


def test_a_viewer_reads_but_may_not_create_change_or_reply(
    api_as: ApiClient, viewer: User, ticket: Ticket
) -> None:
    viewer_api = api_as(viewer)
    path = f"/api/v1/tickets/{ticket.number}"

    assert numbers(viewer_api.get("/api/v1/tickets")) == [ticket.number]
    assert viewer_api.get(path).status_code == 200
    create = {"subject": "Новый", "body": "Текст", "type": "standard"}
    assert_error(post_json(viewer_api, "/api/v1/tickets", create), 403, "forbidden")
    assert_error(patch_json(viewer_api, path, {"status": "open"}), 403, "forbidden")
    assert_error(post_json(viewer_api, f"{path}/replies", {"body": "Привет"}), 403, "forbidden")

    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert ticket.messages.count() == 1


# --- Creating ----------------------------------------------------------------


def test_it_creates_a_ticket_through_the_services(
    operator_api: Client,
    operator: User,
    contact: Contact,
    client_account: ClientAccount,
    second_line: Team,
) -> None:
    before = Ticket.objects.count()

    response = post_json(
        operator_api,
        "/api/v1/tickets",
        {
            "subject": "Не открывается отчёт",
            "body": "Пишет «ошибка 500».",
            "type": "consultation",
            "priority": "high",
            "requester_id": contact.pk,
            "team_id": second_line.pk,
            "tags": ["Отчёты", "отчёты"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert Ticket.objects.count() == before + 1
    ticket = Ticket.objects.get(number=body["number"])
    assert (ticket.subject, ticket.priority, ticket.type.code) == (
        "Не открывается отчёт",
        "high",
        "consultation",
    )
    assert ticket.channel == Ticket.Channel.API
    assert ticket.client == client_account  # taken from the requester
    assert ticket.team == second_line
    assert body["tags"] == ["отчёты"]
    assert body["reference"] == ticket.reference
    assert "messages" not in body  # the history is on GET /tickets/{number}
    assert [(m.kind, m.body) for m in ticket.messages.all()] == [("client", "Пишет «ошибка 500».")]
    created = ticket.events.get(field="created")
    assert created.actor == operator


def test_it_refuses_an_unknown_type_and_requester_naming_both_and_creates_nothing(
    operator_api: Client, ticket: Ticket
) -> None:
    before = Ticket.objects.count(), Message.objects.count()

    response = post_json(
        operator_api,
        "/api/v1/tickets",
        {"subject": "Тема", "body": "Текст", "type": "nonsense", "requester_id": 999999},
    )

    error = assert_error(response, 422, "validation_error")
    assert error["message"] == "Некорректный запрос."  # Russian is the default language
    assert sorted(error["fields"]) == ["requester_id", "type"]
    assert "nonsense" in error["fields"]["type"][0]
    assert "999999" in error["fields"]["requester_id"][0]
    assert (Ticket.objects.count(), Message.objects.count()) == before


def test_it_explains_an_unknown_type_in_the_token_owner_s_language(
    operator_api: Client, operator: User, ticket: Ticket
) -> None:
    operator.language = User.Language.EN
    operator.save(update_fields=["language"])

    response = post_json(
        operator_api, "/api/v1/tickets", {"subject": "Тема", "body": "Текст", "type": "nonsense"}
    )

    error = assert_error(response, 422, "validation_error")
    assert error["message"] == "The request is not valid."
    assert error["fields"]["type"] == [
        "ticket type instance with code 'nonsense' is not a valid choice."
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "Текст", "type": "standard"}, "subject"),
        ({"subject": "", "body": "Текст", "type": "standard"}, "subject"),
        ({"subject": "Тема", "body": "Текст", "type": "standard", "priority": "p0"}, "priority"),
        ({"subject": "Тема", "body": "Текст", "type": "standard", "channel": "fax"}, "channel"),
        ({"subject": "Тема", "body": "Текст", "type": "standard", "team_id": 999999}, "team_id"),
    ],
)
def test_it_refuses_a_malformed_ticket_and_creates_nothing(
    operator_api: Client, ticket: Ticket, data: dict[str, Any], field: str
) -> None:
    error = assert_error(post_json(operator_api, "/api/v1/tickets", data), 422, "validation_error")

    assert list(error["fields"]) == [field]
    assert Ticket.objects.count() == 1


def test_a_blank_subject_is_a_rule_violation_from_the_service(
    operator_api: Client, ticket: Ticket
) -> None:
    response = post_json(
        operator_api, "/api/v1/tickets", {"subject": "   ", "body": "Текст", "type": "standard"}
    )

    error = assert_error(response, 400, "rule_violation")
    assert list(error["fields"]) == ["subject"]
    assert Ticket.objects.count() == 1


# --- Changing ----------------------------------------------------------------


def test_it_changes_a_ticket_and_records_each_change(
    operator_api: Client, operator: User, ticket: Ticket, second_line: Team
) -> None:
    events_before = ticket.events.count()

    response = patch_json(
        operator_api,
        f"/api/v1/tickets/{ticket.number}",
        {
            "status": "open",
            "priority": "urgent",
            "type": "emergency",
            "team_id": second_line.pk,
            "assignee_id": operator.pk,
            "is_escalated": True,
            "tags": ["срочно"],
        },
    )

    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.type.code) == ("open", "urgent", "emergency")
    assert (ticket.team, ticket.assignee, ticket.is_escalated) == (second_line, operator, True)
    assert response.json()["tags"] == ["срочно"]
    changed = set(ticket.events.values_list("field", flat=True)[events_before:])
    assert changed == {"status", "priority", "type", "team", "assignee", "is_escalated", "tags"}
    assert TicketEvent.objects.filter(ticket=ticket, actor=operator).count() == 7


def test_it_clears_the_queue_with_null_and_keeps_fields_not_sent(
    operator_api: Client, ticket: Ticket
) -> None:
    response = patch_json(operator_api, f"/api/v1/tickets/{ticket.number}", {"team_id": None})

    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.team is None
    assert ticket.status == Ticket.Status.NEW
    assert ticket.priority == Ticket.Priority.NORMAL
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["1с", "выгрузка"]


def test_an_illegal_transition_is_a_rule_violation_and_changes_nothing(
    operator_api: Client, ticket: Ticket
) -> None:
    events_before = ticket.events.count()

    response = patch_json(
        operator_api,
        f"/api/v1/tickets/{ticket.number}",
        {"status": "closed", "priority": "urgent", "tags": ["другое"]},
    )

    error = assert_error(response, 400, "rule_violation")
    assert list(error["fields"]) == ["status"]
    assert "«" in error["message"]  # the localised «from» → «to» message
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("new", "normal")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["1с", "выгрузка"]
    assert ticket.events.count() == events_before


def test_it_resolves_a_ticket_once_the_closing_criteria_are_sent(
    operator_api: Client, standard: TicketType, category: Category, resolution: ResolutionCode
) -> None:
    ticket = services.ticket_create(subject="Тема", body="Текст", channel="api", type=standard)
    path = f"/api/v1/tickets/{ticket.number}"

    refused = patch_json(operator_api, path, {"status": "resolved"})

    assert list(assert_error(refused, 400, "rule_violation")["fields"]) == ["status"]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW

    data = {"status": "resolved", "category_id": category.pk, "resolution_id": resolution.pk}
    response = patch_json(operator_api, path, data)

    assert response.status_code == 200, response.content
    assert response.json()["resolution_id"] == resolution.pk
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.resolved_at is not None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"assignee_id": 999999, "priority": "high"}, "assignee_id"),
        ({"category_id": 999999, "priority": "high"}, "category_id"),
        ({"type": "nonsense", "priority": "high"}, "type"),
        ({"status": None, "priority": "high"}, "status"),
        ({"status": "later", "priority": "high"}, "status"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    operator_api: Client, ticket: Ticket, data: dict[str, Any], field: str
) -> None:
    events_before = ticket.events.count()

    error = assert_error(
        patch_json(operator_api, f"/api/v1/tickets/{ticket.number}", data),
        422,
        "validation_error",
    )

    assert list(error["fields"]) == [field]
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.NORMAL
    assert ticket.events.count() == events_before


# --- Replying ----------------------------------------------------------------


def test_a_public_reply_opens_a_new_ticket(
    operator_api: Client, operator: User, ticket: Ticket
) -> None:
    response = post_json(
        operator_api, f"/api/v1/tickets/{ticket.number}/replies", {"body": "Уже смотрим"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "reply"
    assert response.json()["author_id"] == operator.pk
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.first_responded_at is not None
    assert ticket.messages.count() == 2


def test_an_internal_note_leaves_the_status_alone(operator_api: Client, ticket: Ticket) -> None:
    response = post_json(
        operator_api,
        f"/api/v1/tickets/{ticket.number}/replies",
        {"body": "Похоже на 1С", "internal": True},
    )

    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "note"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert ticket.first_responded_at is None


def test_a_reply_to_a_closed_ticket_is_refused_and_adds_nothing(
    operator_api: Client, operator: User, ticket: Ticket
) -> None:
    close(ticket, operator)

    response = post_json(operator_api, f"/api/v1/tickets/{ticket.number}/replies", {"body": "Ещё"})

    assert_error(response, 400, "rule_violation")
    assert ticket.messages.count() == 1


def test_a_reply_with_an_illegal_status_adds_nothing(operator_api: Client, ticket: Ticket) -> None:
    response = post_json(
        operator_api,
        f"/api/v1/tickets/{ticket.number}/replies",
        {"body": "Закрываем", "status": "closed"},
    )

    assert_error(response, 400, "rule_violation")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert ticket.messages.count() == 1


def test_an_empty_reply_is_refused_and_adds_nothing(operator_api: Client, ticket: Ticket) -> None:
    response = post_json(operator_api, f"/api/v1/tickets/{ticket.number}/replies", {"body": ""})

    assert_error(response, 422, "validation_error")
    assert ticket.messages.count() == 1


def test_an_empty_reply_names_the_body_field(operator_api: Client, ticket: Ticket) -> None:
    response = post_json(operator_api, f"/api/v1/tickets/{ticket.number}/replies", {"body": ""})

    error = assert_error(response, 422, "validation_error")
    assert list(error["fields"]) == ["body"]


def test_the_openapi_document_lists_the_ticket_endpoints(operator_api: Client) -> None:
    paths = operator_api.get("/api/v1/openapi.json").json()["paths"]

    assert set(paths["/api/v1/tickets"]) == {"get", "post"}
    assert set(paths["/api/v1/tickets/{number}"]) == {"get", "patch"}
    assert set(paths["/api/v1/tickets/{number}/replies"]) == {"post"}
