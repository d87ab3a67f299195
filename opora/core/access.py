"""Who may do what: capabilities granted to roles, checked on every view and endpoint.

Views use `@require_perm(Perm.X)`; API endpoints call `ensure_perm(request.user, Perm.X)`;
templates and navigation read `has_perm`. One table, so the screen and the
API can never disagree about what a role may do.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from opora.accounts.models import User


class Perm(enum.StrEnum):
    VIEW_HOME = "view_home"
    VIEW_TICKETS = "view_tickets"
    WORK_TICKETS = "work_tickets"
    MANAGE_AUTOMATION = "manage_automation"
    MANAGE_TICKET_SETTINGS = "manage_ticket_settings"
    MANAGE_SLA = "manage_sla"
    MANAGE_CHANNELS = "manage_channels"
    VIEW_ANALYTICS = "view_analytics"
    WRITE_REPORT_NOTES = "write_report_notes"
    MANAGE_GOALS = "manage_goals"
    VIEW_KB = "view_kb"
    WRITE_KB = "write_kb"
    PUBLISH_KB = "publish_kb"
    VIEW_QUALITY = "view_quality"
    REVIEW_QUALITY = "review_quality"
    MANAGE_QUALITY = "manage_quality"
    MANAGE_CERTIFICATION = "manage_certification"
    VIEW_STAFF = "view_staff"
    MANAGE_USERS = "manage_users"
    MANAGE_TEAMS = "manage_teams"
    VIEW_AUDIT = "view_audit"
    VIEW_JOBS = "view_jobs"
    USE_API = "use_api"


ADMIN = "admin"
HEAD = "head"
LEAD = "lead"
OPERATOR = "operator"
ACCOUNT_MANAGER = "account_manager"
ANALYST = "analyst"
VIEWER = "viewer"
ALL_STAFF = frozenset({ADMIN, HEAD, LEAD, OPERATOR, ACCOUNT_MANAGER, ANALYST, VIEWER})

# Least privilege: a role gets a capability only when its work needs it.
GRANTS: dict[Perm, frozenset[str]] = {
    Perm.VIEW_HOME: ALL_STAFF,
    Perm.VIEW_TICKETS: ALL_STAFF - {ANALYST},
    Perm.WORK_TICKETS: frozenset({ADMIN, HEAD, LEAD, OPERATOR, ACCOUNT_MANAGER}),
    # Rules, shared macros, queue assignment, operator caps and skills, spam senders.
    Perm.MANAGE_AUTOMATION: frozenset({ADMIN, HEAD, LEAD}),
    # Closing criteria, auto-close, repeat window, custom fields, resolution codes.
    Perm.MANAGE_TICKET_SETTINGS: frozenset({ADMIN, HEAD}),
    # Production calendars and SLA policies: they move every deadline.
    Perm.MANAGE_SLA: frozenset({ADMIN, HEAD}),
    # Mailbox and bot credentials, the inbound log and the outbox.
    Perm.MANAGE_CHANNELS: frozenset({ADMIN, HEAD}),
    Perm.VIEW_ANALYTICS: frozenset({ADMIN, HEAD, LEAD, ANALYST, VIEWER}),
    # The commentary on the monthly and weekly reports: what happened and what we do.
    Perm.WRITE_REPORT_NOTES: frozenset({ADMIN, HEAD, LEAD}),
    # The department's KPI goals every dashboard and report is measured against.
    Perm.MANAGE_GOALS: frozenset({ADMIN, HEAD}),
    # The knowledge base is read by everyone; anyone who answers clients may draft
    # an article; publishing (and the sections' tree and owners) is for leads and up —
    # a section's owner and backup owner may publish in their section too.
    Perm.VIEW_KB: ALL_STAFF,
    Perm.WRITE_KB: frozenset({ADMIN, HEAD, LEAD, OPERATOR, ACCOUNT_MANAGER}),
    Perm.PUBLISH_KB: frozenset({ADMIN, HEAD, LEAD}),
    # Quality pages: operators see their own reviews, tests and follow-ups only.
    Perm.VIEW_QUALITY: frozenset({ADMIN, HEAD, LEAD, OPERATOR, ACCOUNT_MANAGER, ANALYST}),
    # Reviewing tickets with a scorecard, calibration, every review, follow-ups of low scores.
    Perm.REVIEW_QUALITY: frozenset({ADMIN, HEAD, LEAD}),
    # Scorecards and NPS survey schedules: they define what «good» means for everyone.
    Perm.MANAGE_QUALITY: frozenset({ADMIN, HEAD}),
    # Certification tests, assigning them, seeing everyone's results.
    Perm.MANAGE_CERTIFICATION: frozenset({ADMIN, HEAD, LEAD}),
    Perm.VIEW_STAFF: frozenset({ADMIN, HEAD, LEAD}),
    Perm.MANAGE_USERS: frozenset({ADMIN}),
    Perm.MANAGE_TEAMS: frozenset({ADMIN, HEAD}),
    Perm.VIEW_AUDIT: frozenset({ADMIN}),
    Perm.VIEW_JOBS: frozenset({ADMIN}),
    Perm.USE_API: ALL_STAFF,
}


def has_perm(user: User | AnonymousUser | None, perm: Perm) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.role in GRANTS[perm]


def ensure_perm(user: User | AnonymousUser | None, perm: Perm) -> None:
    """Raise PermissionDenied (a 403 on screens and in the API) unless the user may."""
    if not has_perm(user, perm):
        raise PermissionDenied


F = TypeVar("F", bound=Callable[..., HttpResponseBase])


def require_perm(perm: Perm) -> Callable[[F], F]:
    """View decorator: anonymous users go to the login page, others without `perm` get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            ensure_perm(request.user, perm)
            return view(request, *args, **kwargs)

        return cast(F, login_required(wrapped))

    return decorator
