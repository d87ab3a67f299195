"""Template context for every signed-in page that comes from the accounts app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opora.accounts.models import User
from opora.core.access import Perm, has_perm


def availability_context(request: HttpRequest) -> dict[str, Any]:
    """The availability switch in the top bar, for staff who take tickets."""
    return {
        "can_work_tickets": has_perm(request.user, Perm.WORK_TICKETS),
        "availability_choices": User.Availability.choices,
    }
