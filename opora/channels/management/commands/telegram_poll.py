"""Fetch new messages of one Telegram bot or all active ones now (the worker does it every 15 s)."""

from __future__ import annotations

from opora.channels.management.poll import PollCommand
from opora.channels.models import TelegramBot
from opora.channels.polling import PollResult
from opora.channels.telegram.inbound import bot_poll


class Command(PollCommand):
    help = "Fetch new Telegram messages now: opora telegram_poll [--bot NAME] [--break-lease]"
    model = TelegramBot
    option = "bot"
    noun, plural = "Telegram bot", "bots"
    option_help = "name or @username; all active bots if omitted"

    def poll(self, source: TelegramBot) -> PollResult:
        return bot_poll(source)

    def label(self, source: TelegramBot) -> str:
        return source.name
