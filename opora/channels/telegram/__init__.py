"""Telegram: clients write to a company's bot, operators' replies go back to the chat.

`client` speaks the Bot API over HTTP, `inbound` turns updates into tickets
and replies (polled with getUpdates), `outbound` is the outbox's sender.
"""
