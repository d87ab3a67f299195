"""Every change to a ticket goes through here and leaves a TicketEvent.

A ticket's events are its audit trail (who, when, from → to); configuration
changes elsewhere go to the general audit trail.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.core.sequences import sequence_next
from opora.tickets.models import Category, Message, Tag, Ticket, TicketEvent, TicketType

TICKET_NUMBER_START = 10001
# Fields a person may change with ticket_update, and how they read in the history.
UPDATABLE_FIELDS = ("status", "priority", "type", "category", "team", "assignee", "is_escalated")


def _label(value: Any) -> str:
    if value is None:
        return ""
    return str(value)[:250]


def _record(ticket: Ticket, actor: User | None, field: str, old: Any, new: Any) -> None:
    TicketEvent.objects.create(
        ticket=ticket, actor=actor, field=field, old_value=_label(old), new_value=_label(new)
    )


@transaction.atomic
def ticket_create(
    *,
    subject: str,
    body: str,
    channel: str,
    type: TicketType,
    requester: Contact | None = None,
    client: ClientAccount | None = None,
    priority: str = Ticket.Priority.NORMAL,
    category: Category | None = None,
    team: Team | None = None,
    tags: list[str] | None = None,
    created_by: User | None = None,
) -> Ticket:
    """Open a ticket with its first message (the client's words, or staff's on their behalf)."""
    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": _("A ticket needs a subject.")})
    if not body.strip():
        raise ValidationError({"body": _("A ticket needs a description.")})
    if client is None and requester is not None:
        client = requester.accounts.order_by("pk").first()
    ticket = Ticket.objects.create(
        number=sequence_next("ticket", start=TICKET_NUMBER_START),
        subject=subject,
        requester=requester,
        client=client,
        channel=channel,
        type=type,
        priority=priority,
        category=category,
        team=team,
    )
    if tags:
        ticket_set_tags(ticket=ticket, names=tags, actor=created_by, record=False)
    Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.CLIENT if requester is not None else Message.Kind.NOTE,
        author=created_by if requester is None else None,
        author_contact=requester,
        body=body,
    )
    _record(ticket, created_by, "created", None, ticket.get_channel_display())
    return ticket


def ticket_set_tags(
    *, ticket: Ticket, names: list[str], actor: User | None, record: bool = True
) -> None:
    """Replace the ticket's tags with `names` (lower-cased, de-duplicated)."""
    wanted = sorted({name.strip().lower() for name in names if name.strip()})
    old = sorted(ticket.tags.values_list("name", flat=True))
    if wanted == old:
        return
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    ticket.tags.set(tags)
    if record:
        _record(ticket, actor, "tags", ", ".join(old), ", ".join(wanted))


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor: User, **changes: Any) -> Ticket:
    """Change status, priority, type, category, queue, assignee or escalation.

    Status changes follow Ticket.TRANSITIONS; resolving and closing stamp
    their times, reopening clears them.
    """
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"ticket_update cannot change {sorted(unknown)}")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    new_status = changes.get("status", ticket.status)
    if new_status != ticket.status:
        if not ticket.can_move_to(new_status):
            raise ValidationError(
                {
                    "status": _("A ticket cannot go from «%(old)s» to «%(new)s».")
                    % {
                        "old": ticket.get_status_display(),
                        "new": Ticket.Status(new_status).label,
                    }
                }
            )
        if new_status == Ticket.Status.RESOLVED:
            ticket.resolved_at = now
        elif new_status == Ticket.Status.CLOSED:
            ticket.closed_at = now
        elif ticket.status == Ticket.Status.RESOLVED:
            ticket.resolved_at = None
    for field, new in changes.items():
        old = getattr(ticket, field)
        if old == new:
            continue
        display = getattr(ticket, f"get_{field}_display", None)
        old_label = display() if display else old
        setattr(ticket, field, new)
        new_label = getattr(ticket, f"get_{field}_display")() if display else new
        _record(ticket, actor, field, old_label, new_label)
    ticket.save()
    return ticket


@transaction.atomic
def ticket_reply(
    *, ticket: Ticket, author: User, body: str, internal: bool = False, status: str | None = None
) -> Message:
    """A public reply to the client, or an internal note; optionally move the status.

    The first public reply stamps `first_responded_at` and takes a new ticket
    to «open».
    """
    if not body.strip():
        raise ValidationError({"body": _("The message is empty.")})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Ticket.Status.CLOSED:
        raise ValidationError(_("The ticket is closed; replies are no longer possible."))
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.NOTE if internal else Message.Kind.REPLY,
        author=author,
        body=body,
    )
    if not internal:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = message.created_at
            ticket.save(update_fields=["first_responded_at", "updated_at"])
        if status is None and ticket.status == Ticket.Status.NEW:
            status = Ticket.Status.OPEN
    if status and status != ticket.status:
        ticket_update(ticket=ticket, actor=author, status=status)
    return message
