"""Typed requests for views that only run for signed-in staff, and their redirects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from opora.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request behind `login_required`/`require_perm`: `user` is a real User."""

    user: User
    htmx: HtmxDetails


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """The POSTed `next` URL if it stays on this site, else `default` (no open redirects)."""
    next_url = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return next_url


def redirect_after(request: AuthedRequest, to: str, *args: Any) -> HttpResponse:
    """After a change (typically a delete): a plain redirect, or htmx's client-side one.

    `to` is a URL or a URL name (with `args`), as for `redirect`.
    """
    if request.htmx:
        return HttpResponseClientRedirect(resolve_url(to, *args))
    return redirect(to, *args)
