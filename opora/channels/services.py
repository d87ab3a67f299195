"""Changes to channels: mailboxes, replies sent out, quarantined mail retried.

The tickets services call `message_deliver` for every public reply, inside
their transaction, so the reply and its delivery commit together.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.channels.mail import outbound
from opora.channels.mail.inbound import email_retry
from opora.channels.models import (
    Delivery,
    InboundEmail,
    Mailbox,
    TelegramBot,
    TelegramUpdate,
    Webhook,
)
from opora.core.audit import audit_record, diff, snapshot
from opora.tickets.models import Message, Ticket

MAILBOX_FIELDS = (
    "name",
    "address",
    "team",
    "ticket_type",
    "language",
    "signature",
    "send_acknowledgement",
    "is_active",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_folder",
    "after_import",
    "processed_folder",
    "max_message_mb",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
)
AUDITED_MAILBOX_FIELDS = (*MAILBOX_FIELDS, "imap_password_encrypted", "smtp_password_encrypted")


# --- Sending -------------------------------------------------------------------


def message_deliver(*, message: Message) -> Delivery | None:
    """Send a public reply to the client on the ticket's channel; inside the reply's transaction."""
    ticket = message.ticket
    if ticket.channel == Ticket.Channel.TELEGRAM:
        from opora.channels.telegram.outbound import telegram_queue

        delivery = telegram_queue(ticket=ticket, message=message, text=message.body)
        if delivery is not None:
            return delivery
    return outbound.email_queue(ticket=ticket, message=message, template="reply")


def ticket_acknowledge(*, ticket: Ticket, mailbox: Mailbox) -> Delivery | None:
    """Tell the client their email became ticket N (if the mailbox says so)."""
    if not mailbox.send_acknowledgement:
        return None
    return outbound.email_queue(ticket=ticket, message=None, template="acknowledgement")


def ticket_event(event: str, *, ticket: Ticket, extra: dict[str, Any] | None = None) -> None:
    """A ticket changed: integrations subscribed to `event` hear about it (webhooks)."""
    from opora.channels.webhooks import webhooks_emit

    webhooks_emit(event, ticket=ticket, extra=extra)


# --- Mailboxes -----------------------------------------------------------------


@transaction.atomic
def mailbox_save(
    *,
    actor: User,
    mailbox: Mailbox | None = None,
    imap_password: str | None = None,
    smtp_password: str | None = None,
    **fields: Any,
) -> Mailbox:
    """Create or change a mailbox. A password left as None keeps the stored one."""
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        raise TypeError(f"mailbox_save cannot change {sorted(unknown)}")
    creating = mailbox is None
    mailbox = (
        Mailbox() if mailbox is None else Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    )
    before = snapshot(mailbox, AUDITED_MAILBOX_FIELDS)
    old_place = (mailbox.imap_host, mailbox.imap_username, mailbox.imap_folder)
    for name, value in fields.items():
        setattr(mailbox, name, value)
    if imap_password is not None:
        mailbox.imap_password = imap_password
    if smtp_password is not None:
        mailbox.smtp_password = smtp_password
    if creating and not mailbox.imap_password_encrypted:
        raise ValidationError({"imap_password": _("Enter the mailbox password.")})
    if mailbox.after_import == Mailbox.AfterImport.MOVE and not mailbox.processed_folder.strip():
        raise ValidationError({"processed_folder": _("Name the folder to move processed mail to.")})
    if not creating and old_place != (
        mailbox.imap_host,
        mailbox.imap_username,
        mailbox.imap_folder,
    ):
        # Another folder is another numbering: read it from its start.
        mailbox.uidvalidity, mailbox.last_uid = None, 0
    mailbox.address = mailbox.address.strip().lower()
    mailbox.full_clean()
    mailbox.save()
    changes = diff(before, snapshot(mailbox, AUDITED_MAILBOX_FIELDS))
    audit_record(
        actor=actor,
        action="channels.mailbox_created" if creating else "channels.mailbox_changed",
        target=mailbox,
        changes=changes,
    )
    return mailbox


@transaction.atomic
def mailbox_delete(*, actor: User, mailbox: Mailbox) -> None:
    audit_record(actor=actor, action="channels.mailbox_deleted", target=mailbox)
    mailbox.delete()


def mailbox_poll_now(*, mailbox: Mailbox) -> None:
    from opora.channels.tasks import mailbox_poll

    mailbox_poll.enqueue(mailbox_id=mailbox.pk)


def telegram_update_retry(*, actor: User, update: TelegramUpdate) -> TelegramUpdate:
    """Import a quarantined Telegram update again (downloads first, then one transaction)."""
    from opora.channels.telegram.inbound import update_retry

    row = update_retry(update=update)
    audit_record(
        actor=actor,
        action="channels.telegram_update_retried",
        target=row,
        changes={"status": [TelegramUpdate.Status.QUARANTINED, row.status]},
    )
    return row


# --- Quarantine ----------------------------------------------------------------


@transaction.atomic
def inbound_retry(*, actor: User, inbound: InboundEmail) -> InboundEmail:
    """Import a quarantined email again; a message too large to fetch is fetched now."""
    from opora.channels.mail.imap import fetch_one

    raw = None
    if inbound.reason == InboundEmail.Reason.TOO_LARGE and not inbound.raw:
        raw = fetch_one(inbound.mailbox, uidvalidity=inbound.uidvalidity, uid=inbound.uid)
        if raw is None:
            raise ValidationError(_("The message is no longer on the server."))
    row = email_retry(inbound=inbound, raw=raw)
    audit_record(
        actor=actor,
        action="channels.inbound_retried",
        target=row,
        changes={"status": [InboundEmail.Status.QUARANTINED, row.status]},
    )
    return row


# --- Webhooks --------------------------------------------------------------------


@transaction.atomic
def webhook_save(
    *,
    actor: User,
    webhook: Webhook | None = None,
    secret: str | None = None,
    **fields: Any,
) -> Webhook:
    """Create or change a webhook; a new one without a secret gets a random one."""
    unknown = set(fields) - {"name", "url", "events", "is_active"}
    if unknown:
        raise TypeError(f"webhook_save cannot change {sorted(unknown)}")
    creating = webhook is None
    webhook = (
        Webhook() if webhook is None else Webhook.objects.select_for_update().get(pk=webhook.pk)
    )
    audited = ("name", "url", "events", "is_active", "secret_encrypted")
    before = snapshot(webhook, audited)
    for name, value in fields.items():
        setattr(webhook, name, value)
    if not webhook.url.lower().startswith(("http://", "https://")):
        raise ValidationError({"url": _("The address must start with http:// or https://.")})
    unknown_events = set(webhook.events) - set(Webhook.Event.values)
    if not webhook.events or unknown_events:
        raise ValidationError({"events": _("Choose at least one event.")})
    if secret:
        webhook.secret = secret
    elif creating:
        webhook.secret = secrets.token_urlsafe(32)
    webhook.full_clean()
    webhook.save()
    audit_record(
        actor=actor,
        action="channels.webhook_created" if creating else "channels.webhook_changed",
        target=webhook,
        changes=diff(before, snapshot(webhook, audited)),
    )
    return webhook


@transaction.atomic
def webhook_delete(*, actor: User, webhook: Webhook) -> None:
    audit_record(actor=actor, action="channels.webhook_deleted", target=webhook)
    webhook.delete()


# --- Telegram bots -----------------------------------------------------------------

BOT_FIELDS = ("name", "api_base_url", "team", "ticket_type", "language", "is_active")


@transaction.atomic
def bot_save(
    *, actor: User, bot: TelegramBot | None = None, token: str | None = None, **fields: Any
) -> TelegramBot:
    """Create or change a bot. A token left as None keeps the stored one."""
    unknown = set(fields) - set(BOT_FIELDS)
    if unknown:
        raise TypeError(f"bot_save cannot change {sorted(unknown)}")
    creating = bot is None
    bot = TelegramBot() if bot is None else TelegramBot.objects.select_for_update().get(pk=bot.pk)
    audited = (*BOT_FIELDS, "token_encrypted")
    before = snapshot(bot, audited)
    for name, value in fields.items():
        setattr(bot, name, value)
    if token:
        if ":" not in token or len(token) < 20:
            raise ValidationError(
                {"token": _("This does not look like a bot token from @BotFather.")}
            )
        bot.token = token.strip()
        bot.update_offset = 0
    elif creating:
        raise ValidationError({"token": _("Enter the bot token from @BotFather.")})
    bot.full_clean()
    bot.save()
    audit_record(
        actor=actor,
        action="channels.bot_created" if creating else "channels.bot_changed",
        target=bot,
        changes=diff(before, snapshot(bot, audited)),
    )
    return bot


@transaction.atomic
def bot_delete(*, actor: User, bot: TelegramBot) -> None:
    audit_record(actor=actor, action="channels.bot_deleted", target=bot)
    bot.delete()
