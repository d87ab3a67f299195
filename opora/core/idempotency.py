"""Idempotency keys for API calls that create things.

An integration that retries a request after a timeout sends the same
`Idempotency-Key` header; the first request's object is returned again
instead of a second ticket. The key row commits in the same transaction
as the object, so a crash leaves either both or neither.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.models import IdempotencyKey

M = TypeVar("M", bound=models.Model)
KEEP_FOR = dt.timedelta(days=7)


class IdempotencyConflict(Exception):
    """The key was used before for another request."""

    def __init__(self) -> None:
        super().__init__(
            _("This Idempotency-Key was already used for a different request; use a new key.")
        )


def _digest(scope: str, payload: Any) -> str:
    canonical = json.dumps([scope, payload], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_create(
    *,
    user: User,
    key: str | None,
    scope: str,
    payload: Any,
    model: type[M],
    create: Callable[[], M],
    status: int = 201,
) -> tuple[int, M]:
    """Run `create` once per (user, key); a repeat returns the first object."""
    if not key:
        return status, create()
    key = key.strip()[:200]
    digest = _digest(scope, payload)

    def replay() -> tuple[int, M] | None:
        seen = IdempotencyKey.objects.filter(user=user, key=key).first()
        if seen is None:
            return None
        if (seen.scope, seen.request_hash) != (scope, digest):
            raise IdempotencyConflict
        return seen.status, model._default_manager.get(pk=seen.object_id)

    if (earlier := replay()) is not None:
        return earlier
    try:
        with transaction.atomic():
            created = create()
            IdempotencyKey.objects.create(
                user=user,
                key=key,
                scope=scope,
                request_hash=digest,
                status=status,
                object_id=created.pk,
            )
    except IntegrityError:
        # A concurrent request with the same key won; its object is the answer.
        if (earlier := replay()) is not None:
            return earlier
        raise
    return status, created


def idempotency_keys_prune(*, now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
