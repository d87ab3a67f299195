from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from opora.accounts.demo import DEMO_PASSWORD, seed_accounts
from opora.analytics.history import history_generate
from opora.analytics.rollups import rollups_rebuild
from opora.channels.demo import seed_channels
from opora.clients.demo import seed_clients
from opora.knowledge.demo import seed_knowledge
from opora.quality.demo import seed_quality
from opora.quality.surveys.demo import demo_csat_link
from opora.tickets.demo import seed_tickets
from opora.tickets.models import Ticket

# Half a year of a believable department behind the demo, so the dashboards have a past.
HISTORY_TICKETS = 4500
HISTORY_DAYS = 180


class Command(BaseCommand):
    help = "Load the demo company (Russian data). Safe to run again: nothing is duplicated."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--history",
            type=int,
            default=HISTORY_TICKETS,
            help=f"past tickets for the dashboards over {HISTORY_DAYS} days (0: none)",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="where the demo is served, for the links printed at the end",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with OPORA_ENV=production.")
        with translation.override("ru"):
            logins = seed_accounts()
            # Only a new demo gets its past: running again adds no history.
            fresh = not Ticket.objects.exists()
            seed_tickets(seed_clients())
            seed_channels()
            seed_knowledge()
            history = fresh and options["history"] > 0
            if history:
                history_generate(tickets=options["history"], days=HISTORY_DAYS)
            seed_quality()
            if history:
                rollups_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Демо-компания готова / demo company ready: {Ticket.objects.count()} tickets."
            )
        )
        self.stdout.write(f"Пароль для всех / password for all: {DEMO_PASSWORD}")
        for email, name, role in logins:
            self.stdout.write(f"  {email:<24} {name:<20} {role}")
        link = demo_csat_link()
        if link:
            self.stdout.write(
                f"Оценка клиента в один клик / a client's one-click rating: {options['base_url']}{link}"
            )
