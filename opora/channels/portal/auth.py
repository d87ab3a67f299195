"""The portal's own session: a contact, never a staff user.

Staff sign-in (django.contrib.auth) and portal sign-in share the session
cookie but not the keys: a staff session does not open the portal, and a
portal session does not open anything outside it. Like Django's
`update_session_auth_hash`, the session carries a hash of the contact's
password, so changing the password ends the contact's other sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme

from opora.channels.portal import services
from opora.core.middleware import SUPPORTED_LANGUAGES

if TYPE_CHECKING:
    from opora.clients.models import Contact

SESSION_KEY = "portal_contact_id"
HASH_SESSION_KEY = "portal_contact_hash"

P = ParamSpec("P")


class PortalRequest(HttpRequest):
    """A request behind `portal_login_required`: `contact` is the signed-in contact."""

    contact: Contact


def _session_hash(contact: Contact) -> str:
    return salted_hmac(
        "opora.portal.session", contact.portal_password, algorithm="sha256"
    ).hexdigest()


def portal_contact(request: HttpRequest) -> Contact | None:
    """The contact signed in to the portal in this session, or None."""
    from opora.clients.models import Contact

    contact_id = request.session.get(SESSION_KEY)
    if not isinstance(contact_id, int):
        return None
    contact = Contact.objects.filter(pk=contact_id).first()
    if (
        contact is None
        or not services.contact_may_sign_in(contact)
        or not constant_time_compare(
            request.session.get(HASH_SESSION_KEY, ""), _session_hash(contact)
        )
    ):
        portal_logout(request)
        return None
    return contact


def portal_login(request: HttpRequest, contact: Contact) -> None:
    """Start the portal session of a contact the services let in (a new key: no fixation)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = contact.pk
    request.session[HASH_SESSION_KEY] = _session_hash(contact)


def portal_session_refresh(request: HttpRequest, contact: Contact) -> None:
    """Keep this session after the contact changed their password (others end)."""
    request.session.cycle_key()
    request.session[HASH_SESSION_KEY] = _session_hash(contact)


def portal_logout(request: HttpRequest) -> None:
    """End the portal session only: a staff sign-in in the same browser stays."""
    if SESSION_KEY in request.session or HASH_SESSION_KEY in request.session:
        request.session.pop(SESSION_KEY, None)
        request.session.pop(HASH_SESSION_KEY, None)
        request.session.cycle_key()


def portal_next(request: HttpRequest, value: str | None) -> str:
    """Where to go after signing in: a portal page on this site, else the ticket list."""
    default = reverse("portal:ticket-list")
    if not value or not value.startswith(reverse("portal:ticket-list")):
        return default
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return value


def portal_login_required(
    view: Callable[Concatenate[PortalRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Let only a signed-in contact through, speaking the contact's language."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        contact = portal_contact(request)
        if contact is None:
            login_url = reverse("portal:login")
            if request.method == "GET":
                # A form posted after the session ended has nothing to come back to.
                login_url += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(login_url)
        portal_request: PortalRequest = request  # type: ignore[assignment]
        portal_request.contact = contact
        language = (
            contact.language if contact.language in SUPPORTED_LANGUAGES else settings.LANGUAGE_CODE
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = view(portal_request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return wrapper
