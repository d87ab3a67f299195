"""Background work of the tickets app: staff emails and the auto-close job."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from opora.accounts.models import User
from opora.tickets import services, tasks
from opora.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "language", "subject", "line"),
    [
        ("escalated", User.Language.RU, "эскалировано", "Здравствуйте, Елена Лидова!"),
        ("escalated", User.Language.EN, "escalated", "Hello, Елена Лидова!"),
        ("rule", User.Language.EN, "needs your attention", "A rule asks you to look at ticket"),
    ],
)
def test_a_staff_email_speaks_the_users_language_and_links_to_the_ticket(
    ticket: Ticket,
    lead: User,
    mailoutbox: list[Any],
    kind: str,
    language: str,
    subject: str,
    line: str,
) -> None:
    User.objects.filter(pk=lead.pk).update(language=language)

    tasks.enqueue_staff_notification(user=lead, ticket=ticket, kind=kind, text="Клиент ждёт")

    [email] = mailoutbox
    assert email.to == [lead.email]
    assert email.subject.startswith(f"{ticket.reference} {subject}")
    assert ticket.subject in email.subject
    assert line in email.body
    assert "Клиент ждёт" in email.body
    assert f"/OP-{ticket.number}/" in email.body


def test_a_staff_email_to_someone_who_left_is_skipped(
    ticket: Ticket, lead: User, mailoutbox: list[Any]
) -> None:
    User.objects.filter(pk=lead.pk).update(is_active=False)

    result = tasks.notify_staff.call(user_id=lead.pk, ticket_id=ticket.pk, kind="rule", text="")

    assert result == "skipped: user inactive"
    assert mailoutbox == []


def test_the_auto_close_job_closes_due_tickets_and_says_how_many(
    ticket: Ticket, operator: User
) -> None:
    start = dt.datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    with time_machine.travel(start, tick=False) as clock:
        services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.RESOLVED)
        assert tasks.auto_close_resolved.call() == "closed 0"
        clock.shift(dt.timedelta(days=3))

        assert tasks.auto_close_resolved.call() == "closed 1"

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
