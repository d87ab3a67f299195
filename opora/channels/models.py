"""Channels: the mailboxes mail comes in through, every inbound email, and the outbox.

Every inbound message is recorded once (unique by mailbox, UIDVALIDITY and
UID) in the same transaction as the ticket or reply it became, together
with the mailbox's cursor, so a crash anywhere loses or duplicates nothing.
Everything Opora sends to a client or an integration goes through the
outbox (`Delivery`): written in the change's transaction, sent by a job,
retried with back-off, and its status is visible on the ticket.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.core import crypto


def encrypted(column: str) -> property:
    """A plain-text view of an encrypted column: reading decrypts, writing encrypts."""

    def read(instance: models.Model) -> str:
        token = getattr(instance, column)
        return crypto.decrypt(token) if token else ""

    def write(instance: models.Model, value: str) -> None:
        setattr(instance, column, crypto.encrypt(value) if value else "")

    return property(read, write)


class PolledSource(models.Model):
    """A mailbox or a bot: polled by one worker at a time, its last outcome kept."""

    poll_lease_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (trusted network only)")


class Mailbox(PolledSource):
    """A support address: mail is fetched from its IMAP folder into a queue."""

    class AfterImport(models.TextChoices):
        KEEP = "keep", _("Leave as it is")
        SEEN = "seen", _("Mark as read")
        MOVE = "move", _("Move to a folder")

    name = models.CharField(_("name"), max_length=120, unique=True)
    address = models.EmailField(_("address"), unique=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket_type = models.ForeignKey(
        "tickets.TicketType",
        verbose_name=_("ticket type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Type of new tickets from this mailbox; empty means the default type."),
    )
    language = models.CharField(
        _("language of letters"), max_length=8, choices=settings.LANGUAGES, default="ru"
    )
    signature = models.TextField(
        _("signature"), blank=True, help_text=_("Ends every letter; empty means the mailbox name.")
    )
    send_acknowledgement = models.BooleanField(
        _("acknowledge new requests"),
        default=True,
        help_text=_("Answer a new email with its ticket number."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    imap_host = models.CharField(_("IMAP server"), max_length=200)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    imap_username = models.CharField(_("IMAP user"), max_length=200)
    imap_password_encrypted = models.TextField(blank=True)
    imap_folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    after_import = models.CharField(
        _("after import"), max_length=10, choices=AfterImport.choices, default=AfterImport.KEEP
    )
    processed_folder = models.CharField(_("folder for processed mail"), max_length=200, blank=True)
    max_message_mb = models.PositiveIntegerField(
        _("largest message, MB"),
        default=25,
        help_text=_("Larger messages are not downloaded; they wait in quarantine."),
    )

    # Outgoing mail; an empty host means the server-wide SMTP settings.
    smtp_host = models.CharField(_("SMTP server"), max_length=200, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=465)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    smtp_username = models.CharField(_("SMTP user"), max_length=200, blank=True)
    smtp_password_encrypted = models.TextField(blank=True)

    # The fetch cursor: every UID up to last_uid under this UIDVALIDITY is recorded.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    imap_password = encrypted("imap_password_encrypted")
    smtp_password = encrypted("smtp_password_encrypted")

    @classmethod
    def named(cls, name: str) -> models.QuerySet[Mailbox]:
        """The mailbox a person names on the command line: by its name or its address."""
        return cls.objects.filter(Q(name=name) | Q(address=name.strip().lower()))

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]


def raw_email_path(instance: InboundEmail, filename: str) -> str:
    return f"inbound/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.eml"


class InboundEmail(models.Model):
    """One message seen in a mailbox, and what became of it."""

    class Status(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        DUPLICATE = "duplicate", _("Duplicate")
        IGNORED = "ignored", _("Not answered")
        QUARANTINED = "quarantined", _("Quarantine")

    class Reason(models.TextChoices):
        NEW_TICKET = "new_ticket", _("New ticket")
        REPLY = "reply", _("Reply on a ticket")
        SAME_MESSAGE_ID = "same_message_id", _("Already imported (same Message-ID)")
        AUTO_REPLY = "auto_reply", _("Auto-reply")
        BOUNCE = "bounce", _("Delivery failure report")
        BULK = "bulk", _("Mailing list or bulk mail")
        LOOP = "loop", _("Mail loop")
        BLOCKED = "blocked", _("Blocked sender")
        TOO_LARGE = "too_large", _("Too large")
        PARSE_ERROR = "parse_error", _("Could not be read")
        FAILED = "failed", _("Import failed")

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.CASCADE, related_name="inbound"
    )
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    email_message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    sender = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    error = models.TextField(_("error"), blank=True)
    # Survivable defects and withheld files, for the inbound log.
    notes = models.JSONField(default=list, blank=True)
    # The message exactly as the server gave it: shown as the original, used to retry.
    raw = models.FileField(upload_to=raw_email_path, max_length=200, blank=True)
    # The sanitised HTML part, shown in a sandboxed frame as the original.
    html = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
    )
    message = models.OneToOneField(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_email",
    )
    fetched_at = models.DateTimeField(_("fetched"), default=timezone.now)
    retried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="inbound_email_uid_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["email_message_id"], name="inbound_email_msgid_idx"),
            models.Index(fields=["mailbox", "status", "-id"], name="inbound_email_status_idx"),
            models.Index(fields=["sender", "fetched_at"], name="inbound_email_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.uidvalidity}:{self.uid} {self.status}"


class Delivery(models.Model):
    """One thing to send: an email, a Telegram message, a webhook call.

    Written in the same transaction as the change it reports; a job sends it,
    failures are retried with growing pauses until `MAX_ATTEMPTS`.
    """

    MAX_ATTEMPTS = 8

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        TELEGRAM = "telegram", _("Telegram")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Delivered")
        RETRYING = "retrying", _("Will retry")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    message = models.ForeignKey(
        "tickets.Message",
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bot = models.ForeignKey(
        "channels.TelegramBot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    webhook = models.ForeignKey(
        "channels.Webhook",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    recipient = models.CharField(_("recipient"), max_length=500)
    # What to send, fixed when queued: subject/body/headers, a chat and text, a JSON body.
    payload: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    # Our Message-ID for emails: threads the client's answer and matches bounces.
    email_message_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_retry_idx",
                condition=Q(status__in=["retrying", "sending"]),
            ),
            models.Index(
                fields=["email_message_id"],
                name="delivery_msgid_idx",
                condition=~Q(email_message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient}: {self.status}"


class TelegramBot(PolledSource):
    """A company's Telegram bot: clients write to it, operators' replies go back to the chat."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    token_encrypted = models.TextField()
    api_base_url = models.URLField(
        _("Bot API server"),
        default="https://api.telegram.org",
        help_text=_("Telegram's server, or your own Bot API server."),
    )
    username = models.CharField(_("bot username"), max_length=64, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket_type = models.ForeignKey(
        "tickets.TicketType",
        verbose_name=_("ticket type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(
        _("language of messages"), max_length=8, choices=settings.LANGUAGES, default="ru"
    )
    is_active = models.BooleanField(_("active"), default=True)

    # getUpdates offset: every update below it is recorded.
    update_offset = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Telegram bot")
        verbose_name_plural = _("Telegram bots")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (@{self.username})" if self.username else self.name

    token = encrypted("token_encrypted")

    @classmethod
    def named(cls, name: str) -> models.QuerySet[TelegramBot]:
        """The bot a person names on the command line: by its name or its @username."""
        return cls.objects.filter(Q(name=name) | Q(username=name.strip().lstrip("@")))


class TelegramUpdate(models.Model):
    """One update received from a bot, and what became of it (idempotent by update_id)."""

    class Status(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        IGNORED = "ignored", _("Not answered")
        QUARANTINED = "quarantined", _("Quarantine")

    bot = models.ForeignKey(
        TelegramBot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="updates"
    )
    update_id = models.BigIntegerField()
    chat_id = models.BigIntegerField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    payload: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    error = models.TextField(_("error"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="telegram_updates",
    )
    message = models.OneToOneField(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="telegram_update",
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("Telegram update")
        verbose_name_plural = _("Telegram updates")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["bot", "update_id"], name="telegram_update_unique"),
        ]
        indexes = [models.Index(fields=["chat_id", "-id"], name="telegram_update_chat_idx")]

    def __str__(self) -> str:
        return f"{self.bot_id}:{self.update_id} {self.status}"


class Webhook(models.Model):
    """An integration's URL that hears about tickets, signed with a shared secret."""

    class Event(models.TextChoices):
        TICKET_CREATED = "ticket.created", _("Ticket created")
        TICKET_UPDATED = "ticket.updated", _("Ticket changed")
        TICKET_REPLIED = "ticket.replied", _("New message on a ticket")
        SLA_BREACHED = "ticket.sla_breached", _("SLA breached")

    name = models.CharField(_("name"), max_length=120, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    secret_encrypted = models.TextField()
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    secret = encrypted("secret_encrypted")
