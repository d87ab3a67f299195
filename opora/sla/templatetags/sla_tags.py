"""{% sla_badge ticket %}: the SLA state and live countdown of a ticket in a list."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from opora.sla.selectors import STATE_LABELS, ticket_sla_state
from opora.tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("sla/includes/badge.html")
def sla_badge(ticket: Ticket) -> dict[str, Any]:
    now = timezone.now()
    state = ticket_sla_state(ticket, now)
    return {
        "state": state,
        "label": STATE_LABELS.get(state, ""),
        "due_at": ticket.sla_due_at,
        "breached_before": ticket.sla_breached and state != "breached",
    }
