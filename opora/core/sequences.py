"""Human-friendly numbers (OP-10234) that never repeat, even under concurrency."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from opora.core.models import Counter


def sequence_next(name: str, *, start: int = 1, count: int = 1) -> int:
    """Reserve the next `count` values of counter `name` and return the first.

    Call inside the transaction that uses the values. The UPDATE takes the
    row lock, so concurrent callers queue and each gets its own values; a
    rolled-back caller gives them back.
    """
    with transaction.atomic():
        Counter.objects.get_or_create(name=name, defaults={"value": start - 1})
        Counter.objects.filter(name=name).update(value=F("value") + count)
        last: int = Counter.objects.values_list("value", flat=True).get(name=name)
        return last - count + 1
