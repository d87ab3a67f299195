"""Realistic bulk data for benchmarks: N tickets with messages and history, fast.

Rows are written with bulk_create in batches; ticket numbers are reserved
from the ticket counter in one step, so benchmark data and real tickets
never collide. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.core.sequences import sequence_next
from opora.tickets.models import Message, Ticket, TicketEvent, TicketType
from opora.tickets.services import TICKET_NUMBER_START

SUBJECTS = [
    "Не проходит оплата",
    "Ошибка при выгрузке в 1С",
    "Не приходит письмо",
    "Вопрос по тарифу",
    "Нужен доступ для сотрудника",
    "Медленно работает каталог",
    "Как выгрузить отчёт",
    "Возврат платежа",
    "Ошибка 500 в личном кабинете",
    "Смена реквизитов",
]
# Most of a real helpdesk's history is closed; the queue is the thin active slice.
STATUS_WEIGHTS = {"closed": 80, "resolved": 8, "pending": 4, "open": 5, "new": 3}


def _ensure_people(clients: int) -> tuple[list[ClientAccount], list[Contact]]:
    existing = ClientAccount.objects.filter(name__startswith="Клиент №").count()
    ClientAccount.objects.bulk_create(
        [ClientAccount(name=f"Клиент №{i}") for i in range(existing, clients)], batch_size=1000
    )
    accounts = list(ClientAccount.objects.filter(name__startswith="Клиент №"))
    contacts = list(Contact.objects.filter(email__endswith="@bench.opora"))
    if len(contacts) < len(accounts):
        new = [
            Contact(full_name=f"Контакт {i}", email=f"c{i}@bench.opora")
            for i in range(len(contacts), len(accounts))
        ]
        Contact.objects.bulk_create(new, batch_size=1000)
        contacts = list(Contact.objects.filter(email__endswith="@bench.opora").order_by("pk"))
    return accounts, contacts


def seed_bench(
    *,
    tickets: int,
    clients: int = 400,
    batch: int = 5000,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Add `tickets` tickets (2 messages and 2 events each) spread over two years."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible fake data, not security
    accounts, contacts = _ensure_people(clients)
    types = list(TicketType.objects.all())
    teams = list(Team.objects.all()) or [Team.objects.create(name="Первая линия")]
    operators: list[User | None] = list(User.objects.filter(role=User.Role.OPERATOR)) or [None]
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    now = timezone.now()
    first = sequence_next("ticket", start=TICKET_NUMBER_START, count=tickets)
    made = 0
    while made < tickets:
        size = min(batch, tickets - made)
        rows = []
        for i in range(size):
            index = rng.randrange(len(accounts))
            status = rng.choices(statuses, weights)[0]
            created = now - dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            rows.append(
                Ticket(
                    number=first + made + i,
                    subject=f"{rng.choice(SUBJECTS)} #{first + made + i}",
                    client=accounts[index],
                    requester=contacts[index],
                    channel=rng.choice(Ticket.Channel.values),
                    type=rng.choice(types),
                    priority=rng.choice(Ticket.Priority.values),
                    team=rng.choice(teams),
                    assignee=None if status == "new" else rng.choice(operators),
                    status=status,
                    created_at=created,
                    updated_at=created + dt.timedelta(hours=rng.randrange(1, 72)),
                    first_responded_at=None
                    if status == "new"
                    else created + dt.timedelta(minutes=rng.randrange(5, 600)),
                )
            )
        with transaction.atomic():
            created_rows = Ticket.objects.bulk_create(rows, batch_size=1000)
            if created_rows[0].pk is None:  # backends without RETURNING
                numbers = [row.number for row in rows]
                created_rows = list(Ticket.objects.filter(number__in=numbers).order_by("number"))
            messages, events = [], []
            for ticket in created_rows:
                messages.append(
                    Message(
                        ticket=ticket,
                        kind="client",
                        author_contact=ticket.requester,
                        body="Добрый день! " + ticket.subject,
                    )
                )
                if ticket.status != "new":
                    messages.append(
                        Message(
                            ticket=ticket,
                            kind="reply",
                            author=ticket.assignee,
                            body="Здравствуйте! Разбираемся.",
                        )
                    )
                events.append(TicketEvent(ticket=ticket, field="created", new_value=ticket.channel))
                events.append(
                    TicketEvent(
                        ticket=ticket, field="status", old_value="new", new_value=ticket.status
                    )
                )
            Message.objects.bulk_create(messages, batch_size=2000)
            TicketEvent.objects.bulk_create(events, batch_size=2000)
        made += size
        if progress:
            progress(made)
    return made
