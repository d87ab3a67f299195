"""Telegram: updates become exactly one ticket or reply, replies go back to the chat.

Everything talks real HTTP to the Bot API stand-in in tests/telegram_standin.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext

from opora.accounts.models import Team, User
from opora.channels import outbox
from opora.channels.models import Delivery, TelegramBot, TelegramUpdate
from opora.channels.telegram.client import BotApi, FileTooLarge, TelegramError
from opora.channels.telegram.inbound import bot_poll, update_ingest, update_retry
from opora.channels.telegram.outbound import (
    bot_check,
    chat_queue,
    telegram_queue,
    text_parts,
)
from opora.clients.models import Contact
from opora.tickets import services as tickets
from opora.tickets.models import Message, Ticket, TicketType
from tests.telegram_standin import BOT_USERNAME, BotApiStandin

pytestmark = pytest.mark.django_db

PAVEL = 1001
GREETING = (
    "Hello! Write your question here and attach a screenshot or a file if needed."
    " We will reply in this chat."
)
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n" + b"report " * 200


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotApiStandin]:
    # A proxy from the environment must not catch loopback requests.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with BotApiStandin() as standin:
        yield standin


@pytest.fixture
def bot(first_line: Team, telegram: BotApiStandin) -> TelegramBot:
    bot = TelegramBot(
        name="Поддержка",
        api_base_url=telegram.base_url,
        team=first_line,
        ticket_type=TicketType.objects.get(code="standard"),
    )
    bot.token = telegram.token
    bot.save()
    return bot


def say(bot: TelegramBot, msgid: str, **values: Any) -> str:
    """The text a client reads, in the bot's language (whatever the catalog says today)."""
    with translation.override(bot.language):
        return gettext(msgid) % values if values else gettext(msgid)


def ack(bot: TelegramBot, ticket: Ticket) -> str:
    return say(
        bot,
        "Your request %(reference)s is registered. We will reply in this chat.",
        reference=ticket.reference,
    )


def texts(telegram: BotApiStandin) -> list[tuple[int, str]]:
    return [(s["chat_id"], s["text"]) for s in telegram.sent if s["method"] == "sendMessage"]


def only_ticket() -> Ticket:
    ticket: Ticket = Ticket.objects.get()
    return ticket


def poll(bot: TelegramBot) -> dict[str, int]:
    result = bot_poll(bot)
    assert result.error == ""
    assert not result.busy
    return result.statuses


# --- Inbound ---------------------------------------------------------------------


def test_a_client_message_opens_a_ticket_with_the_contact_found_by_user_id(
    bot: TelegramBot, telegram: BotApiStandin, first_line: Team
) -> None:
    update_id = telegram.push_message(
        PAVEL,
        "Не работает выгрузка\nС утра выгрузка заказов падает с ошибкой 500.",
        first_name="Павел",
        last_name="Николаев",
        username="pavel_n",
    )
    assert not Ticket.objects.exists()

    assert poll(bot) == {"imported": 1}

    ticket = only_ticket()
    assert ticket.subject == "Не работает выгрузка"
    assert ticket.channel == Ticket.Channel.TELEGRAM
    assert ticket.team == first_line
    contact = Contact.objects.get(telegram_user_id=PAVEL)
    assert (contact.full_name, contact.telegram_username) == ("Павел Николаев", "pavel_n")
    assert ticket.requester == contact
    message = ticket.messages.get()
    assert message.kind == Message.Kind.CLIENT
    assert message.body == "Не работает выгрузка\nС утра выгрузка заказов падает с ошибкой 500."
    row = TelegramUpdate.objects.get()
    assert (row.update_id, row.status, row.chat_id, row.user_id) == (
        update_id,
        "imported",
        PAVEL,
        PAVEL,
    )
    assert (row.ticket, row.message) == (ticket, message)
    bot.refresh_from_db()
    assert bot.update_offset == update_id + 1
    assert bot.last_polled_at is not None
    # The acknowledgement went through the outbox to the chat.
    assert texts(telegram) == [(PAVEL, ack(bot, ticket))]
    assert ticket.reference in ack(bot, ticket)
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.ticket) == ("telegram", "sent", ticket)


def test_the_next_poll_confirms_the_updates_to_telegram(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    telegram.push_message(PAVEL, "Первое")
    poll(bot)
    assert len(telegram.pending) == 1

    assert poll(bot) == {}

    assert telegram.pending == []


def test_a_second_message_is_a_reply_on_the_same_ticket(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    telegram.push_message(PAVEL, "Не работает выгрузка")
    poll(bot)
    telegram.push_message(PAVEL, "Забыл: номер заказа 4512.")

    assert poll(bot) == {"imported": 1}

    ticket = only_ticket()
    assert list(ticket.messages.values_list("body", flat=True)) == [
        "Не работает выгрузка",
        "Забыл: номер заказа 4512.",
    ]
    assert Contact.objects.count() == 1
    assert len(texts(telegram)) == 1, "only a new ticket is acknowledged"


def test_a_resolved_ticket_reopens_on_the_clients_message(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    telegram.push_message(PAVEL, "Не работает выгрузка")
    poll(bot)
    Ticket.objects.update(status=Ticket.Status.RESOLVED)
    telegram.push_message(PAVEL, "Опять не работает")

    poll(bot)

    ticket = only_ticket()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.messages.count() == 2


def test_a_message_after_the_ticket_is_closed_opens_a_new_ticket(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    telegram.push_message(PAVEL, "Не работает выгрузка")
    poll(bot)
    closed = only_ticket()
    Ticket.objects.update(status=Ticket.Status.CLOSED, closed_at=timezone.now())
    telegram.push_message(PAVEL, "Новый вопрос: как добавить сотрудника?")

    poll(bot)

    new = Ticket.objects.exclude(pk=closed.pk).get()
    assert new.subject == "Новый вопрос: как добавить сотрудника?"
    assert new.requester == closed.requester
    assert closed.messages.count() == 1
    assert texts(telegram)[-1] == (PAVEL, ack(bot, new))


def test_an_update_delivered_again_is_imported_once(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    update_id = telegram.push_message(PAVEL, "Не работает выгрузка")
    poll(bot)
    # The offset did not reach Telegram (say the worker died): the update comes again.
    TelegramBot.objects.filter(pk=bot.pk).update(update_offset=0)

    poll(bot)

    assert Ticket.objects.count() == 1
    assert TelegramUpdate.objects.count() == 1
    assert only_ticket().messages.count() == 1
    bot.refresh_from_db()
    assert bot.update_offset == update_id + 1
    assert len(texts(telegram)) == 1


def test_ingesting_the_same_update_twice_returns_the_recorded_row(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    telegram.push_message(PAVEL, "Не работает выгрузка")
    update = BotApi(telegram.base_url, telegram.token).get_updates(offset=0)[0]

    first = update_ingest(bot=bot, update=update)
    again = update_ingest(bot=bot, update=update)

    assert again.pk == first.pk
    assert Ticket.objects.count() == 1


def test_a_photo_and_a_document_become_attachments(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    photo_id = telegram.push_message(PAVEL, "Скриншот ошибки", photo=JPEG)
    telegram.push_message(PAVEL, document=("отчёт за май.pdf", PDF))

    assert poll(bot) == {"imported": 2}

    ticket = only_ticket()
    first, second = ticket.messages.all()
    assert first.body == "Скриншот ошибки"
    photo = first.attachments.get()
    assert photo.name == f"photo_{photo_id}.jpg"
    with photo.file.open("rb") as stored:
        assert stored.read() == JPEG, "the largest size, not the thumbnail"
    assert second.body == say(bot, "(no text)")
    document = second.attachments.get()
    assert (document.name, document.content_type) == ("отчёт за май.pdf", "application/pdf")
    with document.file.open("rb") as stored:
        assert stored.read() == PDF


def test_an_executable_is_withheld_with_a_note_and_never_downloaded(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    telegram.push_message(PAVEL, "Вот установщик", document=("setup.exe", b"MZ" + b"\0" * 100))

    poll(bot)

    message = only_ticket().messages.get()
    assert not message.attachments.exists()
    assert message.body.startswith("Вот установщик\n\n[")
    assert "setup.exe" in message.body.splitlines()[-1]
    assert "getFile" not in [method for method, _ in telegram.calls]


def test_files_over_the_limit_are_withheld_not_quarantined(
    bot: TelegramBot, telegram: BotApiStandin, settings: Any
) -> None:
    settings.OPORA_ATTACHMENT_MAX_BYTES = 1000
    telegram.push_message(PAVEL, "Большой отчёт", document=("big.pdf", PDF))
    # Telegram's own limit: the Bot API hands out no file over 20 MB.
    telegram.push_message(PAVEL, "Видео", document=("huge.pdf", b"%PDF"))
    telegram.fail_next("getFile", 400, "Bad Request: file is too big")

    assert poll(bot) == {"imported": 2}

    first, second = only_ticket().messages.all()
    assert "big.pdf" in first.body.splitlines()[-1]
    assert "huge.pdf" in second.body.splitlines()[-1]
    assert not first.attachments.exists() and not second.attachments.exists()
    assert [method for method, _ in telegram.calls].count("getFile") == 1


def test_the_client_stops_reading_a_download_at_the_limit(telegram: BotApiStandin) -> None:
    telegram.push_message(PAVEL, document=("big.pdf", PDF))
    api = BotApi(telegram.base_url, telegram.token)
    file_id = api.get_updates(offset=0)[0]["message"]["document"]["file_id"]
    path = api.get_file(file_id)

    with pytest.raises(FileTooLarge):
        api.download(path, max_bytes=len(PDF) - 1)

    assert api.download(path, max_bytes=len(PDF)) == PDF


def test_a_failed_download_waits_in_quarantine_and_a_retry_imports_it(
    bot: TelegramBot, telegram: BotApiStandin
) -> None:
    update_id = telegram.push_message(PAVEL, "Скриншот", photo=JPEG)
    telegram.fail_next("download", 502, "Bad Gateway")

    assert poll(bot) == {"quarantined": 1}

    row = TelegramUpdate.objects.get()
    assert row.status == "quarantined"
    assert f"photo_{update_id}.jpg" in row.error and "502" in row.error
    assert not Ticket.objects.exists()
    bot.refresh_from_db()
    assert bot.update_offset == update_id + 1, "one bad file does not stop the bot"

    row = update_retry(update=row)

    assert (row.status, row.error) == ("imported", "")
    assert row.message is not None
    assert row.message.attachments.get().size == len(JPEG)


def test_start_is_greeted_without_a_ticket(bot: TelegramBot, telegram: BotApiStandin) -> None:
    telegram.push_message(PAVEL, "/start")

    assert poll(bot) == {"ignored": 1}

    assert not Ticket.objects.exists()
    assert texts(telegram) == [(PAVEL, say(bot, GREETING))]


def test_groups_bots_and_edits_are_not_answered(bot: TelegramBot, telegram: BotApiStandin) -> None:
    telegram.push_message(PAVEL, "Всем привет", chat_id=-100500, chat_type="supergroup")
    telegram.push_message(2002, "Я бот", is_bot=True)
    last = telegram.push_update(
        {"edited_message": {"message_id": 1, "chat": {"id": PAVEL, "type": "private"}}}
    )

    assert poll(bot) == {"ignored": 3}

    assert not Ticket.objects.exists()
    assert not Contact.objects.exists()
    assert telegram.sent == []
    bot.refresh_from_db()
    assert bot.update_offset == last + 1


# --- Polling -----------------------------------------------------------------------


def test_a_wrong_token_is_recorded_on_the_bot_without_leaking_it(
    bot: TelegramBot, telegram: BotApiStandin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "7000000001:AAwrongwrongwrongwrongwrongwrongwro"
    bot.token = wrong
    bot.save()

    result = bot_poll(bot)

    assert result.error == "401 Unauthorized"
    bot.refresh_from_db()
    assert bot.last_error == "401 Unauthorized"
    assert bot.last_error_at is not None
    assert bot.poll_lease_until is None
    assert wrong not in caplog.text and telegram.token not in caplog.text


def test_an_unreachable_server_is_recorded_and_a_good_poll_clears_it(
    bot: TelegramBot, telegram: BotApiStandin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    telegram.stop()

    result = bot_poll(bot)

    assert "Connection" in result.error
    bot.refresh_from_db()
    assert bot.last_error == result.error
    assert telegram.token not in bot.last_error
    assert telegram.token not in caplog.text
    with BotApiStandin() as back:
        bot.api_base_url, bot.token = back.base_url, back.token
        bot.save()
        poll(bot)
    bot.refresh_from_db()
    assert bot.last_error == ""


def test_a_second_poller_finds_the_bot_busy(bot: TelegramBot, telegram: BotApiStandin) -> None:
    telegram.push_message(PAVEL, "Не работает выгрузка")
    # Another worker holds the lease.
    TelegramBot.objects.filter(pk=bot.pk).update(
        poll_lease_until=timezone.now() + dt.timedelta(minutes=5)
    )

    result = bot_poll(bot)

    assert result.busy
    assert telegram.calls == []
    assert not Ticket.objects.exists()
    # A lease left by a worker that died expires.
    TelegramBot.objects.filter(pk=bot.pk).update(
        poll_lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert poll(bot) == {"imported": 1}


# --- Outbound ----------------------------------------------------------------------


@pytest.fixture
def telegram_ticket(bot: TelegramBot, telegram: BotApiStandin) -> Ticket:
    telegram.push_message(PAVEL, "Не работает выгрузка")
    poll(bot)
    telegram.sent.clear()
    return only_ticket()


def reply(ticket: Ticket, operator: User, body: str, files: list[Any] | None = None) -> Delivery:
    message = tickets.ticket_reply(ticket=ticket, author=operator, body=body, files=files or [])
    if not Delivery.objects.filter(message=message, channel="telegram").exists():
        # Until channels.services.message_deliver calls telegram_queue for Telegram
        # tickets (the lead's wiring), the test queues the reply itself.
        telegram_queue(ticket=ticket, message=message, text=message.body)
    delivery: Delivery = Delivery.objects.get(message=message, channel="telegram")
    return delivery


def test_an_operators_reply_reaches_the_chat_with_its_files(
    telegram_ticket: Ticket, operator: User, telegram: BotApiStandin
) -> None:
    delivery = reply(
        telegram_ticket,
        operator,
        "Исправили выгрузку, проверьте, пожалуйста.",
        [SimpleUploadedFile('акт; версия "2".pdf', PDF, "application/pdf")],
    )

    assert delivery.status == Delivery.Status.SENT
    assert delivery.recipient == str(PAVEL)
    text, document = telegram.sent
    assert text["chat_id"] == PAVEL
    assert "Исправили выгрузку" in text["text"]
    assert (document["method"], document["chat_id"]) == ("sendDocument", PAVEL)
    # Telegram's server reads a file name up to the next «;» or quote: those are replaced.
    assert (document["filename"], document["data"]) == ("акт, версия '2'.pdf", PDF)
    assert outbox.delivery_attempt(delivery.pk) == "skipped: not due"


def test_a_long_reply_arrives_in_parts_telegram_accepts(
    telegram_ticket: Ticket, operator: User, telegram: BotApiStandin
) -> None:
    paragraph = ("Проверили выгрузку по шагам. " * 60).strip()
    body = "\n\n".join([paragraph] * 4)

    delivery = reply(telegram_ticket, operator, body)

    assert delivery.status == Delivery.Status.SENT
    parts = [t for _, t in texts(telegram)]
    assert len(parts) == 2
    assert "\n\n".join(parts) == body.strip()


def test_text_parts_count_emoji_twice_and_cut_at_spaces() -> None:
    assert text_parts("") == []
    assert text_parts("коротко") == ["коротко"]
    parts = text_parts("😀" * 3000)
    assert [len(p) for p in parts] == [2048, 952]
    parts = text_parts("слово " * 1000)
    assert all(len(p) <= 4096 and not p.endswith(" ") for p in parts)
    assert " ".join(parts) == ("слово " * 1000).strip()


@pytest.mark.parametrize(
    ("status", "description", "outcome"),
    [
        (429, "Too Many Requests: retry after 5", Delivery.Status.RETRYING),
        (500, "Internal Server Error", Delivery.Status.RETRYING),
        # The token is being replaced: a retry after the fix goes through.
        (401, "Unauthorized", Delivery.Status.RETRYING),
        (403, "Forbidden: bot was blocked by the user", Delivery.Status.FAILED),
        (400, "Bad Request: chat not found", Delivery.Status.FAILED),
    ],
)
def test_telegrams_refusals_are_retried_unless_retrying_cannot_help(
    telegram_ticket: Ticket,
    operator: User,
    telegram: BotApiStandin,
    status: int,
    description: str,
    outcome: str,
) -> None:
    telegram.fail_next("sendMessage", status, description, retry_after=5)

    delivery = reply(telegram_ticket, operator, "Исправили")

    assert delivery.status == outcome
    assert description in delivery.last_error
    assert telegram.sent == []
    if outcome == Delivery.Status.RETRYING:
        assert delivery.next_attempt_at is not None
        assert outbox.delivery_attempt(delivery.pk, now=delivery.next_attempt_at) == "sent"
        assert texts(telegram) == [(PAVEL, "Исправили")]


def test_an_unreachable_server_is_retried_and_the_token_stays_out_of_the_error(
    telegram_ticket: Ticket,
    operator: User,
    telegram: BotApiStandin,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    telegram.stop()

    delivery = reply(telegram_ticket, operator, "Исправили")

    assert delivery.status == Delivery.Status.RETRYING
    assert "Connection" in delivery.last_error
    assert "Connection" in caplog.text, "the outbox logged the failure"
    assert telegram.token not in delivery.last_error
    assert telegram.token not in caplog.text


def test_a_retry_after_a_failure_halfway_does_not_repeat_what_was_sent(
    telegram_ticket: Ticket, operator: User, telegram: BotApiStandin
) -> None:
    telegram.fail_next("sendDocument", 429, "Too Many Requests: retry after 1")

    delivery = reply(
        telegram_ticket, operator, "Инструкция во вложении", [SimpleUploadedFile("a.pdf", PDF)]
    )

    assert delivery.status == Delivery.Status.RETRYING
    assert [s["method"] for s in telegram.sent] == ["sendMessage"]
    assert outbox.delivery_attempt(delivery.pk, now=delivery.next_attempt_at) == "sent"
    assert [s["method"] for s in telegram.sent] == ["sendMessage", "sendDocument"]


def test_a_ticket_without_a_telegram_chat_queues_nothing(
    operator: User, bot: TelegramBot, first_line: Team
) -> None:
    ticket = tickets.ticket_create(
        subject="По телефону",
        body="Звонок",
        channel=Ticket.Channel.PHONE,
        type=TicketType.objects.get(code="standard"),
        team=first_line,
    )

    assert telegram_queue(ticket=ticket, message=None, text="Ответ") is None


def test_a_greeting_can_be_queued_to_any_chat(bot: TelegramBot, telegram: BotApiStandin) -> None:
    delivery = chat_queue(bot=bot, chat_id=PAVEL, text="Привет")

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert texts(telegram) == [(PAVEL, "Привет")]


# --- Test connection --------------------------------------------------------------


def test_checking_the_bot_stores_its_username(bot: TelegramBot) -> None:
    assert bot_check(bot) == f"@{BOT_USERNAME}"

    bot.refresh_from_db()
    assert bot.username == BOT_USERNAME


def test_checking_a_bot_with_a_wrong_token_raises_a_clear_error(bot: TelegramBot) -> None:
    bot.token = "7000000001:AAwrongwrongwrongwrongwrongwrongwro"

    with pytest.raises(TelegramError) as caught:
        bot_check(bot)

    assert (caught.value.status, caught.value.description) == (401, "Unauthorized")
    assert "AAwrong" not in str(caught.value)
