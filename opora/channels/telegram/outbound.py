"""Messages to Telegram chats, through the outbox.

An operator's public reply on a ticket that came through Telegram goes to
the chat of the ticket's latest update, with the reply's attachments as
documents. Texts longer than Telegram's limit leave as several messages.
The delivery remembers how many parts went out (`payload["done"]`), so a
retry after a failure halfway does not send the first parts twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from opora.channels.models import Delivery, TelegramBot, TelegramUpdate
from opora.channels.outbox import PermanentFailure, delivery_queue
from opora.channels.telegram.client import MAX_TEXT, BotApi, TelegramError
from opora.tickets.models import Attachment, Message, Ticket

# Errors the same request will meet again: 403 the user blocked the bot (or
# left the chat), 400 the chat does not exist or the request is malformed.
# Everything else (429 flood control, 5xx, 401 a token being replaced, the
# network) is retried by the outbox.
PERMANENT_STATUSES = frozenset({400, 403})


def bot_api(bot: TelegramBot) -> BotApi:
    return BotApi(bot.api_base_url, bot.token)


def bot_check(bot: TelegramBot) -> str:
    """Ask Telegram who the bot is («test connection»); stores and returns «@username».

    Raises `TelegramError` when the server cannot be reached or refuses the token.
    """
    me = bot_api(bot).get_me()
    username = str(me.get("username") or "")[:64]
    if bot.pk is not None and username != bot.username:
        TelegramBot.objects.filter(pk=bot.pk).update(username=username)
    bot.username = username
    return f"@{username}"


# --- Queueing --------------------------------------------------------------------


def telegram_chat(ticket: Ticket) -> tuple[TelegramBot, int] | None:
    """The bot and chat of the ticket's latest Telegram update (or of a ticket merged into it)."""
    update = (
        TelegramUpdate.objects.filter(Q(ticket=ticket) | Q(ticket__merged_into=ticket))
        .filter(chat_id__isnull=False)
        .select_related("bot")
        .order_by("-id")
        .first()
    )
    if update is None or update.chat_id is None:
        return None
    return update.bot, update.chat_id


def chat_queue(
    *,
    bot: TelegramBot,
    chat_id: int,
    text: str,
    ticket: Ticket | None = None,
    message: Message | None = None,
    attachments: Iterable[int] = (),
    reply_markup: dict[str, Any] | None = None,
    edit_message_id: int | None = None,
) -> Delivery:
    """Put a text (and attachments by id) for one chat in the outbox; call inside a transaction.

    `reply_markup` (an inline keyboard) goes with the text's last part;
    `edit_message_id` replaces that message's text (and drops its keyboard)
    instead of sending a new one.
    """
    payload: dict[str, Any] = {"text": text, "attachments": list(attachments)}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    if edit_message_id is not None:
        payload["edit_message_id"] = edit_message_id
    return delivery_queue(
        channel=Delivery.Channel.TELEGRAM,
        bot=bot,
        ticket=ticket,
        message=message,
        recipient=str(chat_id),
        payload=payload,
    )


def telegram_queue(*, ticket: Ticket, message: Message | None, text: str) -> Delivery | None:
    """Queue `text` and the message's attachments to the ticket's chat; None without a chat.

    Call inside the reply's transaction, like `email_queue`.
    """
    chat = telegram_chat(ticket)
    if chat is None:
        return None
    bot, chat_id = chat
    attachments = list(message.attachments.values_list("pk", flat=True)) if message else []
    return chat_queue(
        bot=bot, chat_id=chat_id, text=text, ticket=ticket, message=message, attachments=attachments
    )


# --- Sending ---------------------------------------------------------------------


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def text_parts(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` cut into messages Telegram accepts, at a paragraph, line or space where possible.

    Telegram counts the limit in UTF-16 code units: an emoji counts twice.
    """
    text = text.strip()
    parts = []
    while text:
        units, end = 0, len(text)
        for index, char in enumerate(text):
            units += _utf16_units(char)
            if units > limit:
                end = index
                break
        if end == len(text):
            parts.append(text)
            break
        head = text[:end]
        cut = end
        for separator in ("\n\n", "\n", " "):
            at = head.rfind(separator)
            if at > end // 2:
                cut = at
                break
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return parts


def telegram_send(delivery: Delivery) -> None:
    """The outbox's sender for Telegram deliveries: the text, then each attachment."""
    bot = delivery.bot
    if bot is None:
        raise PermanentFailure("The Telegram bot was deleted.")
    api = bot_api(bot)
    payload = dict(delivery.payload)
    done = int(payload.get("done", 0))
    ids = [int(pk) for pk in payload.get("attachments", [])]
    files = {a.pk: a for a in Attachment.objects.filter(pk__in=ids)}
    # Each step is one Bot API call; the ones already made are skipped on a retry.
    texts = text_parts(str(payload.get("text", "")))
    steps: list[Attachment | str | None] = [*texts]
    steps += [files.get(pk) for pk in ids]
    edit = payload.get("edit_message_id")
    try:
        for step, item in enumerate(steps):
            if step < done:
                continue
            if isinstance(item, str) and edit is not None:
                api.edit_message_text(delivery.recipient, int(edit), item)
            elif isinstance(item, str):
                markup = payload.get("reply_markup") if step == len(texts) - 1 else None
                api.send_message(delivery.recipient, item, reply_markup=markup)
            elif item is not None:  # None: the attachment was deleted since
                with item.file.open("rb") as stored:
                    api.send_document(delivery.recipient, item.name, stored.read())
            payload["done"] = step + 1
            Delivery.objects.filter(pk=delivery.pk).update(payload=payload)
    except TelegramError as error:
        if error.status in PERMANENT_STATUSES:
            raise PermanentFailure(str(error)) from None
        raise
    delivery.payload = payload
