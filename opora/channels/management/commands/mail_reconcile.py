"""Compare each mailbox's folder on the server with what Opora recorded."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opora.channels.mail.imap import MAIL_ERRORS, mailbox_reconcile
from opora.channels.models import Mailbox


class Command(BaseCommand):
    help = "Reconcile mailboxes with the IMAP server; exit 1 when a message is missing"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="name or address; all active mailboxes if omitted")

    def handle(self, *args: Any, **options: Any) -> None:
        mailboxes = Mailbox.objects.filter(is_active=True)
        if options["mailbox"]:
            name = options["mailbox"]
            mailboxes = Mailbox.named(name)
            if not mailboxes.exists():
                raise CommandError(f"no mailbox named {name!r}")
        problems = 0
        for mailbox in mailboxes:
            try:
                report = mailbox_reconcile(mailbox)
            except MAIL_ERRORS as error:
                self.stdout.write(f"{mailbox.address}: cannot reach the server: {error}")
                problems += 1
                continue
            recorded = ", ".join(f"{k} {v}" for k, v in sorted(report.recorded.items())) or "-"
            self.stdout.write(
                f"{mailbox.address}: on server {report.on_server}; recorded: {recorded}; "
                f"waiting {len(report.waiting)}; missing {len(report.missing)}"
            )
            if report.missing:
                self.stdout.write(f"  missing UIDs: {' '.join(map(str, report.missing[:100]))}")
                problems += 1
        if problems:
            raise CommandError("reconciliation found problems")
