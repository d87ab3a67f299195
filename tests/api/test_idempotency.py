"""Integrations retry: the same Idempotency-Key never opens a second ticket or reply."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from opora.accounts.models import User
from opora.accounts.services import api_token_create
from opora.clients.models import Contact
from opora.core.idempotency import idempotency_keys_prune
from opora.core.models import IdempotencyKey
from opora.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(operator: User) -> Client:
    _, raw = api_token_create(user=operator, name="integration")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(api: Client, url: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(url, body, content_type="application/json", **headers)


TICKET = {
    "subject": "Заявка с сайта",
    "body": "Не приходит письмо подтверждения",
    "type": "standard",
    "channel": "portal",
    "requester_email": "Olga@Romashka.ru",
    "requester_name": "Ольга Смирнова",
}


def test_a_retried_create_returns_the_first_ticket(api: Client) -> None:
    first = post(api, "/api/v1/tickets", TICKET, key="form-42")
    again = post(api, "/api/v1/tickets", TICKET, key="form-42")

    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Ticket.objects.count() == 1
    contact = Contact.objects.get()
    assert (contact.email, contact.full_name) == ("olga@romashka.ru", "Ольга Смирнова")
    assert Ticket.objects.get().requester == contact


def test_without_a_key_each_call_acts(api: Client) -> None:
    post(api, "/api/v1/tickets", TICKET)
    post(api, "/api/v1/tickets", TICKET)
    assert Ticket.objects.count() == 2


def test_the_same_key_for_another_request_is_refused(api: Client) -> None:
    post(api, "/api/v1/tickets", TICKET, key="k1")
    other = post(api, "/api/v1/tickets", {**TICKET, "subject": "Другая"}, key="k1")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"
    assert Ticket.objects.count() == 1


def test_keys_belong_to_their_user(api: Client, lead: User) -> None:
    post(api, "/api/v1/tickets", TICKET, key="shared")
    _, raw = api_token_create(user=lead, name="other")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert post(other, "/api/v1/tickets", TICKET, key="shared").status_code == 201
    assert Ticket.objects.count() == 2


def test_a_failed_create_does_not_burn_the_key(api: Client) -> None:
    bad = post(api, "/api/v1/tickets", {**TICKET, "type": "nope"}, key="k2")
    assert bad.status_code == 422
    assert not IdempotencyKey.objects.exists()
    assert post(api, "/api/v1/tickets", TICKET, key="k2").status_code == 201


def test_client_messages_and_replies_are_idempotent(api: Client) -> None:
    number = post(api, "/api/v1/tickets", TICKET).json()["number"]
    url = f"/api/v1/tickets/{number}/client-messages"
    for _ in range(2):
        response = post(api, url, {"body": "Письмо так и не пришло"}, key="chat-7")
        assert response.status_code == 201
    reply_url = f"/api/v1/tickets/{number}/replies"
    for _ in range(2):
        assert post(api, reply_url, {"body": "Проверяем"}, key="reply-1").status_code == 201
    ticket = Ticket.objects.get(number=number)
    kinds = list(ticket.messages.values_list("kind", flat=True))
    assert kinds == [Message.Kind.CLIENT, Message.Kind.CLIENT, Message.Kind.REPLY]


def test_old_keys_are_pruned(api: Client) -> None:
    post(api, "/api/v1/tickets", TICKET, key="old")
    assert idempotency_keys_prune(now=timezone.now() + dt.timedelta(days=8)) == 1
