"""Shared setup of the QA review tests: a scorecard, reviewable tickets, a submitted review."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from opora.accounts.models import User
from opora.quality.models import Criterion, Review, Scorecard
from opora.quality.reviews import services
from opora.quality.reviews.services import AnswerInput, CategorySpec, CriterionSpec
from opora.tickets.models import Message, Ticket, TicketType

_numbers = itertools.count(90_000)


def make_ticket(
    *,
    assignee: User | None,
    status: str = Ticket.Status.RESOLVED,
    resolved_at: dt.datetime | None = None,
    reply: bool = True,
    **extra: Any,
) -> Ticket:
    ticket = Ticket.objects.create(
        number=next(_numbers),
        subject="Не выгружаются заказы в 1С",
        channel=Ticket.Channel.EMAIL,
        type=TicketType.objects.get(code="standard"),
        status=status,
        assignee=assignee,
        team=assignee.team if assignee else None,
        resolved_at=(resolved_at or timezone.now() - dt.timedelta(days=1))
        if status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        else None,
        **extra,
    )
    Message.objects.create(ticket=ticket, kind=Message.Kind.CLIENT, body="Заказы не выгружаются.")
    if reply:
        Message.objects.create(
            ticket=ticket, kind=Message.Kind.REPLY, author=assignee, body="Исправили, проверьте."
        )
    return ticket


def make_scorecard(actor: User, name: str = "Стандарт") -> Scorecard:
    return services.scorecard_create(
        actor=actor,
        name=name,
        categories=[
            CategorySpec(
                "Приветствие",
                [
                    CriterionSpec("Поздоровался", weight=1),
                    CriterionSpec("Тон вежливый", kind=Criterion.Kind.SCALE, weight=2, scale_max=5),
                ],
            ),
            CategorySpec(
                "Решение",
                [
                    CriterionSpec("Ответ корректен", weight=3, is_critical=True),
                    CriterionSpec("Ссылка на базу знаний", weight=1, allows_na=True),
                ],
            ),
        ],
    )


def criteria_of(scorecard: Scorecard) -> dict[str, Criterion]:
    return {c.text: c for c in services.scorecard_criteria(scorecard)}


def good_answers(scorecard: Scorecard) -> dict[int, AnswerInput]:
    c = criteria_of(scorecard)
    return {
        c["Поздоровался"].pk: AnswerInput(value=1),
        c["Тон вежливый"].pk: AnswerInput(value=4),
        c["Ответ корректен"].pk: AnswerInput(value=1),
        c["Ссылка на базу знаний"].pk: AnswerInput(is_na=True),
    }


def submitted_review(reviewer: User, operator: User, scorecard: Scorecard) -> Review:
    ticket = make_ticket(assignee=operator)
    review = services.review_start(actor=reviewer, ticket=ticket, scorecard=scorecard)
    return services.review_submit(
        actor=reviewer, review=review, answers=good_answers(scorecard), comment="Хорошо"
    )


@pytest.fixture
def scorecard(head: User) -> Scorecard:
    return make_scorecard(head)
