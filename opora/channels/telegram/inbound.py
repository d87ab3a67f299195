"""From a Telegram update to a ticket or a reply, exactly once.

`bot_poll` asks the Bot API for the updates from the bot's offset (asking
with an offset also tells Telegram that every update below it is received)
and hands each to `update_ingest`, which:

1. returns the recorded row if the update was seen before (unique by bot
   and update_id), so an update delivered twice is imported once;
2. downloads the message's file *before* any transaction opens, so a slow
   download never holds the database;
3. in one transaction records the update, creates the ticket or the reply
   (inside a savepoint), queues the acknowledgement, and moves the bot's
   offset past the update.

A failure in step 3's savepoint, or a file that could not be downloaded,
leaves the update in quarantine with the error and its payload: the bot
moves on, and `update_retry` imports it later. One poller per bot at a
time: a lease taken by conditional UPDATE.

Only private chats with people become tickets. The contact is found by
Telegram user id; their latest open ticket from this bot gets the message,
otherwise it opens a new ticket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from opora.channels.mail.inbound import default_ticket_type
from opora.channels.models import TelegramBot, TelegramUpdate
from opora.channels.polling import PollResult, poll_finish, poll_lease
from opora.channels.telegram.client import BotApi, FileTooLarge, TelegramError
from opora.channels.telegram.outbound import bot_api, chat_queue
from opora.clients.models import Contact
from opora.tickets import attachments as ticket_attachments
from opora.tickets import services as tickets
from opora.tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

# Updates per getUpdates call (Telegram's maximum), and calls per poll.
BATCH = 100
MAX_BATCHES = 10
SUBJECT_LENGTH = 80
# Message fields that carry one downloadable file, and the name when it has none.
FILE_FIELDS = {
    "document": "document",
    "audio": "audio.mp3",
    "video": "video.mp4",
    "voice": "voice.ogg",
    "video_note": "video_note.mp4",
    "animation": "animation.mp4",
}


@dataclass
class Incoming:
    """What an update says, read before any transaction (files already downloaded)."""

    chat_id: int | None = None
    user_id: int | None = None
    sender: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    # Not answered: not a new message, not a private chat, a bot, nothing to import.
    ignored: bool = False
    start: bool = False
    files: list[ContentFile[bytes]] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    # A file could not be downloaded: the update waits in quarantine.
    error: str = ""
    # A button under one of the bot's messages was pressed (a callback_query).
    callback_id: str = ""
    callback_data: str = ""
    callback_message_id: int | None = None
    # The notice answerCallbackQuery shows the person, decided by the import.
    callback_answer: str = ""


@dataclass
class _Declared:
    """A file as Telegram describes it, checked against the limits before downloading."""

    name: str
    size: int


# --- Polling ---------------------------------------------------------------------


def bot_poll(bot: TelegramBot, *, limit: int = BATCH) -> PollResult:
    """Fetch and import the bot's new updates; errors are recorded on the bot, not raised."""
    result = PollResult()
    if not poll_lease(bot):
        result.busy = True
        return result
    try:
        api = bot_api(bot)
        for _batch in range(MAX_BATCHES):
            offset = TelegramBot.objects.values_list("update_offset", flat=True).get(pk=bot.pk)
            updates = api.get_updates(offset=offset, limit=limit)
            for update in updates:
                row = update_ingest(bot=bot, update=update, api=api)
                result.count(row.status)
            if len(updates) < limit:
                break
    except TelegramError as error:
        result.error = str(error)[:2000]
    except Exception as error:
        # The poll job must always record why it stopped; the lease is released below.
        logger.exception("polling Telegram bot %s failed", bot.pk)
        result.error = f"{type(error).__name__}: {error}"[:2000]
    finally:
        poll_finish(bot, result)
    return result


# --- Reading an update -----------------------------------------------------------


def _is_start(text: str) -> bool:
    command = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    return command == "/start" or command.startswith("/start@")


def _declared_files(message: dict[str, Any], update_id: int) -> list[tuple[str, str, int]]:
    """(file_id, name, declared size) of the message's file; a photo's largest size."""
    found = []
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        largest = max(
            photo, key=lambda size: int(size.get("width", 0)) * int(size.get("height", 0))
        )
        found.append((largest["file_id"], f"photo_{update_id}.jpg", largest.get("file_size", 0)))
    for key, default in FILE_FIELDS.items():
        item = message.get(key)
        if isinstance(item, dict) and item.get("file_id"):
            name = str(item.get("file_name") or default)
            found.append((item["file_id"], name, item.get("file_size", 0)))
    return [(str(file_id), name, int(size or 0)) for file_id, name, size in found]


def _download(api: BotApi, incoming: Incoming, file_id: str, name: str, size: int) -> None:
    """Fetch one file into `incoming`, or note why it is withheld; raises TelegramError."""
    limit = int(settings.OPORA_ATTACHMENT_MAX_BYTES)
    # Refused types and sizes Telegram already told us are not downloaded at all.
    problem = ticket_attachments.upload_problem(_Declared(name, size or 1))
    if problem is None:
        try:
            data = api.download(api.get_file(file_id), max_bytes=limit)
        except FileTooLarge:
            problem = ticket_attachments.upload_problem(_Declared(name, limit + 1))
        except TelegramError as error:
            # The Bot API refuses to hand out files over 20 MB: retrying cannot help.
            if error.status != 400 or "too big" not in error.description.lower():
                raise
            problem = ticket_attachments.upload_problem(_Declared(name, limit + 1))
        else:
            upload = ContentFile(data, name=name)
            problem = ticket_attachments.upload_problem(upload)
            if problem is None:
                incoming.files.append(upload)
                return
    incoming.withheld.append(
        _("File «%(name)s» was withheld: %(problem)s") % {"name": name, "problem": problem}
    )


def update_read(update: dict[str, Any], api: BotApi) -> Incoming:
    """Classify the update and download its file; call inside `translation.override`."""
    incoming = Incoming()
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        return _callback_read(callback)
    message = update.get("message")
    if not isinstance(message, dict):
        # Edits, channel posts, membership changes: nothing to answer.
        incoming.ignored = True
        return incoming
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    incoming.chat_id = chat.get("id")
    incoming.user_id = sender.get("id")
    incoming.sender = sender
    incoming.text = str(message.get("text") or message.get("caption") or "")
    declared = _declared_files(message, int(update["update_id"]))
    if (
        chat.get("type") != "private"
        or not sender
        or sender.get("is_bot")
        or (not incoming.text.strip() and not declared)
    ):
        # Groups, other bots, and stickers or locations with no words to act on.
        incoming.ignored = True
        return incoming
    if _is_start(incoming.text):
        incoming.start = True
        return incoming
    for file_id, name, size in declared:
        try:
            _download(api, incoming, file_id, name, size)
        except TelegramError as error:
            incoming.error = f"«{name}»: {error}"[:2000]
            break
    return incoming


def _callback_read(callback: dict[str, Any]) -> Incoming:
    """A pressed inline button: who pressed, under which message, with what data."""
    sender = callback.get("from") or {}
    message = callback.get("message") or {}
    chat = message.get("chat") or {}
    incoming = Incoming(
        chat_id=chat.get("id"),
        user_id=sender.get("id"),
        sender=sender,
        callback_id=str(callback.get("id") or ""),
        callback_data=str(callback.get("data") or "")[:64],
        callback_message_id=message.get("message_id"),
    )
    incoming.ignored = not incoming.callback_id or bool(sender.get("is_bot"))
    return incoming


# --- Importing -------------------------------------------------------------------


def _contact_for(sender: dict[str, Any], bot: TelegramBot) -> Contact:
    """The contact with this Telegram user id, created on their first message."""
    user_id = int(sender["id"])
    username = str(sender.get("username") or "")[:64]
    contact = Contact.objects.filter(telegram_user_id=user_id).first()
    if contact is None:
        name = " ".join(str(sender.get(p) or "") for p in ("first_name", "last_name")).strip()
        language = str(sender.get("language_code") or "")[:2]
        return Contact.objects.create(
            full_name=(name or (f"@{username}" if username else f"Telegram {user_id}"))[:200],
            telegram_user_id=user_id,
            telegram_username=username,
            language=language if language in dict(settings.LANGUAGES) else bot.language,
        )
    if username and contact.telegram_username != username:
        # People change their @name; the id stays, so keep the card current.
        Contact.objects.filter(pk=contact.pk).update(telegram_username=username)
        contact.telegram_username = username
    return contact


def open_ticket_for(contact: Contact, bot: TelegramBot) -> Ticket | None:
    """The contact's latest ticket from this bot that is not closed."""
    return (
        Ticket.objects.filter(
            requester=contact, channel=Ticket.Channel.TELEGRAM, telegram_updates__bot=bot
        )
        .exclude(status=Ticket.Status.CLOSED)
        .order_by("-pk")
        .first()
    )


def _subject(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(line) > SUBJECT_LENGTH:
        line = line[: SUBJECT_LENGTH - 1].rstrip() + "…"
    return line or _("Telegram message")


def _body(text: str, withheld: list[str]) -> str:
    text = text.strip() or _("(no text)")
    if withheld:
        text += "\n\n" + "\n".join(f"[{line}]" for line in withheld)
    return text


def _import(bot: TelegramBot, row: TelegramUpdate, incoming: Incoming) -> None:
    """Create the ticket or the reply this message is; fills in `row`."""
    contact = _contact_for(incoming.sender, bot)
    body = _body(incoming.text, incoming.withheld)
    ticket = open_ticket_for(contact, bot)
    if ticket is not None:
        message = tickets.ticket_client_reply(
            ticket=ticket, contact=contact, body=body, files=incoming.files
        )
    else:
        ticket = tickets.ticket_create(
            subject=_subject(incoming.text),
            body=body,
            channel=Ticket.Channel.TELEGRAM,
            type=bot.ticket_type or default_ticket_type(),
            requester=contact,
            team=bot.team,
        )
        first = ticket.messages.filter(kind=Message.Kind.CLIENT).order_by("id").first()
        assert first is not None  # noqa: S101 -- ticket_create wrote the client's message
        ticket_attachments.attachments_save(message=first, files=incoming.files)
        message = first
        if not ticket.is_spam and incoming.chat_id is not None:
            chat_queue(
                bot=bot,
                chat_id=incoming.chat_id,
                ticket=ticket,
                text=_("Your request %(reference)s is registered. We will reply in this chat.")
                % {"reference": ticket.reference},
            )
    row.status = TelegramUpdate.Status.IMPORTED
    row.ticket_id, row.message = message.ticket_id, message


def _process(bot: TelegramBot, row: TelegramUpdate, incoming: Incoming) -> None:
    """Decide and import; a failure leaves `row` in quarantine with the error."""
    row.chat_id, row.user_id = incoming.chat_id, incoming.user_id
    if incoming.error:
        row.status, row.error = TelegramUpdate.Status.QUARANTINED, incoming.error
        return
    if incoming.ignored:
        row.status = TelegramUpdate.Status.IGNORED
        return
    if incoming.start:
        # /start opens every chat with a bot: greet, but there is no question yet.
        row.status = TelegramUpdate.Status.IGNORED
        if incoming.chat_id is not None:
            chat_queue(
                bot=bot,
                chat_id=incoming.chat_id,
                text=_(
                    "Hello! Write your question here and attach a screenshot or a file if needed. We will reply in this chat."
                ),
            )
        return
    try:
        with transaction.atomic():
            if incoming.callback_id:
                _press(bot, row, incoming)
            else:
                _import(bot, row, incoming)
    except Exception as error:
        # Anything at all: the update waits in quarantine and the bot moves on.
        logger.exception("importing Telegram update %s of bot %s failed", row.update_id, bot.pk)
        row.status, row.error = TelegramUpdate.Status.QUARANTINED, _error_text(error)
        row.ticket_id, row.message = None, None


def _press(bot: TelegramBot, row: TelegramUpdate, incoming: Incoming) -> None:
    """A button press: a CSAT score (the only buttons the bot sends), recorded once."""
    from opora.quality.surveys.services import csat_telegram_press

    pressed = csat_telegram_press(data=incoming.callback_data, user_id=incoming.user_id)
    if pressed is None:
        row.status = TelegramUpdate.Status.IGNORED
        return
    row.status, row.ticket_id = TelegramUpdate.Status.IMPORTED, pressed.ticket.pk
    incoming.callback_answer = pressed.notice
    if pressed.confirm and incoming.chat_id is not None and incoming.callback_message_id:
        # The question becomes the thanks: its buttons go, so it is not pressed again.
        chat_queue(
            bot=bot,
            chat_id=incoming.chat_id,
            ticket=pressed.ticket,
            text=pressed.confirm,
            edit_message_id=int(incoming.callback_message_id),
        )


def _answer_button(api: BotApi, incoming: Incoming) -> None:
    """Stop the button's spinner; a failure costs the person only the notice."""
    try:
        api.answer_callback_query(incoming.callback_id, incoming.callback_answer)
    except TelegramError as error:
        logger.warning("answerCallbackQuery failed: %s", error)


def _error_text(error: BaseException) -> str:
    messages = getattr(error, "messages", None)
    text = "; ".join(str(m) for m in messages) if messages else str(error)
    return f"{type(error).__name__}: {text}"[:2000]


def _advance(bot: TelegramBot, update_id: int) -> None:
    # Conditional, so a late or repeated update never moves the offset back.
    TelegramBot.objects.filter(pk=bot.pk, update_offset__lte=update_id).update(
        update_offset=update_id + 1
    )


def _read_safely(update: dict[str, Any], api: BotApi) -> Incoming:
    try:
        return update_read(update, api)
    except Exception as error:
        # An update we cannot make sense of must not stop the bot at this offset.
        logger.exception("reading Telegram update %s failed", update.get("update_id"))
        return Incoming(error=_error_text(error))


def update_ingest(
    *, bot: TelegramBot, update: dict[str, Any], api: BotApi | None = None
) -> TelegramUpdate:
    """Record and import one update; idempotent by (bot, update_id).

    Not atomic as a whole on purpose: the file is downloaded first, outside
    any transaction; the recording, the import and the offset share one.
    """
    update_id = int(update["update_id"])
    existing = TelegramUpdate.objects.filter(bot=bot, update_id=update_id).first()
    if existing is not None:
        _advance(bot, update_id)
        return existing
    api = api or bot_api(bot)
    with translation.override(bot.language):
        incoming = _read_safely(update, api)
        with transaction.atomic():
            existing = TelegramUpdate.objects.filter(bot=bot, update_id=update_id).first()
            if existing is not None:
                # Another ingest of the same update won the race while we downloaded.
                _advance(bot, update_id)
                return existing
            row = TelegramUpdate(bot=bot, update_id=update_id, payload=update)
            _process(bot, row, incoming)
            row.save()
            _advance(bot, update_id)
    if incoming.callback_id and not incoming.ignored:
        _answer_button(api, incoming)
    return row


def update_retry(*, update: TelegramUpdate) -> TelegramUpdate:
    """Import a quarantined update again from its stored payload, downloading its file anew."""
    bot = update.bot
    if update.status != TelegramUpdate.Status.QUARANTINED:
        return update
    with translation.override(bot.language):
        incoming = _read_safely(update.payload, bot_api(bot))
        with transaction.atomic():
            row = TelegramUpdate.objects.select_for_update().get(pk=update.pk)
            if row.status != TelegramUpdate.Status.QUARANTINED:
                return row
            row.error = ""
            _process(bot, row, incoming)
            row.save()
    return row
