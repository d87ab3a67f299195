"""Dashboards: one view renders any of them, as a page, an htmx fragment or an export.

VIEW_ANALYTICS guards every screen and every export: a table downloads with
exactly the filters and permissions of the screen it comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from opora.analytics import dashboards, reports
from opora.analytics.forms import FilterForm, GoalsForm
from opora.analytics.goals import goals_current, goals_update
from opora.analytics.metrics import Filters
from opora.analytics.models import ProductRequest
from opora.core.access import Perm, ensure_perm, has_perm, require_perm
from opora.core.exports import EXPORT_FORMATS, tables_response
from opora.core.http import AuthedRequest
from opora.core.pdf import PdfUnavailable, pdf_response


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str | Promise
    build: Callable[..., dict[str, Any]]
    default_period: str = "30"


DASHBOARDS = {
    d.slug: d
    for d in (
        Dashboard("operations", _("Operations now"), dashboards.operations, "30"),
        Dashboard("traffic", _("Traffic and SLA"), dashboards.traffic),
        Dashboard("team", _("Team"), dashboards.team),
        Dashboard("quality", _("Quality"), dashboards.quality),
        Dashboard("reasons", _("Contact reasons"), dashboards.reasons),
    )
}


REPORTS = {
    reports.MONTHLY: _("Monthly KPI report"),
    reports.WEEKLY: _("Weekly team report"),
}


def _tabs(current: str, query: str) -> list[dict[str, Any]]:
    suffix = f"?{query}" if query else ""
    tabs = [
        {
            "label": d.title,
            "url": reverse("analytics:dashboard", args=[d.slug]) + suffix,
            "current": d.slug == current,
        }
        for d in DASHBOARDS.values()
    ]
    return [
        *tabs,
        *(
            {"label": label, "url": reverse("analytics:report", args=[kind]), "current": False}
            for kind, label in REPORTS.items()
        ),
        {"label": _("Goals"), "url": reverse("analytics:goals"), "current": False},
    ]


@require_perm(Perm.VIEW_ANALYTICS)
def dashboard(request: AuthedRequest, slug: str = "operations") -> HttpResponseBase:
    board = DASHBOARDS.get(slug)
    if board is None:
        raise Http404
    form = FilterForm(request.GET or None, default_period=board.default_period)
    filters = form.filters()
    options: dict[str, Any] = {}
    if slug == "team":
        options["sort"] = request.GET.get("sort", "resolved")
    data = board.build(filters, **options)
    export = request.GET.get("export")
    if export:
        if export not in EXPORT_FORMATS:
            raise Http404
        return tables_response(data["tables"], export, _filename(board, filters))
    query = request.GET.copy()
    query.pop("export", None)
    query.pop("sort", None)
    ctx = {
        "board": board,
        "form": form,
        "filters": filters,
        "data": data,
        "tabs": _tabs(slug, query.urlencode()),
        "query": query.urlencode(),
        "previous": filters.previous(),
        "can_request": has_perm(request.user, Perm.WRITE_REPORT_NOTES),
    }
    template = f"analytics/{slug}.html"
    if request.htmx and request.htmx.target == "dashboard":
        template += "#dashboard"
    return render(request, template, ctx, status=400 if form.errors else 200)


def _filename(board: Dashboard, filters: Filters) -> str:
    start = formats.date_format(filters.start, "Y-m-d")
    end = formats.date_format(filters.end, "Y-m-d")
    return f"opora-{board.slug}-{start}-{end}"


@require_perm(Perm.VIEW_ANALYTICS)
def report(request: AuthedRequest, kind: str) -> HttpResponseBase:
    """A report's page, its PDF (`?format=pdf`), and the commentary form (POST)."""
    if kind not in reports.BUILDERS:
        raise Http404
    start = _report_start(request, kind)
    if request.method == "POST":
        ensure_perm(request.user, Perm.WRITE_REPORT_NOTES)
        reports.report_note_save(
            kind=kind, start=start, text=request.POST.get("text", ""), author=request.user
        )
        messages.success(request, gettext("The commentary is saved."))
        return redirect(f"{reverse('analytics:report', args=[kind])}?start={start.isoformat()}")
    built = reports.BUILDERS[kind](start)
    if request.GET.get("format") == "pdf":
        try:
            return pdf_response(
                reports.report_html(built, pdf=True), f"opora-{kind}-{start.isoformat()}"
            )
        except PdfUnavailable as error:
            messages.error(request, str(error))
    step = dt.timedelta(days=1 if kind == reports.MONTHLY else 7)
    later = reports.period_of(kind, built["filters"].end + step).start
    ctx = {
        "report": built,
        "can_comment": has_perm(request.user, Perm.WRITE_REPORT_NOTES),
        "earlier": reports.period_of(kind, built["filters"].start - step).start,
        "later": later if later <= reports.last_complete(kind) else None,
        "tabs": [
            {
                "label": label,
                "url": reverse("analytics:report", args=[other]),
                "current": other == kind,
            }
            for other, label in REPORTS.items()
        ],
    }
    return render(request, "analytics/reports/page.html", ctx)


def _report_start(request: AuthedRequest, kind: str) -> dt.date:
    """The period asked for (any day in it), or the last finished one."""
    raw = request.POST.get("start") or request.GET.get("start") or ""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = reports.last_complete(kind)
    return reports.period_of(kind, day).start


@require_perm(Perm.VIEW_ANALYTICS)
def goals_edit(request: AuthedRequest) -> HttpResponse:
    """The KPI goals: everyone with analytics sees them, a head changes them."""
    can_edit = has_perm(request.user, Perm.MANAGE_GOALS)
    goals = goals_current()
    form = GoalsForm(request.POST or None, instance=goals)
    if request.method == "POST":
        ensure_perm(request.user, Perm.MANAGE_GOALS)
        if form.is_valid():
            goals_update(actor=request.user, values=form.cleaned_data)
            messages.success(request, gettext("The goals are saved."))
            return redirect("analytics:goals")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    ctx = {"form": form, "goals": goals, "can_edit": can_edit}
    return render(request, "analytics/goals.html", ctx, status=400 if form.errors else 200)


@require_POST
@require_perm(Perm.WRITE_REPORT_NOTES)
def product_request_create(request: AuthedRequest) -> HttpResponseBase:
    """«To development» on a contact reason: the reasons dashboard's filters, one category."""
    form = FilterForm(request.POST)
    try:
        category_id = int(request.POST.get("category", ""))
    except ValueError as error:
        raise Http404 from error
    created = reports.product_request_create(
        filters=form.filters(),
        category_id=category_id,
        actor=request.user,
        note=request.POST.get("note", ""),
    )
    messages.success(request, gettext("The request for development is created."))
    return redirect("analytics:request", pk=created.pk)


@require_perm(Perm.VIEW_ANALYTICS)
def product_request_list(request: AuthedRequest) -> HttpResponse:
    requests = ProductRequest.objects.select_related("category", "created_by")[:200]
    return render(request, "analytics/requests.html", {"requests": requests})


@require_perm(Perm.VIEW_ANALYTICS)
def product_request_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ProductRequest.objects.select_related("category", "created_by"), pk=pk)
    samples = item.samples.select_related("client", "type").order_by("-created_at")
    return render(request, "analytics/request.html", {"item": item, "samples": samples})
