"""Building blocks for channel tests: a mailbox row and emails as bytes."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.utils import timezone

from opora.accounts.models import Team
from opora.channels.models import Mailbox
from opora.tickets.models import TicketType


def make_mailbox(team: Team | None = None, **fields: Any) -> Mailbox:
    values: dict[str, Any] = {
        "name": "Поддержка",
        "address": "support@opora.test",
        "team": team,
        "ticket_type": TicketType.objects.get(code="standard"),
        "imap_host": "127.0.0.1",
        "imap_port": 143,
        "imap_security": "none",
        "imap_username": "support@opora.test",
        "uidvalidity": 1,
    }
    values.update(fields)
    password = values.pop("password", "secret")
    mailbox = Mailbox(**values)
    mailbox.imap_password = password
    mailbox.save()
    return mailbox


def raw_email(
    *,
    subject: str = "Не работает выгрузка",
    body: str = "Здравствуйте! Со вчерашнего дня не выгружаются заказы.",
    sender: str = "Павел Николаев <pavel@romashka.ru>",
    to: str = "support@opora.test",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="romashka.ru")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
