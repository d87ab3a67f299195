"""The audit trail: services call `audit_record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

from opora.core.models import AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from opora.accounts.models import User

M = TypeVar("M", bound=models.Model)

# Fields whose values never enter the trail, only the fact they changed.
SECRET_FIELDS = frozenset(
    {
        "password",
        "token_hash",
        "secret",
        "value",
        "bot_token",
        "bot_token_encrypted",
        "imap_password_encrypted",
        "smtp_password_encrypted",
        "secret_encrypted",
    }
)
REDACTED = "•••"


def _plain(value: Any) -> Any:
    """A JSON-safe rendering of a field value for the diff."""
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` now, to compare with `diff` after a change."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field that changed; secrets are masked."""
    changes: dict[str, list[Any]] = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new:
            masked = name in SECRET_FIELDS
            changes[name] = [REDACTED, REDACTED] if masked else [old, new]
    return changes


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    target: models.Model,
    changes: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Record that `actor` did `action` to `target`. Call inside the change's transaction."""
    real_actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        actor=real_actor,
        actor_label=str(real_actor) if real_actor else "system",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        changes=dict(changes or {}),
        ip_address=client_ip(request),
    )


def audited_update(
    *,
    instance: M,
    fields: Mapping[str, Any],
    allowed: Iterable[str],
    audited: Iterable[str],
    actor: User | AnonymousUser | None,
    action: str,
    request: HttpRequest | None = None,
) -> M:
    """Set `fields` on `instance`, validate, save, and audit what changed.

    Call inside a transaction with `instance` fetched by select_for_update.
    Only `allowed` fields may be set; asking for others is a programming error.
    """
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{action} cannot change {sorted(unknown)}")
    audited = tuple(audited)
    before = snapshot(instance, audited)
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean(exclude=["password"])
    instance.save()
    changes = diff(before, snapshot(instance, audited))
    if changes:
        audit_record(actor=actor, action=action, target=instance, changes=changes, request=request)
    return instance
