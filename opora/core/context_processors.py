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
    # The path segments under which the item is current ("tickets/settings/rules");
    # the longest that matches wins, "" is the overview alone.
    section: str


NAVIGATION = [
    NavItem(_("Overview"), "core:home", Perm.VIEW_HOME, ""),
    NavItem(_("Tickets"), "tickets:queue", Perm.VIEW_TICKETS, "tickets"),
    NavItem(_("Analytics"), "analytics:home", Perm.VIEW_ANALYTICS, "analytics"),
    NavItem(_("Knowledge base"), "knowledge:home", Perm.VIEW_KB, "kb"),
    NavItem(_("Quality"), "quality:home", Perm.VIEW_QUALITY, "quality"),
    NavItem(_("Macros"), "tickets:macro-list", Perm.WORK_TICKETS, "tickets/settings/macros"),
    NavItem(_("Rules"), "tickets:rule-list", Perm.MANAGE_AUTOMATION, "tickets/settings/rules"),
    NavItem(
        _("Assignment"), "tickets:assignment", Perm.MANAGE_AUTOMATION, "tickets/settings/assignment"
    ),
    NavItem(
        _("Ticket settings"), "tickets:settings", Perm.MANAGE_TICKET_SETTINGS, "tickets/settings"
    ),
    NavItem(_("SLA"), "sla:policy-list", Perm.MANAGE_SLA, "sla"),
    NavItem(_("Channels"), "channels:mailbox-list", Perm.MANAGE_CHANNELS, "channels"),
    NavItem(_("Staff"), "accounts:user-list", Perm.VIEW_STAFF, "staff"),
    NavItem(_("Teams"), "accounts:team-list", Perm.VIEW_STAFF, "teams"),
    NavItem(_("Audit trail"), "core:audit-list", Perm.VIEW_AUDIT, "audit"),
    NavItem(_("Background jobs"), "core:job-list", Perm.VIEW_JOBS, "jobs"),
    NavItem(_("API"), "api-1:openapi-view", Perm.USE_API, "api"),
]


def _match(item: NavItem, parts: list[str]) -> int:
    """How many path segments the item's section matches; -1 when it does not apply."""
    if not item.section:
        return 0 if parts == [""] else -1
    section = item.section.split("/")
    return len(section) if parts[: len(section)] == section else -1


def shell(request: HttpRequest) -> dict[str, Any]:
    parts = request.path.strip("/").split("/")
    items = [item for item in NAVIGATION if has_perm(request.user, item.perm)]
    best = max((_match(item, parts) for item in items), default=-1)
    nav = [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "current": best >= 0 and _match(item, parts) == best,
        }
        for item in items
    ]
    return {
        "nav_items": nav,
        "opora_version": __version__,
        "opora_languages": settings.LANGUAGES,
    }
