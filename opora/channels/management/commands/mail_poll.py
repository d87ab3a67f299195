"""Fetch new mail of one mailbox or all active ones now (the worker does it every minute)."""

from __future__ import annotations

from opora.channels.mail.imap import mailbox_poll
from opora.channels.management.poll import PollCommand
from opora.channels.models import Mailbox
from opora.channels.polling import PollResult


class Command(PollCommand):
    help = "Fetch new mail now: opora mail_poll [--mailbox NAME] [--break-lease]"
    model = Mailbox
    option = "mailbox"
    noun, plural = "mailbox", "mailboxes"
    option_help = "name or address; all active mailboxes if omitted"

    def poll(self, source: Mailbox) -> PollResult:
        return mailbox_poll(source)

    def label(self, source: Mailbox) -> str:
        return source.address
