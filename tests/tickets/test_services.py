from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from opora.accounts.models import User
from opora.clients.models import ClientAccount, Contact
from opora.tickets import services
from opora.tickets.models import Message, Ticket, TicketType

pytestmark = pytest.mark.django_db


def test_the_three_ticket_types_of_the_seeds_exist_after_migrating() -> None:
    assert list(TicketType.objects.values_list("code", "load_weight")) == [
        ("emergency", 3),
        ("standard", 2),
        ("consultation", 1),
    ]


def test_a_new_ticket_gets_the_next_number_its_client_and_the_first_message(
    ticket: Ticket, contact: Contact, client_account: ClientAccount, standard: TicketType
) -> None:
    second = services.ticket_create(
        subject="Ещё вопрос", body="Текст", channel="portal", type=standard, requester=contact
    )

    # PostgreSQL's sequence is not rolled back between tests, so only the order is fixed.
    assert ticket.number >= services.TICKET_NUMBER_START
    assert second.number == ticket.number + 1
    assert second.reference == f"OP-{ticket.number + 1}"
    assert ticket.client == client_account
    assert ticket.status == Ticket.Status.NEW
    assert list(ticket.messages.values_list("kind", flat=True)) == [Message.Kind.CLIENT]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["1с", "выгрузка"]


def test_a_ticket_without_a_subject_is_refused_and_nothing_is_created(standard: TicketType) -> None:
    with pytest.raises(ValidationError) as error:
        services.ticket_create(subject="  ", body="Текст", channel="email", type=standard)

    assert "subject" in error.value.message_dict
    assert Ticket.objects.count() == 0


def test_the_first_public_reply_opens_the_ticket_and_stamps_the_first_response(
    ticket: Ticket, operator: User
) -> None:
    assert ticket.first_responded_at is None

    services.ticket_reply(ticket=ticket, author=operator, body="Смотрим.")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.first_responded_at is not None
    assert ticket.events.filter(field="status", actor=operator).exists()


def test_an_internal_note_is_not_a_response(ticket: Ticket, operator: User) -> None:
    services.ticket_reply(ticket=ticket, author=operator, body="Проверить логи", internal=True)

    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert ticket.status == Ticket.Status.NEW
    assert ticket.messages.last().kind == Message.Kind.NOTE  # type: ignore[union-attr]


def test_status_changes_follow_the_workflow_and_are_recorded(
    ticket: Ticket, operator: User
) -> None:
    services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.RESOLVED)
    services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.CLOSED)

    ticket.refresh_from_db()
    assert ticket.resolved_at is not None
    assert ticket.closed_at is not None
    assert list(ticket.events.filter(field="status").values_list("actor", flat=True)) == [
        operator.pk,
        operator.pk,
    ]


def test_a_closed_ticket_cannot_be_reopened_or_replied_to(ticket: Ticket, operator: User) -> None:
    services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.RESOLVED)
    services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.CLOSED)

    with pytest.raises(ValidationError):
        services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.OPEN)
    with pytest.raises(ValidationError):
        services.ticket_reply(ticket=ticket, author=operator, body="Ещё одно")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.messages.count() == 1


def test_reopening_a_resolved_ticket_clears_the_resolution_time(
    ticket: Ticket, operator: User
) -> None:
    services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.RESOLVED)

    services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.OPEN)

    ticket.refresh_from_db()
    assert ticket.resolved_at is None


def test_assigning_records_who_from_and_to(ticket: Ticket, lead: User, operator: User) -> None:
    services.ticket_update(ticket=ticket, actor=lead, assignee=operator)

    event = ticket.events.get(field="assignee")
    assert (event.actor, event.old_value, event.new_value) == (lead, "", str(operator))
