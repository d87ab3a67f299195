"""What every polled source (a mailbox, a Telegram bot) shares: one poller at a time,
and the outcome of each poll recorded on the source, never raised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from opora.channels.models import PolledSource

# A poller holds its source this long; a crashed one's lease simply expires.
POLL_LEASE = dt.timedelta(minutes=10)


@dataclass
class PollResult:
    fetched: int = 0
    too_large: int = 0
    error: str = ""
    busy: bool = False
    statuses: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> None:
        self.fetched += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def summary(self) -> str:
        """One line for the poll commands: «fetched 3, imported 2, ignored 1»."""
        parts = [f"fetched {self.fetched}"]
        if self.too_large:
            parts.append(f"too large {self.too_large}")
        parts += [f"{status} {n}" for status, n in sorted(self.statuses.items())]
        line = ", ".join(parts)
        if self.busy:
            line += " (another poll is running; --break-lease after a crash)"
        if self.error:
            line += f"; error: {self.error}"
        return line


def poll_lease(source: PolledSource, *, now: dt.datetime | None = None) -> bool:
    """Take the source for this poller (conditional UPDATE); False if another holds it."""
    now = now or timezone.now()
    return bool(
        type(source)
        ._default_manager.filter(pk=source.pk)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_lease_until=now + POLL_LEASE)
    )


def poll_finish(source: PolledSource, result: PollResult) -> None:
    """Release the lease and record the poll: its error, or that it went well."""
    now = timezone.now()
    fields: dict[str, object] = {"poll_lease_until": None, "last_polled_at": now}
    if result.error:
        fields.update(last_error=result.error, last_error_at=now)
    else:
        fields["last_error"] = ""
    type(source)._default_manager.filter(pk=source.pk).update(**fields)
