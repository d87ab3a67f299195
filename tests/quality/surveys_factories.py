"""Builders for the survey tests (CSAT, NPS, follow-ups): clients, tickets, answers."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.quality.models import NpsInvitation, NpsResponse, NpsSurvey
from opora.quality.surveys.services import token_new
from opora.tickets import services as tickets
from opora.tickets.models import Category, ResolutionCode, Ticket, TicketType

QUESTION = "Насколько вероятно, что вы порекомендуете нас коллегам?"


def account_with_contact(
    name: str = "ООО «Ромашка»", person: str = "Павел Николаев", email: str = "pavel@romashka.ru"
) -> tuple[ClientAccount, Contact]:
    account, _ = ClientAccount.objects.get_or_create(name=name)
    contact = Contact.objects.create(full_name=person, email=email)
    contact.accounts.add(account)
    return account, contact


def ticket_for(
    contact: Contact, *, team: Team | None, channel: str = Ticket.Channel.EMAIL
) -> Ticket:
    """A new ticket that meets the closing criteria (category and resolution code set)."""
    category, _ = Category.objects.get_or_create(name="Интеграции")
    # Browser tests flush the database: the shipped type and resolution may need making again.
    standard, _ = TicketType.objects.get_or_create(
        code="standard", defaults={"name": "Стандартное"}
    )
    fixed, _ = ResolutionCode.objects.get_or_create(name="Ошибка исправлена")
    ticket = tickets.ticket_create(
        subject="Не работает выгрузка",
        body="Со вчерашнего дня не выгружаются заказы.",
        channel=channel,
        type=standard,
        requester=contact,
        client=contact.accounts.first(),
        team=team,
        category=category,
    )
    Ticket.objects.filter(pk=ticket.pk).update(resolution=fixed)
    ticket.refresh_from_db()
    return ticket


def resolve(ticket: Ticket, actor: User) -> Ticket:
    return tickets.ticket_update(ticket=ticket, actor=actor, status=Ticket.Status.RESOLVED)


def links_in_last_email(kind: str) -> list[str]:
    """The relative answer links (/quality/<kind>/<token>/<score>/) of the latest email."""
    if not mail.outbox:
        return []
    body = mail.outbox[-1].body
    return re.findall(rf"https?://[^/\s]+(/quality/{kind}/[\w-]+/\d+/)", body)


def survey(**fields: object) -> NpsSurvey:
    values: dict[str, object] = {
        "name": "NPS клиентов — ежеквартальный",
        "question_ru": QUESTION,
        "next_run_at": timezone.now() - dt.timedelta(minutes=1),
    }
    values.update(fields)
    return NpsSurvey.objects.create(**values)


def nps_answers(
    scores: list[int],
    *,
    at: dt.datetime | None = None,
    account: ClientAccount | None = None,
    nps_survey: NpsSurvey | None = None,
) -> list[NpsResponse]:
    """Answers with these scores, each from a new contact, given at `at`."""
    nps_survey = nps_survey or survey(name=f"Опрос {token_new()[:6]}")
    at = at or timezone.now()
    made = []
    for score in scores:
        contact = Contact.objects.create(
            full_name="Клиент", email=f"{token_new()[:10].lower()}@example.ru"
        )
        invitation = NpsInvitation.objects.create(
            survey=nps_survey,
            run=1,
            contact=contact,
            account=account,
            token=token_new(),
            sent_at=at,
            answered_at=at,
        )
        made.append(
            NpsResponse.objects.create(
                invitation=invitation, contact=contact, account=account, score=score, created_at=at
            )
        )
    return made
