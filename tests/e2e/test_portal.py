"""The client portal in a real browser, in Russian: sign in, ask, reply, rate."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import Page, expect

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.quality.models import CsatResponse
from opora.tickets import services
from opora.tickets.models import Category, ResolutionCode, Ticket, TicketType
from tests.e2e.conftest import ARTIFACTS, expect_language, expect_path
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

PASSWORD = "Ромашка-полевая-2024"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour, so the thumbnail on the ticket page renders."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"portal-{name}.png", full_page=True)


def test_a_client_signs_in_asks_with_a_file_replies_and_rates_the_answer_in_one_click(
    page: Page, tmp_path: Path
) -> None:
    # Browser tests run with a flushed database: the migration-seeded rows may be gone.
    TicketType.objects.get_or_create(code="standard", defaults={"name": "Стандартное"})
    Category.objects.get_or_create(name="Интеграции")
    romashka = ClientAccount.objects.create(name="ООО «Ромашка»")
    contact = Contact.objects.create(
        email="pavel@romashka.ru",
        full_name="Павел Николаев",
        portal_password=make_password(PASSWORD),
    )
    contact.accounts.add(romashka)
    operator = UserFactory(
        full_name="Иван Петров",
        role=User.Role.OPERATOR,
        team=Team.objects.create(name="Первая линия"),
    )
    screenshot = tmp_path / "счёт-145.png"
    screenshot.write_bytes(_png(160, 90, (36, 87, 214)))

    page.goto("/portal/")
    expect_language(page, "ru")
    expect(page.get_by_test_id("password-form")).to_be_visible()
    _shot(page, "login")
    form = page.get_by_test_id("password-form")
    form.get_by_label("Эл. почта").fill("pavel@romashka.ru")
    form.get_by_label("Пароль").fill(PASSWORD)
    form.get_by_role("button", name="Войти").click()

    expect_path(page, "/portal/")
    expect(page.get_by_test_id("portal-who")).to_have_text("Павел Николаев")
    page.get_by_test_id("portal-who").click()
    expect(page.locator("input[name=new_password]")).to_be_visible()
    _shot(page, "password")
    page.get_by_role("link", name="Новое обращение").first.click()
    new = page.get_by_test_id("ticket-create-form")
    new.get_by_label("Тема").fill("Не печатаются счета")
    new.get_by_label("Описание").fill("После обновления счета не уходят на печать.")
    new.get_by_label("Категория").select_option(label="Интеграции")
    new.locator("input[type=file]").set_input_files(screenshot)
    _shot(page, "new-ticket")
    new.locator("button[type=submit]").click()

    ticket = Ticket.objects.get(subject="Не печатаются счета")
    expect_path(page, f"/portal/OP-{ticket.number}/")
    expect(page.locator("h1")).to_contain_text(ticket.reference)
    expect(page.locator("#conversation")).to_contain_text("счёт-145.png")

    page.goto("/portal/")
    expect(page.get_by_test_id("portal-tickets")).to_contain_text(ticket.reference)
    _shot(page, "list")
    page.get_by_role("link", name="Не печатаются счета").click()
    reply = page.get_by_test_id("reply-form")
    reply.locator("textarea[name=body]").fill("Добавлю: ошибка и на втором принтере.")
    reply.get_by_role("button", name="Отправить").click()
    expect(page.locator("#conversation")).to_contain_text("ошибка и на втором принтере")
    expect(page.get_by_test_id("ticket-close")).to_be_visible()
    _shot(page, "ticket")

    services.ticket_reply(
        ticket=ticket, author=operator, body="Здравствуйте, Павел! Обновили драйвер печати."
    )
    services.ticket_update(
        ticket=ticket,
        actor=operator,
        resolution=ResolutionCode.objects.get_or_create(name="Ошибка исправлена")[0],
        status=Ticket.Status.RESOLVED,
    )
    page.reload()
    expect(page.get_by_test_id("ticket-status")).to_contain_text("Решено")
    expect(page.locator("#conversation")).to_contain_text("Иван")
    _shot(page, "rate")
    page.get_by_test_id("csat-5").click()

    expect(page.get_by_test_id("csat")).to_contain_text("5")
    expect(page.get_by_test_id("csat-5")).to_have_count(0)
    answer = CsatResponse.objects.get(ticket=ticket)
    assert (answer.score, answer.contact, answer.channel) == (5, contact, "portal")
