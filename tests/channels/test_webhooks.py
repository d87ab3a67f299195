"""Webhooks to a real HTTP receiver on 127.0.0.1: signed, one per committed change, retried."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.channels import outbox
from opora.channels.models import Delivery, Webhook
from opora.channels.services import webhook_save
from opora.tickets import services as tickets
from opora.tickets.models import Ticket, TicketType

pytestmark = pytest.mark.django_db

SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    """A tiny HTTP endpoint that records what it got and answers with `status`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/opora"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def hook(receiver: Receiver, admin_user: User) -> Webhook:
    return webhook_save(
        actor=admin_user,
        secret=SECRET,
        name="CRM",
        url=receiver.url,
        events=[e.value for e in Webhook.Event],
        is_active=True,
    )


def open_ticket(team: Team, user: User) -> Ticket:
    return tickets.ticket_create(
        subject="Сбой оплаты",
        body="Платежи не проходят",
        channel=Ticket.Channel.API,
        type=TicketType.objects.get(code="standard"),
        team=team,
        created_by=user,
    )


def verify(received: dict[str, Any]) -> dict[str, Any]:
    header = received["headers"]["X-Opora-Signature"]
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        SECRET.encode(), f"{parts['t']}.".encode() + received["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    payload: dict[str, Any] = json.loads(received["body"])
    return payload


def test_ticket_events_arrive_signed(
    hook: Webhook, receiver: Receiver, first_line: Team, operator: User
) -> None:
    ticket = open_ticket(first_line, operator)
    tickets.ticket_reply(ticket=ticket, author=operator, body="Разбираемся")

    events = [verify(r) for r in receiver.received]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "ticket.created"
    assert "ticket.replied" in kinds
    created = events[0]
    assert created["data"]["ticket"]["reference"] == ticket.reference
    assert receiver.received[0]["headers"]["X-Opora-Event"] == "ticket.created"
    assert all(d.status == Delivery.Status.SENT for d in Delivery.objects.filter(webhook=hook))


def test_a_rolled_back_change_is_never_announced(
    hook: Webhook, receiver: Receiver, first_line: Team, operator: User
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        open_ticket(first_line, operator)
        raise RuntimeError("the request failed after the ticket was written")
    assert not Delivery.objects.exists()


def test_only_subscribed_events_are_sent(
    hook: Webhook, receiver: Receiver, first_line: Team, operator: User
) -> None:
    Webhook.objects.filter(pk=hook.pk).update(events=["ticket.sla_breached"])
    open_ticket(first_line, operator)
    assert receiver.received == []


def test_a_server_error_is_retried_and_a_client_error_is_final(
    hook: Webhook, receiver: Receiver, first_line: Team, operator: User
) -> None:
    receiver.status = 503
    Webhook.objects.filter(pk=hook.pk).update(events=["ticket.created"])
    open_ticket(first_line, operator)
    delivery = Delivery.objects.get(webhook=hook)
    assert delivery.status == Delivery.Status.RETRYING
    assert "503" in delivery.last_error

    receiver.status = 410
    later = timezone.now() + dt.timedelta(minutes=2)
    outbox.delivery_attempt(delivery.pk, now=later)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "410" in delivery.last_error

    receiver.status = 200
    outbox.delivery_retry_now(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_the_screen_creates_a_webhook_and_refuses_bad_input(
    admin_client: Client, receiver: Receiver
) -> None:
    url = reverse("channels:webhook-create")
    bad = admin_client.post(url, {"name": "X", "url": "ftp://example.com", "events": []})
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert "url" in errors and "events" in errors
    assert not Webhook.objects.exists()

    good = admin_client.post(
        url, {"name": "CRM", "url": receiver.url, "events": ["ticket.created"], "is_active": "on"}
    )
    assert good.status_code == 302
    hook = Webhook.objects.get()
    assert len(hook.secret) >= 32
    page = admin_client.get(reverse("channels:webhook-edit", args=[hook.pk])).content.decode()
    assert hook.secret not in page
    shown = admin_client.post(reverse("channels:webhook-secret", args=[hook.pk]))
    assert hook.secret in shown.content.decode()

    admin_client.post(reverse("channels:webhook-ping", args=[hook.pk]))
    assert json.loads(receiver.received[-1]["body"])["event"] == "ping"


def test_operators_cannot_see_webhooks(operator_client: Client, hook: Webhook) -> None:
    assert operator_client.get(reverse("channels:webhook-list")).status_code == 403
    assert (
        operator_client.post(reverse("channels:webhook-secret", args=[hook.pk])).status_code == 403
    )
