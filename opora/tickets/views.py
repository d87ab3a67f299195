from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opora.accounts.models import Team
from opora.core.access import Perm, has_perm, require_perm
from opora.core.forms import apply_validation_error
from opora.core.http import AuthedRequest
from opora.core.pagination import keyset_page
from opora.tickets import services
from opora.tickets.forms import ReplyForm, TicketPropertiesForm
from opora.tickets.models import Ticket, TicketType
from opora.tickets.selectors import QueueFilter, ticket_queue


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_perm(Perm.VIEW_TICKETS)
def queue(request: AuthedRequest) -> HttpResponse:
    params = request.GET
    filters = QueueFilter(
        status=params.get("status", "active"),
        team_id=_int_or_none(params.get("team")),
        assignee=params.get("assignee", ""),
        priority=params.get("priority", ""),
        type_id=_int_or_none(params.get("type")),
        q=params.get("q", ""),
    )
    page = keyset_page(
        ticket_queue(user=request.user, filters=filters), before=params.get("before")
    )
    query = params.copy()
    query.pop("before", None)
    ctx = {
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "teams": Team.objects.all(),
        "types": TicketType.objects.all(),
        "statuses": Ticket.Status.choices,
        "priorities": Ticket.Priority.choices,
    }
    template = "tickets/queue.html#results" if request.htmx else "tickets/queue.html"
    return render(request, template, ctx)


def _detail_context(request: AuthedRequest, ticket: Ticket, **forms: object) -> dict[str, object]:
    return {
        "ticket": ticket,
        "messages_list": ticket.messages.select_related("author", "author_contact"),
        "events": ticket.events.select_related("actor"),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "properties_form": forms.get("properties_form")
        or TicketPropertiesForm(
            initial={
                "status": ticket.status,
                "priority": ticket.priority,
                "type": ticket.type,
                "category": ticket.category,
                "team": ticket.team,
                "assignee": ticket.assignee,
                "is_escalated": ticket.is_escalated,
            }
        ),
        "can_work": has_perm(request.user, Perm.WORK_TICKETS),
        "tags": list(ticket.tags.all()),
    }


def _get_ticket(number: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related(
            "type", "client", "requester", "assignee", "team", "category"
        ),
        number=number,
    )


@require_perm(Perm.VIEW_TICKETS)
def detail(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


@require_POST
@require_perm(Perm.WORK_TICKETS)
def reply(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                status=form.cleaned_data["status"] or None,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            if not request.htmx:
                return redirect("tickets:detail", number=number)
            ticket = _get_ticket(number)
            form = ReplyForm()
    ctx = _detail_context(request, ticket, reply_form=form)
    if request.htmx:
        return render(request, "tickets/detail.html#conversation", ctx)
    return render(request, "tickets/detail.html", ctx, status=400)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def update(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = _get_ticket(number)
    form = TicketPropertiesForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_update(ticket=ticket, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The ticket is updated."))
            return redirect("tickets:detail", number=number)
    ctx = _detail_context(request, ticket, properties_form=form)
    return render(request, "tickets/detail.html", ctx, status=400)
