"""Typed requests for views that only run for signed-in staff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
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
