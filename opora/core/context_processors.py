"""What every page's shell needs: the navigation this user may see, the languages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opora import __version__
from opora.core.access import Perm, has_perm


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    perm: Perm
    section: str  # the first path segment, to mark the current item


NAVIGATION = [
    NavItem(_("Overview"), "core:home", Perm.VIEW_HOME, ""),
    NavItem(_("Tickets"), "tickets:queue", Perm.VIEW_TICKETS, "tickets"),
    NavItem(_("Staff"), "accounts:user-list", Perm.VIEW_STAFF, "staff"),
    NavItem(_("Teams"), "accounts:team-list", Perm.VIEW_STAFF, "teams"),
    NavItem(_("Audit trail"), "core:audit-list", Perm.VIEW_AUDIT, "audit"),
    NavItem(_("Background jobs"), "core:job-list", Perm.VIEW_JOBS, "jobs"),
    NavItem(_("API"), "api-1:openapi-view", Perm.USE_API, "api"),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    section = request.path.strip("/").split("/")[0]
    nav = [
        {"label": item.label, "url": reverse(item.url_name), "current": item.section == section}
        for item in NAVIGATION
        if has_perm(request.user, item.perm)
    ]
    return {
        "nav_items": nav,
        "opora_version": __version__,
        "opora_languages": settings.LANGUAGES,
    }
