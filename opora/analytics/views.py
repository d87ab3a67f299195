"""Dashboards: one view renders any of them, as a page, an htmx fragment or an export.

VIEW_ANALYTICS guards every screen and every export: a table downloads with
exactly the filters and permissions of the screen it comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opora.analytics import dashboards
from opora.analytics.forms import FilterForm
from opora.analytics.metrics import Filters
from opora.core.access import Perm, require_perm
from opora.core.exports import EXPORT_FORMATS, tables_response
from opora.core.http import AuthedRequest


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


def _tabs(current: str, query: str) -> list[dict[str, Any]]:
    suffix = f"?{query}" if query else ""
    return [
        {
            "label": d.title,
            "url": reverse("analytics:dashboard", args=[d.slug]) + suffix,
            "current": d.slug == current,
        }
        for d in DASHBOARDS.values()
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
    }
    template = f"analytics/{slug}.html"
    if request.htmx and request.htmx.target == "dashboard":
        template += "#dashboard"
    return render(request, template, ctx, status=400 if form.errors else 200)


def _filename(board: Dashboard, filters: Filters) -> str:
    start = formats.date_format(filters.start, "Y-m-d")
    end = formats.date_format(filters.end, "Y-m-d")
    return f"opora-{board.slug}-{start}-{end}"
