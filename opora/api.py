"""The REST API: /api/v1/, documented by its generated OpenAPI document.

Authentication: a personal token (`Authorization: Bearer opr_…`) or the
browser session (with CSRF). Every error has the same JSON shape:
{"error": {"code": "...", "message": "...", "fields": {...}}}.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from opora import __version__
from opora.accounts.api import router as accounts_router
from opora.accounts.services import api_token_authenticate
from opora.analytics.api import router as analytics_router
from opora.core.access import Perm, has_perm
from opora.core.api import router as core_router
from opora.core.idempotency import IdempotencyConflict
from opora.knowledge.api import router as knowledge_router
from opora.sla.api import router as sla_router
from opora.tickets.api import router as tickets_router

logger = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is None or not has_perm(user, Perm.USE_API):
            return None
        request.user = user
        # The language middleware ran before we knew who this is: answer in theirs.
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods also need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and has_perm(user, Perm.USE_API):
            return user
        return None


api = NinjaAPI(
    title="Opora API",
    version="1",
    description=_(
        "Opora REST API. Authenticate with a personal token: Authorization: Bearer opr_…"
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-1",
    docs_url="/docs",
)


def error_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return JsonResponse({"error": body}, status=status)


REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        # ninja's loc is (source, [body parameter name,] field…): keep the field path.
        loc = [str(part) for part in item.get("loc", [])]
        source, location = (loc[0], loc[1:]) if loc and loc[0] in REQUEST_PARTS else ("", loc)
        if source == "body" and len(location) > 1:
            location = location[1:]
        fields.setdefault(".".join(location) or "request", []).append(str(item.get("msg", "")))
    return error_response(
        request,
        status=422,
        code="validation_error",
        message=_("The request is not valid."),
        fields=fields,
    )


@api.exception_handler(DjangoValidationError)
def on_rule_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = (
        {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        if hasattr(exc, "error_dict")
        else None
    )
    message = " ".join(str(m) for m in exc.messages)
    return error_response(
        request, status=400, code="rule_violation", message=message, fields=fields
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        status=401,
        code="not_authenticated",
        message=_("Authentication is required: a valid API token or session."),
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(
        request, status=403, code="forbidden", message=_("Your role does not allow this.")
    )


@api.exception_handler(IdempotencyConflict)
def on_idempotency_conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    return error_response(request, status=409, code="idempotency_conflict", message=str(exc))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, status=404, code="not_found", message=_("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and "CSRF" in str(exc):
        return error_response(
            request,
            status=403,
            code="csrf_failed",
            message=_("The CSRF token is missing or wrong; send X-CSRFToken or use an API token."),
        )
    return error_response(request, status=exc.status_code, code="http_error", message=str(exc))


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(
        request, status=500, code="server_error", message=_("Internal error; it has been logged.")
    )


@api.get("/", auth=None, summary="API root", tags=["meta"])
def api_root(request: HttpRequest) -> dict[str, str]:
    return {"name": "Opora API", "version": __version__, "docs": "/api/v1/docs"}


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Unknown paths under /api/ answer in the API's JSON error shape, not an HTML page."""
    return error_response(request, status=404, code="not_found", message=_("No such API endpoint."))


api.add_router("/", accounts_router)
api.add_router("/", core_router)
api.add_router("/", analytics_router)
api.add_router("/", tickets_router)
api.add_router("/", sla_router)
api.add_router("/", knowledge_router)
