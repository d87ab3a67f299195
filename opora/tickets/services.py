"""Every change to a ticket goes through here and leaves a TicketEvent.

A ticket's events are its audit trail (who, when, from → to); configuration
changes (macros, rules, settings) go to the general audit trail.

Order of work when a ticket arrives (`ticket_create`):
1. blocked sender? → stored as spam, closed, nothing else runs;
2. rules for «created» run (they may set type, queue, category, tags…);
3. repeat-contact check (needs the category the rules may have set);
4. auto-assignment in the queue, unless a rule already assigned someone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.core.sequences import sequence_next
from opora.sla import services as sla
from opora.tickets.models import (
    BlockedSender,
    Category,
    CustomField,
    Message,
    SavedView,
    Tag,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketSettings,
    TicketType,
)

TICKET_NUMBER_START = 10001
# Fields a person may change with ticket_update.
# Changes the SLA clocks follow (status moves, and what policies match on).
SLA_TRACKED_FIELDS = ("status", "type_id", "priority", "channel", "client_id")

UPDATABLE_FIELDS = (
    "status",
    "priority",
    "type",
    "category",
    "team",
    "assignee",
    "is_escalated",
    "resolution",
)


def _label(value: Any) -> str:
    if value is None:
        return ""
    return str(value)[:250]


def event_record(ticket: Ticket, actor: User | None, field: str, old: Any, new: Any) -> None:
    """Write one line of the ticket's history (and so mark the ticket for analytics)."""
    TicketEvent.objects.create(
        ticket=ticket, actor=actor, field=field, old_value=_label(old), new_value=_label(new)
    )
    analytics_stale(ticket.pk)


def analytics_stale(*ticket_ids: int) -> None:
    """Every change to a ticket re-counts it in the dashboards, in the change's transaction."""
    from opora.analytics.rollups import tickets_stale

    tickets_stale(ticket_ids)


def csat_ask(ticket: Ticket) -> None:
    """A ticket became resolved: the client is asked for CSAT once, in the change's transaction."""
    from opora.quality.surveys.services import csat_request_on_resolve

    csat_request_on_resolve(ticket=ticket)


# --- Arrival -----------------------------------------------------------------


def _emit(
    event: str, ticket: Ticket, *, message: Message | None = None, changes: list[str] | None = None
) -> None:
    """Tell subscribed integrations (channels' webhooks), inside the change's transaction."""
    from opora.channels.services import ticket_event

    extra: dict[str, Any] = {}
    if message is not None:
        extra["message"] = {"id": message.pk, "kind": message.kind, "body": message.body}
    if changes:
        extra["changed"] = changes
    ticket_event(event, ticket=ticket, extra=extra)
    analytics_stale(ticket.pk)


def sender_is_blocked(email: str) -> bool:
    email = email.strip().lower()
    if not email or "@" not in email:
        return False
    domain = "@" + email.rsplit("@", 1)[1]
    return BlockedSender.objects.filter(pattern__in=[email, domain]).exists()


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
    assignee: User | None = None,
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
    created_by: User | None = None,
) -> Ticket:
    """Open a ticket with its first message (the client's words, or staff's on their behalf)."""
    from opora.tickets import assignment, automation

    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": _("A ticket needs a subject.")})
    if not body.strip():
        raise ValidationError({"body": _("A ticket needs a description.")})
    if client is None and requester is not None:
        client = requester.accounts.order_by("pk").first()
    values = custom_fields_clean(category=category, values=custom_fields or {})
    is_spam = requester is not None and (requester.is_blocked or sender_is_blocked(requester.email))
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
        assignee=assignee,
        custom_fields=values,
        is_spam=is_spam,
        status=Ticket.Status.CLOSED if is_spam else Ticket.Status.NEW,
        closed_at=timezone.now() if is_spam else None,
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
    event_record(ticket, created_by, "created", None, ticket.get_channel_display())
    if is_spam:
        event_record(ticket, None, "is_spam", "", _("blocked sender"))
        return ticket
    # Clocks start before the rules, so a rule that changes the type or priority
    # shows in the SLA ledger as a re-target at creation time.
    sla.sla_ticket_started(ticket=ticket)
    automation.rules_run(ticket=ticket, event="created", body=body)
    repeat_contact_check(ticket=ticket)
    if ticket.assignee_id is None:
        assignment.ticket_auto_assign(ticket=ticket)
    _emit("ticket.created", ticket)
    return ticket


def ticket_set_tags(
    *, ticket: Ticket, names: Iterable[str], actor: User | None, record: bool = True
) -> None:
    """Replace the ticket's tags with `names` (lower-cased, de-duplicated)."""
    wanted = sorted({name.strip().lower()[:50] for name in names if name.strip()})
    old = sorted(ticket.tags.values_list("name", flat=True))
    if wanted == old:
        return
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    ticket.tags.set(tags)
    if record:
        event_record(ticket, actor, "tags", ", ".join(old), ", ".join(wanted))


def ticket_add_tags(*, ticket: Ticket, names: Iterable[str], actor: User | None) -> None:
    current = list(ticket.tags.values_list("name", flat=True))
    ticket_set_tags(ticket=ticket, names=[*current, *names], actor=actor)


def repeat_contact_check(*, ticket: Ticket) -> Ticket | None:
    """Flag `ticket` as a repeat contact and link it to the earlier ticket, if there is one.

    Repeat = same category and the same contact or client account, created
    within the configured window before this ticket. Runs on arrival and when
    the category is first set.
    """
    if ticket.is_repeat or ticket.category_id is None or ticket.is_spam:
        return None
    if ticket.requester_id is None and ticket.client_id is None:
        return None
    window = dt.timedelta(days=TicketSettings.load().repeat_window_days)
    same_party = Q()
    if ticket.requester_id is not None:
        same_party |= Q(requester_id=ticket.requester_id)
    if ticket.client_id is not None:
        same_party |= Q(client_id=ticket.client_id)
    earlier = (
        Ticket.objects.filter(
            same_party,
            category_id=ticket.category_id,
            created_at__gte=ticket.created_at - window,
            created_at__lt=ticket.created_at,
            is_spam=False,
            merged_into__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )
    if earlier is None:
        return None
    Ticket.objects.filter(pk=ticket.pk).update(is_repeat=True)
    ticket.is_repeat = True
    TicketLink.objects.get_or_create(
        source=ticket, target=earlier, defaults={"kind": TicketLink.Kind.REPEAT}
    )
    event_record(ticket, None, "is_repeat", "", earlier.reference)
    analytics_stale(earlier.pk)  # its first answer did not settle the question (FCR)
    return earlier


# --- Custom fields -----------------------------------------------------------


def custom_fields_for(category: Category | None) -> list[CustomField]:
    """The active custom fields a ticket of `category` shows (global ones included)."""
    fields = CustomField.objects.filter(is_active=True).prefetch_related("categories")
    # A field on «Интеграции» also shows on «Интеграции → 1С».
    category_ids = category.lineage_ids() if category is not None else set()
    return [
        f
        for f in fields
        if not f.categories.all() or category_ids & {c.pk for c in f.categories.all()}
    ]


def custom_fields_clean(*, category: Category | None, values: dict[str, Any]) -> dict[str, Any]:
    """Validate values for the category's custom fields; return them as stored (JSON-safe)."""
    known = {f.code: f for f in custom_fields_for(category)}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for code, raw in values.items():
        custom = known.get(code)
        if custom is None:
            errors[code] = _("This field does not apply to the ticket's category.")
            continue
        text = "" if raw is None else str(raw).strip()
        if not text:
            continue
        if custom.kind == CustomField.Kind.NUMBER:
            try:
                number = float(text.replace(",", ".")) if "." in text or "," in text else int(text)
            except ValueError:
                number = math.inf
            if not math.isfinite(number):  # «1e999» parses, but is no amount of anything
                errors[code] = _("Enter a number.")
            else:
                clean[code] = number
        elif custom.kind == CustomField.Kind.DATE:
            try:
                clean[code] = dt.date.fromisoformat(text).isoformat()
            except ValueError:
                errors[code] = _("Enter a date as YYYY-MM-DD.")
        elif custom.kind == CustomField.Kind.CHOICE:
            if text not in custom.option_list:
                errors[code] = _("Choose one of: %(options)s.") % {
                    "options": ", ".join(custom.option_list)
                }
            else:
                clean[code] = text
        else:
            clean[code] = text[:1000]
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def ticket_set_custom_fields(*, ticket: Ticket, actor: User, values: dict[str, Any]) -> Ticket:
    """Set (or clear, with an empty value) the ticket's custom fields."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("category").get(pk=ticket.pk)
    )
    clean = custom_fields_clean(category=ticket.category, values=values)
    labels = {f.code: f.label for f in custom_fields_for(ticket.category)}
    merged = dict(ticket.custom_fields)
    for code in values:
        old, new = merged.get(code), clean.get(code)
        if old == new:
            continue
        if new is None:
            merged.pop(code, None)
        else:
            merged[code] = new
        event_record(
            ticket,
            actor,
            "custom_field",
            f"{labels[code]}: {old}" if old is not None else "",
            f"{labels[code]}: {new}" if new is not None else labels[code],
        )
    ticket.custom_fields = merged
    ticket.save(update_fields=["custom_fields", "updated_at"])
    return ticket


# --- Changing a ticket -------------------------------------------------------


def closing_criteria_missing(ticket: Ticket) -> list[str]:
    """Names of what must be filled before `ticket` may be resolved."""
    settings = TicketSettings.load()
    missing = []
    if settings.require_category_to_resolve and ticket.category_id is None:
        missing.append(str(_("category")))
    if settings.require_resolution_to_resolve and ticket.resolution_id is None:
        missing.append(str(_("resolution code")))
    for custom in custom_fields_for(ticket.category):
        if custom.required_to_resolve and custom.code not in ticket.custom_fields:
            missing.append(custom.label)
    return missing


def ticket_apply_changes(
    *, ticket: Ticket, actor: User | None, changes: dict[str, Any], check_criteria: bool = True
) -> bool:
    """Set fields on a locked ticket, enforcing the workflow; record each change.

    Call inside a transaction with `ticket` fetched by select_for_update.
    Runs no rules and no assignment (callers decide). Returns whether
    anything changed. `check_criteria=False` is for the client's own
    «my question is settled», which staff's closing criteria do not bind.
    """
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"ticket_apply_changes cannot change {sorted(unknown)}")
    old_status = ticket.status
    sla_traits = {name: getattr(ticket, name) for name in SLA_TRACKED_FIELDS}
    new_status = changes.get("status", old_status)
    if new_status != old_status and not ticket.can_move_to(new_status):
        raise ValidationError(
            {
                "status": _("A ticket cannot go from «%(old)s» to «%(new)s».")
                % {"old": ticket.get_status_display(), "new": Ticket.Status(new_status).label}
            }
        )
    changed = False
    # Status last, so the history reads «category set, resolution set → resolved».
    for name, new in sorted(changes.items(), key=lambda item: item[0] == "status"):
        old = getattr(ticket, name)
        if old == new:
            continue
        display = getattr(ticket, f"get_{name}_display", None)
        old_label = display() if display else old
        setattr(ticket, name, new)
        new_label = getattr(ticket, f"get_{name}_display")() if display else new
        event_record(ticket, actor, name, old_label, new_label)
        changed = True
    if new_status != old_status:
        now = timezone.now()
        if new_status == Ticket.Status.RESOLVED:
            missing = closing_criteria_missing(ticket) if check_criteria else []
            if missing:
                raise ValidationError(
                    {
                        "status": _("Fill in before resolving: %(fields)s.")
                        % {"fields": ", ".join(missing)}
                    }
                )
            ticket.resolved_at = now
        elif new_status == Ticket.Status.CLOSED:
            ticket.closed_at = now
        elif old_status == Ticket.Status.RESOLVED:
            ticket.resolved_at = None
            ticket.reopened_count += 1
    if changed:
        ticket.save()
        moved = {k: v for k, v in sla_traits.items() if getattr(ticket, k) != v}
        if moved:
            sla.sla_ticket_changed(ticket=ticket, old=moved)
        if new_status == Ticket.Status.RESOLVED and old_status != new_status:
            csat_ask(ticket)
        _emit("ticket.updated", ticket, changes=sorted(changes))
    return changed


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor: User, run_rules: bool = True, **changes: Any) -> Ticket:
    """Change status, priority, type, category, queue, assignee, escalation or resolution.

    Status changes follow Ticket.TRANSITIONS and the closing criteria. A
    move to another queue without an assignee is auto-assigned there.
    """
    from opora.tickets import assignment, automation

    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    old_team_id, old_category_id = ticket.team_id, ticket.category_id
    if not ticket_apply_changes(ticket=ticket, actor=actor, changes=changes):
        return ticket
    if run_rules:
        automation.rules_run(ticket=ticket, event="updated", actor=actor)
    if ticket.category_id != old_category_id:
        repeat_contact_check(ticket=ticket)
    if ticket.team_id != old_team_id and ticket.assignee_id is None:
        assignment.ticket_auto_assign(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    internal: bool = False,
    status: str | None = None,
    files: Sequence[Any] = (),
) -> Message:
    """A public reply to the client, or an internal note; optionally move the status.

    The first public reply stamps `first_responded_at` and takes a new ticket
    to «open». Attachments are validated before anything is written.
    """
    from opora.tickets import attachments

    if not body.strip():
        raise ValidationError({"body": _("The message is empty.")})
    attachments.validate_uploads(files)
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
        sla.sla_ticket_replied(ticket=ticket, now=message.created_at)
        if status is None and ticket.status == Ticket.Status.NEW:
            status = Ticket.Status.OPEN
    if status and status != ticket.status:
        ticket_update(ticket=ticket, actor=author, status=status)
    # Files last: a status change refused above must not leave files on disk.
    attachments.attachments_save(message=message, files=files)
    if not internal:
        # The reply leaves on the ticket's channel with this transaction, or not at all.
        from opora.channels.services import message_deliver

        message_deliver(message=message)
        _emit("ticket.replied", ticket, message=message)
    return message


@transaction.atomic
def ticket_client_reply(
    *, ticket: Ticket, contact: Contact | None, body: str, files: Sequence[Any] = ()
) -> Message:
    """A message from the client on an existing ticket (email, Telegram, portal).

    Waiting or resolved tickets reopen; a closed ticket stays closed and the
    message opens a new ticket linked to it as a follow-up.
    """
    from opora.tickets import attachments

    attachments.validate_uploads(files)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        # A merged ticket's replies belong to the ticket it was merged into.
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.select_for_update().get(pk=ticket.merged_into_id)
    if ticket.status == Ticket.Status.CLOSED:
        follow_up = ticket_create(
            subject=ticket.subject,
            body=body,
            channel=ticket.channel,
            type=ticket.type,
            requester=contact or ticket.requester,
            client=ticket.client,
            priority=ticket.priority,
            category=ticket.category,
            team=ticket.team,
        )
        # The repeat check may already have linked the two; a follow-up says more.
        TicketLink.objects.update_or_create(
            source=follow_up, target=ticket, defaults={"kind": TicketLink.Kind.FOLLOW_UP}
        )
        event_record(follow_up, None, "link", "", ticket.reference)
        analytics_stale(ticket.pk)  # a repeat contact for FCR
        message = follow_up.messages.filter(kind=Message.Kind.CLIENT).order_by("id").first()
        assert message is not None  # noqa: S101 -- ticket_create wrote the client's message
        attachments.attachments_save(message=message, files=files)
        return message
    message = Message.objects.create(
        ticket=ticket, kind=Message.Kind.CLIENT, author_contact=contact, body=body
    )
    attachments.attachments_save(message=message, files=files)
    if ticket.status in (Ticket.Status.PENDING, Ticket.Status.RESOLVED):
        if ticket.status == Ticket.Status.RESOLVED:
            event_record(ticket, None, "reopened", "", "")
        ticket_apply_changes(ticket=ticket, actor=None, changes={"status": Ticket.Status.OPEN})
    else:
        ticket.save(update_fields=["updated_at"])
    sla.sla_client_wrote(ticket=ticket, now=message.created_at)
    _emit("ticket.replied", ticket, message=message)
    return message


@transaction.atomic
def ticket_client_close(*, ticket: Ticket, contact: Contact) -> Ticket:
    """The client says the question is settled: the ticket is resolved (and closes as usual)."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status not in Ticket.ACTIVE_STATUSES:
        raise ValidationError(_("The ticket is already resolved or closed."))
    event_record(ticket, None, "client_closed", "", str(contact))
    ticket_apply_changes(
        ticket=ticket,
        actor=None,
        changes={"status": Ticket.Status.RESOLVED},
        check_criteria=False,
    )
    return ticket


# --- People around a ticket --------------------------------------------------


def _set_members(
    ticket: Ticket, actor: User | None, field: str, wanted_rows: Iterable[Any]
) -> None:
    """Replace a many-to-many set of people on the ticket and record old → new."""
    manager = getattr(ticket, field)
    wanted = {row.pk: row for row in wanted_rows}
    old = {row.pk: row for row in manager.all()}
    if wanted.keys() == old.keys():
        return
    manager.set(wanted.values())
    event_record(
        ticket,
        actor,
        field,
        ", ".join(sorted(str(row) for row in old.values())),
        ", ".join(sorted(str(row) for row in wanted.values())),
    )


@transaction.atomic
def ticket_set_followers(*, ticket: Ticket, actor: User, users: Iterable[User]) -> None:
    """Staff who get notified about the ticket without being its assignee."""
    _set_members(ticket, actor, "followers", users)


@transaction.atomic
def ticket_set_cc(*, ticket: Ticket, actor: User | None, contacts: Iterable[Contact]) -> None:
    """Client contacts copied on public replies."""
    _set_members(ticket, actor, "cc", contacts)


# --- Links, merge, split -----------------------------------------------------


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, actor: User) -> TicketLink:
    if ticket.pk == other.pk:
        raise ValidationError({"number": _("A ticket cannot be linked to itself.")})
    existing = TicketLink.objects.filter(
        Q(source=ticket, target=other) | Q(source=other, target=ticket)
    ).first()
    if existing is not None:
        return existing
    link = TicketLink.objects.create(source=ticket, target=other, kind=TicketLink.Kind.RELATED)
    event_record(ticket, actor, "link", "", other.reference)
    event_record(other, actor, "link", "", ticket.reference)
    return link


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, other: Ticket, actor: User) -> None:
    deleted, _rows = TicketLink.objects.filter(
        Q(source=ticket, target=other) | Q(source=other, target=ticket)
    ).delete()
    if deleted:
        event_record(ticket, actor, "link", other.reference, "")
        event_record(other, actor, "link", ticket.reference, "")


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Merge `source` into `target`: its conversation, tags, followers and CC move over.

    The source is closed and points to the target; replies to it by email
    thread into the target from then on (see `Ticket.merged_into`).
    """
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be merged into itself.")})
    locked = {
        t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise ValidationError({"target": _("This ticket is already merged.")})
    if target.status == Ticket.Status.CLOSED:
        raise ValidationError({"target": _("A ticket cannot be merged into a closed ticket.")})
    moved = source.messages.update(ticket=target)
    ticket_add_tags(ticket=target, names=source.tags.values_list("name", flat=True), actor=actor)
    target.followers.add(*source.followers.all())
    target.cc.add(*source.cc.all())
    Message.objects.create(
        ticket=target,
        kind=Message.Kind.NOTE,
        author=actor,
        body=_("%(source)s «%(subject)s» was merged into this ticket (%(count)s messages).")
        % {"source": source.reference, "subject": source.subject, "count": moved},
    )
    TicketLink.objects.filter(source=source, target=target).delete()
    TicketLink.objects.filter(source=target, target=source).delete()
    TicketLink.objects.create(source=source, target=target, kind=TicketLink.Kind.MERGED)
    source.merged_into = target
    source.status = Ticket.Status.CLOSED
    source.closed_at = timezone.now()
    source.save()
    sla.sla_ticket_stopped(
        ticket=source, reason=_("Merged into %(ref)s") % {"ref": target.reference}
    )
    event_record(source, actor, "merged", "", target.reference)
    event_record(target, actor, "merged", source.reference, target.reference)
    target.save(update_fields=["updated_at"])
    return target


@transaction.atomic
def ticket_split(*, message: Message, actor: User) -> Ticket:
    """Move a client's message out into a new ticket of its own, linked to the old one."""
    ticket = Ticket.objects.select_for_update().get(pk=message.ticket_id)
    if message.kind != Message.Kind.CLIENT:
        raise ValidationError(_("Only a client's message can be split off."))
    if ticket.messages.count() < 2:
        raise ValidationError(_("A ticket with one message cannot be split."))
    lines = message.body.strip().splitlines()
    new = ticket_create(
        subject=(lines[0][:250] if lines else "") or ticket.subject,
        # A message with only attachments still needs a description.
        body=message.body if message.body.strip() else ticket.subject,
        channel=ticket.channel,
        type=ticket.type,
        requester=message.author_contact or ticket.requester,
        client=ticket.client,
        priority=ticket.priority,
        team=ticket.team,
        created_by=actor,
    )
    # The new ticket's first message is the split one itself, with its attachments.
    new.messages.order_by("id").first().delete()  # type: ignore[union-attr]
    message.ticket = new
    message.save(update_fields=["ticket"])
    TicketLink.objects.create(source=new, target=ticket, kind=TicketLink.Kind.SPLIT)
    event_record(new, actor, "split", "", ticket.reference)
    event_record(ticket, actor, "split", "", new.reference)
    return new


# --- Escalation --------------------------------------------------------------


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    actor: User | None,
    target: str,
    reason: str,
    team: Team | None = None,
) -> Ticket:
    """Escalate to the team lead, to another queue, or to development, with a reason.

    The reason goes into an internal note; the lead (or the new queue's lead)
    follows the ticket and is notified.
    """
    from opora.tickets import assignment, tasks

    if target not in Ticket.EscalationTarget.values:
        raise ValidationError({"target": _("Choose where to escalate.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the ticket is escalated.")})
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("team").get(pk=ticket.pk)
    if ticket.status == Ticket.Status.CLOSED:
        raise ValidationError(_("A closed ticket cannot be escalated."))
    changes: dict[str, Any] = {"is_escalated": True}
    if target == Ticket.EscalationTarget.QUEUE:
        if team is None:
            raise ValidationError({"team": _("Choose the queue to escalate to.")})
        if team.pk == ticket.team_id:
            raise ValidationError({"team": _("The ticket is already in this queue.")})
        changes.update(team=team, assignee=None)
    ticket_apply_changes(ticket=ticket, actor=actor, changes=changes)
    ticket.escalation_target = target
    ticket.save(update_fields=["escalation_target", "updated_at"])
    label = Ticket.EscalationTarget(target).label
    event_record(ticket, actor, "escalation", "", f"{label}: {reason.strip()}"[:250])
    Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.NOTE,
        author=actor,
        body=_("Escalated (%(target)s): %(reason)s") % {"target": label, "reason": reason.strip()},
    )
    lead = ticket.team.lead if ticket.team is not None else None
    if lead is not None:
        ticket.followers.add(lead)
        tasks.enqueue_staff_notification(
            user=lead, ticket=ticket, kind="escalated", text=reason.strip()
        )
    if target == Ticket.EscalationTarget.QUEUE:
        assignment.ticket_auto_assign(ticket=ticket)
    return ticket


# --- Spam --------------------------------------------------------------------


@transaction.atomic
def ticket_mark_spam(*, ticket: Ticket, actor: User, block_sender: bool = False) -> Ticket:
    """Close the ticket as spam (it leaves every queue); optionally block its sender."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)
    )
    if ticket.is_spam:
        return ticket
    old_status = ticket.get_status_display()
    ticket.is_spam = True
    ticket.status = Ticket.Status.CLOSED
    ticket.closed_at = timezone.now()
    ticket.save()
    sla.sla_ticket_stopped(ticket=ticket, reason=_("Marked as spam"))
    event_record(ticket, actor, "is_spam", old_status, _("spam"))
    if block_sender and ticket.requester is not None and ticket.requester.email:
        sender_block(pattern=ticket.requester.email, actor=actor, reason=ticket.reference)
    return ticket


@transaction.atomic
def ticket_unmark_spam(*, ticket: Ticket, actor: User) -> Ticket:
    """Not spam after all: the ticket returns to work as «open»."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not ticket.is_spam:
        return ticket
    ticket.is_spam = False
    ticket.status = Ticket.Status.OPEN
    ticket.closed_at = None
    ticket.save()
    sla.sla_ticket_started(ticket=ticket, now=timezone.now())
    event_record(ticket, actor, "is_spam", _("spam"), Ticket.Status.OPEN.label)
    return ticket


@transaction.atomic
def sender_block(*, pattern: str, actor: User, reason: str = "") -> BlockedSender:
    """Block an address (user@example.com) or a domain (@example.com)."""
    from opora.core.audit import audit_record

    pattern = pattern.strip().lower()
    local, at, domain = pattern.rpartition("@")
    if not at or "." not in domain or " " in pattern:
        raise ValidationError({"pattern": _("Enter an email address or @domain.")})
    blocked, created = BlockedSender.objects.get_or_create(
        pattern=pattern, defaults={"reason": reason[:200], "created_by": actor}
    )
    if created:
        audit_record(actor=actor, action="sender.block", target=blocked)
    return blocked


@transaction.atomic
def sender_unblock(*, blocked: BlockedSender, actor: User) -> None:
    from opora.core.audit import audit_record

    audit_record(actor=actor, action="sender.unblock", target=blocked)
    blocked.delete()


# --- Bulk and periodic -------------------------------------------------------


@dataclass
class BulkResult:
    updated: list[Ticket] = field(default_factory=list)
    failed: list[tuple[Ticket, str]] = field(default_factory=list)


def tickets_bulk_update(
    *,
    tickets: Iterable[Ticket],
    actor: User,
    changes: dict[str, Any],
    add_tags: Sequence[str] = (),
    merge_into: Ticket | None = None,
) -> BulkResult:
    """Apply the same change to many tickets; each succeeds or fails on its own.

    A ticket that cannot take the change (say, cannot be resolved without a
    category) is reported and left as it was; the others are changed.
    """
    result = BulkResult()
    for ticket in tickets:
        try:
            with transaction.atomic():
                if merge_into is not None:
                    if ticket.pk != merge_into.pk:
                        ticket_merge(source=ticket, target=merge_into, actor=actor)
                else:
                    if changes:
                        ticket_update(ticket=ticket, actor=actor, **changes)
                    if add_tags:
                        ticket_add_tags(ticket=ticket, names=add_tags, actor=actor)
        except ValidationError as error:
            result.failed.append((ticket, " ".join(error.messages)))
        else:
            result.updated.append(ticket)
    return result


def tickets_auto_close(*, now: dt.datetime | None = None) -> int:
    """Close resolved tickets the client has not answered within the configured days."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=TicketSettings.load().auto_close_days)
    due = Ticket.objects.filter(status=Ticket.Status.RESOLVED, resolved_at__lte=cutoff)
    closed = 0
    for pk in due.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            # Re-check under the lock: a client reply may have reopened it meanwhile.
            ticket = Ticket.objects.select_for_update().filter(pk=pk, status=Ticket.Status.RESOLVED)
            locked = ticket.first()
            if locked is None:
                continue
            ticket_apply_changes(
                ticket=locked, actor=None, changes={"status": Ticket.Status.CLOSED}
            )
            event_record(locked, None, "auto_close", "", "")
            closed += 1
    return closed


# --- Saved views -------------------------------------------------------------


def saved_view_create(*, owner: User, name: str, is_shared: bool, query: str) -> SavedView:
    """Save the queue's current filters under a name, for oneself or for everyone."""
    from opora.core.audit import audit_record

    query = "&".join(
        part for part in query.split("&") if part and not part.startswith(("before=", "csrf"))
    )
    view = SavedView.objects.create(
        owner=owner, name=name.strip(), is_shared=is_shared, query=query[:500]
    )
    if is_shared:
        audit_record(actor=owner, action="saved_view.share", target=view)
    return view


def saved_view_delete(*, view: SavedView, actor: User) -> None:
    from opora.core.audit import audit_record

    if view.is_shared:
        audit_record(actor=actor, action="saved_view.delete", target=view)
    view.delete()
