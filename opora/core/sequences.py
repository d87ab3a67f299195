"""Human-friendly numbers (OP-10234) that never repeat, even under concurrency.

Two implementations behind one function:

- PostgreSQL: a real sequence per counter (`opora_seq_<name>`), created on
  first use. `nextval` does not wait for other transactions, so ticket
  creation does not queue behind one counter row (it did: under load most
  creates waited on that lock). A rolled-back transaction leaves a gap in
  the numbers, which is harmless.
- SQLite (and any other database): a `Counter` row bumped by UPDATE. SQLite
  runs one writer at a time anyway, so the row lock costs nothing extra and
  numbers stay gapless.
"""

from __future__ import annotations

import re

from django.db import DatabaseError, connection, transaction
from django.db.models import F

from opora.core.models import Counter

NAME_RE = re.compile(r"^[a-z_]{1,40}$")


def _pg_sequence(name: str, start: int) -> str:
    sequence = f"opora_seq_{name}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [sequence])
        row = cursor.fetchone()
        exists = bool(row and row[0])
        if not exists:
            # Continue from a counter row if numbers were handed out before.
            current = Counter.objects.filter(name=name).values_list("value", flat=True).first()
            first = max(start, (current or 0) + 1)
            # A savepoint: if another process creates it at the same moment, the
            # duplicate error rolls back only this statement.
            try:
                with transaction.atomic():
                    cursor.execute(f"CREATE SEQUENCE {sequence} START WITH {int(first)}")
            except DatabaseError:
                pass  # created concurrently by another process: use that one
    # Not cached per process: a sequence created inside a transaction that
    # later rolls back is gone again, so existence is checked every time.
    return sequence


def sequence_next(name: str, *, start: int = 1, count: int = 1) -> int:
    """Reserve the next `count` values of counter `name` and return the first.

    `count > 1` is for bulk loading (seed_bench) while nothing else creates
    numbers of the same counter: on PostgreSQL the range is taken with
    setval, which a concurrent single `nextval` could interleave with.
    """
    if not NAME_RE.match(name):
        raise ValueError(f"bad counter name {name!r}")
    if connection.vendor == "postgresql":
        sequence = _pg_sequence(name, start)
        with connection.cursor() as cursor:
            if count == 1:
                cursor.execute("SELECT nextval(%s)", [sequence])
            else:
                cursor.execute(
                    "SELECT setval(%s, nextval(%s) + %s) - %s",
                    [sequence, sequence, count - 1, count - 1],
                )
            row = cursor.fetchone()
        assert row is not None  # noqa: S101 -- nextval always returns a row
        return int(row[0])
    with transaction.atomic():
        Counter.objects.get_or_create(name=name, defaults={"value": start - 1})
        Counter.objects.filter(name=name).update(value=F("value") + count)
        last: int = Counter.objects.values_list("value", flat=True).get(name=name)
        return last - count + 1
