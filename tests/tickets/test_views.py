from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts.models import User
from opora.clients.models import Contact
from opora.tickets import services
from opora.tickets.models import Ticket, TicketType

pytestmark = pytest.mark.django_db


def test_the_queue_lists_active_tickets_and_filters_by_status(
    operator_client: Client, ticket: Ticket, operator: User
) -> None:
    response = operator_client.get("/tickets/")
    assert ticket.subject in response.content.decode()

    services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.RESOLVED)

    assert ticket.subject not in operator_client.get("/tickets/").content.decode()
    assert (
        ticket.subject in operator_client.get("/tickets/", {"status": "resolved"}).content.decode()
    )


def test_the_queue_finds_a_ticket_by_its_number(operator_client: Client, ticket: Ticket) -> None:
    response = operator_client.get("/tickets/", {"q": ticket.reference.lower(), "status": "all"})

    assert [t.pk for t in response.context["page"].items] == [ticket.pk]


def test_an_htmx_filter_returns_only_the_results_fragment(
    operator_client: Client, ticket: Ticket
) -> None:
    response = operator_client.get("/tickets/", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body


def test_the_queue_costs_the_same_queries_for_3_or_30_tickets(
    operator_client: Client,
    contact: Contact,
    standard: TicketType,
    django_assert_max_num_queries: object,
) -> None:
    def make(n: int) -> None:
        for i in range(n):
            services.ticket_create(
                subject=f"Тикет {i}",
                body="Текст",
                channel="email",
                type=standard,
                requester=contact,
            )

    make(3)
    with django_assert_max_num_queries(20) as small:  # type: ignore[operator]
        operator_client.get("/tickets/")
    make(27)
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[operator]
        operator_client.get("/tickets/")


def test_an_operator_replies_with_htmx_and_gets_the_conversation_back(
    operator_client: Client, ticket: Ticket
) -> None:
    response = operator_client.post(
        f"/tickets/{ticket.reference}/reply/", {"body": "Уже смотрим"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "Уже смотрим" in response.content.decode()
    assert ticket.messages.count() == 2


def test_an_empty_reply_shows_an_error_and_adds_nothing(
    operator_client: Client, ticket: Ticket
) -> None:
    response = operator_client.post(
        f"/tickets/{ticket.reference}/reply/", {"body": "  "}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert ticket.messages.count() == 1


def test_an_impossible_status_change_shows_a_clear_error(
    operator_client: Client, ticket: Ticket
) -> None:
    form = {"status": "closed", "priority": "normal", "type": ticket.type_id}

    response = operator_client.post(f"/tickets/{ticket.reference}/update/", form)

    assert response.status_code == 400
    assert "«" in response.content.decode()  # the localised «from» → «to» message
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_viewer_reads_but_cannot_reply_or_change(viewer_client: Client, ticket: Ticket) -> None:
    assert viewer_client.get(f"/tickets/{ticket.reference}/").status_code == 200
    assert (
        viewer_client.post(f"/tickets/{ticket.reference}/reply/", {"body": "x"}).status_code == 403
    )
    form = {"status": "open", "priority": "normal", "type": ticket.type_id}
    assert viewer_client.post(f"/tickets/{ticket.reference}/update/", form).status_code == 403
    assert ticket.messages.count() == 1


def test_an_analyst_does_not_see_tickets(analyst_client: Client, ticket: Ticket) -> None:
    assert analyst_client.get("/tickets/").status_code == 403
    assert analyst_client.get(f"/tickets/{ticket.reference}/").status_code == 403


def test_an_unknown_ticket_is_404(operator_client: Client) -> None:
    assert operator_client.get("/tickets/OP-999999/").status_code == 404
