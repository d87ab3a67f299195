from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from opora.accounts.demo import DEMO_PASSWORD, seed_accounts
from opora.channels.demo import seed_channels
from opora.clients.demo import seed_clients
from opora.tickets.demo import seed_tickets


class Command(BaseCommand):
    help = "Load the demo company (Russian data). Safe to run again: nothing is duplicated."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with OPORA_ENV=production.")
        with translation.override("ru"):
            logins = seed_accounts()
            tickets = seed_tickets(seed_clients())
            seed_channels()
        self.stdout.write(
            self.style.SUCCESS(f"Демо-компания готова / demo company ready: {tickets} tickets.")
        )
        self.stdout.write(f"Пароль для всех / password for all: {DEMO_PASSWORD}")
        for email, name, role in logins:
            self.stdout.write(f"  {email:<24} {name:<20} {role}")
