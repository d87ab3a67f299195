"""Server time of the ticket queue and ticket page, measured in-process.

Usage (after `opora seed_bench --tickets 1000000` on the same DATABASE_URL):
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_queue.py [--runs 60]

Requests go through the whole Django stack (middleware, auth, templates) via
the test client, so the numbers are server time without the network.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from opora.accounts.models import Team, User  # noqa: E402
from opora.tickets.models import Ticket  # noqa: E402


def measure(client: Client, path: str, params: dict[str, str], runs: int) -> tuple[float, float]:
    client.get(path, params)  # warm caches and connections
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()

    operator = User.objects.filter(role=User.Role.OPERATOR).order_by("pk").first()
    assert operator is not None, "run `opora seed_demo` first"
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    team = Team.objects.order_by("pk").first()
    assert team is not None
    total = Ticket.objects.count()
    middle = Ticket.objects.order_by("pk").values_list("pk", flat=True)[total // 2]
    sample = Ticket.objects.filter(pk__lte=middle).order_by("-pk").first()
    assert sample is not None

    cases = [
        ("queue: active, first page", "/tickets/", {}),
        ("queue: one team, open", "/tickets/", {"team": str(team.pk), "status": "open"}),
        ("queue: mine, active", "/tickets/", {"assignee": "me"}),
        ("queue: all statuses, deep page", "/tickets/", {"status": "all", "before": str(middle)}),
        ("queue: search by number", "/tickets/", {"q": sample.reference, "status": "all"}),
        ("ticket page", f"/tickets/{sample.reference}/", {}),
    ]
    print(
        f"{connection.vendor}, {total} tickets, {args.runs} runs each, {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )
    print(f"{'case':<34} {'p50 ms':>8} {'p95 ms':>8}")
    for name, path, params in cases:
        p50, p95 = measure(client, path, params, args.runs)
        print(f"{name:<34} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
