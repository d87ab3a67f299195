from __future__ import annotations

from django.conf import settings
from django.db import models
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
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The queue: active tickets of a team, newest first (keyset on id).
            models.Index(fields=["team", "status", "-id"], name="ticket_queue_idx"),
            models.Index(fields=["assignee", "status", "-id"], name="ticket_assignee_idx"),
            models.Index(fields=["client", "-id"], name="ticket_client_idx"),
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
        if self.field == "created":
            return str(_("ticket created via"))
        field = Ticket._meta.get_field(self.field)
        return str(getattr(field, "verbose_name", self.field))
