"""Template helpers of the QA reviews: the ticket page asks whether to offer a review."""

from __future__ import annotations

from typing import Any

from django import template

from opora.core.access import Perm, has_perm

register = template.Library()


@register.filter
def can_review_quality(user: Any) -> bool:
    return has_perm(user, Perm.REVIEW_QUALITY)
