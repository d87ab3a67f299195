"""Badge colours for inbound and delivery statuses."""

from __future__ import annotations

from django import template

register = template.Library()

STATUS_CLASSES = {
    "imported": "ok",
    "sent": "ok",
    "duplicate": "info",
    "queued": "info",
    "sending": "info",
    "retrying": "warn",
    "quarantined": "bad",
    "failed": "bad",
    "bounced": "bad",
}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "")
