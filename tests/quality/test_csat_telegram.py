"""CSAT in Telegram: five buttons after resolution, one press records the score once.

End to end against the Bot API stand-in (tests/telegram_standin.py), as the
channel tests do: the bot polls, the client's press arrives as a callback_query.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from django.utils.translation import gettext

from opora.accounts.models import Team, User
from opora.channels.models import TelegramBot, TelegramUpdate
from opora.channels.telegram.inbound import bot_poll
from opora.quality.models import CsatRequest, CsatResponse, FollowUp
from opora.tickets.models import Category, ResolutionCode, Ticket, TicketType
from tests.quality.surveys_factories import resolve
from tests.telegram_standin import BotApiStandin

pytestmark = pytest.mark.django_db

PAVEL = 1001


def ru(msgid: str) -> str:
    with translation.override("ru"):
        return gettext(msgid)


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotApiStandin]:
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


def poll(bot: TelegramBot) -> dict[str, int]:
    result = bot_poll(bot)
    assert result.error == ""
    return result.statuses


@pytest.fixture
def resolved(bot: TelegramBot, telegram: BotApiStandin, operator: User, lead: User) -> Ticket:
    telegram.push_message(PAVEL, "Не работает выгрузка", first_name="Павел")
    poll(bot)
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(
        category=Category.objects.create(name="Интеграции"),
        resolution=ResolutionCode.objects.get(name="Ошибка исправлена"),
    )
    ticket.refresh_from_db()
    return resolve(ticket, operator)


def test_resolving_a_telegram_ticket_sends_five_buttons(
    resolved: Ticket, telegram: BotApiStandin
) -> None:
    request = CsatRequest.objects.get(ticket=resolved)
    assert request.channel == "telegram"

    buttons = telegram.keyboard(PAVEL)

    assert [b["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert [b["callback_data"] for b in buttons] == [
        f"csat:{request.token}:{n}" for n in range(1, 6)
    ]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    question = next(s for s in telegram.sent if s.get("reply_markup"))
    assert resolved.reference in question["text"]


def test_pressing_a_button_records_the_score_once_and_thanks_the_client(
    resolved: Ticket, bot: TelegramBot, telegram: BotApiStandin, lead: User
) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token
    question = next(s for s in telegram.sent if s.get("reply_markup"))
    assert not CsatResponse.objects.exists()

    telegram.press(PAVEL, f"csat:{token}:2")
    assert poll(bot) == {"imported": 1}

    answer = CsatResponse.objects.get(ticket=resolved)
    assert (answer.score, answer.channel, answer.contact) == (2, "telegram", resolved.requester)
    assert TelegramUpdate.objects.filter(status="imported").last().ticket == resolved  # type: ignore[union-attr]
    thanks = ru("Thank you for your rating!")
    assert telegram.answered[-1]["text"] == thanks
    edited = [s for s in telegram.sent if s["method"] == "editMessageText"]
    assert [(e["edited_message_id"], e["text"]) for e in edited] == [
        (question["message_id"], thanks)
    ]
    assert FollowUp.objects.get().assignee == lead

    telegram.press(PAVEL, f"csat:{token}:5", message_id=question["message_id"])
    poll(bot)

    assert CsatResponse.objects.get(ticket=resolved).score == 2
    assert telegram.answered[-1]["text"] == ru("You have already rated this request.")
    assert FollowUp.objects.count() == 1


def test_a_button_that_is_not_ours_is_answered_and_ignored(
    resolved: Ticket, bot: TelegramBot, telegram: BotApiStandin
) -> None:
    token = CsatRequest.objects.get(ticket=resolved).token
    telegram.press(PAVEL, "csat:forged-token:5", message_id=1)
    telegram.press(PAVEL, "something-else", message_id=1)
    # Someone the question was forwarded to presses a real button.
    telegram.press(2002, f"csat:{token}:1", chat_id=PAVEL)

    assert poll(bot) == {"ignored": 3}

    assert not CsatResponse.objects.exists()
    assert len(telegram.answered) == 3, "every press stops its spinner"
