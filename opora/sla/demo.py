"""SLA clocks for the demo tickets, replayed at the times the demo dates them.

The demo creates its tickets now and then moves their messages into the
past; here each ticket's clocks are rebuilt as if it had lived that past:
started at creation, met by the first reply, paused when it went to the
client, met on resolution. Some deadlines are therefore already breached
and the worker escalates them within a minute of the demo starting.
"""

from __future__ import annotations

from opora.sla import services
from opora.sla.models import Clock
from opora.tickets.models import Message, Ticket


def clocks_replay(ticket: Ticket) -> None:
    """Rebuild the ticket's clocks from its (back-dated) creation and messages."""
    Clock.objects.filter(ticket=ticket).delete()
    final_status = ticket.status
    messages = list(ticket.messages.order_by("created_at", "pk"))
    replies = [m for m in messages if m.kind == Message.Kind.REPLY]
    ticket.status = Ticket.Status.NEW
    services.sla_ticket_started(ticket=ticket, now=ticket.created_at)
    if not replies:
        ticket.status = final_status
        return
    answered_at = replies[0].created_at
    services.sla_ticket_replied(ticket=ticket, now=answered_at)
    ticket.status = Ticket.Status.OPEN
    moves = {
        Ticket.Status.PENDING: [Ticket.Status.PENDING],
        Ticket.Status.RESOLVED: [Ticket.Status.RESOLVED],
        Ticket.Status.CLOSED: [Ticket.Status.RESOLVED, Ticket.Status.CLOSED],
    }.get(Ticket.Status(final_status), [])
    for status in moves:
        old = ticket.status
        ticket.status = status
        services.sla_ticket_changed(ticket=ticket, old={"status": old}, now=answered_at)
    ticket.status = final_status
