"""Human-friendly numbers (OP-10234) that never repeat, even under concurrency."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from opora.core.models import Counter


def sequence_next(name: str, *, start: int = 1) -> int:
    """The next value of counter `name`; call inside the transaction that uses it.

    The UPDATE takes the row lock, so concurrent callers queue and each gets
    its own value; a rolled-back caller gives its value back.
    """
    with transaction.atomic():
        Counter.objects.get_or_create(name=name, defaults={"value": start - 1})
        Counter.objects.filter(name=name).update(value=F("value") + 1)
        return Counter.objects.values_list("value", flat=True).get(name=name)
