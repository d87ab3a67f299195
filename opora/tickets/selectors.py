"""Reads of tickets: the queue with its filters, and what the ticket page shows around a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import User
from opora.sla.selectors import sla_queue_filter
from opora.tickets.models import SavedView, Ticket, TicketLink

LIST_RELATED = ("type", "client", "requester", "assignee", "team")


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@dataclass(frozen=True)
class QueueFilter:
    status: str = "active"  # "active", "all", "spam" or one Ticket.Status
    team_id: int | None = None
    assignee: str = ""  # "", "me", "none" or a user id
    priority: str = ""
    type_id: int | None = None
    client_id: int | None = None
    tag: str = ""
    flag: str = ""  # "", "escalated", "repeat"
    sla: str = ""  # "", or a state of sla.selectors.QUEUE_STATES
    q: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> QueueFilter:
        return cls(
            status=params.get("status", "active"),
            team_id=_int_or_none(params.get("team")),
            assignee=params.get("assignee", ""),
            priority=params.get("priority", ""),
            type_id=_int_or_none(params.get("type")),
            client_id=_int_or_none(params.get("client")),
            tag=params.get("tag", "").strip().lower(),
            flag=params.get("flag", ""),
            sla=params.get("sla", ""),
            q=params.get("q", ""),
        )


def ticket_queue(*, user: User, filters: QueueFilter) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related(*LIST_RELATED)
    if filters.status == "spam":
        tickets = tickets.filter(is_spam=True)
    else:
        tickets = tickets.filter(is_spam=False)
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
    if filters.client_id:
        tickets = tickets.filter(client_id=filters.client_id)
    if filters.tag:
        tickets = tickets.filter(tags__name=filters.tag)
    if filters.flag == "escalated":
        tickets = tickets.filter(is_escalated=True)
    elif filters.flag == "repeat":
        tickets = tickets.filter(is_repeat=True)
    if filters.sla:
        condition = sla_queue_filter(filters.sla, timezone.now())
        if condition is not None:
            tickets = tickets.filter(condition)
    if filters.q:
        query = filters.q.strip()
        number = query.upper().removeprefix("OP-")
        tickets = (
            tickets.filter(number=int(number))
            if number.isdigit()
            else tickets.filter(subject__icontains=query)
        )
    return tickets


def saved_views_for(user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(Q(owner=user) | Q(is_shared=True)).select_related("owner")


# How a link reads on the ticket it points to.
INCOMING_LABELS: dict[str, Any] = {
    TicketLink.Kind.RELATED: _("Related"),
    TicketLink.Kind.REPEAT: _("Repeated in"),
    TicketLink.Kind.FOLLOW_UP: _("Followed up in"),
    TicketLink.Kind.MERGED: _("Merged from"),
    TicketLink.Kind.SPLIT: _("Split off into"),
}


@dataclass(frozen=True)
class LinkedTicket:
    ticket: Ticket
    kind: str  # how the link reads from this side


def ticket_links(ticket: Ticket) -> list[LinkedTicket]:
    """Tickets linked to `ticket`, each once, with the link read from this side."""
    outgoing = TicketLink.objects.filter(source=ticket).select_related("target")
    incoming = TicketLink.objects.filter(target=ticket).select_related("source")
    links = [LinkedTicket(link.target, str(TicketLink.Kind(link.kind).label)) for link in outgoing]
    links += [LinkedTicket(link.source, str(INCOMING_LABELS[link.kind])) for link in incoming]
    return links


def client_other_tickets(ticket: Ticket, *, limit: int = 8) -> list[Ticket]:
    """The requester's and the client account's other recent tickets."""
    party = Q()
    if ticket.requester_id:
        party |= Q(requester_id=ticket.requester_id)
    if ticket.client_id:
        party |= Q(client_id=ticket.client_id)
    if not party:
        return []
    return list(
        Ticket.objects.filter(party, is_spam=False).exclude(pk=ticket.pk).order_by("-id")[:limit]
    )
