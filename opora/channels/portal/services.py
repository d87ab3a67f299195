"""The client portal: signing contacts in, what they may see, and what they may do.

A contact sees their own tickets, or every ticket of their client accounts when
their `portal_scope` is «company». Internal notes and their files never reach
the portal. Every change goes through the tickets and quality services, so the
portal leaves the same ticket history, SLA stamps and rules as any other channel.

Sign-in is by a one-time link sent by email or by a portal password. Both are
rate-limited in Django's cache; both answer the same way whether or not the
address is known, so the portal cannot be used to find out who is a client.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.clients.models import Contact
from opora.core.middleware import SUPPORTED_LANGUAGES
from opora.quality import services as quality
from opora.quality.models import CsatResponse
from opora.tickets import attachments
from opora.tickets import services as tickets
from opora.tickets.models import Attachment, Category, Message, Ticket, TicketType

MAGIC_LINK_SALT = "opora.portal.magic-link"
MAGIC_LINK_MAX_AGE = 20 * 60
# Requests for a sign-in link per address, known or not (no mail bombing).
LINK_LIMIT_PER_EMAIL = 5
LINK_WINDOW = 60 * 60
# Failed password attempts per address and IP.
PASSWORD_FAILURE_LIMIT = 10
PASSWORD_FAILURE_WINDOW = 15 * 60

CLOSED_STATUSES = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


# --- Rate limits ---------------------------------------------------------------


def _limit_key(kind: str, *parts: str) -> str:
    # Hashed: addresses do not sit in the cache in clear, and any input fits a key.
    digest = hashlib.sha256("|".join(parts).lower().encode()).hexdigest()
    return f"opora:portal:{kind}:{digest}"


def _hit(key: str, window: int) -> int:
    """Count one more event in a fixed window and return the count."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _count(key: str) -> int:
    return int(cache.get(key, 0))


# --- Who may sign in -----------------------------------------------------------


def contact_may_sign_in(contact: Contact) -> bool:
    return contact.portal_enabled and not contact.is_blocked and bool(contact.email)


def contact_by_email(email: str) -> Contact | None:
    """The contact with this address who may use the portal, or None.

    One person is one contact: with duplicates, the oldest wins, as in
    `contact_find_or_create`.
    """
    email = email.strip()
    if not email:
        return None
    contact = Contact.objects.filter(email__iexact=email).order_by("pk").first()
    if contact is None or not contact_may_sign_in(contact):
        return None
    if tickets.sender_is_blocked(contact.email):
        return None
    return contact


def _stamp(contact: Contact) -> None:
    """Record a sign-in; moving `portal_last_login` voids every link issued before."""
    contact.portal_last_login = timezone.now()
    contact.save(update_fields=["portal_last_login"])


# --- Magic links ---------------------------------------------------------------


def _last_login_stamp(contact: Contact) -> str:
    return contact.portal_last_login.isoformat() if contact.portal_last_login else ""


def magic_link_token(contact: Contact) -> str:
    """A signed, timestamped token; any sign-in (which moves `portal_last_login`) voids it."""
    return signing.dumps(
        {"c": contact.pk, "l": _last_login_stamp(contact)}, salt=MAGIC_LINK_SALT, compress=True
    )


def magic_link_contact(token: str) -> Contact | None:
    """The contact a still-valid, unused link belongs to, or None. Spends nothing."""
    try:
        value = signing.loads(token, salt=MAGIC_LINK_SALT, max_age=MAGIC_LINK_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(value, dict) or not isinstance(value.get("c"), int):
        return None
    contact = Contact.objects.filter(pk=value["c"]).first()
    if contact is None or not contact_may_sign_in(contact):
        return None
    if value.get("l") != _last_login_stamp(contact):
        return None  # already used (or another sign-in happened since)
    return contact


@transaction.atomic
def magic_link_redeem(token: str) -> Contact | None:
    """Spend a link: the contact it signs in, or None if it is invalid or already spent.

    The stamp moves with a conditional UPDATE, so two clicks racing on one
    link sign in only once.
    """
    contact = magic_link_contact(token)
    if contact is None:
        return None
    now = timezone.now()
    spent = Contact.objects.filter(pk=contact.pk, portal_last_login=contact.portal_last_login)
    if contact.portal_last_login is None:
        spent = Contact.objects.filter(pk=contact.pk, portal_last_login__isnull=True)
    if spent.update(portal_last_login=now) != 1:
        return None
    contact.portal_last_login = now
    return contact


def _magic_link_send(contact_id: int) -> None:
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None or not contact_may_sign_in(contact):
        return
    link = settings.OPORA_BASE_URL + reverse("portal:link-use", args=[magic_link_token(contact)])
    ctx = {"contact": contact, "link": link, "minutes": MAGIC_LINK_MAX_AGE // 60}
    with translation.override(contact.language):
        subject = render_to_string("portal/email/magic_link_subject.txt", ctx).strip()
        body = render_to_string("portal/email/magic_link.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [contact.email])


@transaction.atomic
def magic_link_request(*, email: str) -> None:
    """Email a one-time sign-in link if the address belongs to a portal contact.

    Says nothing about whether it does: the only error is the rate limit, which
    counts every request for the address, known or not. The email leaves
    after the commit, so a rolled-back request sends nothing.
    """
    if _hit(_limit_key("link-email", email.strip()), LINK_WINDOW) > LINK_LIMIT_PER_EMAIL:
        raise ValidationError(
            _(
                "Too many sign-in links were requested for this address. Please try again in an hour."
            )
        )
    contact = contact_by_email(email)
    if contact is not None:
        contact_id = contact.pk
        transaction.on_commit(lambda: _magic_link_send(contact_id))


# --- Passwords -----------------------------------------------------------------


@transaction.atomic
def password_sign_in(*, email: str, password: str, ip: str) -> Contact:
    """The contact these credentials belong to, sign-in stamped; a ValidationError otherwise.

    The error is the same for an unknown address, a contact without a
    password and a wrong password.
    """
    key = _limit_key("password", email.strip(), ip)
    if _count(key) >= PASSWORD_FAILURE_LIMIT:
        raise ValidationError(
            _(
                "Too many failed attempts. Please try again in 15 minutes or sign in with a link sent by email."
            )
        )
    contact = contact_by_email(email)
    if contact is not None and contact.portal_password:
        valid = check_password(password, contact.portal_password)
    else:
        make_password(password)  # spend the same time as a real check
        valid = False
    if contact is None or not valid:
        _hit(key, PASSWORD_FAILURE_WINDOW)
        raise ValidationError(_("Wrong email or password."))
    cache.delete(key)
    _stamp(contact)
    return contact


@transaction.atomic
def contact_password_set(*, contact: Contact, current: str, new: str) -> Contact:
    """Set or change the portal password; the current one is required if there is one."""
    if contact.portal_password and not check_password(current, contact.portal_password):
        raise ValidationError({"current_password": _("The current password is wrong.")})
    try:
        # The similarity check reads `email` and `first_name`, which a contact has too.
        validate_password(new, user=cast(Any, contact))
    except ValidationError as error:
        raise ValidationError({"new_password": error.error_list}) from error
    contact.portal_password = make_password(new)
    contact.save(update_fields=["portal_password"])
    return contact


@transaction.atomic
def contact_language_set(*, contact: Contact, language: str) -> Contact:
    if language not in SUPPORTED_LANGUAGES:
        raise ValidationError({"language": _("This language is not available.")})
    contact.language = language
    contact.save(update_fields=["language"])
    return contact


# --- What a contact sees ---------------------------------------------------------


def portal_tickets(contact: Contact) -> QuerySet[Ticket]:
    """Every ticket this contact may open in the portal."""
    visible = Q(requester=contact)
    if contact.portal_scope == Contact.PortalScope.COMPANY:
        visible |= Q(client__in=contact.accounts.values("pk"))
    return Ticket.objects.filter(visible, is_spam=False)


def portal_ticket_list(*, contact: Contact, state: str) -> QuerySet[Ticket]:
    """The list page: «open», «closed» or everything, newest first."""
    items = portal_tickets(contact).select_related("requester")
    if state == "open":
        items = items.filter(status__in=Ticket.ACTIVE_STATUSES)
    elif state == "closed":
        items = items.filter(status__in=CLOSED_STATUSES)
    return items.order_by("-pk")


def portal_conversation(ticket: Ticket) -> list[Message]:
    """The ticket's messages as the client sees them: never an internal note."""
    return list(
        ticket.messages.exclude(kind=Message.Kind.NOTE)
        .select_related("author", "author_contact")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def portal_attachment(*, contact: Contact, pk: int, name: str) -> Attachment | None:
    """A file the contact may download: on a visible ticket, and not on a note."""
    return (
        Attachment.objects.filter(pk=pk, name=name, message__ticket__in=portal_tickets(contact))
        .exclude(message__kind=Message.Kind.NOTE)
        .first()
    )


def portal_merged_into(*, contact: Contact, ticket: Ticket) -> Ticket | None:
    """The ticket this one was merged into, if the contact may see it."""
    if ticket.merged_into_id is None:
        return None
    return portal_tickets(contact).filter(pk=ticket.merged_into_id).first()


def portal_csat(ticket: Ticket) -> CsatResponse | None:
    return CsatResponse.objects.filter(ticket=ticket).first()


def portal_ticket_types() -> QuerySet[TicketType]:
    return TicketType.objects.all()


def portal_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


# --- What a contact does -----------------------------------------------------------


@transaction.atomic
def portal_ticket_create(
    *,
    contact: Contact,
    subject: str,
    body: str,
    type: TicketType,
    category: Category | None = None,
    files: Sequence[Any] = (),
) -> Ticket:
    """Open a ticket from the portal with the client's files on its first message.

    Files are checked before anything is written, so a refused file leaves no ticket.
    """
    attachments.validate_uploads(files)
    ticket = tickets.ticket_create(
        subject=subject,
        body=body,
        channel=Ticket.Channel.PORTAL,
        type=type,
        requester=contact,
        category=category,
    )
    if files:
        message = ticket.messages.filter(kind=Message.Kind.CLIENT).order_by("id").first()
        assert message is not None  # noqa: S101 -- ticket_create wrote the client's message
        attachments.attachments_save(message=message, files=files)
    return ticket


@transaction.atomic
def portal_reply(
    *, contact: Contact, ticket: Ticket, body: str, files: Sequence[Any] = ()
) -> Message:
    """The client writes on a ticket they may see (check that first).

    A resolved ticket reopens; a closed one stays closed and the message opens
    a follow-up ticket, which `message.ticket` then is.
    """
    if not body.strip():
        raise ValidationError({"body": _("The message is empty.")})
    return tickets.ticket_client_reply(ticket=ticket, contact=contact, body=body, files=files)


@transaction.atomic
def portal_ticket_close(*, contact: Contact, ticket: Ticket) -> Ticket:
    """«My question is settled»: the ticket is resolved on the client's word."""
    return tickets.ticket_client_close(ticket=ticket, contact=contact)


@transaction.atomic
def portal_ticket_rate(
    *, contact: Contact, ticket: Ticket, score: int, comment: str = ""
) -> CsatResponse:
    """The client's CSAT answer, once per ticket, after it is resolved."""
    return quality.csat_record(
        ticket=ticket,
        contact=contact,
        score=score,
        comment=comment,
        channel=CsatResponse.Channel.PORTAL,
    )
