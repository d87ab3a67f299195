"""Recompute every ticket's facts and all rollups from scratch."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from opora.analytics.rollups import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the analytics rollups from the tickets (after a restore, a calendar "
        "change, or to prove they are right): opora analytics_rebuild"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        total = rollups_rebuild()
        self.stdout.write(f"rebuilt from {total} tickets in {time.monotonic() - started:.1f} s")
