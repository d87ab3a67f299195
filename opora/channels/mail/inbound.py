"""From a fetched email to a ticket or a reply, exactly once.

`email_ingest` is called per message with the bytes the IMAP server gave.
In one transaction it records the message (unique by mailbox, UIDVALIDITY
and UID), turns it into a ticket or a reply, and moves the mailbox's cursor
past it. A message that cannot be read, or whose import fails, is kept in
quarantine with the error: it never blocks the mailbox and can be retried.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from opora.channels.mail.parsing import EmailParseError, ParsedEmail, parse_email
from opora.channels.mail.quotes import visible_reply
from opora.channels.models import Delivery, InboundEmail, Mailbox
from opora.clients.models import Contact
from opora.clients.services import contact_find_or_create
from opora.tickets import attachments as ticket_attachments
from opora.tickets import services as tickets
from opora.tickets.models import Message, Ticket, TicketType

logger = logging.getLogger(__name__)

# More messages than this from one sender in an hour is a loop, not a person.
LOOP_LIMIT_PER_HOUR = 30
SUBJECT_NUMBER = re.compile(r"\bOP-(\d{4,10})\b", re.IGNORECASE)
REPLY_TOKEN = re.compile(r"^[^@+]+\+op(\d{4,10})-([0-9a-f]{10})@", re.IGNORECASE)


# --- Reply addresses -----------------------------------------------------------


def _token(number: int) -> str:
    digest: str = salted_hmac("opora.channels.reply-address", str(number)).hexdigest()
    return digest[:10]


def reply_address(mailbox_address: str, ticket: Ticket) -> str:
    """support+op10001-<signature>@example.ru: a reply to it finds the ticket from anyone."""
    local, domain = mailbox_address.rsplit("@", 1)
    return f"{local}+op{ticket.number}-{_token(ticket.number)}@{domain}"


def ticket_from_reply_address(addresses: Iterable[str]) -> Ticket | None:
    for address in addresses:
        match = REPLY_TOKEN.match(address)
        if match and constant_time_compare(match[2].lower(), _token(int(match[1]))):
            return Ticket.objects.filter(number=int(match[1])).first()
    return None


# --- Threading -----------------------------------------------------------------


def ticket_for(parsed: ParsedEmail, contact: Contact | None) -> Ticket | None:
    """The ticket this email continues: reply address, then headers, then the subject."""
    ticket = ticket_from_reply_address((*parsed.to, *parsed.cc))
    if ticket is not None:
        return ticket
    ids = [i[:255] for i in (*parsed.in_reply_to, *reversed(parsed.references)) if i]
    if ids:
        inbound = (
            InboundEmail.objects.filter(email_message_id__in=ids, ticket__isnull=False)
            .order_by("-id")
            .first()
        )
        if inbound is not None:
            return inbound.ticket
        sent = (
            Delivery.objects.filter(email_message_id__in=ids, ticket__isnull=False)
            .order_by("-id")
            .first()
        )
        if sent is not None:
            return sent.ticket
    match = SUBJECT_NUMBER.search(parsed.subject)
    if match and contact is not None:
        ticket = Ticket.objects.filter(number=int(match[1])).first()
        # A number in the subject is easy to guess: only the ticket's own people may use it.
        if ticket is not None and _may_write_to(ticket, contact):
            return ticket
    return None


def _may_write_to(ticket: Ticket, contact: Contact) -> bool:
    if ticket.requester_id == contact.pk or ticket.cc.filter(pk=contact.pk).exists():
        return True
    return ticket.client_id is not None and contact.accounts.filter(pk=ticket.client_id).exists()


# --- Ingest ----------------------------------------------------------------------


def _own_addresses() -> set[str]:
    return {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}


def _classify(row: InboundEmail, parsed: ParsedEmail, own: set[str]) -> str:
    """The reason not to answer this email, or "" to import it."""
    if parsed.from_opora or parsed.from_address in own:
        return InboundEmail.Reason.LOOP
    if parsed.auto_reason:
        return str(parsed.auto_reason)
    if tickets.sender_is_blocked(parsed.from_address):
        return InboundEmail.Reason.BLOCKED
    recent = InboundEmail.objects.filter(
        sender=row.sender, fetched_at__gte=timezone.now() - dt.timedelta(hours=1)
    ).count()
    if row.sender and recent >= LOOP_LIMIT_PER_HOUR:
        return InboundEmail.Reason.LOOP
    return ""


def _files(parsed: ParsedEmail) -> tuple[list[ContentFile[bytes]], list[str]]:
    """The attachments to keep, and a note for each one withheld."""
    kept: list[ContentFile[bytes]] = []
    withheld: list[str] = []
    for attachment in parsed.attachments:
        upload = ContentFile(attachment.data, name=attachment.filename)
        problem = ticket_attachments.upload_problem(upload)
        if problem is None and len(kept) >= ticket_attachments.max_per_message():
            problem = _("too many files in one message")
        if problem:
            if attachment.filename not in problem:
                problem = f"«{attachment.filename}»: {problem}"
            withheld.append(_("File withheld: %(problem)s") % {"problem": problem})
        else:
            kept.append(upload)
    return kept, withheld


def _body(text: str, withheld: list[str]) -> str:
    text = text.strip() or _("(no text)")
    if withheld:
        text += "\n\n" + "\n".join(f"[{line}]" for line in withheld)
    return text


def _import(row: InboundEmail, parsed: ParsedEmail, own: set[str]) -> None:
    """Create the ticket or the reply this email is; fills in `row`."""
    mailbox = row.mailbox
    duplicate = (
        InboundEmail.objects.filter(
            email_message_id=row.email_message_id, status=InboundEmail.Status.IMPORTED
        ).first()
        if row.email_message_id
        else None
    )
    if duplicate is not None:
        # The same email reached another mailbox (or this one again after a
        # UIDVALIDITY reset): it is already a ticket or a reply.
        row.status, row.reason = InboundEmail.Status.DUPLICATE, InboundEmail.Reason.SAME_MESSAGE_ID
        row.ticket_id = duplicate.ticket_id
        return
    contact = None
    if parsed.from_address:
        contact = contact_find_or_create(email=parsed.from_address, full_name=parsed.from_name)
    ticket = ticket_for(parsed, contact)
    kept, withheld = _files(parsed)
    row.notes = [*row.notes, *withheld]
    if ticket is not None:
        message = tickets.ticket_client_reply(
            ticket=ticket,
            contact=contact,
            body=_body(visible_reply(parsed.text), withheld),
            files=kept,
        )
        row.reason = InboundEmail.Reason.REPLY
    else:
        message = _new_ticket(mailbox, parsed, contact, withheld, kept, own)
        row.reason = InboundEmail.Reason.NEW_TICKET
    row.status = InboundEmail.Status.IMPORTED
    row.ticket_id, row.message = message.ticket_id, message


def _new_ticket(
    mailbox: Mailbox,
    parsed: ParsedEmail,
    contact: Contact | None,
    withheld: list[str],
    files: list[ContentFile[bytes]],
    own: set[str],
) -> Message:
    ticket = tickets.ticket_create(
        subject=parsed.subject[:250] or _("(no subject)"),
        body=_body(parsed.text, withheld),
        channel=Ticket.Channel.EMAIL,
        type=mailbox.ticket_type or default_ticket_type(),
        requester=contact,
        team=mailbox.team,
    )
    message = ticket.messages.order_by("id").first()
    assert message is not None  # noqa: S101 -- ticket_create wrote the first message
    ticket_attachments.attachments_save(message=message, files=files)
    copied = _cc_contacts(parsed, exclude=contact, own=own)
    if copied:
        tickets.ticket_set_cc(ticket=ticket, actor=None, contacts=copied)
    return message


def _cc_contacts(parsed: ParsedEmail, exclude: Contact | None, own: set[str]) -> list[Contact]:
    addresses = {a for a in (*parsed.to, *parsed.cc) if a and a not in own and "+op" not in a}
    if exclude is not None:
        addresses.discard(exclude.email.lower())
    contacts = []
    for address in sorted(addresses)[:10]:
        try:
            contacts.append(contact_find_or_create(email=address))
        except Exception:  # noqa: S112 -- an unusable CC address is skipped, not fatal
            continue
    return contacts


def default_ticket_type() -> TicketType:
    chosen = TicketType.objects.filter(code="standard").first() or TicketType.objects.first()
    if chosen is None:
        raise LookupError("no ticket types configured")
    return chosen


def _bounce(row: InboundEmail, parsed: ParsedEmail) -> None:
    """A delivery failure report: the outgoing email it reports on is marked bounced."""
    ids = [i[:255] for i in parsed.bounced_message_ids if i]
    if not ids:
        return
    failed = Delivery.objects.filter(email_message_id__in=ids)
    row.ticket_id = failed.values_list("ticket_id", flat=True).first()
    failed.update(
        status=Delivery.Status.BOUNCED, last_error=(parsed.subject or _("Bounced"))[:1000]
    )


def _fill(row: InboundEmail, parsed: ParsedEmail) -> None:
    row.email_message_id = parsed.message_id[:255]
    row.sender = parsed.from_address[:254]
    row.subject = parsed.subject[:250]
    row.sent_at = parsed.date
    row.html = parsed.html
    row.notes = list(parsed.problems)


def _process(row: InboundEmail, raw: bytes) -> None:
    """Decide and import; a failure leaves `row` in quarantine with the error."""
    try:
        parsed = parse_email(raw)
    except EmailParseError as error:
        row.status, row.reason = InboundEmail.Status.QUARANTINED, InboundEmail.Reason.PARSE_ERROR
        row.error = str(error)
        return
    _fill(row, parsed)
    own = _own_addresses()
    with translation.override(row.mailbox.language):
        reason = _classify(row, parsed, own)
        if reason:
            row.status, row.reason = InboundEmail.Status.IGNORED, reason
            if reason == InboundEmail.Reason.BOUNCE:
                _bounce(row, parsed)
            elif ticket := ticket_for(parsed, None):
                row.ticket_id = ticket.pk
            return
        try:
            with transaction.atomic():
                _import(row, parsed, own)
        except Exception as error:
            # Anything at all: the message waits in quarantine and the mailbox moves on.
            logger.exception("importing email %s failed", row.email_message_id or row.uid)
            row.status, row.reason = InboundEmail.Status.QUARANTINED, InboundEmail.Reason.FAILED
            row.error = _error_text(error)
            row.ticket_id, row.message = None, None


def _error_text(error: BaseException) -> str:
    messages = getattr(error, "messages", None)
    text = "; ".join(str(m) for m in messages) if messages else str(error)
    return f"{type(error).__name__}: {text}"[:2000]


@transaction.atomic
def email_ingest(*, mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> InboundEmail:
    """Record and import one fetched message; idempotent by (mailbox, UIDVALIDITY, UID)."""
    existing = InboundEmail.objects.filter(
        mailbox=mailbox, uidvalidity=uidvalidity, uid=uid
    ).first()
    if existing is not None:
        return existing
    row = InboundEmail(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, size=len(raw))
    row.raw.save("message.eml", ContentFile(raw), save=False)
    _process(row, raw)
    row.save()
    _acknowledge(row)
    _advance(mailbox, uidvalidity, uid)
    return row


def _acknowledge(row: InboundEmail) -> None:
    """Answer a new ticket with its number, once the email is recorded (it threads the answer)."""
    from opora.channels.services import ticket_acknowledge

    if row.reason == InboundEmail.Reason.NEW_TICKET and row.ticket and not row.ticket.is_spam:
        ticket_acknowledge(ticket=row.ticket, mailbox=row.mailbox)


@transaction.atomic
def email_record_too_large(
    *, mailbox: Mailbox, uidvalidity: int, uid: int, size: int
) -> InboundEmail:
    """An oversized message is not downloaded; it waits in quarantine for an explicit retry."""
    row, _created = InboundEmail.objects.get_or_create(
        mailbox=mailbox,
        uidvalidity=uidvalidity,
        uid=uid,
        defaults={
            "size": size,
            "status": InboundEmail.Status.QUARANTINED,
            "reason": InboundEmail.Reason.TOO_LARGE,
            "error": f"{size} bytes > {mailbox.max_message_mb} MB",
        },
    )
    _advance(mailbox, uidvalidity, uid)
    return row


def _advance(mailbox: Mailbox, uidvalidity: int, uid: int) -> None:
    Mailbox.objects.filter(pk=mailbox.pk, uidvalidity=uidvalidity, last_uid__lt=uid).update(
        last_uid=uid
    )


@transaction.atomic
def email_retry(*, inbound: InboundEmail, raw: bytes | None = None) -> InboundEmail:
    """Import a quarantined message again (from its stored original, or `raw` just fetched)."""
    row = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if row.status != InboundEmail.Status.QUARANTINED:
        return row
    if raw is None:
        with row.raw.open("rb") as stored:
            raw = stored.read()
    elif not row.raw:
        row.raw.save("message.eml", ContentFile(raw), save=False)
    row.error, row.notes, row.size = "", [], len(raw)
    row.retried_at = timezone.now()
    _process(row, raw)
    row.save()
    _acknowledge(row)
    return row
