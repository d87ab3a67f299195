"""Reads of tickets: the queue with its filters."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from opora.accounts.models import User
from opora.tickets.models import Ticket


@dataclass(frozen=True)
class QueueFilter:
    status: str = "active"  # "active", "all" or one Ticket.Status
    team_id: int | None = None
    assignee: str = ""  # "", "me", "none" or a user id
    priority: str = ""
    type_id: int | None = None
    q: str = ""


def ticket_queue(*, user: User, filters: QueueFilter) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related("type", "client", "requester", "assignee", "team")
    if filters.status == "active":
        tickets = tickets.filter(status__in=Ticket.ACTIVE_STATUSES)
    elif filters.status in Ticket.Status.values:
        tickets = tickets.filter(status=filters.status)
    if filters.team_id:
        tickets = tickets.filter(team_id=filters.team_id)
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.priority in Ticket.Priority.values:
        tickets = tickets.filter(priority=filters.priority)
    if filters.type_id:
        tickets = tickets.filter(type_id=filters.type_id)
    if filters.q:
        query = filters.q.strip()
        number = query.upper().removeprefix("OP-")
        tickets = (
            tickets.filter(number=int(number))
            if number.isdigit()
            else tickets.filter(subject__icontains=query)
        )
    return tickets
