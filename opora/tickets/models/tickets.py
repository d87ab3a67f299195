from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TicketType(models.Model):
    """A kind of ticket with its own SLA (emergency / standard / consultation, configurable)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # How much one open ticket of this type loads an operator (least-loaded assignment).
    load_weight = models.PositiveSmallIntegerField(_("load weight"), default=1)

    class Meta:
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        if self.name_en and get_language() == "en":
            return self.name_en
        return self.name


class Category(models.Model):
    """A node of the category tree (e.g. «Интеграции → 1С»)."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="category_unique_name_in_parent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.parent} → {self.name}" if self.parent_id else self.name

    def lineage_ids(self) -> set[int]:
        """This category's id and its ancestors' («Интеграции → 1С» is also «Интеграции»)."""
        ids: set[int] = set()
        node: Category | None = self
        while node is not None:
            ids.add(node.pk)
            node = node.parent
        return ids


class Tag(models.Model):
    """A free label on tickets; stored lower-case so «VIP» and «vip» are one tag."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """A client's request to support, from arrival to «closed»."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Waiting on client")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        TELEGRAM = "telegram", _("Telegram")
        PORTAL = "portal", _("Client portal")
        API = "api", _("API")
        PHONE = "phone", _("Phone")

    # Which status may follow which; «closed» is final (a reply opens a new ticket).
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED}),
        Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED}),
        Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED}),
        Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
        Status.CLOSED: frozenset(),
    }
    ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)

    class EscalationTarget(models.TextChoices):
        LEAD = "lead", _("Team lead")
        QUEUE = "queue", _("Another queue")
        DEVELOPMENT = "development", _("Development")

    number = models.PositiveIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=250)
    requester = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    client = models.ForeignKey(
        "clients.ClientAccount",
        verbose_name=_("client account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    type = models.ForeignKey(TicketType, verbose_name=_("type"), on_delete=models.PROTECT)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("queue"), null=True, blank=True, on_delete=models.SET_NULL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    is_escalated = models.BooleanField(_("escalated"), default=False)
    escalation_target = models.CharField(
        _("escalated to"), max_length=20, choices=EscalationTarget.choices, blank=True
    )
    resolution = models.ForeignKey(
        "tickets.ResolutionCode",
        verbose_name=_("resolution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    # Values of the category's custom fields, keyed by CustomField.code.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("followers"),
        blank=True,
        related_name="followed_tickets",
    )
    cc = models.ManyToManyField(
        "clients.Contact", verbose_name=_("CC"), blank=True, related_name="cc_tickets"
    )
    is_repeat = models.BooleanField(_("repeat contact"), default=False)
    # Times the ticket went from «resolved» back to work (the reopen rate, FCR).
    reopened_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    is_spam = models.BooleanField(_("spam"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The SLA summary, kept by opora.sla from the ticket's clocks so the queue
    # can show and filter SLA state without joining them.
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused = models.BooleanField(default=False)
    sla_breached = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The queue: active tickets of a team, newest first (keyset on id).
            models.Index(fields=["team", "status", "-id"], name="ticket_queue_idx"),
            models.Index(fields=["assignee", "status", "-id"], name="ticket_assignee_idx"),
            models.Index(fields=["client", "-id"], name="ticket_client_idx"),
            models.Index(fields=["requester", "-id"], name="ticket_requester_idx"),
            # Auto-close scans only resolved tickets.
            models.Index(
                fields=["resolved_at"],
                name="ticket_resolved_idx",
                condition=models.Q(status="resolved"),
            ),
            # Analytics: today's intake, and the open backlog by age without reading history.
            models.Index(fields=["created_at"], name="ticket_created_idx"),
            models.Index(
                fields=["created_at"],
                name="ticket_active_age_idx",
                condition=models.Q(status__in=["new", "open", "pending"]),
            ),
            # The queue sorted or filtered by SLA: only tickets with a running clock.
            models.Index(
                fields=["sla_due_at"],
                name="ticket_sla_due_idx",
                condition=models.Q(sla_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"OP-{self.number}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class Message(models.Model):
    """One message on a ticket: the client's, a public reply, or an internal note."""

    class Kind(models.TextChoices):
        CLIENT = "client", _("From client")
        REPLY = "reply", _("Reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("client author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.kind}"


class TicketEvent(models.Model):
    """A change in a ticket's history: who changed which field, from what to what."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Events that are not a model field: how each reads in the history.
    SPECIAL_FIELDS = {
        "created": _("ticket created via"),
        "rule": _("rule applied"),
        "macro": _("macro applied"),
        "link": _("linked ticket"),
        "merged": _("merged"),
        "split": _("split off"),
        "escalation": _("escalated"),
        "auto_assign": _("assigned automatically"),
        "auto_close": _("closed automatically"),
        "reopened": _("reopened by the client's reply"),
        "client_closed": _("closed by the client"),
        "custom_field": _("custom field"),
        "followers": _("followers"),
        "cc": _("CC"),
    }

    field = models.CharField(_("field"), max_length=40)
    old_value = models.CharField(_("from"), max_length=250, blank=True)
    new_value = models.CharField(_("to"), max_length=250, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.field}: {self.old_value} → {self.new_value}"

    @property
    def field_label(self) -> str:
        """The changed field as a person reads it, in the active language."""
        if self.field in self.SPECIAL_FIELDS:
            return str(self.SPECIAL_FIELDS[self.field])
        field = Ticket._meta.get_field(self.field)
        return str(getattr(field, "verbose_name", self.field))


class TicketLink(models.Model):
    """A relation between two tickets, shown on both."""

    class Kind(models.TextChoices):
        RELATED = "related", _("Related")
        REPEAT = "repeat", _("Repeat of")
        FOLLOW_UP = "follow_up", _("Follow-up of")
        MERGED = "merged", _("Merged into")
        SPLIT = "split", _("Split from")

    source = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="links_out"
    )
    target = models.ForeignKey(
        Ticket, verbose_name=_("linked ticket"), on_delete=models.CASCADE, related_name="links_in"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name on disk: the client's file name never reaches the file system.
    return f"attachments/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a message. Stored under a random name outside the static root and
    served only through an access-checked view, always as a download unless it is
    a raster image."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type in INLINE_IMAGE_TYPES


# Raster images are safe to show inline; everything else (SVG, HTML, PDF…) downloads.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
