"""README «Telegram in the demo»: the stand-in run on its own, the seeded bot, `opora telegram_poll`.

The stand-in runs as the person following the README runs it — a separate
process — and the client's message goes in through its `say` command.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from opora.accounts.models import User
from opora.channels.demo import DEMO_BOT_PORT, DEMO_BOT_TOKEN
from opora.channels.models import Delivery, TelegramBot
from opora.tickets import services as tickets
from opora.tickets.models import Ticket
from tests.core.test_commands import free_port

pytestmark = pytest.mark.django_db


class RunningStandin:
    """`python -m tests.telegram_standin serve` in its own process, as the README runs it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.telegram_standin", "serve", "--port", str(self.port)],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1)  # noqa: S310
            except urllib.error.HTTPError:
                return  # it answers (401 without a token): up
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    pytest.fail(f"the stand-in did not start: {self.stop()}")
                time.sleep(0.1)

    def stop(self) -> str:
        """Stop it and return what it printed."""
        self.process.terminate()
        try:
            return self.process.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.communicate()[0]


ENV = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}


@pytest.fixture
def standin() -> Iterator[RunningStandin]:
    running = RunningStandin()
    yield running
    running.stop()


def say(port: int, text: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.telegram_standin",
            "say",
            "--port",
            str(port),
            "--user",
            "1001",
            "--name",
            "Пётр",
            text,
        ],
        env=ENV,
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_the_demo_bot_is_seeded_switched_off_and_pointing_at_the_standin() -> None:
    call_command("seed_demo", stdout=io.StringIO())

    bot = TelegramBot.objects.get()
    assert not bot.is_active
    assert bot.api_base_url == f"http://127.0.0.1:{DEMO_BOT_PORT}"
    assert bot.token == DEMO_BOT_TOKEN


def test_a_message_said_through_the_standin_becomes_a_ticket_and_the_reply_reaches_the_chat(
    standin: RunningStandin,
) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    TelegramBot.objects.update(api_base_url=f"http://127.0.0.1:{standin.port}")
    before = Ticket.objects.count()

    say(standin.port, "Не работает выгрузка в 1С")
    out = io.StringIO()
    call_command("telegram_poll", "--bot", "Опора Демо", stdout=out)

    assert out.getvalue().strip() == "Опора Демо: fetched 1, imported 1"
    assert Ticket.objects.count() == before + 1
    ticket = Ticket.objects.order_by("-pk").first()
    assert ticket is not None
    assert ticket.subject == "Не работает выгрузка в 1С"
    operator = User.objects.get(email="operator@opora.demo")
    tickets.ticket_reply(ticket=ticket, author=operator, body="Перезапустили обмен, проверьте.")
    assert set(Delivery.objects.filter(ticket=ticket).values_list("status", flat=True)) == {"sent"}

    # Polling again finds nothing new: the offset confirmed the update.
    out = io.StringIO()
    call_command("telegram_poll", "--bot", "@opora_test_bot", stdout=out)
    assert out.getvalue().strip() == "Опора Демо: fetched 0"
    # The stand-in's terminal is the client's phone: acknowledgement, then the reply.
    printed = standin.stop().splitlines()
    assert printed[1:] == [
        f"→ chat 1001: Обращение {ticket.reference} зарегистрировано. Ответим в этом чате.",
        "→ chat 1001: Перезапустили обмен, проверьте.",
    ]


def test_polling_an_unknown_bot_is_an_error() -> None:
    with pytest.raises(CommandError, match="no Telegram bot named"):
        call_command("telegram_poll", "--bot", "nobody", stdout=io.StringIO())
