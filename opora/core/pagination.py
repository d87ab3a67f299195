"""Keyset pagination by descending id: stays fast however deep the list goes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


@dataclass
class KeysetPage(Generic[M]):
    items: list[M]
    next_before: int | None


def keyset_page(queryset: QuerySet[M], *, before: str | None, size: int = 50) -> KeysetPage[M]:
    """Items with id < `before` (newest first), and the cursor of the next page."""
    if before and before.isdigit():
        queryset = queryset.filter(pk__lt=int(before))
    items = list(queryset.order_by("-pk")[: size + 1])
    has_more = len(items) > size
    items = items[:size]
    return KeysetPage(items=items, next_before=items[-1].pk if has_more and items else None)
