"""The client portal's screens: sign-in, the ticket list, a new ticket, a ticket page.

Every ticket is looked up through `services.portal_tickets(contact)`, so a
ticket the contact may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from opora.channels.portal import services
from opora.channels.portal.auth import (
    PortalRequest,
    portal_contact,
    portal_login,
    portal_login_required,
    portal_logout,
    portal_next,
    portal_session_refresh,
)
from opora.channels.portal.forms import (
    CsatForm,
    LinkRequestForm,
    PasswordSetForm,
    PasswordSignInForm,
    ReplyForm,
    TicketCreateForm,
)
from opora.clients.models import Contact
from opora.core.forms import apply_validation_error
from opora.core.http import safe_next
from opora.core.middleware import SUPPORTED_LANGUAGES
from opora.core.pagination import keyset_page
from opora.tickets.models import Message, Ticket

SCORES = [
    (1, gettext_lazy("Very bad")),
    (2, gettext_lazy("Bad")),
    (3, gettext_lazy("So-so")),
    (4, gettext_lazy("Good")),
    (5, gettext_lazy("Excellent")),
]
LIST_STATES = [
    ("all", gettext_lazy("All")),
    ("open", gettext_lazy("In progress")),
    ("closed", gettext_lazy("Resolved")),
]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _form_error(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's error on the form; the attachments service names its field «files»."""
    if hasattr(error, "error_dict") and "files" in error.error_dict:
        error = ValidationError(
            {
                ("attachments" if key == "files" else key): value
                for key, value in error.error_dict.items()
            }
        )
    apply_validation_error(form, error)


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


# --- Signing in and out -----------------------------------------------------------


def _signed_in(request: HttpRequest, contact: Contact, next_url: str | None) -> HttpResponse:
    portal_login(request, contact)
    response = redirect(portal_next(request, next_url))
    # The sign-in pages speak the contact's language next time too.
    _set_language_cookie(response, contact.language)
    return response


def _login_page(
    request: HttpRequest, *, form: PasswordSignInForm, link_form: LinkRequestForm, next_url: str
) -> HttpResponse:
    if form.is_bound:  # the person was typing a password: put them back there
        link_form.fields["email"].widget.attrs.pop("autofocus", None)
        form.fields["password"].widget.attrs["autofocus"] = True
    ctx = {"form": form, "link_form": link_form, "next": next_url}
    return render(request, "portal/login.html", ctx)


def login(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method != "POST" and portal_contact(request) is not None:
        return redirect(portal_next(request, next_url))
    form = PasswordSignInForm(request.POST or None, prefix="password")
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.password_sign_in(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=_ip(request),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return _signed_in(request, contact, next_url)
    link_form = LinkRequestForm(prefix="link")
    return _login_page(request, form=form, link_form=link_form, next_url=next_url)


@require_POST
def link_request(request: HttpRequest) -> HttpResponse:
    link_form = LinkRequestForm(request.POST, prefix="link")
    if link_form.is_valid():
        try:
            services.magic_link_request(email=link_form.cleaned_data["email"])
        except ValidationError as error:
            apply_validation_error(link_form, error)
        else:
            return redirect("portal:link-sent")
    form = PasswordSignInForm(prefix="password")
    return _login_page(request, form=form, link_form=link_form, next_url="")


def link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/link_sent.html", {"minutes": services.MAGIC_LINK_MAX_AGE // 60})


def link_use(request: HttpRequest, token: str) -> HttpResponse:
    """A link from the email. Opening it only asks; the button signs in.

    Mail scanners open links to check them: a GET that signed in would spend
    the one-time link before the person clicks it.
    """
    if request.method == "POST":
        contact = services.magic_link_redeem(token)
    else:
        contact = services.magic_link_contact(token)
    if contact is None:
        return render(request, "portal/link_invalid.html", status=400)
    if request.method == "POST":
        return _signed_in(request, contact, None)
    return render(request, "portal/link_use.html", {"contact": contact})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    portal_logout(request)
    messages.info(request, _("You have signed out of the client portal."))
    return redirect("portal:login")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The portal's language switcher: saved on the contact when one is signed in."""
    language = request.POST.get("language", "")
    response = redirect(safe_next(request, default=reverse("portal:ticket-list")))
    if language not in SUPPORTED_LANGUAGES:
        return response
    contact = portal_contact(request)
    if contact is not None:
        services.contact_language_set(contact=contact, language=language)
    _set_language_cookie(response, language)
    return response


@portal_login_required
def password_set(request: PortalRequest) -> HttpResponse:
    contact = request.contact
    form = PasswordSetForm(request.POST or None, has_password=bool(contact.portal_password))
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_password_set(
                contact=contact,
                current=form.cleaned_data.get("current_password", ""),
                new=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            portal_session_refresh(request, contact)
            messages.success(request, _("Your portal password is saved."))
            return redirect("portal:ticket-list")
    ctx = {"form": form, "has_password": bool(contact.portal_password)}
    return render(request, "portal/password.html", ctx)


# --- Tickets ------------------------------------------------------------------------


@portal_login_required
def ticket_list(request: PortalRequest) -> HttpResponse:
    state = request.GET.get("state", "all")
    if state not in {"open", "closed"}:
        state = "all"
    items = services.portal_ticket_list(contact=request.contact, state=state)
    page = keyset_page(items, before=request.GET.get("before"), size=25)
    ctx = {
        "page": page,
        "state": state,
        "states": LIST_STATES,
        "company": request.contact.portal_scope == Contact.PortalScope.COMPANY,
    }
    return render(request, "portal/ticket_list.html", ctx)


@portal_login_required
def ticket_create(request: PortalRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.portal_ticket_create(
                contact=request.contact,
                subject=data["subject"],
                body=data["body"],
                type=data["type"],
                category=data["category"],
                files=data["attachments"],
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Your request %(ref)s is registered. We will answer here and by email.")
                % {"ref": ticket.reference},
            )
            return redirect("portal:ticket-detail", number=ticket.number)
    return render(request, "portal/ticket_create.html", {"form": form})


def _get_ticket(request: PortalRequest, number: int) -> Ticket:
    tickets = services.portal_tickets(request.contact).select_related(
        "type", "category__parent", "requester"
    )
    return get_object_or_404(tickets, number=number)


def _detail(
    request: PortalRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    csat_form: CsatForm | None = None,
) -> HttpResponse:
    csat = services.portal_csat(ticket)
    ctx = {
        "ticket": ticket,
        "messages_list": services.portal_conversation(ticket),
        "merged_into": services.portal_merged_into(contact=request.contact, ticket=ticket),
        "reply_form": reply_form or ReplyForm(),
        "can_close": ticket.status in Ticket.ACTIVE_STATUSES,
        "can_rate": ticket.status in services.CLOSED_STATUSES and csat is None,
        "csat": csat,
        "csat_form": csat_form or CsatForm(),
        "scores": SCORES,
    }
    return render(request, "portal/ticket_detail.html", ctx)


@portal_login_required
def ticket_detail(request: PortalRequest, number: int) -> HttpResponse:
    return _detail(request, _get_ticket(request, number))


@require_POST
@portal_login_required
def ticket_reply(request: PortalRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            message = services.portal_reply(
                contact=request.contact,
                ticket=ticket,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            return _replied(request, ticket, message)
    return _detail(request, ticket, reply_form=form)


def _replied(request: PortalRequest, ticket: Ticket, message: Message) -> HttpResponse:
    """Show the message where it landed: this ticket, a follow-up, or a merge target."""
    if message.ticket_id != ticket.pk and ticket.merged_into_id is None:
        messages.info(
            request,
            _("This ticket was already closed, so your message opened a new one: %(ref)s.")
            % {"ref": message.ticket.reference},
        )
    else:
        messages.success(request, _("Your message is sent."))
    if services.portal_tickets(request.contact).filter(pk=message.ticket_id).exists():
        url = reverse("portal:ticket-detail", args=[message.ticket.number])
        return redirect(f"{url}#message-{message.pk}")
    return redirect("portal:ticket-detail", number=ticket.number)


@require_POST
@portal_login_required
def ticket_close(request: PortalRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    try:
        services.portal_ticket_close(contact=request.contact, ticket=ticket)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Thank you! We have marked your question as settled."))
    return redirect("portal:ticket-detail", number=ticket.number)


@require_POST
@portal_login_required
def ticket_rate(request: PortalRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(request, number)
    form = CsatForm(request.POST)
    if not form.is_valid():
        return _detail(request, ticket, csat_form=form)
    try:
        services.portal_ticket_rate(
            contact=request.contact,
            ticket=ticket,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(f"{reverse('portal:ticket-detail', args=[ticket.number])}#csat")


@portal_login_required
def attachment(request: PortalRequest, pk: int, name: str) -> FileResponse:
    """A file from a ticket the contact may see; never one from an internal note."""
    item = services.portal_attachment(contact=request.contact, pk=pk, name=name)
    if item is None:
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=not item.is_image,
        filename=item.name,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
