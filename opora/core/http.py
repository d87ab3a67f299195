"""Typed requests for views that only run for signed-in staff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from opora.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request behind `login_required`/`require_perm`: `user` is a real User."""

    user: User
    htmx: HtmxDetails
