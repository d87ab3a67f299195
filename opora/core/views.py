from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_tasks import TaskResultStatus

from opora import __version__
from opora.accounts import services as account_services
from opora.core import selectors
from opora.core.access import Perm, has_perm, require_perm
from opora.core.http import safe_next
from opora.core.middleware import SUPPORTED_LANGUAGES
from opora.core.models import ScheduledJob
from opora.core.pagination import keyset_page


@require_perm(Perm.VIEW_HOME)
def home(request: HttpRequest) -> HttpResponse:
    ctx = {
        "can_see_system": has_perm(request.user, Perm.VIEW_JOBS),
        "jobs": selectors.job_summary() if has_perm(request.user, Perm.VIEW_JOBS) else None,
    }
    return render(request, "core/home.html", ctx)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and monitoring: 503 when the DB is down."""
    if not selectors.database_ok():
        return JsonResponse(
            {"status": "error", "database": "unreachable", "version": __version__}, status=503
        )
    jobs = selectors.job_summary()
    beat = jobs["last_heartbeat_at"]
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "version": __version__,
            "jobs": {
                "ready": jobs["ready"],
                "running": jobs["running"],
                "failed": jobs["failed"],
                "last_heartbeat_at": beat.isoformat() if beat else None,
            },
        }
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher: a cookie for everyone, and the saved preference for users."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next(request))
    if language not in SUPPORTED_LANGUAGES:
        return response
    if request.user.is_authenticated:
        account_services.user_preferences_update(
            user=request.user,
            actor=request.user,
            language=language,
            request=request,
        )
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@require_perm(Perm.VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    entries = selectors.audit_entry_list(
        action=request.GET.get("action", ""), target_type=request.GET.get("type", "")
    )
    page = keyset_page(entries, before=request.GET.get("before"))
    ctx = {
        "page": page,
        "action": request.GET.get("action", ""),
        "target_type": request.GET.get("type", ""),
    }
    return render(request, "core/audit_list.html", ctx)


@require_perm(Perm.VIEW_JOBS)
def job_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in TaskResultStatus.values:
        status = ""
    ctx = {
        "jobs": list(selectors.job_list(status=status)[:100]),
        "summary": selectors.job_summary(),
        "schedule": list(ScheduledJob.objects.all()),
        "status": status,
        "statuses": TaskResultStatus.choices,
    }
    return render(request, "core/job_list.html", ctx)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No request context: the failure may be in the database or in anything the
    # shell's context processors touch. The language is already active.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
