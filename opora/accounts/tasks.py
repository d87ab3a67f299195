"""Emails of the accounts app, sent by the worker. Each loads by id and renders
in the recipient's language at send time, so no secret link sits in the queue."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task


def _send(*, to: str, language: str, template: str, ctx: dict[str, object]) -> None:
    with translation.override(language):
        subject = render_to_string(f"accounts/email/{template}_subject.txt", ctx).strip()
        body = render_to_string(f"accounts/email/{template}.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


@task(queue_name="email")
def send_invitation_email(*, invitation_id: int) -> str:
    from opora.accounts.models import Invitation
    from opora.accounts.services import invitation_token

    invitation = Invitation.objects.select_related("invited_by").get(pk=invitation_id)
    if not invitation.is_usable():
        return "skipped: invitation no longer usable"
    link = settings.OPORA_BASE_URL + reverse(
        "accounts:invitation-accept", args=[invitation_token(invitation)]
    )
    _send(
        to=invitation.email,
        language=invitation.language,
        template="invitation",
        ctx={"invitation": invitation, "link": link},
    )
    return "sent"


@task(queue_name="email")
def send_password_reset_email(*, user_id: int) -> str:
    from opora.accounts.models import User

    user = User.objects.get(pk=user_id)
    if not user.is_active:
        return "skipped: user inactive"
    link = settings.OPORA_BASE_URL + reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    _send(
        to=user.email,
        language=user.language,
        template="password_reset",
        ctx={"user": user, "link": link},
    )
    return "sent"


@task()
def prune_login_attempts(days: int = 30) -> int:
    """Forget failed-login records older than `days`; lockouts last minutes, not months."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted: int = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0]
    deleted += AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    deleted += AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    return deleted
