"""The outbox: everything sent to clients and integrations, with retries and a log.

A `Delivery` row is written in the transaction of the change it reports and
its job is enqueued in the same transaction. A job claims the row with a
conditional UPDATE (so two workers never send it twice), sends it, and
records the outcome; a failure is retried after a growing pause. A worker
that dies mid-send leaves the row «sending» with a lease that expires, after
which the periodic `deliveries_due` job tries it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from opora.channels.models import Delivery

logger = logging.getLogger(__name__)

# Pauses after the 1st, 2nd, … failed attempt; the last one repeats.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
# How long a send may take before another worker may assume it died.
SENDING_LEASE = dt.timedelta(minutes=10)


class PermanentFailure(Exception):
    """Retrying cannot help (the address does not exist, the URL is refused for good)."""


def _senders() -> dict[str, Callable[[Delivery], None]]:
    from opora.channels.mail.outbound import email_send
    from opora.channels.telegram.outbound import telegram_send
    from opora.channels.webhooks import webhook_send

    return {
        Delivery.Channel.EMAIL: email_send,
        Delivery.Channel.TELEGRAM: telegram_send,
        Delivery.Channel.WEBHOOK: webhook_send,
    }


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def delivery_queue(**fields: Any) -> Delivery:
    """Write a delivery and enqueue its job; call inside the change's transaction."""
    from opora.channels.tasks import delivery_send

    delivery = Delivery.objects.create(**fields)
    delivery_send.enqueue(delivery_id=delivery.pk)
    return delivery


def delivery_attempt(delivery_id: int, *, now: dt.datetime | None = None) -> str:
    """Send the delivery once if it is due; record the outcome."""
    now = now or timezone.now()
    due = Q(status=Delivery.Status.QUEUED) | Q(
        status__in=[Delivery.Status.RETRYING, Delivery.Status.SENDING], next_attempt_at__lte=now
    )
    claimed = (
        Delivery.objects.filter(due, pk=delivery_id)
        .filter(attempts__lt=Delivery.MAX_ATTEMPTS)
        .update(
            status=Delivery.Status.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + SENDING_LEASE,
        )
    )
    if not claimed:
        return "skipped: not due"
    delivery = Delivery.objects.select_related("mailbox").get(pk=delivery_id)
    try:
        _senders()[delivery.channel](delivery)
    except PermanentFailure as error:
        _record_failure(delivery, error, now=now, final=True)
        return f"failed: {delivery.last_error}"
    except Exception as error:
        final = delivery.attempts >= Delivery.MAX_ATTEMPTS
        _record_failure(delivery, error, now=now, final=final)
        return f"{delivery.status}: {delivery.last_error}"
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return "sent"


def _record_failure(
    delivery: Delivery, error: BaseException, *, now: dt.datetime, final: bool
) -> None:
    logger.warning("delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
    delivery.last_error = f"{type(error).__name__}: {error}"[:1000]
    if final:
        delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
    else:
        delivery.status = Delivery.Status.RETRYING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(update_fields=["status", "next_attempt_at", "last_error"])


def deliveries_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose retry time has come, or whose sender died mid-send."""
    now = now or timezone.now()
    # A worker died during the last allowed attempt: nothing left to try.
    Delivery.objects.filter(
        status=Delivery.Status.SENDING,
        next_attempt_at__lte=now,
        attempts__gte=Delivery.MAX_ATTEMPTS,
    ).update(status=Delivery.Status.FAILED, next_attempt_at=None)
    return list(
        Delivery.objects.filter(
            status__in=[Delivery.Status.RETRYING, Delivery.Status.SENDING],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def delivery_retry_now(*, delivery: Delivery) -> Delivery:
    """Staff asked to try a failed or waiting delivery again at once."""
    from opora.channels.tasks import delivery_send

    Delivery.objects.filter(
        pk=delivery.pk,
        status__in=[Delivery.Status.FAILED, Delivery.Status.RETRYING, Delivery.Status.BOUNCED],
    ).update(status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=None)
    delivery_send.enqueue(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery
