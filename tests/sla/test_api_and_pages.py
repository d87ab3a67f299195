"""SLA through HTTP: the ticket's clocks and ledger in the API, the queue's SLA filter and
column, the panel on the ticket page; roles."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from opora.accounts import services as account_services
from opora.accounts.models import User
from opora.clients.models import ClientAccount, Contact
from opora.tickets import services
from opora.tickets.models import Ticket, TicketType

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def api(user: User) -> Client:
    _token, raw = account_services.api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def emergency() -> Ticket:
    account = ClientAccount.objects.create(name="ООО «Вектор»")
    contact = Contact.objects.create(full_name="Ирина Белова", email="irina@vector.ru")
    contact.accounts.add(account)
    with time_machine.travel(dt.datetime(2025, 12, 30, 17, 30, tzinfo=MSK), tick=False):
        return services.ticket_create(
            subject="Касса не печатает чеки",
            body="С утра не печатаются чеки.",
            channel=Ticket.Channel.EMAIL,
            type=TicketType.objects.get(code="emergency"),
            requester=contact,
        )


def test_the_api_explains_each_deadline_with_its_ledger(emergency: Ticket, operator: User) -> None:
    with time_machine.travel(dt.datetime(2025, 12, 30, 17, 40, tzinfo=MSK), tick=False):
        response = api(operator).get(f"/api/v1/tickets/{emergency.number}/sla")
    assert response.status_code == 200, response.content
    first, resolution = response.json()
    assert (first["target"], first["state"], first["clock"]) == (
        "first_response",
        "on_track",
        "24x7",
    )
    assert first["due_at"].startswith("2025-12-30T14:45:00")  # 17:45 Moscow, in UTC
    assert resolution["policy"] == "Экстренные"
    assert resolution["budget_minutes"] == 240
    # 30 minutes on 30.12, then the New Year holidays to 11.01, then 3.5 h on 12.01.
    assert resolution["due_at"].startswith("2026-01-12T09:30:00")
    assert resolution["used_seconds"] == 600.0
    kinds = [line["kind"] for line in resolution["ledger"]]
    assert kinds[0] == "event" and "working" in kinds


def test_the_api_lists_and_filters_tickets_by_sla_state(emergency: Ticket, operator: User) -> None:
    client = api(operator)
    with time_machine.travel(dt.datetime(2025, 12, 30, 17, 40, tzinfo=MSK), tick=False):
        listed = client.get("/api/v1/tickets", {"sla": "on_track"}).json()["items"]
        assert [(t["number"], t["sla_state"]) for t in listed] == [(emergency.number, "on_track")]
        assert client.get("/api/v1/tickets", {"sla": "breached"}).json()["items"] == []
    with time_machine.travel(dt.datetime(2025, 12, 30, 17, 50, tzinfo=MSK), tick=False):
        listed = client.get("/api/v1/tickets", {"sla": "breached"}).json()["items"]
        assert [t["sla_state"] for t in listed] == ["breached"]
    assert client.get("/api/v1/tickets", {"sla": "late"}).status_code == 422


def test_an_analyst_may_not_read_a_tickets_sla(emergency: Ticket, analyst: User) -> None:
    assert api(analyst).get(f"/api/v1/tickets/{emergency.number}/sla").status_code == 403


def test_the_queue_shows_and_filters_sla_state(emergency: Ticket, operator_client: Client) -> None:
    with time_machine.travel(dt.datetime(2025, 12, 30, 17, 43, tzinfo=MSK), tick=False):
        at_risk = operator_client.get("/tickets/", {"sla": "at_risk"})
        on_track = operator_client.get("/tickets/", {"sla": "on_track"})
    assert emergency.reference in at_risk.content.decode()
    assert "под угрозой" in at_risk.content.decode()
    assert emergency.reference not in on_track.content.decode()


def test_the_ticket_page_shows_the_clocks_and_the_ledger(
    emergency: Ticket, operator_client: Client
) -> None:
    with time_machine.travel(dt.datetime(2026, 1, 12, 9, 0, tzinfo=MSK), tick=False):
        page = operator_client.get(f"/tickets/{emergency.reference}/").content.decode()
    assert "Первый ответ" in page and "Решение" in page
    assert "Новогодние каникулы" in page  # the holiday named in the ledger
    assert "нарушен" in page  # the 15-minute first response is long gone
