from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from opora.accounts.models import Team
from opora.clients.models import Contact
from opora.clients.services import contact_find_or_create
from opora.core.access import Perm, has_perm, require_perm
from opora.core.forms import apply_validation_error
from opora.core.http import AuthedRequest
from opora.core.pagination import keyset_page
from opora.sla import selectors as sla_selectors
from opora.tickets import automation, services
from opora.tickets.forms import (
    BulkForm,
    CustomFieldsForm,
    EscalateForm,
    PeopleForm,
    ReplyForm,
    SavedViewForm,
    SpamForm,
    TicketCreateForm,
    TicketNumberForm,
    TicketPropertiesForm,
    staff_who_work_tickets,
)
from opora.tickets.models import (
    Attachment,
    Message,
    RuleRun,
    SavedView,
    Ticket,
    TicketType,
)
from opora.tickets.selectors import (
    QueueFilter,
    client_other_tickets,
    saved_views_for,
    ticket_links,
    ticket_queue,
)

# --- The queue ---------------------------------------------------------------


@require_perm(Perm.VIEW_TICKETS)
def queue(request: AuthedRequest) -> HttpResponse:
    filters = QueueFilter.from_query(request.GET)
    page = keyset_page(
        ticket_queue(user=request.user, filters=filters), before=request.GET.get("before")
    )
    query = request.GET.copy()
    query.pop("before", None)
    ctx = {
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "teams": Team.objects.all(),
        "types": TicketType.objects.all(),
        "statuses": Ticket.Status.choices,
        "priorities": Ticket.Priority.choices,
        "saved_views": list(saved_views_for(request.user)),
        "saved_view_form": SavedViewForm(initial={"query": query.urlencode()}),
        "can_work": has_perm(request.user, Perm.WORK_TICKETS),
        "assignees": staff_who_work_tickets(),
        "sla_states": [(s, sla_selectors.STATE_LABELS[s]) for s in sla_selectors.QUEUE_STATES],
    }
    template = "tickets/queue.html#results" if request.htmx else "tickets/queue.html"
    return render(request, template, ctx)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def bulk(request: AuthedRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = reverse("tickets:queue") + "?" + request.POST.get("query", "")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect(back)
    result = services.tickets_bulk_update(
        tickets=form.cleaned_data["tickets"],
        actor=request.user,
        changes=form.changes(),
        add_tags=[form.cleaned_data["tag"]] if form.cleaned_data["tag"] else [],
        merge_into=form.cleaned_data["merge_into"],
    )
    if result.updated:
        count = len(result.updated)
        messages.success(
            request,
            ngettext("%(count)s ticket updated.", "%(count)s tickets updated.", count)
            % {"count": count},
        )
    for ticket, reason in result.failed:
        messages.error(request, f"{ticket.reference}: {reason}")
    return redirect(back)


@require_POST
@require_perm(Perm.VIEW_TICKETS)
def saved_view_create(request: AuthedRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if form.is_valid():
        view = services.saved_view_create(owner=request.user, **form.cleaned_data)
        messages.success(request, _("The view «%(name)s» is saved.") % {"name": view.name})
        return redirect(reverse("tickets:queue") + "?" + view.query)
    messages.error(request, _("Give the view a name."))
    return redirect(reverse("tickets:queue") + "?" + request.POST.get("query", ""))


@require_POST
@require_perm(Perm.VIEW_TICKETS)
def saved_view_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    services.saved_view_delete(view=view, actor=request.user)
    messages.success(request, _("The view is deleted."))
    return redirect("tickets:queue")


@require_perm(Perm.WORK_TICKETS)
def create(request: AuthedRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None, initial={"team": request.user.team})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                contact = contact_find_or_create(
                    email=data.pop("email"), full_name=data.pop("full_name"), client=data["client"]
                )
                ticket = services.ticket_create(requester=contact, created_by=request.user, **data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Ticket %(ref)s is created.") % {"ref": ticket.reference})
            return redirect("tickets:detail", number=ticket.number)
    return render(request, "tickets/create.html", {"form": form})


# --- The ticket page ---------------------------------------------------------


def _get_ticket(number: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related(
            "type",
            "client",
            "requester",
            "assignee",
            "team",
            "category__parent",
            "resolution",
            "merged_into",
        ),
        number=number,
    )


def _conversation(ticket: Ticket) -> list[Message]:
    return list(
        ticket.messages.select_related(
            "author", "author_contact", "inbound_email"
        ).prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id")),
            # How each reply went out (channels' outbox), shown under it.
            "deliveries",
        )
    )


def _reply_form(ticket: Ticket, conversation: list[Message], **initial: Any) -> ReplyForm:
    seen = conversation[-1].pk if conversation else 0
    return ReplyForm(initial={"seen": seen, **initial})


def _detail_context(request: AuthedRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    conversation = _conversation(ticket)
    custom_fields = services.custom_fields_for(ticket.category)
    followers = list(ticket.followers.all())
    ctx: dict[str, Any] = {
        "ticket": ticket,
        "messages_list": conversation,
        "last_seen": conversation[-1].pk if conversation else 0,
        "events": ticket.events.select_related("actor"),
        "rule_runs": RuleRun.objects.filter(ticket=ticket)[:20],
        "tags": list(ticket.tags.all()),
        "links": ticket_links(ticket),
        "other_tickets": client_other_tickets(ticket),
        "custom_values": [(f.label, ticket.custom_fields.get(f.code)) for f in custom_fields],
        "followers": followers,
        "cc": list(ticket.cc.all()),
        "is_following": any(u.pk == request.user.pk for u in followers),
        "can_work": has_perm(request.user, Perm.WORK_TICKETS),
        "sla_clocks": sla_selectors.ticket_clocks(ticket),
    }
    if ctx["can_work"]:
        ctx.update(
            reply_form=forms.get("reply_form") or _reply_form(ticket, conversation),
            macros=automation.macros_for(request.user),
            properties_form=forms.get("properties_form")
            or TicketPropertiesForm(
                initial={
                    "status": ticket.status,
                    "priority": ticket.priority,
                    "type": ticket.type,
                    "category": ticket.category,
                    "team": ticket.team,
                    "assignee": ticket.assignee,
                    "resolution": ticket.resolution,
                    "is_escalated": ticket.is_escalated,
                }
            ),
            fields_form=forms.get("fields_form")
            or CustomFieldsForm(fields=custom_fields, initial=ticket.custom_fields),
            people_form=forms.get("people_form")
            or PeopleForm(
                initial={
                    "followers": followers,
                    "cc": ", ".join(c.email for c in ctx["cc"]),
                }
            ),
            escalate_form=forms.get("escalate_form") or EscalateForm(),
            link_form=forms.get("link_form") or TicketNumberForm(),
            merge_form=forms.get("merge_form") or TicketNumberForm(prefix="merge"),
            spam_form=SpamForm(),
        )
    return ctx


def _invalid(request: AuthedRequest, ticket: Ticket, **forms: Any) -> HttpResponse:
    """The ticket page again with the failed form's errors beside its fields."""
    return render(
        request, "tickets/detail.html", _detail_context(request, ticket, **forms), status=400
    )


@require_perm(Perm.VIEW_TICKETS)
def detail(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


@require_POST
@require_perm(Perm.WORK_TICKETS)
def reply(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        seen = form.cleaned_data["seen"]
        newer = ticket.messages.filter(pk__gt=seen or 0).exclude(author=request.user)
        if seen is not None and not request.POST.get("send_anyway") and newer.exists():
            form.add_error(
                None,
                _("A new message arrived while you were writing. Read it above, then send again."),
            )
            # Re-arm the check at the newest message, so a second «Send» goes through.
            data = request.POST.copy()
            data["seen"] = str(ticket.messages.order_by("-pk").values_list("pk", flat=True)[0])
            errors = form.non_field_errors()
            form = ReplyForm(data, request.FILES)
            form.is_valid()
            for error in errors:
                form.add_error(None, error)
        else:
            try:
                macro = None
                if form.cleaned_data["macro"]:
                    macro = (
                        automation.macros_for(request.user)
                        .filter(pk=form.cleaned_data["macro"])
                        .first()
                    )
                if macro is not None:
                    automation.macro_apply(
                        macro=macro,
                        ticket=ticket,
                        agent=request.user,
                        body=form.cleaned_data["body"],
                    )
                else:
                    services.ticket_reply(
                        ticket=ticket,
                        author=request.user,
                        body=form.cleaned_data["body"],
                        internal=form.cleaned_data["internal"],
                        status=form.cleaned_data["status"] or None,
                        files=form.cleaned_data["attachments"],
                    )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                if not request.htmx:
                    return redirect("tickets:detail", number=number)
                # Status, history and the conversation all change: swap the whole ticket.
                ctx = _detail_context(request, _get_ticket(number))
                return render(request, "tickets/detail.html#ticket", ctx)
    ctx = _detail_context(request, ticket, reply_form=form)
    if request.htmx:
        response = render(request, "tickets/detail.html#composer", ctx)
        response["HX-Retarget"] = "#composer"
        return response
    return render(request, "tickets/detail.html", ctx, status=400)


@require_perm(Perm.WORK_TICKETS)
def macro_preview(request: AuthedRequest, number: int) -> HttpResponse:
    """The composer filled with a macro's text, rendered for this ticket."""
    ticket = _get_ticket(number)
    macro = get_object_or_404(automation.macros_for(request.user), pk=request.GET.get("macro") or 0)
    conversation = _conversation(ticket)
    form = _reply_form(
        ticket,
        conversation,
        body=automation.macro_render(
            text=automation.macro_text(macro), ticket=ticket, agent=request.user
        ),
        macro=macro.pk,
        internal=macro.internal,
        status=macro.set_status,
    )
    ctx = _detail_context(request, ticket, reply_form=form)
    ctx["applied_macro"] = macro
    return render(request, "tickets/detail.html#composer", ctx)


@require_perm(Perm.VIEW_TICKETS)
def activity(request: AuthedRequest, number: int) -> HttpResponse:
    """Polled by the ticket page: who wrote since the page was loaded (collision warning)."""
    ticket = _get_ticket(number)
    seen = request.GET.get("seen", "0")
    newer = (
        ticket.messages.filter(pk__gt=int(seen) if seen.isdigit() else 0)
        .exclude(author=request.user)
        .select_related("author", "author_contact")
    )
    ctx = {"ticket": ticket, "newer": list(newer), "last_seen": seen if seen.isdigit() else 0}
    return render(request, "tickets/detail.html#activity", ctx)


def _ticket_action(
    request: AuthedRequest,
    number: int,
    form_name: str,
    form: Any,
    action: Any,
    success: str,
) -> HttpResponse:
    """The shape of every sidebar form: validate, call the service, redirect or show errors."""
    ticket = _get_ticket(number)
    if form.is_valid():
        try:
            action(ticket, form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, success)
            return redirect("tickets:detail", number=number)
    return _invalid(request, ticket, **{form_name: form})


@require_POST
@require_perm(Perm.WORK_TICKETS)
def update(request: AuthedRequest, number: int) -> HttpResponse:
    return _ticket_action(
        request,
        number,
        "properties_form",
        TicketPropertiesForm(request.POST),
        lambda ticket, data: services.ticket_update(ticket=ticket, actor=request.user, **data),
        _("The ticket is updated."),
    )


@require_POST
@require_perm(Perm.WORK_TICKETS)
def custom_fields(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    form = CustomFieldsForm(request.POST, fields=services.custom_fields_for(ticket.category))
    return _ticket_action(
        request,
        number,
        "fields_form",
        form,
        lambda ticket, data: services.ticket_set_custom_fields(
            ticket=ticket, actor=request.user, values=data
        ),
        _("The fields are saved."),
    )


def _set_people(request: AuthedRequest, ticket: Ticket, data: dict[str, Any]) -> None:
    services.ticket_set_followers(ticket=ticket, actor=request.user, users=data["followers"])
    emails = [e.strip().lower() for e in data["cc"].split(",") if e.strip()]
    contacts = list(Contact.objects.filter(email__in=emails))
    unknown = sorted(set(emails) - {c.email.lower() for c in contacts})
    if unknown:
        raise ValidationError(
            {"cc": _("No contacts with these emails: %(emails)s.") % {"emails": ", ".join(unknown)}}
        )
    services.ticket_set_cc(ticket=ticket, actor=request.user, contacts=contacts)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def people(request: AuthedRequest, number: int) -> HttpResponse:
    return _ticket_action(
        request,
        number,
        "people_form",
        PeopleForm(request.POST),
        lambda ticket, data: _set_people(request, ticket, data),
        _("Followers and CC are saved."),
    )


@require_POST
@require_perm(Perm.VIEW_TICKETS)
def follow(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    followers = list(ticket.followers.all())
    if request.user in followers:
        followers.remove(request.user)
    else:
        followers.append(request.user)
    services.ticket_set_followers(ticket=ticket, actor=request.user, users=followers)
    return redirect("tickets:detail", number=number)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def escalate(request: AuthedRequest, number: int) -> HttpResponse:
    return _ticket_action(
        request,
        number,
        "escalate_form",
        EscalateForm(request.POST),
        lambda ticket, data: services.ticket_escalate(ticket=ticket, actor=request.user, **data),
        _("The ticket is escalated."),
    )


@require_POST
@require_perm(Perm.WORK_TICKETS)
def link(request: AuthedRequest, number: int) -> HttpResponse:
    return _ticket_action(
        request,
        number,
        "link_form",
        TicketNumberForm(request.POST),
        lambda ticket, data: services.ticket_link(
            ticket=ticket, other=data["number"], actor=request.user
        ),
        _("The tickets are linked."),
    )


@require_POST
@require_perm(Perm.WORK_TICKETS)
def unlink(request: AuthedRequest, number: int, other: int) -> HttpResponse:
    ticket = _get_ticket(number)
    services.ticket_unlink(ticket=ticket, other=_get_ticket(other), actor=request.user)
    messages.success(request, _("The link is removed."))
    return redirect("tickets:detail", number=number)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def merge(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    form = TicketNumberForm(request.POST, prefix="merge")
    if form.is_valid():
        try:
            target = services.ticket_merge(
                source=ticket, target=form.cleaned_data["number"], actor=request.user
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("%(source)s is merged into this ticket.") % {"source": ticket.reference},
            )
            return redirect("tickets:detail", number=target.number)
    return _invalid(request, ticket, merge_form=form)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def split(request: AuthedRequest, number: int, message_id: int) -> HttpResponse:
    ticket = _get_ticket(number)
    message = get_object_or_404(Message, pk=message_id, ticket=ticket)
    try:
        new = services.ticket_split(message=message, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tickets:detail", number=number)
    messages.success(request, _("The message is now ticket %(ref)s.") % {"ref": new.reference})
    return redirect("tickets:detail", number=new.number)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def spam(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    form = SpamForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_mark_spam(
                ticket=ticket, actor=request.user, block_sender=form.cleaned_data["block_sender"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The ticket is marked as spam."))
    return redirect("tickets:detail", number=number)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def not_spam(request: AuthedRequest, number: int) -> HttpResponse:
    services.ticket_unmark_spam(ticket=_get_ticket(number), actor=request.user)
    messages.success(request, _("The ticket is back in the queue."))
    return redirect("tickets:detail", number=number)


# --- Attachments -------------------------------------------------------------


@require_perm(Perm.VIEW_TICKETS)
def attachment(request: AuthedRequest, pk: int, name: str) -> FileResponse:
    """Serve a file only to staff who may see tickets; never let the browser guess its type."""
    item = get_object_or_404(Attachment, pk=pk)
    if item.name != name:
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
