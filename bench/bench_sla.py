"""SLA speed: deadline computations per second, and recomputing every open ticket.

Usage:
    .venv/bin/python bench/bench_sla.py deadlines [--count 500000]
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_sla.py recompute [--tickets 1000000]

`deadlines` needs no database: the federal Russian calendar (decrees as
shipped) with 09:00–13:00, 14:00–18:00 hours, random starts across 2024–2027
and budgets from 15 minutes to 48 business hours, some with a 5-day cap.

`recompute` (PostgreSQL, after `opora seed_demo && opora seed_bench --tickets N`)
gives every bench ticket a running resolution clock on the default calendar
(one INSERT … SELECT, not timed), then times `sla_recompute()`: read every
running clock, compute its due and warning times, write them and the
tickets' summaries back.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django  # noqa: E402

django.setup()

from opora.sla.engine import CalendarSpec, WorkingTime, parse_hours, weekdays_week  # noqa: E402
from opora.sla.shipped import shipped_exceptions  # noqa: E402


def deadlines(count: int) -> None:
    calendar = WorkingTime(
        CalendarSpec(
            time_zone="Europe/Moscow",
            week=weekdays_week(parse_hours("09:00-13:00, 14:00-18:00")),
            country="RU",
            exceptions=shipped_exceptions("RU"),
        )
    )
    rng = random.Random(7)  # noqa: S311 -- reproducible inputs, not security
    low, high = 1704056400.0, 1830286800.0  # 2024-01-01 … 2027-12-31, Moscow
    starts = [rng.uniform(low, high) for _ in range(count)]
    budgets = [rng.choice((15, 240, 1440, 2880)) * 60.0 for _ in range(count)]
    caps = [rng.choice((None, 5 * 86400.0)) for _ in range(count)]
    calendar.add(starts[0], 60.0)  # compile the years once, outside the timing
    calendar.add(low - 86400, 60.0)
    calendar.add(high, 3 * 86400.0)
    started = time.perf_counter()
    for start, budget, cap in zip(starts, budgets, caps, strict=True):
        due = calendar.add(start, budget)
        if cap is not None and start + cap < due:
            due = start + cap
    elapsed = time.perf_counter() - started
    print(f"deadlines: {count} in {elapsed:.2f} s = {count / elapsed:,.0f} per second")
    started = time.perf_counter()
    for start, budget in zip(starts[: count // 5], budgets, strict=False):
        calendar.business_between(start, start + budget * 3)
    elapsed = time.perf_counter() - started
    print(f"business time between two instants: {count // 5 / elapsed:,.0f} per second")


def recompute(tickets: int) -> None:
    from django.db import connection

    from opora.sla.models import Calendar, Clock
    from opora.sla.services import sla_recompute
    from opora.tickets.models import Ticket

    assert connection.vendor == "postgresql", "recompute is measured on PostgreSQL"
    have = Ticket.objects.count()
    if have < tickets:
        sys.exit(f"only {have} tickets: run `opora seed_bench --tickets {tickets - have}` first")
    calendar = Calendar.objects.get(is_default=True)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sla_clockevent")
        cursor.execute("DELETE FROM sla_clock")
        # Every bench ticket becomes open with a running 24-business-hour resolution clock.
        cursor.execute(
            """
            WITH chosen AS (SELECT id FROM tickets_ticket ORDER BY id DESC LIMIT %s)
            UPDATE tickets_ticket SET status = 'open' WHERE id IN (SELECT id FROM chosen)
            """,
            [tickets],
        )
        cursor.execute(
            """
            INSERT INTO sla_clock (ticket_id, kind, minutes, clock, calendar_id, cap_days,
                warn_percent, state, started_at, run_started_at, consumed, consumed_calendar)
            SELECT id, 'resolution', 1440, 'business', %s, 5, 80, 'running',
                created_at, created_at, 0, 0
            FROM tickets_ticket WHERE status = 'open' ORDER BY id DESC LIMIT %s
            """,
            [calendar.pk, tickets],
        )
        cursor.execute("ANALYZE sla_clock")
    clocks = Clock.objects.filter(state="running").count()
    started = time.perf_counter()
    updated = sla_recompute(workers=2)
    elapsed = time.perf_counter() - started
    print(f"recompute: {updated} running clocks on {clocks} open tickets in {elapsed:.1f} s")
    print(f"          = {updated / elapsed:,.0f} clocks per second")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["deadlines", "recompute"], nargs="?", default="deadlines")
    parser.add_argument("--count", type=int, default=500_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    print(
        f"{platform.node()} · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} cores · Python {platform.python_version()}"
    )
    if args.what == "deadlines":
        deadlines(args.count)
    else:
        recompute(args.tickets)


if __name__ == "__main__":
    main()
