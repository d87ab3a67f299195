"""Outgoing webhooks: ticket events POSTed to integrations, signed, through the outbox.

Each event becomes one Delivery per subscribed webhook, written in the
transaction of the change, so an integration hears about every committed
change and about nothing that was rolled back. The body is JSON; the
signature is HMAC-SHA256 over "<timestamp>.<body>" with the webhook's
secret, sent as `X-Opora-Signature: t=<timestamp>,v1=<hex>` (a receiver
rejects old timestamps to stop replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.utils import timezone

from opora.channels.models import Delivery, Webhook
from opora.channels.outbox import PermanentFailure, delivery_queue
from opora.tickets.models import Ticket

TIMEOUT_SECONDS = 10
# Client errors that a retry cannot fix; 408 and 429 are worth another try.
PERMANENT_STATUSES = frozenset(range(400, 500)) - {408, 425, 429}


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "type": ticket.type.code if ticket.type_id else None,
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "client_id": ticket.client_id,
        "requester_id": ticket.requester_id,
        "sla_due_at": ticket.sla_due_at.isoformat() if ticket.sla_due_at else None,
        "sla_breached": ticket.sla_breached,
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def webhooks_emit(event: str, *, ticket: Ticket, extra: dict[str, Any] | None = None) -> int:
    """Queue `event` for every active webhook that listens to it; call inside the change."""
    hooks = [hook for hook in Webhook.objects.filter(is_active=True) if event in hook.events]
    for hook in hooks:
        delivery_queue(
            channel=Delivery.Channel.WEBHOOK,
            webhook=hook,
            ticket=ticket,
            recipient=hook.url,
            payload={
                "id": str(uuid.uuid4()),
                "event": event,
                "occurred_at": timezone.now().isoformat(),
                "data": {"ticket": ticket_data(ticket), **(extra or {})},
            },
        )
    return len(hooks)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def webhook_send(delivery: Delivery) -> None:
    """The outbox's sender for webhooks: 2xx is delivered, 4xx is final, the rest is retried."""
    hook = delivery.webhook
    if hook is None:
        raise PermanentFailure("the webhook was deleted")
    body = json.dumps(delivery.payload, ensure_ascii=False).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 -- http(s) only, checked by the form
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Opora-Webhook/1",
            "X-Opora-Event": delivery.payload.get("event", ""),
            "X-Opora-Delivery": delivery.payload.get("id", ""),
            "X-Opora-Signature": signature(hook.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read(1024)
    except urllib.error.HTTPError as error:
        message = f"HTTP {error.code} {error.reason}"
        if error.code in PERMANENT_STATUSES:
            raise PermanentFailure(message) from error
        raise RuntimeError(message) from error


def webhook_test(*, hook: Webhook) -> Delivery:
    """A «ping» event, to check the receiver from the settings screen."""
    return delivery_queue(
        channel=Delivery.Channel.WEBHOOK,
        webhook=hook,
        recipient=hook.url,
        payload={
            "id": str(uuid.uuid4()),
            "event": "ping",
            "occurred_at": timezone.now().isoformat(),
            "data": {},
        },
    )
