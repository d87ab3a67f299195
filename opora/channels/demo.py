"""The demo company's channels: its support mailbox with a short inbound history.

The mailbox points at the throwaway IMAP server of scripts/imap-test-server.sh
and the bot at the Bot API stand-in of tests/telegram_standin.py; both are
switched off, so `make run` needs no other service. README «Email in the demo»
and «Telegram in the demo» say how to send them a message.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from opora.accounts.models import Team
from opora.channels.mail.inbound import email_ingest
from opora.channels.models import Delivery, Mailbox, TelegramBot
from opora.tickets.models import TicketType

DEMO_ADDRESS = "support@opora.demo"
DEMO_BOT_PORT = 14380
DEMO_BOT_TOKEN = "7000000001:opora-demo-standin-token"  # noqa: S105 -- the stand-in's, not Telegram's


def _email(sender: str, subject: str, body: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DEMO_ADDRESS
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="demo.client")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


HISTORY = [
    _email(
        "Ирина Белова <i.belova@severstal-trade.demo>",
        "Не приходят уведомления о заказах",
        "Добрый день!\n\nС утра менеджеры не получают уведомления о новых заказах. "
        "Проверьте, пожалуйста.\n\nИрина Белова",
    ),
    _email(
        "Ирина Белова <i.belova@severstal-trade.demo>",
        "Автоответ: Не приходят уведомления о заказах",
        "Я в отпуске до понедельника.",
        Auto_Submitted="auto-replied",
    ),
    b"",  # a message the server returned empty: it waits in quarantine
]


def seed_channels() -> None:
    if not Mailbox.objects.filter(address=DEMO_ADDRESS).exists():
        mailbox = Mailbox(
            name="Поддержка",
            address=DEMO_ADDRESS,
            team=Team.objects.filter(name="Первая линия").first(),
            ticket_type=TicketType.objects.filter(code="standard").first(),
            signature="Служба поддержки «Опора Демо»\n+7 495 000-00-00",
            is_active=False,
            imap_host="127.0.0.1",
            imap_port=14329,
            imap_security="none",
            imap_username=DEMO_ADDRESS,
        )
        mailbox.imap_password = "password"  # noqa: S105 -- the throwaway demo IMAP server
        mailbox.save()
        # A past server (UIDVALIDITY 1): the real one renumbers, and nothing is duplicated.
        for uid, raw in enumerate(HISTORY, start=1):
            email_ingest(mailbox=mailbox, uidvalidity=1, uid=uid, raw=raw)
        # The demo's history was «sent» when it happened: the worker must not mail it now.
        Delivery.objects.filter(status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=1
        )
    if not TelegramBot.objects.exists():
        bot = TelegramBot(
            name="Опора Демо",
            api_base_url=f"http://127.0.0.1:{DEMO_BOT_PORT}",
            username="opora_test_bot",
            team=Team.objects.filter(name="Первая линия").first(),
            ticket_type=TicketType.objects.filter(code="standard").first(),
            is_active=False,
        )
        bot.token = DEMO_BOT_TOKEN
        bot.save()
