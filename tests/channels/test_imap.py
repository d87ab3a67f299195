"""Against a real Dovecot and a real SMTP receiver: fetch by UID, never lose, never duplicate.

Messages are put on the server with IMAP APPEND, fetched by Opora's poller,
and the replies are captured by the SMTP sink.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.channels.mail import inbound
from opora.channels.mail.imap import mailbox_poll, mailbox_reconcile
from opora.channels.models import Delivery, InboundEmail, Mailbox
from opora.channels.outbox import delivery_attempt
from opora.channels.polling import POLL_LEASE
from opora.tickets import services as tickets
from opora.tickets.models import Ticket
from tests.channels.helpers import make_mailbox, raw_email
from tests.mailservers import ImapMailbox, SmtpSink

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(imap_mailbox: ImapMailbox, first_line: Team, smtp_sink: SmtpSink) -> Mailbox:
    return make_mailbox(
        first_line,
        imap_host=imap_mailbox.host,
        imap_port=imap_mailbox.port,
        imap_username=imap_mailbox.username,
        password=imap_mailbox.password,
        uidvalidity=None,
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        smtp_security="none",
    )


def test_appended_mail_becomes_tickets_and_flags_stay_untouched(
    mailbox: Mailbox, imap_mailbox: ImapMailbox, smtp_sink: SmtpSink
) -> None:
    uids = [imap_mailbox.append(raw_email(subject=f"Письмо {n}")) for n in range(3)]

    result = mailbox_poll(mailbox)

    assert result.error == ""
    assert result.fetched == 3
    assert Ticket.objects.count() == 3
    mailbox.refresh_from_db()
    assert mailbox.last_uid == uids[-1]
    assert mailbox.uidvalidity == imap_mailbox.uidvalidity()
    # Read with BODY.PEEK: the client's «unread» marks are theirs.
    assert all("\\Seen" not in imap_mailbox.flags(uid) for uid in uids)
    # Acknowledgements went out through the real SMTP server.
    received = smtp_sink.wait_for(3)
    assert {m.rcpt_tos for m in received} == {("pavel@romashka.ru",)}


def test_read_mail_is_fetched_too(mailbox: Mailbox, imap_mailbox: ImapMailbox) -> None:
    """Helpdesks that fetch only unread mail lose what someone opened in their client."""
    imap_mailbox.append(raw_email(subject="Уже прочитано"), flags=["\\Seen"])
    mailbox_poll(mailbox)
    assert Ticket.objects.filter(subject="Уже прочитано").exists()


def test_a_second_poll_fetches_only_what_is_new(
    mailbox: Mailbox, imap_mailbox: ImapMailbox
) -> None:
    imap_mailbox.append(raw_email(subject="Первое"))
    mailbox_poll(mailbox)
    assert mailbox_poll(mailbox).fetched == 0
    imap_mailbox.append(raw_email(subject="Второе"))
    assert mailbox_poll(mailbox).fetched == 1
    assert Ticket.objects.count() == 2


def test_a_new_uidvalidity_rereads_the_folder_without_duplicates(
    mailbox: Mailbox, imap_mailbox: ImapMailbox
) -> None:
    imap_mailbox.append(raw_email(subject="Раз"))
    imap_mailbox.append(raw_email(subject="Два"))
    mailbox_poll(mailbox)
    old = imap_mailbox.uidvalidity()
    assert imap_mailbox.recreate_folder() != old

    result = mailbox_poll(mailbox)

    assert result.statuses == {"duplicate": 2}
    assert Ticket.objects.count() == 2
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == imap_mailbox.uidvalidity()


def test_an_oversized_message_is_not_downloaded_and_does_not_block_the_rest(
    mailbox: Mailbox, imap_mailbox: ImapMailbox
) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(max_message_mb=1)
    mailbox.refresh_from_db()
    big = raw_email(
        subject="Огромное", attachments=[("dump.bin", b"\0" * 1_200_000, "application/zip")]
    )
    big_uid = imap_mailbox.append(big)
    imap_mailbox.append(raw_email(subject="Обычное"))

    result = mailbox_poll(mailbox)

    assert result.too_large == 1
    assert Ticket.objects.filter(subject="Обычное").exists()
    row = InboundEmail.objects.get(uid=big_uid)
    assert (row.status, row.reason) == ("quarantined", "too_large")
    assert not row.raw

    # An administrator lets it through: it is fetched now and imported.
    from opora.channels.services import inbound_retry

    admin = User.objects.create(email="root@opora.test", full_name="Root", role=User.Role.ADMIN)
    row = inbound_retry(actor=admin, inbound=row)
    assert (row.status, row.reason) == ("imported", "new_ticket")
    assert Ticket.objects.filter(subject="Огромное").exists()


def test_broken_mail_goes_to_quarantine_and_the_mailbox_moves_on(
    mailbox: Mailbox, imap_mailbox: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    imap_mailbox.append(raw_email(subject="Сломается"))
    imap_mailbox.append(raw_email(subject="Дойдёт"))
    real = tickets.ticket_create

    def fail_once(**kwargs: object) -> Ticket:
        if kwargs["subject"] == "Сломается":
            raise ValueError("unexpected data")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inbound.tickets, "ticket_create", fail_once)
    result = mailbox_poll(mailbox)
    assert result.statuses == {"quarantined": 1, "imported": 1}
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Дойдёт"]


def test_processed_mail_can_be_marked_read_or_moved(
    mailbox: Mailbox, imap_mailbox: ImapMailbox
) -> None:
    uid = imap_mailbox.append(raw_email(subject="Отметить"))
    Mailbox.objects.filter(pk=mailbox.pk).update(after_import="seen")
    mailbox.refresh_from_db()
    mailbox_poll(mailbox)
    assert "\\Seen" in imap_mailbox.flags(uid)

    imap_mailbox.append(raw_email(subject="Переместить"))
    Mailbox.objects.filter(pk=mailbox.pk).update(after_import="move", processed_folder="Opora")
    mailbox.refresh_from_db()
    mailbox_poll(mailbox)
    assert len(imap_mailbox.uids("Opora")) == 1
    assert imap_mailbox.uids() == [uid]


def test_a_wrong_password_is_recorded_on_the_mailbox(mailbox: Mailbox) -> None:
    mailbox.imap_password = "wrong"
    mailbox.save()
    result = mailbox_poll(mailbox)
    assert result.error
    mailbox.refresh_from_db()
    assert mailbox.last_error and mailbox.last_error_at is not None
    assert mailbox.poll_lease_until is None


def test_two_pollers_never_fetch_the_same_mailbox_at_once(mailbox: Mailbox) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=timezone.now() + POLL_LEASE)
    assert mailbox_poll(mailbox).busy


def test_reconciliation_shows_nothing_missing_and_what_is_waiting(
    mailbox: Mailbox, imap_mailbox: ImapMailbox
) -> None:
    imap_mailbox.append(raw_email(subject="Раз"))
    mailbox_poll(mailbox)
    waiting = imap_mailbox.append(raw_email(subject="Два"))

    report = mailbox_reconcile(mailbox)

    assert report.on_server == 2
    assert report.missing == []
    assert report.waiting == [waiting]
    assert report.recorded == {"imported": 1}


def test_reconciliation_finds_a_message_that_was_skipped(
    mailbox: Mailbox, imap_mailbox: ImapMailbox
) -> None:
    first = imap_mailbox.append(raw_email(subject="Раз"))
    imap_mailbox.append(raw_email(subject="Два"))
    mailbox_poll(mailbox)
    InboundEmail.objects.filter(uid=first).delete()  # as if lost
    assert mailbox_reconcile(mailbox).missing == [first]


def test_the_operators_reply_reaches_the_client_over_smtp(
    mailbox: Mailbox, imap_mailbox: ImapMailbox, smtp_sink: SmtpSink, operator: User
) -> None:
    imap_mailbox.append(raw_email(subject="Нужна помощь", message_id="<help@romashka.ru>"))
    mailbox_poll(mailbox)
    smtp_sink.wait_for(1)
    smtp_sink.clear()
    ticket = Ticket.objects.get()

    tickets.ticket_reply(ticket=ticket, author=operator, body="Помогаем!")

    [received] = smtp_sink.wait_for(1)
    assert received.rcpt_tos == ("pavel@romashka.ru",)
    assert received.message["In-Reply-To"] == "<help@romashka.ru>"
    assert ticket.reference in str(received.message["Subject"])
    assert "Помогаем!" in received.message.get_body(("plain",)).get_content()
    assert Delivery.objects.get(message__isnull=False).status == Delivery.Status.SENT


def test_a_temporary_smtp_refusal_is_retried(
    mailbox: Mailbox, imap_mailbox: ImapMailbox, smtp_sink: SmtpSink, operator: User
) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(send_acknowledgement=False)
    mailbox.refresh_from_db()
    imap_mailbox.append(raw_email())
    mailbox_poll(mailbox)
    smtp_sink.reject(count=1)
    tickets.ticket_reply(ticket=Ticket.objects.get(), author=operator, body="Ответ")
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING

    later = timezone.now() + dt.timedelta(minutes=2)
    assert delivery_attempt(delivery.pk, now=later) == "sent"
    assert len(smtp_sink.wait_for(1)) == 1
