import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opora.tickets.bench_data import seed_bench


class Command(BaseCommand):
    help = "Add N realistic tickets (with messages and history) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, required=True)
        parser.add_argument("--clients", type=int, default=400)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_bench refuses to run with OPORA_ENV=production.")
        if options["tickets"] < 1:
            raise CommandError("--tickets must be at least 1.")
        started = time.monotonic()

        def progress(done: int) -> None:
            if done % 50000 == 0 or done == options["tickets"]:
                self.stdout.write(f"{done} tickets, {time.monotonic() - started:.0f} s")

        made = seed_bench(
            tickets=options["tickets"],
            clients=options["clients"],
            seed=options["seed"],
            progress=progress,
        )
        self.stdout.write(
            self.style.SUCCESS(f"Added {made} tickets in {time.monotonic() - started:.1f} s")
        )
