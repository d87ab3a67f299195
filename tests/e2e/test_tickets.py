"""Working tickets in a real browser, in Russian: take, macro, reply, resolve; bulk reassign."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.tickets import automation, services
from opora.tickets.models import Category, ResolutionCode, Ticket, TicketType
from tests.e2e.conftest import SignIn
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def _ticket(subject: str, team: Team) -> Ticket:
    # Browser tests run with a flushed database: the migration-seeded rows may be gone.
    kind, _ = TicketType.objects.get_or_create(
        code="standard", defaults={"name": "Стандартное", "load_weight": 2}
    )
    client = ClientAccount.objects.get_or_create(name="ООО «Ромашка»")[0]
    contact, created = Contact.objects.get_or_create(
        email="pavel@romashka.ru", defaults={"full_name": "Павел Николаев"}
    )
    if created:
        contact.accounts.add(client)
    return services.ticket_create(
        subject=subject,
        body="Со вчерашнего дня не выгружаются заказы в 1С.",
        channel=Ticket.Channel.EMAIL,
        type=kind,
        requester=contact,
        team=team,
    )


def test_an_operator_takes_a_ticket_applies_a_macro_replies_and_resolves(
    page: Page, sign_in: SignIn
) -> None:
    team = Team.objects.create(name="Первая линия")
    operator = UserFactory(full_name="Иван Петров", role=User.Role.OPERATOR, team=team)
    ticket = _ticket("Не работает выгрузка", team)
    automation.macro_create(
        owner=operator,
        name="Запросить лог",
        body="Здравствуйте, {{ contact.first_name }}! Пришлите лог обмена.",
        set_status="pending",
    )
    Category.objects.create(name="Интеграции")
    ResolutionCode.objects.get_or_create(name="Ошибка исправлена")

    sign_in(operator.email)
    page.goto("/tickets/")
    page.get_by_role("link", name="Не работает выгрузка").click()
    expect(page.locator("h1")).to_contain_text(ticket.reference)
    # htmx binds the macro picker once the page (and its deferred scripts) has loaded.
    page.wait_for_load_state("load")
    page.locator("#macro-select").select_option(label="Запросить лог (мой)")
    body = page.locator("#composer textarea[name=body]")
    expect(body).to_have_value("Здравствуйте, Павел! Пришлите лог обмена.")
    body.fill("Здравствуйте, Павел! Пришлите, пожалуйста, лог обмена за вчера.")
    page.locator("#composer button[type=submit]").first.click()

    expect(page.locator("#conversation")).to_contain_text("лог обмена за вчера")
    expect(page.locator("#ticket .toolbar").first).to_contain_text("Ждёт клиента")

    properties = page.locator("form[action$='/update/']")
    properties.locator("select[name=category]").select_option(label="Интеграции")
    properties.locator("select[name=resolution]").select_option(label="Ошибка исправлена")
    properties.locator("select[name=assignee]").select_option(label="Иван Петров")
    properties.locator("select[name=status]").select_option("resolved")
    properties.locator("button[type=submit]").click()

    expect(page.locator(".messages")).to_contain_text("Обращение обновлено")
    expect(page.locator("#ticket .toolbar").first).to_contain_text("Решено")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.RESOLVED, operator)


def test_resolving_without_the_closing_criteria_shows_what_is_missing(
    page: Page, sign_in: SignIn
) -> None:
    team = Team.objects.create(name="Первая линия")
    operator = UserFactory(role=User.Role.OPERATOR, team=team)
    ticket = _ticket("Без категории", team)

    sign_in(operator.email)
    page.goto(f"/tickets/{ticket.reference}/")
    properties = page.locator("form[action$='/update/']")
    properties.locator("select[name=status]").select_option("resolved")
    properties.locator("button[type=submit]").click()

    expect(properties.locator(".errorlist")).to_contain_text("категория")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_lead_reassigns_tickets_in_bulk(page: Page, sign_in: SignIn) -> None:
    team = Team.objects.create(name="Первая линия")
    lead = UserFactory(full_name="Елена Лидова", role=User.Role.LEAD, team=team)
    UserFactory(full_name="Мария Соколова", role=User.Role.OPERATOR, team=team)
    first, second = _ticket("Первое", team), _ticket("Второе", team)
    untouched = _ticket("Третье", team)

    sign_in(lead.email)
    page.goto("/tickets/")
    page.get_by_label(f"Выбрать {first.reference}").check()
    page.get_by_label(f"Выбрать {second.reference}").check()
    bulk = page.locator("#bulk-form")
    bulk.locator("select[name=assignee]").select_option(label="Мария Соколова")
    bulk.locator("button[type=submit]").click()

    expect(page.locator(".messages")).to_contain_text("2")
    assignees = dict(Ticket.objects.values_list("pk", "assignee__full_name"))
    assert assignees[first.pk] == assignees[second.pk] == "Мария Соколова"
    assert assignees[untouched.pk] is None
