"""Fetch new mail of one mailbox or all active ones now (the worker does it every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opora.channels.mail.imap import mailbox_poll
from opora.channels.models import Mailbox


class Command(BaseCommand):
    help = "Fetch new mail now: opora mail_poll [--mailbox NAME] [--break-lease]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="name or address; all active mailboxes if omitted")
        parser.add_argument(
            "--break-lease",
            action="store_true",
            help="take over from a poller that crashed (its lease would otherwise last 10 minutes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mailboxes = Mailbox.objects.filter(is_active=True)
        if options["mailbox"]:
            name = options["mailbox"]
            mailboxes = Mailbox.named(name)
            if not mailboxes.exists():
                raise CommandError(f"no mailbox named {name!r}")
        failed = False
        for mailbox in mailboxes:
            if options["break_lease"]:
                Mailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=None)
            result = mailbox_poll(mailbox)
            failed = failed or bool(result.error)
            self.stdout.write(f"{mailbox.address}: {result.summary()}")
        if failed:
            raise CommandError("some mailboxes could not be checked")
