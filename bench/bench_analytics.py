"""Server time of the dashboards and reports for a one-year period, and rollup upkeep.

Usage (after `opora analytics_history --tickets 1000000 --days 730` on the same
DATABASE_URL, which also rebuilds the rollups):
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_analytics.py [--runs 30]

Requests go through the whole Django stack via the test client (server time
without the network). Upkeep: random tickets are marked changed and one
refresh is timed — the rate must beat 100 ticket changes per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from opora.accounts.models import User  # noqa: E402
from opora.analytics.facts import company_today  # noqa: E402
from opora.analytics.models import DailyStat, TicketFact  # noqa: E402
from opora.analytics.reports import MONTHLY, last_complete  # noqa: E402
from opora.analytics.rollups import rollups_refresh, tickets_stale  # noqa: E402
from opora.tickets.models import Ticket  # noqa: E402


def measure(client: Client, path: str, runs: int) -> tuple[float, float]:
    client.get(path)  # warm caches and connections
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--changes", type=int, default=5000)
    args = parser.parse_args()

    head = User.objects.filter(role=User.Role.HEAD, is_active=True).order_by("pk").first()
    assert head is not None, "run `opora seed_demo` and `opora analytics_history` first"
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(head, backend="django.contrib.auth.backends.ModelBackend")
    end = company_today() - dt.timedelta(days=1)
    year = f"period=custom&start={end - dt.timedelta(days=364)}&end={end}"
    month = last_complete(MONTHLY).isoformat()
    cases = [
        ("operations now", "/analytics/operations/"),
        ("traffic and SLA, 1 year", f"/analytics/traffic/?{year}"),
        ("team, 1 year", f"/analytics/team/?{year}"),
        ("quality, 1 year", f"/analytics/quality/?{year}"),
        ("reasons, 1 year", f"/analytics/reasons/?{year}"),
        ("traffic, 1 year, one queue", f"/analytics/traffic/?{year}&team=1"),
        ("monthly report (page)", f"/analytics/reports/monthly/?start={month}"),
        ("weekly report (page)", "/analytics/reports/weekly/"),
    ]
    tickets = Ticket.objects.count()
    print(
        f"{connection.vendor}, {tickets} tickets, {TicketFact.objects.count()} facts, "
        f"{DailyStat.objects.count()} daily rollup rows, {args.runs} runs each, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )
    print(f"{'case':<32} {'p50 ms':>8} {'p95 ms':>8}")
    for name, path in cases:
        p50, p95 = measure(client, path, args.runs)
        print(f"{name:<32} {p50:8.1f} {p95:8.1f}")

    started = time.perf_counter()
    response = client.get(f"/analytics/reports/monthly/?start={month}&format=pdf")
    assert response.status_code == 200
    print(f"{'monthly report (PDF)':<32} {(time.perf_counter() - started) * 1000:8.1f}")

    ids = list(Ticket.objects.values_list("pk", flat=True))
    changed = random.Random(7).sample(ids, min(args.changes, len(ids)))  # noqa: S311
    tickets_stale(changed)
    started = time.perf_counter()
    result = rollups_refresh()
    seconds = time.perf_counter() - started
    print(
        f"rollup upkeep: {result.refreshed} changed tickets in {seconds:.1f} s = "
        f"{result.refreshed / seconds:.0f} changes/s (target ≥ 100)"
    )


if __name__ == "__main__":
    main()
