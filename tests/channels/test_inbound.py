"""From email bytes to exactly one ticket or reply: threading, duplicates, auto-replies,
quarantine. The IMAP side is in test_imap.py; here the bytes are handed over directly."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from opora.accounts.models import Team, User
from opora.channels.mail import inbound
from opora.channels.mail.inbound import email_ingest, email_retry, reply_address
from opora.channels.models import Delivery, InboundEmail, Mailbox
from opora.clients.models import Contact
from opora.tickets import services as tickets
from opora.tickets.models import BlockedSender, Message, Ticket
from tests.channels.helpers import make_mailbox, raw_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(first_line: Team) -> Mailbox:
    return make_mailbox(first_line)


def ingest(mailbox: Mailbox, uid: int, raw: bytes) -> InboundEmail:
    return email_ingest(mailbox=mailbox, uidvalidity=1, uid=uid, raw=raw)


def test_a_new_email_becomes_a_ticket_in_the_mailboxs_queue(mailbox: Mailbox) -> None:
    row = ingest(mailbox, 1, raw_email())

    assert (row.status, row.reason) == ("imported", "new_ticket")
    ticket = row.ticket
    assert ticket is not None
    assert ticket.subject == "Не работает выгрузка"
    assert ticket.channel == Ticket.Channel.EMAIL
    assert ticket.team == mailbox.team
    assert ticket.requester is not None
    assert (ticket.requester.email, ticket.requester.full_name) == (
        "pavel@romashka.ru",
        "Павел Николаев",
    )
    assert row.message is not None and "не выгружаются заказы" in row.message.body
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 1


def test_the_client_gets_an_acknowledgement_with_the_ticket_number(mailbox: Mailbox) -> None:
    row = ingest(mailbox, 1, raw_email())
    ticket = row.ticket
    assert ticket is not None

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["pavel@romashka.ru"]
    assert ticket.reference in sent.subject
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert sent.extra_headers["In-Reply-To"] == f"<{row.email_message_id}>"
    assert sent.extra_headers["Reply-To"] == reply_address(mailbox.address, ticket)
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.status == Delivery.Status.SENT


def test_no_acknowledgement_when_the_mailbox_is_told_not_to(mailbox: Mailbox) -> None:
    mailbox.send_acknowledgement = False
    mailbox.save()
    ingest(mailbox, 1, raw_email())
    assert mail.outbox == []


def test_the_same_uid_twice_is_one_ticket(mailbox: Mailbox) -> None:
    raw = raw_email()
    first = ingest(mailbox, 7, raw)
    second = ingest(mailbox, 7, raw)
    assert first.pk == second.pk
    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_the_same_message_id_under_another_uid_is_a_duplicate(mailbox: Mailbox) -> None:
    raw = raw_email(message_id="<same@romashka.ru>")
    first = ingest(mailbox, 1, raw)
    other = make_mailbox(name="Продажи", address="sales@opora.test")
    again = email_ingest(mailbox=other, uidvalidity=1, uid=1, raw=raw)

    assert (again.status, again.reason) == ("duplicate", "same_message_id")
    assert again.ticket_id == first.ticket_id
    assert Ticket.objects.count() == 1


def test_a_reply_threads_by_in_reply_to_and_loses_its_quoted_history(mailbox: Mailbox) -> None:
    first = ingest(mailbox, 1, raw_email(message_id="<q1@romashka.ru>"))
    reply = raw_email(
        subject="Re: Не работает выгрузка",
        body=(
            "Проверили ещё раз — ошибка повторяется.\n\n"
            "пн, 23 нояб. 2026 г. в 10:00, Поддержка <support@opora.test>:\n"
            "> Здравствуйте! Уточните, пожалуйста, номер заказа.\n"
        ),
        headers={"In-Reply-To": "<q1@romashka.ru>", "References": "<q1@romashka.ru>"},
    )
    row = ingest(mailbox, 2, reply)

    assert (row.status, row.reason) == ("imported", "reply")
    assert row.ticket_id == first.ticket_id
    assert row.message is not None
    assert row.message.body == "Проверили ещё раз — ошибка повторяется."
    assert Ticket.objects.count() == 1


def test_a_reply_to_our_outgoing_message_id_threads(mailbox: Mailbox) -> None:
    first = ingest(mailbox, 1, raw_email())
    ours = Delivery.objects.get(ticket=first.ticket).email_message_id
    row = ingest(mailbox, 2, raw_email(subject="Спасибо", headers={"In-Reply-To": f"<{ours}>"}))
    assert row.ticket_id == first.ticket_id


def test_the_signed_reply_address_finds_the_ticket_from_anyone(mailbox: Mailbox) -> None:
    first = ingest(mailbox, 1, raw_email())
    assert first.ticket is not None
    address = reply_address(mailbox.address, first.ticket)
    row = ingest(
        mailbox, 2, raw_email(subject="Пересылаю", sender="colleague@other.ru", to=address)
    )
    assert row.ticket_id == first.ticket_id


def test_a_forged_reply_address_opens_a_new_ticket(mailbox: Mailbox) -> None:
    first = ingest(mailbox, 1, raw_email())
    assert first.ticket is not None
    forged = f"support+op{first.ticket.number}-0000000000@opora.test"
    row = ingest(mailbox, 2, raw_email(sender="stranger@evil.ru", to=forged))
    assert row.reason == "new_ticket"
    assert row.ticket_id != first.ticket_id


def test_a_ticket_number_in_the_subject_counts_only_for_the_tickets_people(
    mailbox: Mailbox,
) -> None:
    first = ingest(mailbox, 1, raw_email())
    assert first.ticket is not None
    subject = f"Re: [{first.ticket.reference}] выгрузка"
    own = ingest(mailbox, 2, raw_email(subject=subject))
    stranger = ingest(mailbox, 3, raw_email(subject=subject, sender="stranger@evil.ru"))
    assert own.ticket_id == first.ticket_id
    assert stranger.reason == "new_ticket"


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(mailbox: Mailbox, head: User) -> None:
    first = ingest(mailbox, 1, raw_email(message_id="<c1@romashka.ru>"))
    ticket = first.ticket
    assert ticket is not None
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    row = ingest(mailbox, 2, raw_email(headers={"In-Reply-To": "<c1@romashka.ru>"}))
    assert row.ticket_id != ticket.pk
    assert row.ticket is not None and row.ticket.links_out.filter(target=ticket).exists()


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "pavel@romashka.ru", "auto_reply"),
        ({"Precedence": "bulk"}, "news@romashka.ru", "bulk"),
        ({"X-Opora-Loop": "OP-10001"}, "pavel@romashka.ru", "loop"),
        ({}, "support@opora.test", "loop"),
    ],
)
def test_machines_are_not_answered(
    mailbox: Mailbox, headers: dict[str, str], sender: str, reason: str
) -> None:
    row = ingest(mailbox, 1, raw_email(headers=headers, sender=sender))
    assert (row.status, row.reason) == ("ignored", reason)
    assert Ticket.objects.count() == 0
    assert mail.outbox == []


def test_an_auto_reply_on_a_waiting_ticket_does_not_reopen_it(mailbox: Mailbox) -> None:
    first = ingest(mailbox, 1, raw_email(message_id="<w1@romashka.ru>"))
    Ticket.objects.filter(pk=first.ticket_id).update(status=Ticket.Status.PENDING)
    row = ingest(
        mailbox,
        2,
        raw_email(
            subject="Автоответ: Не работает выгрузка",
            headers={"In-Reply-To": "<w1@romashka.ru>", "Auto-Submitted": "auto-replied"},
        ),
    )
    assert row.status == "ignored"
    assert row.ticket_id == first.ticket_id
    assert Ticket.objects.get(pk=first.ticket_id).status == Ticket.Status.PENDING


def test_a_bounce_marks_our_outgoing_email_bounced(mailbox: Mailbox) -> None:
    first = ingest(mailbox, 1, raw_email())
    delivery = Delivery.objects.get(ticket=first.ticket)
    dsn = _dsn(delivery.email_message_id)
    row = ingest(mailbox, 2, dsn)
    assert (row.status, row.reason) == ("ignored", "bounce")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED


def _dsn(original_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.romashka.ru (Mail Delivery System)\r\n"
        "To: support@opora.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.romashka.ru>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n550 5.1.1 <pavel@romashka.ru>: no such user\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.romashka.ru\r\n\r\nFinal-Recipient: rfc822; pavel@romashka.ru\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{original_id}>\r\nSubject: test\r\n"
        "--B--\r\n"
    ).encode()


def test_a_blocked_sender_is_not_imported(mailbox: Mailbox, admin_user: User) -> None:
    BlockedSender.objects.create(pattern="@spam.ru")
    row = ingest(mailbox, 1, raw_email(sender="promo@spam.ru"))
    assert (row.status, row.reason) == ("ignored", "blocked")
    assert Ticket.objects.count() == 0


def test_dangerous_attachments_are_withheld_and_the_rest_kept(mailbox: Mailbox) -> None:
    raw = raw_email(
        attachments=[
            ("Счёт.pdf", b"%PDF-1.4 test", "application/pdf"),
            ("update.exe", b"MZ\x90\x00", "application/octet-stream"),
        ]
    )
    row = ingest(mailbox, 1, raw)
    assert row.message is not None
    assert [a.name for a in row.message.attachments.all()] == ["Счёт.pdf"]
    assert "update.exe" in row.message.body
    assert any("update.exe" in note for note in row.notes)


def test_unreadable_bytes_wait_in_quarantine_and_the_cursor_moves_on(mailbox: Mailbox) -> None:
    row = ingest(mailbox, 5, b"")
    assert (row.status, row.reason) == ("quarantined", "parse_error")
    assert row.error
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 5
    assert Ticket.objects.count() == 0


def test_a_failed_import_leaves_nothing_half_done_and_can_be_retried(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tickets.ticket_create

    def broken(**kwargs: Any) -> Ticket:
        real(**kwargs)  # writes the ticket, then fails: the savepoint must undo it
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(inbound.tickets, "ticket_create", broken)
    row = ingest(mailbox, 1, raw_email())
    assert (row.status, row.reason) == ("quarantined", "failed")
    assert "database hiccup" in row.error
    assert Ticket.objects.count() == 0
    assert Message.objects.count() == 0
    assert Contact.objects.count() == 0

    monkeypatch.setattr(inbound.tickets, "ticket_create", real)
    again = email_retry(inbound=row)
    assert (again.status, again.reason) == ("imported", "new_ticket")
    assert Ticket.objects.count() == 1


def test_a_flood_from_one_sender_is_treated_as_a_loop(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbound, "LOOP_LIMIT_PER_HOUR", 3)
    rows = [ingest(mailbox, uid, raw_email(subject=f"Тест {uid}")) for uid in range(1, 6)]
    assert [r.reason for r in rows] == ["new_ticket"] * 3 + ["loop", "loop"]
