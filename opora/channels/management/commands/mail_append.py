"""Put an .eml file into a mailbox's IMAP folder, as if it had been mailed to it.

Handy for the demo and for checking a mailbox end to end: the next poll
fetches it like any other message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opora.channels.mail.imap import MAIL_ERRORS, imap_connect
from opora.channels.models import Mailbox


class Command(BaseCommand):
    help = "Append .eml files to a mailbox's IMAP folder: opora mail_append --mailbox NAME FILE…"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", required=True, help="name or address")
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["mailbox"]
        mailbox = Mailbox.named(name).first()
        if mailbox is None:
            raise CommandError(f"no mailbox named {name!r}")
        try:
            with imap_connect(mailbox) as client:
                for path in options["files"]:
                    try:
                        raw = path.read_bytes()
                    except OSError as error:
                        raise CommandError(f"{path}: {error.strerror}") from error
                    client.append(mailbox.imap_folder, raw)
                    self.stdout.write(f"{path} → {mailbox.address}/{mailbox.imap_folder}")
        except MAIL_ERRORS as error:
            raise CommandError(f"{mailbox.address}: {error}") from error
