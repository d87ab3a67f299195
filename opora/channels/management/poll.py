"""The shape every «poll now» command shares: one source by name, or all active ones."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opora.channels.polling import PollResult


class PollCommand(BaseCommand):
    """`--<option> NAME` or every active source; `--break-lease` after a crashed poller."""

    model: ClassVar[Any]  # a PolledSource with `named(name)` and `is_active`
    option: ClassVar[str]
    option_help: ClassVar[str]
    noun: ClassVar[str]  # «mailbox», «Telegram bot»: for the error messages
    plural: ClassVar[str]

    def poll(self, source: Any) -> PollResult:
        raise NotImplementedError

    def label(self, source: Any) -> str:
        return str(source)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(f"--{self.option}", help=self.option_help)
        parser.add_argument(
            "--break-lease",
            action="store_true",
            help="take over from a poller that crashed (its lease would otherwise last 10 minutes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sources = self.model.objects.filter(is_active=True)
        if options[self.option]:
            name = options[self.option]
            sources = self.model.named(name)
            if not sources.exists():
                raise CommandError(f"no {self.noun} named {name!r}")
        failed = False
        for source in sources:
            if options["break_lease"]:
                self.model.objects.filter(pk=source.pk).update(poll_lease_until=None)
            result = self.poll(source)
            failed = failed or bool(result.error)
            self.stdout.write(f"{self.label(source)}: {result.summary()}")
        if failed:
            raise CommandError(f"some {self.plural} could not be checked")
