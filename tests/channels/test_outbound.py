"""Replies leave through the outbox: threaded, with the reply address, retried on failure."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.channels import outbox
from opora.channels.mail.inbound import email_ingest, reply_address
from opora.channels.models import Delivery, Mailbox
from opora.channels.tasks import deliveries_due
from opora.tickets import services as tickets
from opora.tickets.models import Ticket
from tests.channels.helpers import make_mailbox, raw_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(first_line: Team) -> Mailbox:
    return make_mailbox(first_line, send_acknowledgement=False)


@pytest.fixture
def email_ticket(mailbox: Mailbox) -> Ticket:
    row = email_ingest(
        mailbox=mailbox, uidvalidity=1, uid=1, raw=raw_email(message_id="<c1@romashka.ru>")
    )
    assert row.ticket is not None
    return row.ticket


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_reply_reaches_the_client_threaded_under_their_email(
    email_ticket: Ticket, operator: User, mailbox: Mailbox
) -> None:
    tickets.ticket_reply(
        ticket=email_ticket,
        author=operator,
        body="Исправили выгрузку, проверьте, пожалуйста.",
        files=[SimpleUploadedFile("отчёт.txt", "готово".encode(), "text/plain")],
    )

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["pavel@romashka.ru"]
    assert sent.subject == f"Re: Не работает выгрузка [{email_ticket.reference}]"
    assert sent.from_email == "Поддержка <support@opora.test>"
    assert sent.extra_headers["In-Reply-To"] == "<c1@romashka.ru>"
    assert sent.extra_headers["References"] == "<c1@romashka.ru>"
    assert sent.extra_headers["Reply-To"] == reply_address(mailbox.address, email_ticket)
    assert sent.extra_headers["X-Opora-Loop"] == email_ticket.reference
    assert "Auto-Submitted" not in sent.extra_headers
    assert "Исправили выгрузку" in sent.body
    assert operator.full_name in sent.body
    assert [a[0] for a in sent.attachments] == ["отчёт.txt"]
    html = sent.alternatives[0]
    assert "Исправили выгрузку" in str(html[0])
    delivery = Delivery.objects.get(message__ticket=email_ticket)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1


def test_an_internal_note_is_never_sent(email_ticket: Ticket, operator: User) -> None:
    tickets.ticket_reply(ticket=email_ticket, author=operator, body="Заметка", internal=True)
    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_the_reply_address_of_the_answer_continues_the_thread(
    email_ticket: Ticket, operator: User, mailbox: Mailbox
) -> None:
    tickets.ticket_reply(ticket=email_ticket, author=operator, body="Уточните номер заказа.")
    ours = Delivery.objects.get().email_message_id
    row = email_ingest(
        mailbox=mailbox,
        uidvalidity=1,
        uid=2,
        raw=raw_email(
            subject="Re: Не работает выгрузка",
            body="Заказ 1042.",
            headers={"In-Reply-To": f"<{ours}>", "References": f"<c1@romashka.ru> <{ours}>"},
        ),
    )
    assert row.ticket_id == email_ticket.pk
    assert row.reason == "reply"


def test_a_failing_server_is_retried_with_growing_pauses_then_gives_up(
    email_ticket: Ticket, operator: User, mailbox: Mailbox
) -> None:
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = "127.0.0.1", closed_port(), "none"
    mailbox.save()
    tickets.ticket_reply(ticket=email_ticket, author=operator, body="Ответ")
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.attempts == 1
    assert "ConnectionRefused" in delivery.last_error
    assert delivery.next_attempt_at is not None
    first_pause = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=50) < first_pause <= dt.timedelta(minutes=1)

    # Not due yet: nothing happens.
    assert outbox.delivery_attempt(delivery.pk) == "skipped: not due"
    now = timezone.now()
    for attempt in range(2, Delivery.MAX_ATTEMPTS + 1):
        now += dt.timedelta(hours=13)
        assert outbox.deliveries_due(now=now) == [delivery.pk]
        outbox.delivery_attempt(delivery.pk, now=now)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.next_attempt_at is None
    assert outbox.deliveries_due(now=now + dt.timedelta(days=1)) == []


def test_backoff_grows_and_stops_growing() -> None:
    pauses = [outbox.backoff(n) for n in range(1, 10)]
    assert pauses[:3] == [dt.timedelta(minutes=m) for m in (1, 5, 15)]
    assert pauses == sorted(pauses)
    assert pauses[-1] == dt.timedelta(hours=12)


def test_a_retry_after_the_server_recovers_delivers_once(
    email_ticket: Ticket, operator: User, mailbox: Mailbox
) -> None:
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = "127.0.0.1", closed_port(), "none"
    mailbox.save()
    tickets.ticket_reply(ticket=email_ticket, author=operator, body="Ответ")
    Mailbox.objects.filter(pk=mailbox.pk).update(smtp_host="")  # back to the working server
    later = timezone.now() + dt.timedelta(minutes=2)
    delivery = Delivery.objects.get()
    assert outbox.delivery_attempt(delivery.pk, now=later) == "sent"
    assert outbox.delivery_attempt(delivery.pk, now=later) == "skipped: not due"
    assert len(mail.outbox) == 1


def test_a_worker_that_died_mid_send_is_picked_up_after_its_lease(
    email_ticket: Ticket, operator: User
) -> None:
    tickets.ticket_reply(ticket=email_ticket, author=operator, body="Ответ")
    delivery = Delivery.objects.get()
    # As if a worker claimed it and was killed before recording the outcome.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, next_attempt_at=timezone.now() + outbox.SENDING_LEASE
    )
    assert outbox.deliveries_due() == []
    later = timezone.now() + outbox.SENDING_LEASE + dt.timedelta(seconds=1)
    assert outbox.deliveries_due(now=later) == [delivery.pk]
    assert outbox.delivery_attempt(delivery.pk, now=later) == "sent"


def test_the_periodic_job_enqueues_due_retries(
    email_ticket: Ticket, operator: User, mailbox: Mailbox
) -> None:
    tickets.ticket_reply(ticket=email_ticket, author=operator, body="Ответ")
    Delivery.objects.update(
        status=Delivery.Status.RETRYING, next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    mail.outbox.clear()
    result = deliveries_due.call()
    assert result == "enqueued 1"
    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert len(mail.outbox) == 1


def test_a_ticket_without_a_client_email_sends_nothing(operator: User, first_line: Team) -> None:
    from opora.tickets.models import TicketType

    ticket = tickets.ticket_create(
        subject="Звонок",
        body="Позвонили по телефону",
        channel=Ticket.Channel.PHONE,
        type=TicketType.objects.get(code="standard"),
        team=first_line,
        created_by=operator,
    )
    tickets.ticket_reply(ticket=ticket, author=operator, body="Перезвонили")
    assert not Delivery.objects.exists()
