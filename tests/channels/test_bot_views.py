"""The Telegram bots screen: tokens never shown back, the connection test, bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from opora.accounts.models import Team
from opora.channels.models import TelegramBot
from opora.core.models import AuditEntry
from tests.telegram_standin import BotApiStandin

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotApiStandin]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with BotApiStandin() as standin:
        yield standin


def form(telegram: BotApiStandin, team: Team, **changes: str) -> dict[str, str]:
    return {
        "name": "Поддержка в Telegram",
        "token": telegram.token,
        "api_base_url": telegram.base_url,
        "team": str(team.pk),
        "language": "ru",
        "is_active": "on",
        **changes,
    }


def test_a_head_adds_a_bot_and_tests_the_connection(
    head_client: Client, telegram: BotApiStandin, first_line: Team
) -> None:
    response = head_client.post(reverse("channels:bot-create"), form(telegram, first_line))
    assert response.status_code == 302
    bot = TelegramBot.objects.get()
    assert bot.token == telegram.token
    assert telegram.token not in bot.token_encrypted
    page = head_client.get(reverse("channels:bot-edit", args=[bot.pk])).content.decode()
    assert telegram.token not in page
    entry = AuditEntry.objects.get(action="channels.bot_created")
    assert telegram.token not in str(entry.changes)

    checked = head_client.post(reverse("channels:bot-test", args=[bot.pk])).content.decode()
    assert "Bot API: ОК" in checked
    bot.refresh_from_db()
    assert bot.username


def test_a_wrong_token_shows_telegrams_refusal_without_the_token(
    head_client: Client, telegram: BotApiStandin, first_line: Team
) -> None:
    wrong = "123456:" + "x" * 30
    head_client.post(reverse("channels:bot-create"), form(telegram, first_line, token=wrong))
    bot = TelegramBot.objects.get()
    checked = head_client.post(reverse("channels:bot-test", args=[bot.pk])).content.decode()
    assert "Bot API: ошибка" in checked
    assert wrong not in checked


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"token": ""}, "token"), ({"token": "not-a-token"}, "token"), ({"name": ""}, "name")],
)
def test_bad_input_saves_nothing(
    head_client: Client,
    telegram: BotApiStandin,
    first_line: Team,
    changes: dict[str, str],
    field: str,
) -> None:
    response = head_client.post(
        reverse("channels:bot-create"), form(telegram, first_line, **changes)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not TelegramBot.objects.exists()


def test_operators_cannot_manage_bots(operator_client: Client) -> None:
    assert operator_client.get(reverse("channels:bot-list")).status_code == 403
    assert operator_client.get(reverse("channels:bot-create")).status_code == 403
