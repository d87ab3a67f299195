"""Fetch new messages of one Telegram bot or all active ones now (the worker does it every 15 s)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from opora.channels.models import TelegramBot
from opora.channels.telegram.inbound import bot_poll


class Command(BaseCommand):
    help = "Fetch new Telegram messages now: opora telegram_poll [--bot NAME] [--break-lease]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bot", help="name or @username; all active bots if omitted")
        parser.add_argument(
            "--break-lease",
            action="store_true",
            help="take over from a poller that crashed (its lease would otherwise last 10 minutes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bots = TelegramBot.objects.filter(is_active=True)
        if options["bot"]:
            name = options["bot"]
            bots = TelegramBot.objects.filter(Q(name=name) | Q(username=name.lstrip("@")))
            if not bots.exists():
                raise CommandError(f"no Telegram bot named {name!r}")
        failed = False
        for bot in bots:
            if options["break_lease"]:
                TelegramBot.objects.filter(pk=bot.pk).update(poll_lease_until=None)
            result = bot_poll(bot)
            failed = failed or bool(result.error)
            self.stdout.write(f"{bot.name}: {result.summary()}")
        if failed:
            raise CommandError("some bots could not be checked")
