"""Every change to users, teams, invitations and API tokens goes through here.

Each function runs in one transaction, writes its audit entry and enqueues
its jobs (emails) in that same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts import tasks
from opora.accounts.models import ApiToken, Invitation, Team, User
from opora.core.audit import audit_record, audited_update, diff, snapshot

INVITATION_SALT = "opora.accounts.invitation"
API_TOKEN_PREFIX = "opr_"  # noqa: S105 -- a public marker, not a secret
# Writing last_used_at on every API call would turn reads into writes.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)

USER_AUDITED_FIELDS = ("full_name", "role", "team", "is_active", "language", "timezone")


def _last_active_admin(user: User) -> bool:
    return (
        user.role == User.Role.ADMIN
        and user.is_active
        and not User.objects.filter(role=User.Role.ADMIN, is_active=True)
        .exclude(pk=user.pk)
        .exists()
    )


# Invitations -----------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_get_by_token(token: str) -> Invitation | None:
    """The usable invitation a link's token names, or None (bad, expired, used, revoked)."""
    max_age = dt.timedelta(days=settings.OPORA_INVITATION_DAYS)
    try:
        pk = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    invitation = Invitation.objects.filter(pk=pk).select_related("team").first()
    if invitation is None or not invitation.is_usable():
        return None
    return invitation


@transaction.atomic
def user_invite(
    *,
    actor: User,
    email: str,
    full_name: str,
    role: str,
    team: Team | None = None,
    language: str = User.Language.RU,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite someone to join as staff; the email goes out through the job queue.

    An earlier pending invitation to the same address is revoked, so only the
    newest link works.
    """
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this email already exists.")})
    now = timezone.now()
    Invitation.objects.filter(email__iexact=email, accepted_at=None, revoked_at=None).update(
        revoked_at=now
    )
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name.strip(),
        role=role,
        team=team,
        language=language,
        invited_by=actor,
        expires_at=now + dt.timedelta(days=settings.OPORA_INVITATION_DAYS),
    )
    audit_record(
        actor=actor,
        action="invitation.create",
        target=invitation,
        changes={"email": [None, email], "role": [None, role]},
        request=request,
    )
    tasks.send_invitation_email.enqueue(invitation_id=invitation.pk)
    return invitation


@transaction.atomic
def invitation_revoke(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ValidationError(_("This invitation is no longer pending."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="invitation.revoke", target=invitation, request=request)


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, password: str, request: HttpRequest | None = None
) -> User:
    """Create the invited user with the password they chose. Usable once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable():
        raise ValidationError(_("This invitation has expired or was already used."))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("A user with this email already exists."))
    user = User(
        email=invitation.email,
        full_name=invitation.full_name,
        role=invitation.role,
        team=invitation.team,
        language=invitation.language,
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    audit_record(
        actor=user,
        action="user.create",
        target=user,
        changes=diff({}, snapshot(user, USER_AUDITED_FIELDS)),
        request=request,
    )
    return user


# Users -------------------------------------------------------------------------


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    request: HttpRequest | None = None,
    **fields: Any,
) -> User:
    """Change a user's name, role, team or active flag (an administrator's action).

    The last active administrator cannot be demoted or deactivated: the
    company would be locked out of its own settings.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    demoting = fields.get("role", user.role) != User.Role.ADMIN
    deactivating = fields.get("is_active", user.is_active) is False
    if (demoting or deactivating) and _last_active_admin(user):
        raise ValidationError(_("The last active administrator cannot be demoted or deactivated."))
    return audited_update(
        instance=user,
        fields=fields,
        allowed={"full_name", "role", "team", "is_active"},
        audited=USER_AUDITED_FIELDS,
        actor=actor,
        action="user.update",
        request=request,
    )


@transaction.atomic
def user_preferences_update(
    *,
    user: User,
    actor: User,
    request: HttpRequest | None = None,
    **fields: Any,
) -> User:
    """A user's own settings: name, language, time zone."""
    return audited_update(
        instance=User.objects.select_for_update().get(pk=user.pk),
        fields=fields,
        allowed={"full_name", "language", "timezone"},
        audited=USER_AUDITED_FIELDS,
        actor=actor,
        action="user.preferences",
        request=request,
    )


@transaction.atomic
def user_availability_set(*, user: User, availability: str) -> User:
    """Online / away / offline: auto-assignment gives new tickets only to those online.

    Not audited: it changes many times a day and is not a permission.
    """
    if availability not in User.Availability.values:
        raise ValidationError({"availability": _("Unknown availability.")})
    User.objects.filter(pk=user.pk).update(availability=availability)
    user.availability = availability
    return user


@transaction.atomic
def user_password_set(
    *, user: User, password: str, actor: User | None = None, request: HttpRequest | None = None
) -> None:
    """Set a new password (after a reset link or a change); the trail says only that it changed."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor or user,
        action="user.password",
        target=user,
        changes={"password": ["•••", "•••"]},
        request=request,
    )


def password_reset_request(*, email: str) -> None:
    """Queue a reset email if an active user has this address; say nothing either way."""
    with transaction.atomic():
        for user in User.objects.filter(email__iexact=email.strip(), is_active=True):
            tasks.send_password_reset_email.enqueue(user_id=user.pk)


# Teams -------------------------------------------------------------------------

TEAM_AUDITED_FIELDS = ("name", "description", "lead")


@transaction.atomic
def team_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    lead: User | None = None,
    request: HttpRequest | None = None,
) -> Team:
    team = Team(name=name.strip(), description=description, lead=lead)
    team.full_clean()
    team.save()
    audit_record(
        actor=actor,
        action="team.create",
        target=team,
        changes=diff({}, snapshot(team, TEAM_AUDITED_FIELDS)),
        request=request,
    )
    return team


@transaction.atomic
def team_update(
    *, actor: User, team: Team, request: HttpRequest | None = None, **fields: Any
) -> Team:
    return audited_update(
        instance=Team.objects.select_for_update().get(pk=team.pk),
        fields=fields,
        allowed=TEAM_AUDITED_FIELDS,
        audited=TEAM_AUDITED_FIELDS,
        actor=actor,
        action="team.update",
        request=request,
    )


# API tokens --------------------------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    expires_at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """Create a personal token; returns it with the raw value, which is never stored."""
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=raw[: len(API_TOKEN_PREFIX) + 6],
        token_hash=_token_hash(raw),
        expires_at=expires_at,
    )
    audit_record(
        actor=user,
        action="api_token.create",
        target=token,
        changes={"name": [None, token.name]},
        request=request,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken, request: HttpRequest | None = None) -> None:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoke", target=token, request=request)


def api_token_authenticate(raw: str) -> User | None:
    """The active user a raw token belongs to, or None; notes when it was last used."""
    if not raw.startswith(API_TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=_token_hash(raw)).first()
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
