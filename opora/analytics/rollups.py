"""Keeping the rollups true: mark changed tickets stale, refresh them in batches, rebuild.

A change marks its ticket stale inside its own transaction (`tickets_stale`),
so a crash can never lose a refresh. The refresh job takes a lease (one
refresher at a time), loads a batch of stale tickets, computes their facts,
and in one transaction adds to the rollups the difference between each
ticket's new and old contributions, stores the new facts and clears the
marks — unless a ticket was marked again meanwhile, then it stays for the
next batch. Applying a batch twice changes nothing: the difference is zero.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from opora.analytics.facts import (
    CATEGORY,
    DAILY,
    HISTOGRAM,
    contributions_sum,
    fact_of,
    snapshots_load,
)
from opora.analytics.models import (
    CategoryStat,
    DailyStat,
    DurationHistogram,
    RollupState,
    StaleTicket,
    TicketFact,
)
from opora.tickets.models import Ticket

BATCH = 500
LEASE = dt.timedelta(minutes=5)


def tickets_stale(ticket_ids: Iterable[int]) -> None:
    """Mark tickets for a rollup refresh; call inside the change's transaction."""
    marks = [StaleTicket(ticket_id=pk, token=uuid.uuid4()) for pk in set(ticket_ids) if pk]
    if marks:
        StaleTicket.objects.bulk_create(
            marks, update_conflicts=True, unique_fields=["ticket_id"], update_fields=["token"]
        )


@dataclass
class RefreshResult:
    refreshed: int = 0
    busy: bool = False


def _lease(now: dt.datetime) -> bool:
    RollupState.objects.get_or_create(pk=1)
    return bool(
        RollupState.objects.filter(pk=1)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )


def _release(**stamps: Any) -> None:
    RollupState.objects.filter(pk=1).update(lease_until=None, **stamps)


def rollups_refresh(*, batch: int = BATCH, max_batches: int | None = None) -> RefreshResult:
    """Refresh every stale ticket, a batch per transaction; the scheduled job calls this."""
    result = RefreshResult()
    if not _lease(timezone.now()):
        result.busy = True
        return result
    try:
        done = 0
        while max_batches is None or done < max_batches:
            marks = dict(
                StaleTicket.objects.order_by("marked_at").values_list("ticket_id", "token")[:batch]
            )
            if not marks:
                break
            result.refreshed += _refresh_batch(marks)
            done += 1
            RollupState.objects.filter(pk=1).update(lease_until=timezone.now() + LEASE)
    finally:
        _release(refreshed_at=timezone.now())
    return result


@transaction.atomic
def _refresh_batch(marks: dict[int, uuid.UUID]) -> int:
    ids = list(marks)
    snapshots = snapshots_load(ids)
    old = {fact.ticket_id: fact for fact in TicketFact.objects.filter(ticket_id__in=ids)}
    deltas: dict[tuple[Any, ...], float] = defaultdict(float)
    new_facts: list[TicketFact] = []
    for ticket_id in ids:
        snapshot = snapshots.get(ticket_id)
        before = old.get(ticket_id)
        after = fact_of(snapshot) if snapshot is not None else None
        for key, value in contributions_sum(before.contributions if before else []).items():
            deltas[key] -= value
        if after is not None:
            for key, value in contributions_sum(after["contributions"]).items():
                deltas[key] += value
            new_facts.append(TicketFact(ticket_id=ticket_id, **after))
    _apply(deltas)
    gone = [pk for pk in ids if pk not in snapshots]
    if gone:
        TicketFact.objects.filter(ticket_id__in=gone).delete()
    if new_facts:
        TicketFact.objects.bulk_create(
            new_facts,
            update_conflicts=True,
            unique_fields=["ticket_id"],
            update_fields=[f.name for f in TicketFact._meta.concrete_fields if not f.primary_key],
        )
    # Only the marks this batch saw: a ticket marked again meanwhile waits for the next
    # batch. The lock makes a concurrent mark wait until this batch commits.
    seen = [
        pk
        for pk, token in StaleTicket.objects.select_for_update()
        .filter(ticket_id__in=ids)
        .values_list("ticket_id", "token")
        if marks[pk] == token
    ]
    StaleTicket.objects.filter(ticket_id__in=seen).delete()
    return len(ids)


# The rollup table and its key columns for each cube; a contribution's key is
# [cube, *key values, measure] (see facts.fact_of).
CUBES: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    DAILY: (DailyStat, ("day", "team_id", "type_id", "channel", "operator_id")),
    HISTOGRAM: (DurationHistogram, ("day", "team_id", "type_id", "channel", "measure", "bucket")),
    CATEGORY: (CategoryStat, ("day", "category_id", "team_id", "type_id", "channel")),
}


KEYS_PER_QUERY = 200


def _sort_key(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(part) for part in key)


def _existing(
    model: type[Any], columns: tuple[str, ...], keys: list[tuple[Any, ...]]
) -> dict[tuple[Any, ...], Any]:
    """The rollup rows with these keys, a few hundred keys per query.

    A row-value IN list (both PostgreSQL and SQLite have it) — building the same
    as an OR of Q objects costs more in the ORM than the query costs in the database.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    found: dict[tuple[Any, ...], Any] = {}
    for first in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[first : first + KEYS_PER_QUERY]
        sql = (
            f"SELECT * FROM {table} WHERE ({names}) IN "  # noqa: S608 -- names are ours
            f"(VALUES {', '.join([one] * len(chunk))})"
        )
        params = [value for key in chunk for value in key]
        for row in model.objects.raw(sql, params):
            found[tuple(getattr(row, column) for column in columns)] = row
    return found


def _apply(deltas: dict[tuple[Any, ...], float]) -> None:
    """Add the deltas to the rollup rows: existing rows read by key in bulk, then one bulk
    update and one bulk insert per table.

    Read-modify-write is safe because only the lease holder writes rollups.
    """
    rows: dict[tuple[Any, ...], dict[str, float]] = defaultdict(dict)
    for key, value in deltas.items():
        if abs(value) < 1e-9:
            continue
        if key[0] == HISTOGRAM:
            # [h, day, team, type, channel, measure, bucket] → the count column.
            rows[key]["count"] = value
        else:
            rows[key[:-1]][key[-1]] = value
    by_cube: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for key in rows:
        by_cube[key[0]].append(key)
    for cube, keys in by_cube.items():
        model, columns = CUBES[cube]
        wanted = {tuple([dt.date.fromisoformat(key[1]), *key[2:]]): rows[key] for key in keys}
        found = _existing(model, columns, sorted(wanted, key=_sort_key))
        changed: list[Any] = []
        created: list[Any] = []
        measures: set[str] = set()
        for key, changes in wanted.items():
            measures.update(changes)
            row = found.get(key)
            if row is None:
                created.append(model(**dict(zip(columns, key, strict=True)), **changes))
                continue
            for name, value in changes.items():
                setattr(row, name, getattr(row, name) + value)
            changed.append(row)
        if changed:
            model.objects.bulk_update(changed, sorted(measures), batch_size=500)
        if created:
            model.objects.bulk_create(created, batch_size=1000)


def rollups_rebuild(*, batch: int = 2000) -> int:
    """Recompute every fact and rollup from the tickets (the `analytics_rebuild` command).

    Holds the lease the whole time; the rollups are empty, then filled batch by
    batch, so dashboards read partial numbers until it finishes.
    """
    now = timezone.now()
    if not _lease(now):
        RollupState.objects.filter(pk=1).update(lease_until=None)  # an operator's explicit ask
        _lease(now)
    try:
        with transaction.atomic():
            for model in (DailyStat, DurationHistogram, CategoryStat, TicketFact, StaleTicket):
                model.objects.all().delete()
        total = 0
        last = 0
        while True:
            ids = list(
                Ticket.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            total += _refresh_batch({pk: uuid.uuid4() for pk in ids})
            last = ids[-1]
            RollupState.objects.filter(pk=1).update(lease_until=timezone.now() + LEASE)
    finally:
        _release(rebuilt_at=timezone.now(), refreshed_at=timezone.now())
    return total
