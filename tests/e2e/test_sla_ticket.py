"""SLA on the ticket page and in the queue, in a real browser, in Russian."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.sla.models import Calendar, Policy, Target
from opora.tickets import services
from opora.tickets.models import Ticket, TicketType
from tests.e2e.conftest import SignIn
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def _emergency(team: Team) -> Ticket:
    # Browser tests run with a flushed database: seed what the migrations would.
    kind, _ = TicketType.objects.get_or_create(
        code="emergency", defaults={"name": "Экстренное", "load_weight": 3}
    )
    calendar, _ = Calendar.objects.get_or_create(
        name="Производственный календарь РФ", defaults={"country": "RU", "is_default": True}
    )
    policy, _ = Policy.objects.get_or_create(name="Экстренные")
    policy.ticket_types.add(kind)
    for target, minutes, clock in (("first_response", 15, "24x7"), ("resolution", 240, "business")):
        Target.objects.update_or_create(
            policy=policy, kind=target, defaults={"minutes": minutes, "clock": clock}
        )
    client = ClientAccount.objects.get_or_create(name="ООО «Вкусная доставка»")[0]
    contact, created = Contact.objects.get_or_create(
        email="gusev@vkusdostavka.ru", defaults={"full_name": "Роман Гусев"}
    )
    if created:
        contact.accounts.add(client)
    return services.ticket_create(
        subject="Не проходит оплата на сайте",
        body="Касса возвращает ошибку 500.",
        channel=Ticket.Channel.EMAIL,
        type=kind,
        requester=contact,
        team=team,
    )


def test_an_operator_sees_the_countdown_and_the_ledger_and_a_reply_meets_the_target(
    page: Page, sign_in: SignIn
) -> None:
    team = Team.objects.create(name="Вторая линия")
    operator = UserFactory(full_name="Иван Петров", role=User.Role.OPERATOR, team=team)
    ticket = _emergency(team)

    sign_in(operator.email)
    page.goto("/tickets/?sla=on_track")
    row = page.locator("tr", has_text="Не проходит оплата на сайте")
    expect(row.locator(".sla-badge")).to_contain_text("в норме")
    expect(row.locator("[data-sla-due]")).to_contain_text("через 1")  # «через 14 мин» or so
    page.goto("/tickets/?sla=breached")
    expect(page.locator("tbody")).not_to_contain_text("Не проходит оплата на сайте")

    page.goto(f"/tickets/{ticket.reference}/")
    panel = page.locator("#sla")
    first = panel.locator(".sla-clock").first
    expect(first).to_contain_text("Первый ответ")
    expect(first.locator(".sla-badge")).to_contain_text("в норме")
    first.locator("summary").click()
    expect(first.locator(".sla-lines")).to_contain_text("Запущен")
    expect(first.locator(".sla-lines")).to_contain_text("учтено")

    page.locator("#composer textarea[name=body]").fill("Видим проблему, уже чиним.")
    page.locator("#composer button[type=submit]").first.click()
    expect(page.locator("#conversation")).to_contain_text("уже чиним")
    expect(page.locator("#sla .sla-clock").first.locator(".sla-badge")).to_contain_text("выполнен")
