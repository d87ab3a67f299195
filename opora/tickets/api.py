"""Tickets over the API: the queue as keyset pages, one ticket, create, change, reply.

Reads need VIEW_TICKETS, changes WORK_TICKETS. Every change goes through
opora.tickets.services, exactly as the screens do. Ids in a body that point
nowhere answer 422 `validation_error` naming the field; a broken rule (say,
an illegal status transition) answers 400 `rule_violation` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import Model, Prefetch, QuerySet
from django.db.models.fields.related import ForeignKey
from django.forms import ChoiceField
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.params import functions as param_functions
from pydantic import field_validator

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.clients.services import contact_find_or_create
from opora.core.access import Perm, ensure_perm
from opora.core.http import AuthedRequest
from opora.core.idempotency import idempotent_create
from opora.core.pagination import keyset_page
from opora.sla.selectors import ticket_sla_state
from opora.tickets import services
from opora.tickets.models import Category, Message, ResolutionCode, Ticket, TicketType
from opora.tickets.selectors import QueueFilter, ticket_queue

router = Router(tags=["tickets"])

TagName = Annotated[str, Field(min_length=1, max_length=50)]
# Django's own wording, already translated in its catalogs.
CHOICE_ERROR = ChoiceField.default_error_messages["invalid_choice"]


# --- Output -----------------------------------------------------------------


class TicketItemOut(Schema):
    number: int
    reference: str
    subject: str
    status: str
    priority: str
    type: str
    channel: str
    team_id: int | None
    assignee_id: int | None
    client_id: int | None
    requester_id: int | None
    is_escalated: bool
    tags: list[str]
    sla_state: str = Field(description='"", "on_track", "at_risk", "breached" or "paused"')
    sla_due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_type(obj: Ticket) -> str:
        return obj.type.code

    @staticmethod
    def resolve_sla_state(obj: Ticket) -> str:
        return ticket_sla_state(obj, timezone.now())

    @staticmethod
    def resolve_tags(obj: Ticket) -> list[str]:
        return [tag.name for tag in obj.tags.all()]  # prefetched: no query per ticket


class TicketPageOut(Schema):
    items: list[TicketItemOut]
    next_before: int | None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    kind: str
    author_id: int | None
    author_contact_id: int | None
    body: str
    created_at: dt.datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Message) -> list[Any]:
        return list(obj.attachments.all())


class EventOut(Schema):
    id: int
    actor_id: int | None
    field: str
    old_value: str
    new_value: str
    created_at: dt.datetime


class TicketOut(TicketItemOut):
    """A ticket's properties: what a create or a change answers with."""

    category_id: int | None
    resolution_id: int | None
    escalation_target: str
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]
    events: list[EventOut]

    @staticmethod
    def resolve_messages(obj: Ticket) -> list[Message]:
        return list(obj.messages.all())

    @staticmethod
    def resolve_events(obj: Ticket) -> list[Any]:
        return list(obj.events.all())


# --- Input ------------------------------------------------------------------


class TicketListIn(Schema):
    status: str = Field("active", description='"active", "all" or one status')
    team: int | None = None
    assignee: str = Field("", pattern=r"^(me|none|\d+)?$", description='"me", "none" or a user id')
    priority: Ticket.Priority | None = None
    type: str = Field("", max_length=40, description="a ticket type code")
    q: str = Field("", max_length=250, description="OP-number or words of the subject")
    client: int | None = None
    tag: str = Field("", max_length=50)
    sla: Literal["", "on_track", "at_risk", "breached", "paused"] = Field(
        "", description="SLA state of the ticket's nearest deadline"
    )
    before: int | None = Field(None, ge=1, description="next_before of the previous page")
    limit: int = Field(50, ge=1, le=200)

    @field_validator("status")
    @classmethod
    def known_status(cls, value: str) -> str:
        if value not in ("active", "all", *Ticket.Status.values):
            raise ValueError(CHOICE_ERROR % {"value": value})
        return value


class TicketCreateIn(Schema):
    subject: str = Field(min_length=1, max_length=250)
    body: str = Field(min_length=1)
    type: str = Field(max_length=40, description="a ticket type code")
    priority: Ticket.Priority = Ticket.Priority.NORMAL
    channel: Ticket.Channel = Ticket.Channel.API
    requester_id: int | None = None
    requester_email: str | None = Field(
        None,
        max_length=254,
        description="the client's email: their contact is found or created (instead of requester_id)",
    )
    requester_name: str = Field("", max_length=200)
    client_id: int | None = None
    category_id: int | None = None
    team_id: int | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=20)


class TicketUpdateIn(Schema):
    """Only the fields sent change; send null to clear category, team or assignee."""

    status: Ticket.Status | None = None
    priority: Ticket.Priority | None = None
    type: str | None = Field(None, max_length=40, description="a ticket type code")
    category_id: int | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    is_escalated: bool | None = None
    resolution_id: int | None = Field(None, description="needed to resolve (closing criteria)")
    tags: list[TagName] | None = Field(None, max_length=20)

    @field_validator("status", "priority", "type", "is_escalated", "tags")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        # Runs only for fields that were sent: null is refused, absence means "keep".
        if value is None:
            raise ValueError(_("This field cannot be null."))
        return value


class ReplyIn(Schema):
    body: str = Field(min_length=1)
    internal: bool = Field(False, description="an internal note, not sent to the client")
    status: Ticket.Status | None = Field(None, description="move the ticket to this status too")


class ClientMessageIn(Schema):
    body: str = Field(min_length=1)
    contact_email: str | None = Field(
        None, max_length=254, description="who wrote; the ticket's requester if omitted"
    )


IdempotencyKeyHeader = Annotated[
    str | None,
    param_functions.Header(
        alias="Idempotency-Key",
        max_length=200,
        description="a retry with the same key returns the first result instead of acting twice",
    ),
]


# --- Helpers ----------------------------------------------------------------


def _ticket_get(number: int, *, history: bool = False) -> Ticket:
    """One ticket in a fixed number of queries; with `history`, its messages and events."""
    tickets = Ticket.objects.select_related("type").prefetch_related("tags")
    if history:
        messages = Message.objects.prefetch_related("attachments")
        tickets = tickets.prefetch_related(Prefetch("messages", queryset=messages), "events")
    return get_object_or_404(tickets, number=number)


class _Lookups:
    """Resolves ids and codes from a body to rows, collecting one error per missing field."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def get(self, field: str, model: type[Model], value: Any, *, key: str = "pk") -> Any:
        if value is None:
            return None
        found = model._default_manager.filter(**{key: value}).first()
        if found is None:
            message = ForeignKey.default_error_messages["invalid"] % {
                "model": model._meta.verbose_name,
                "field": key if key != "pk" else "id",
                "value": value,
            }
            self.errors.append({"loc": ("body", "payload", field), "msg": str(message)})
        return found

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# --- Endpoints --------------------------------------------------------------


@router.get("/tickets", response=TicketPageOut, summary="Tickets, newest first (keyset pages)")
def ticket_list(request: AuthedRequest, query: Query[TicketListIn]) -> Any:
    # The parameter is called `query` so that errors name the bare field (see opora/api.py).
    ensure_perm(request.user, Perm.VIEW_TICKETS)
    queue = QueueFilter(
        status=str(query.status),
        team_id=query.team,
        assignee=query.assignee,
        priority=query.priority or "",
        sla=query.sla,
        q=query.q,
    )
    tickets: QuerySet[Ticket] = (
        ticket_queue(user=request.user, filters=queue)
        .select_related(None)
        .select_related("type")
        .prefetch_related("tags")
    )
    if query.type:
        tickets = tickets.filter(type__code=query.type)
    if query.client is not None:
        tickets = tickets.filter(client_id=query.client)
    if query.tag:
        tickets = tickets.filter(tags__name=query.tag.strip().lower())
    before = str(query.before) if query.before else None
    return keyset_page(tickets, before=before, size=query.limit)


@router.get("/tickets/{number}", response=TicketDetailOut, summary="One ticket with its history")
def ticket_detail(request: AuthedRequest, number: int) -> Ticket:
    ensure_perm(request.user, Perm.VIEW_TICKETS)
    return _ticket_get(number, history=True)


@router.post("/tickets", response={201: TicketOut}, summary="Open a ticket")
def ticket_create(
    request: AuthedRequest, payload: TicketCreateIn, idempotency_key: IdempotencyKeyHeader = None
) -> Status[Ticket]:
    ensure_perm(request.user, Perm.WORK_TICKETS)
    lookups = _Lookups()
    type_ = lookups.get("type", TicketType, payload.type, key="code")
    requester = lookups.get("requester_id", Contact, payload.requester_id)
    client = lookups.get("client_id", ClientAccount, payload.client_id)
    category = lookups.get("category_id", Category, payload.category_id)
    team = lookups.get("team_id", Team, payload.team_id)
    lookups.raise_if_any()

    def create() -> Ticket:
        contact = requester
        if contact is None and payload.requester_email:
            contact = contact_find_or_create(
                email=payload.requester_email, full_name=payload.requester_name, client=client
            )
        return services.ticket_create(
            subject=payload.subject,
            body=payload.body,
            channel=payload.channel.value,
            type=type_,
            requester=contact,
            client=client,
            priority=payload.priority.value,
            category=category,
            team=team,
            tags=payload.tags,
            created_by=request.user,
        )

    code, ticket = idempotent_create(
        user=request.user,
        key=idempotency_key,
        scope="tickets.create",
        payload=payload.dict(),
        model=Ticket,
        create=create,
    )
    # The service's ticket is current (rules and assignment update it in place).
    return Status(code, ticket)


@router.patch("/tickets/{number}", response=TicketOut, summary="Change a ticket")
def ticket_update(request: AuthedRequest, number: int, payload: TicketUpdateIn) -> Ticket:
    ensure_perm(request.user, Perm.WORK_TICKETS)
    ticket = get_object_or_404(Ticket, number=number)
    sent = payload.model_dump(mode="json", exclude_unset=True)
    lookups = _Lookups()
    changes: dict[str, Any] = {}
    for field in ("status", "priority", "is_escalated"):
        if field in sent:
            changes[field] = sent[field]
    if "type" in sent:
        changes["type"] = lookups.get("type", TicketType, sent["type"], key="code")
    related: tuple[tuple[str, str, type[Model]], ...] = (
        ("category_id", "category", Category),
        ("team_id", "team", Team),
        ("assignee_id", "assignee", User),
        ("resolution_id", "resolution", ResolutionCode),
    )
    for key, field, model in related:
        if key in sent:
            changes[field] = lookups.get(key, model, sent[key])
    lookups.raise_if_any()
    # Properties and tags change together or not at all.
    with transaction.atomic():
        if changes:
            ticket = services.ticket_update(ticket=ticket, actor=request.user, **changes)
        if "tags" in sent:
            services.ticket_set_tags(ticket=ticket, names=sent["tags"], actor=request.user)
    return _ticket_get(number)


@router.post(
    "/tickets/{number}/replies",
    response={201: MessageOut},
    summary="Reply to the client or add an internal note",
)
def ticket_reply(
    request: AuthedRequest,
    number: int,
    payload: ReplyIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[Message]:
    ensure_perm(request.user, Perm.WORK_TICKETS)
    ticket = get_object_or_404(Ticket, number=number)
    code, message = idempotent_create(
        user=request.user,
        key=idempotency_key,
        scope=f"tickets.reply:{number}",
        payload=payload.dict(),
        model=Message,
        create=lambda: services.ticket_reply(
            ticket=ticket,
            author=request.user,
            body=payload.body,
            internal=payload.internal,
            status=payload.status.value if payload.status else None,
        ),
    )
    return Status(code, message)


@router.post(
    "/tickets/{number}/client-messages",
    response={201: MessageOut},
    summary="Add the client's message (from an integration: chat, phone system, form)",
)
def ticket_client_message(
    request: AuthedRequest,
    number: int,
    payload: ClientMessageIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[Message]:
    ensure_perm(request.user, Perm.WORK_TICKETS)
    ticket = get_object_or_404(Ticket, number=number)

    def create() -> Message:
        contact = ticket.requester
        if payload.contact_email:
            contact = contact_find_or_create(email=payload.contact_email)
        return services.ticket_client_reply(ticket=ticket, contact=contact, body=payload.body)

    code, message = idempotent_create(
        user=request.user,
        key=idempotency_key,
        scope=f"tickets.client_message:{number}",
        payload=payload.dict(),
        model=Message,
        create=create,
    )
    return Status(code, message)
