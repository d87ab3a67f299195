"""Background work of the tickets app: staff notifications and auto-close."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from opora.accounts.models import User
from opora.tickets.models import Ticket

NOTIFICATION_KINDS = ("escalated", "rule", "assigned", "sla_warning", "sla_breach", "review")


def enqueue_staff_notification(*, user: User, ticket: Ticket, kind: str, text: str) -> None:
    """Queue an email to a member of staff about `ticket`; call inside the change's transaction."""
    notify_staff.enqueue(user_id=user.pk, ticket_id=ticket.pk, kind=kind, text=text)


@task(queue_name="email")
def notify_staff(*, user_id: int, ticket_id: int, kind: str, text: str) -> str:
    user = User.objects.get(pk=user_id)
    if not user.is_active:
        return "skipped: user inactive"
    ticket = Ticket.objects.select_related("client").get(pk=ticket_id)
    link = settings.OPORA_BASE_URL + reverse("tickets:detail", args=[ticket.number])
    ctx = {"ticket": ticket, "kind": kind, "text": text, "link": link, "user": user}
    with translation.override(user.language):
        subject = render_to_string("tickets/email/notify_subject.txt", ctx).strip()
        body = render_to_string("tickets/email/notify.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return "sent"


@task()
def auto_close_resolved() -> str:
    from opora.tickets.services import tickets_auto_close

    return f"closed {tickets_auto_close()}"
