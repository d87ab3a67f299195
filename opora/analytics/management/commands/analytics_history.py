"""Write a realistic ticket history (demo, benchmarks), then rebuild the analytics rollups."""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opora.analytics.history import history_generate
from opora.analytics.rollups import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Add past tickets with replies, SLA clocks and CSAT for the dashboards (demo and "
        "benchmark data): opora analytics_history --tickets 100000 --days 730"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tickets", type=int, required=True, help="how many tickets")
        parser.add_argument("--days", type=int, default=365, help="over how many days")
        parser.add_argument("--seed", type=int, default=7, help="the same seed, the same history")
        parser.add_argument(
            "--end",
            type=dt.date.fromisoformat,
            default=None,
            help="the last day (YYYY-MM-DD); default yesterday",
        )
        parser.add_argument(
            "--no-rebuild",
            action="store_true",
            help="leave the rollups to the scheduled refresh (the tickets are marked stale)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("analytics_history refuses to run with OPORA_ENV=production.")
        total, days = options["tickets"], options["days"]
        if total <= 0 or days <= 0:
            raise CommandError("--tickets and --days must be positive.")
        started = time.monotonic()
        step = max(total // 20, 1)
        shown = [0]

        def progress(made: int) -> None:
            if made - shown[0] >= step or made == total:
                shown[0] = made
                elapsed = time.monotonic() - started
                self.stdout.write(
                    f"  {made:>12,} / {total:,} tickets  {elapsed:7.1f} s  "
                    f"{made / max(elapsed, 1e-9):,.0f}/s"
                )

        made = history_generate(
            tickets=total, days=days, seed=options["seed"], end=options["end"], progress=progress
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"history: {made:,} tickets over {days} days in {elapsed:.1f} s "
            f"({made / max(elapsed, 1e-9):,.0f} tickets/s)"
        )
        if options["no_rebuild"]:
            return
        started = time.monotonic()
        rebuilt = rollups_rebuild()
        self.stdout.write(
            f"rollups rebuilt from {rebuilt:,} tickets in {time.monotonic() - started:.1f} s"
        )
