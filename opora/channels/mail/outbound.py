"""Email to clients: replies and acknowledgements, threaded so the answer comes back.

Each email gets our own Message-ID, In-Reply-To/References built from the
ticket's thread, a Reply-To carrying the ticket's signed reply address, and
an `X-Opora-Loop` header so our own mail coming back is never answered.
The email is composed when queued (the text the operator wrote is final)
and sent by the outbox job through the mailbox's SMTP server, or the
server-wide one.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.headerregistry import Address
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation

from opora.channels.mail.inbound import reply_address
from opora.channels.models import Delivery, InboundEmail, Mailbox, Security
from opora.channels.outbox import PermanentFailure, delivery_queue
from opora.tickets.models import Attachment, Message, Ticket

# References grow with every letter; mail clients need only the recent ones.
MAX_REFERENCES = 20


def mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The mailbox the ticket came in through, else its queue's, else the first active one."""
    inbound = (
        InboundEmail.objects.filter(ticket=ticket, mailbox__is_active=True)
        .select_related("mailbox")
        .order_by("id")
        .first()
    )
    if inbound is not None:
        return inbound.mailbox
    active = Mailbox.objects.filter(is_active=True).order_by("pk")
    if ticket.team_id is not None:
        own = active.filter(team_id=ticket.team_id).first()
        if own is not None:
            return own
    return active.first()


def _thread(ticket: Ticket) -> tuple[str, list[str]]:
    """The client's last Message-ID (what we answer) and the whole thread's, oldest first."""
    received = InboundEmail.objects.filter(ticket=ticket).exclude(email_message_id="")
    sent = Delivery.objects.filter(ticket=ticket, channel=Delivery.Channel.EMAIL).exclude(
        email_message_id=""
    )
    theirs = sorted(received.values_list("fetched_at", "email_message_id"))
    dated = theirs + list(sent.values_list("created_at", "email_message_id"))
    everything = [message_id for _, message_id in sorted(dated)]
    return (theirs[-1][1] if theirs else everything[-1] if everything else ""), everything


def signature_of(mailbox: Mailbox | None) -> str:
    if mailbox is None:
        return ""
    return mailbox.signature.strip() or mailbox.name


def email_queue(
    *,
    ticket: Ticket,
    message: Message | None,
    template: str,
    template_dir: str = "channels/email",
    extra: Mapping[str, Any] | None = None,
    language: str | None = None,
    auto_submitted: str = "",
) -> Delivery | None:
    """Compose an email to the ticket's requester (and CC) and put it in the outbox.

    Other apps send their own letters on a ticket's thread (a CSAT question) with
    their templates (`template_dir`), context (`extra`), the contact's language
    and an `Auto-Submitted` value so the client's vacation replies stay away.
    """
    requester = ticket.requester
    if requester is None or not requester.email:
        return None
    mailbox = mailbox_for(ticket)
    domain = (
        mailbox.domain if mailbox else settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">")
    )
    message_id = make_msgid(idstring=f"opora.{ticket.number}", domain=domain).strip("<>")
    answered, thread = _thread(ticket)
    headers = {"Message-ID": f"<{message_id}>", "X-Opora-Loop": ticket.reference}
    if answered:
        headers["In-Reply-To"] = f"<{answered}>"
        headers["References"] = " ".join(f"<{i}>" for i in thread[-MAX_REFERENCES:])
    if template == "acknowledgement":
        headers["Auto-Submitted"] = "auto-replied"
    elif auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
    if mailbox is not None:
        sender = str(Address(display_name=mailbox.name, addr_spec=mailbox.address))
        headers["Reply-To"] = reply_address(mailbox.address, ticket)
    else:
        sender = settings.DEFAULT_FROM_EMAIL
    language = language or (mailbox.language if mailbox else settings.LANGUAGE_CODE)
    ctx = {
        "ticket": ticket,
        "message": message,
        "is_reply": bool(answered),
        "signature": signature_of(mailbox),
        **(extra or {}),
    }
    with translation.override(language):
        subject = render_to_string(f"{template_dir}/{template}_subject.txt", ctx).strip()
        text = render_to_string(f"{template_dir}/{template}.txt", ctx)
        html = render_to_string(f"{template_dir}/{template}.html", ctx)
    cc = sorted({c.email.lower() for c in ticket.cc.all() if c.email} - {requester.email.lower()})
    attachments = list(message.attachments.values_list("pk", flat=True)) if message else []
    return delivery_queue(
        channel=Delivery.Channel.EMAIL,
        ticket=ticket,
        message=message,
        mailbox=mailbox,
        recipient=requester.email,
        email_message_id=message_id,
        payload={
            "from": sender,
            "to": [requester.email],
            "cc": cc,
            "subject": " ".join(subject.split()),
            "text": text,
            "html": html,
            "headers": headers,
            "attachments": attachments,
        },
    )


def smtp_connection(mailbox: Mailbox | None, *, timeout: int = 30) -> BaseEmailBackend:
    if mailbox is None or not mailbox.smtp_host:
        default: BaseEmailBackend = get_connection(fail_silently=False)
        return default
    own: BaseEmailBackend = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        fail_silently=False,
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_username or None,
        password=mailbox.smtp_password or None,
        use_ssl=mailbox.smtp_security == Security.SSL,
        use_tls=mailbox.smtp_security == Security.STARTTLS,
        timeout=timeout,
    )
    return own


def email_send(delivery: Delivery) -> None:
    """The outbox's sender for email deliveries."""
    payload = delivery.payload
    email = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=payload["from"],
        to=payload["to"],
        cc=payload.get("cc") or None,
        headers=payload["headers"],
        connection=smtp_connection(delivery.mailbox),
    )
    if payload.get("html"):
        email.attach_alternative(payload["html"], "text/html")
    for attachment in Attachment.objects.filter(pk__in=payload.get("attachments", [])):
        with attachment.file.open("rb") as stored:
            email.attach(attachment.name, stored.read(), attachment.content_type)
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as error:
        # Every recipient refused for good (5xx): the address does not exist.
        if all(code >= 500 for code, _ in error.recipients.values()):
            raise PermanentFailure(_refused(error)) from error
        raise


def _refused(error: smtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(
        f"{address}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        for address, (code, text) in error.recipients.items()
    )
