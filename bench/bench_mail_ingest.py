"""Email ingest end to end: from a real Dovecot on 127.0.0.1 into tickets.

Usage:
    .venv/bin/python bench/bench_mail_ingest.py [--messages 1000]
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_mail_ingest.py

Without DATABASE_URL it runs on a fresh SQLite file in a temporary directory.
It starts a private Dovecot (tests/mailservers.py), APPENDs the messages
(four in five new requests, one in five a reply threaded by In-Reply-To),
then times `mailbox_poll`: fetch by UID, parse, contact lookup, ticket or
reply, SLA clocks, rules, assignment, acknowledgement queued — one
transaction per message, as in production.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ:
    os.environ["OPORA_DATA_DIR"] = tempfile.mkdtemp(prefix="opora-bench-mail-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
os.environ.setdefault("EMAIL_URL", "dummymail://")
os.environ.setdefault("OPORA_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from opora.accounts.models import Team  # noqa: E402
from opora.channels.mail.imap import mailbox_poll  # noqa: E402
from opora.channels.models import InboundEmail, Mailbox  # noqa: E402
from opora.tickets.models import Ticket, TicketType  # noqa: E402
from tests.channels.helpers import raw_email  # noqa: E402
from tests.mailservers import ImapServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    team, _ = Team.objects.get_or_create(name="Бенчмарк")
    with ImapServer() as server:
        user = "support@opora.test"
        mailbox, _ = Mailbox.objects.update_or_create(
            address=user,
            defaults={
                "name": "Бенчмарк",
                "team": team,
                "ticket_type": TicketType.objects.get(code="standard"),
                "imap_host": server.host,
                "imap_port": server.port,
                "imap_security": "none",
                "imap_username": user,
                "uidvalidity": None,
                "last_uid": 0,
            },
        )
        mailbox.imap_password = server.users[user]
        mailbox.save()
        run = int(time.time())
        started = time.perf_counter()
        for n in range(args.messages):
            headers = {}
            if n % 5 == 4:
                headers["In-Reply-To"] = f"<bench-{run}-{n - 1}@client.ru>"
            server.append(
                user,
                raw_email(
                    subject=f"Запрос {n}: не работает выгрузка",
                    sender=f"Клиент {n % 300} <client{n % 300}@client.ru>",
                    message_id=f"<bench-{run}-{n}@client.ru>",
                    headers=headers,
                ),
            )
        appended = time.perf_counter() - started
        tickets_before = Ticket.objects.count()

        started = time.perf_counter()
        result = mailbox_poll(mailbox, limit=args.messages)
        elapsed = time.perf_counter() - started

    assert result.error == "", result.error
    assert result.fetched == args.messages, result
    imported = InboundEmail.objects.filter(mailbox=mailbox, status="imported").count()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"database: {connection.vendor}")
    print(f"appended {args.messages} messages over IMAP in {appended:.1f} s")
    print(
        f"ingested {result.fetched} ({imported} imported, "
        f"{Ticket.objects.count() - tickets_before} new tickets) in {elapsed:.2f} s "
        f"= {result.fetched / elapsed:.0f} messages/s  (target ≥ 50/s)"
    )


if __name__ == "__main__":
    main()
