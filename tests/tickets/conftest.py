from __future__ import annotations

import pytest

from opora.accounts.models import Team
from opora.clients.models import ClientAccount, Contact
from opora.tickets import services
from opora.tickets.models import Category, ResolutionCode, Ticket, TicketType


@pytest.fixture
def client_account(db: None) -> ClientAccount:
    return ClientAccount.objects.create(name="ООО «Ромашка»")


@pytest.fixture
def contact(client_account: ClientAccount) -> Contact:
    person = Contact.objects.create(full_name="Павел Николаев", email="pavel@romashka.ru")
    person.accounts.add(client_account)
    return person


@pytest.fixture
def standard(db: None) -> TicketType:
    return TicketType.objects.get(code="standard")


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(name="Интеграции")


@pytest.fixture
def resolution(db: None) -> ResolutionCode:
    return ResolutionCode.objects.get(name="Ошибка исправлена")


@pytest.fixture
def ticket(
    contact: Contact,
    standard: TicketType,
    first_line: Team,
    category: Category,
    resolution: ResolutionCode,
) -> Ticket:
    """A new ticket that meets the closing criteria (category and resolution code set)."""
    created = services.ticket_create(
        subject="Не работает выгрузка",
        body="Со вчерашнего дня не выгружаются заказы.",
        channel=Ticket.Channel.EMAIL,
        type=standard,
        requester=contact,
        team=first_line,
        category=category,
        tags=["1С", "выгрузка"],
    )
    Ticket.objects.filter(pk=created.pk).update(resolution=resolution)
    created.refresh_from_db()
    return created
