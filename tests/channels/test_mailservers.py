"""The mail server fixtures do what the channel tests rely on."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail import get_connection, send_mail
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.mailservers import ImapMailbox, ImapServer, SmtpSink


def raw_message(subject: str, message_id: str = "<1@client.test>") -> bytes:
    return (
        f"From: Client <client@client.test>\r\n"
        f"To: support@opora.test\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n"
        f"\r\n"
        f"Body of {subject}\r\n"
    ).encode()


# IMAP


def test_append_returns_increasing_uids(imap_mailbox: ImapMailbox) -> None:
    assert imap_mailbox.uids() == []

    first = imap_mailbox.append(raw_message("one"))
    second = imap_mailbox.append(raw_message("two"))

    assert second > first
    assert imap_mailbox.uids() == [first, second]


def test_append_creates_a_missing_folder_with_a_cyrillic_name(imap_mailbox: ImapMailbox) -> None:
    assert imap_mailbox.folders() == ["INBOX"]

    uid = imap_mailbox.append(raw_message("архив"), folder="Архив", flags=["\\Seen"])

    assert imap_mailbox.folders() == ["INBOX", "Архив"]
    assert imap_mailbox.uids("Архив") == [uid]
    assert imap_mailbox.flags(uid, "Архив") == {"\\Seen"}


def test_reset_empties_the_mailbox(imap_server: ImapServer, imap_mailbox: ImapMailbox) -> None:
    imap_mailbox.append(raw_message("one"))
    imap_mailbox.create_folder("Processed")
    assert imap_mailbox.uids() != []

    imap_server.reset(imap_mailbox.username)

    assert imap_mailbox.uids() == []
    assert imap_mailbox.folders() == ["INBOX"]


def test_users_have_separate_mailboxes(imap_server: ImapServer, imap_mailbox: ImapMailbox) -> None:
    imap_mailbox.append(raw_message("one"))

    assert imap_server.uids("second@opora.test") == []


def test_recreate_folder_renumbers_the_kept_messages(imap_mailbox: ImapMailbox) -> None:
    imap_mailbox.append(raw_message("one"))
    imap_mailbox.append(raw_message("two"))
    kept = imap_mailbox.append(raw_message("three"), flags=["\\Seen"])
    before = imap_mailbox.uidvalidity()

    after = imap_mailbox.recreate_folder()

    assert after != before
    assert imap_mailbox.uidvalidity() == after
    assert imap_mailbox.uids() == [1, 2, 3]
    assert imap_mailbox.flags(kept) == {"\\Seen"}


def test_recreate_folder_can_empty_it(imap_mailbox: ImapMailbox) -> None:
    imap_mailbox.append(raw_message("one"), folder="Archive")
    before = imap_mailbox.uidvalidity("Archive")

    after = imap_mailbox.recreate_folder("Archive", keep_messages=False)

    assert after != before
    assert imap_mailbox.uids("Archive") == []


def test_imapclient_fetches_a_message_without_marking_it_seen(imap_mailbox: ImapMailbox) -> None:
    raw = raw_message("peek")
    uid = imap_mailbox.append(raw)
    assert imap_mailbox.flags(uid) == set()

    with IMAPClient(imap_mailbox.host, port=imap_mailbox.port, ssl=False, timeout=5) as client:
        client.login(imap_mailbox.username, imap_mailbox.password)
        client.select_folder("INBOX")
        fetched = client.fetch([uid], ["BODY.PEEK[]"])

    assert fetched[uid][b"BODY[]"] == raw
    assert imap_mailbox.flags(uid) == set()


def test_imap_rejects_a_wrong_password(imap_mailbox: ImapMailbox) -> None:
    with (
        IMAPClient(imap_mailbox.host, port=imap_mailbox.port, ssl=False, timeout=5) as client,
        pytest.raises(LoginError),
    ):
        client.login(imap_mailbox.username, "wrong")


# SMTP


def test_django_send_mail_reaches_the_sink(smtp_settings: SmtpSink) -> None:
    assert smtp_settings.messages() == []

    send_mail("Заявка 42", "Текст ответа", "support@opora.test", ["client@client.test"])

    [received] = smtp_settings.wait_for(1)
    assert received.mail_from == "support@opora.test"
    assert received.rcpt_tos == ("client@client.test",)
    assert received.message["Subject"] == "Заявка 42"
    assert received.message.get_content().strip() == "Текст ответа"


def test_sink_refuses_the_next_message_at_data_then_accepts(smtp_settings: SmtpSink) -> None:
    smtp_settings.reject(1)

    with pytest.raises(smtplib.SMTPDataError) as refused:
        send_mail("first try", "text", "support@opora.test", ["client@client.test"])
    send_mail("second try", "text", "support@opora.test", ["client@client.test"])

    assert refused.value.smtp_code == 451
    assert smtp_settings.rejected == 1
    assert [m.message["Subject"] for m in smtp_settings.messages()] == ["second try"]


def test_sink_refuses_every_recipient_until_accept(smtp_settings: SmtpSink) -> None:
    smtp_settings.reject(reply="550 5.1.1 No such user", at="rcpt")

    for _ in range(2):
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send_mail("bounce", "text", "support@opora.test", ["nobody@client.test"])
    smtp_settings.accept()
    send_mail("delivered", "text", "support@opora.test", ["client@client.test"])

    assert smtp_settings.rejected == 2
    assert len(smtp_settings.messages()) == 1


def test_sink_with_auth_accepts_only_the_right_login() -> None:
    with SmtpSink(auth=("robot@opora.test", "s3cret")) as sink:

        def send(username: str, password: str) -> int:
            connection = get_connection(
                "django.core.mail.backends.smtp.EmailBackend",
                host=sink.host,
                port=sink.port,
                username=username,
                password=password,
                use_tls=False,
                timeout=5,
            )
            return send_mail(
                "hi", "text", "robot@opora.test", ["a@client.test"], connection=connection
            )

        with pytest.raises(smtplib.SMTPAuthenticationError):
            send("robot@opora.test", "wrong")
        with pytest.raises(smtplib.SMTPSenderRefused):
            send("", "")
        assert sink.messages() == []

        assert send("robot@opora.test", "s3cret") == 1
        assert len(sink.messages()) == 1
