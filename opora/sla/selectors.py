"""Reading SLA state: a ticket's clocks as the panel shows them, and the ledger.

The ledger is rebuilt from the clock's own events and the calendar: every
stretch of time between the start and now (or the stop) is either counted
working time, or not counted with the reason — paused (waiting on the
client), outside business hours, weekend, holiday or day off (with the
holiday's name), resolved. So any deadline can be explained line by line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.sla.engine import WorkingTime
from opora.sla.models import Clock, ClockEvent, Target
from opora.sla.services import clock_working_time, duration, holiday_language
from opora.tickets.models import Ticket

# The order the panel lists targets in.
KIND_ORDER: dict[str, int] = {
    Target.Kind.FIRST_RESPONSE: 0,
    Target.Kind.NEXT_RESPONSE: 1,
    Target.Kind.RESOLUTION: 2,
}
RUN_STARTS = {ClockEvent.Kind.STARTED, ClockEvent.Kind.RESUMED, ClockEvent.Kind.REOPENED}
RUN_STOPS = {ClockEvent.Kind.PAUSED, ClockEvent.Kind.MET, ClockEvent.Kind.CANCELLED}


class ClockState:
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    MET_LATE = "met_late"
    PAUSED = "paused"
    CANCELLED = "cancelled"


STATE_LABELS = {
    ClockState.ON_TRACK: gettext_lazy("on track"),
    ClockState.AT_RISK: gettext_lazy("at risk"),
    ClockState.BREACHED: gettext_lazy("breached"),
    ClockState.MET: gettext_lazy("met"),
    ClockState.MET_LATE: gettext_lazy("met late"),
    ClockState.PAUSED: gettext_lazy("paused"),
    ClockState.CANCELLED: gettext_lazy("cancelled"),
}


def clock_state(clock: Clock, now: dt.datetime) -> str:
    if clock.state == Clock.State.CANCELLED:
        return ClockState.CANCELLED
    if clock.state == Clock.State.MET:
        return ClockState.MET_LATE if clock.breached_at else ClockState.MET
    if clock.breached_at is not None:
        return ClockState.BREACHED
    if clock.state == Clock.State.PAUSED:
        return ClockState.PAUSED
    if clock.due_at is not None and clock.due_at <= now:
        return ClockState.BREACHED
    if clock.warn_at is not None and clock.warn_at <= now:
        return ClockState.AT_RISK
    return ClockState.ON_TRACK


@dataclass
class LedgerLine:
    kind: str  # working, paused, outside_hours, weekend, holiday, day_off, event
    start: dt.datetime
    end: dt.datetime | None = None
    seconds: float = 0.0
    note: str = ""

    @property
    def counted(self) -> bool:
        return self.kind == "working"

    @property
    def label(self) -> str:
        return str(LINE_LABELS.get(self.kind, self.kind))

    @property
    def length(self) -> str:
        return duration(self.seconds, days=not self.counted)


LINE_LABELS = {
    "working": gettext_lazy("counted"),
    "paused": gettext_lazy("paused — waiting on the client"),
    "outside_hours": gettext_lazy("outside business hours"),
    "weekend": gettext_lazy("weekend"),
    "holiday": gettext_lazy("holiday"),
    "day_off": gettext_lazy("day off"),
    "idle": gettext_lazy("not running"),
}


@dataclass
class ClockView:
    clock: Clock
    state: str
    used: float  # business (or 24×7) seconds counted so far
    ledger: list[LedgerLine] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def used_text(self) -> str:
        return duration(self.used, days=False)

    @property
    def budget_text(self) -> str:
        return duration(self.clock.budget, days=False)

    @property
    def left(self) -> float:
        return max(self.clock.budget - self.used, 0.0)

    @property
    def verdict(self) -> str:
        clock = self.clock
        if self.state in (ClockState.MET, ClockState.MET_LATE) and clock.met_at:
            if clock.breached_at:
                return _("Met at %(met)s, after the deadline of %(due)s.") % {
                    "met": _when(clock.met_at),
                    "due": _when(clock.breached_at),
                }
            return _("Met at %(met)s with %(left)s of the budget to spare.") % {
                "met": _when(clock.met_at),
                "left": duration(self.left, days=False),
            }
        if self.state == ClockState.BREACHED:
            due = clock.breached_at or clock.due_at
            when = _when(due) if due else "—"
            if clock.cap_days and self.used < clock.budget - 60:
                return _("The cap of %(days)s calendar days ran out at %(due)s.") % {
                    "days": clock.cap_days,
                    "due": when,
                }
            return _("The budget ran out at %(due)s.") % {"due": when}
        if self.state == ClockState.PAUSED:
            return _("Paused with %(left)s of the budget left.") % {
                "left": duration(self.left, days=False)
            }
        if self.state == ClockState.CANCELLED:
            return _("No longer counted.")
        return _("%(used)s of %(budget)s used; due at %(due)s.") % {
            "used": duration(self.used, days=False),
            "budget": duration(clock.budget, days=False),
            "due": _when(clock.due_at) if clock.due_at else "—",
        }


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def ticket_clocks(
    ticket: Ticket, *, now: dt.datetime | None = None, ledger: bool = True
) -> list[ClockView]:
    """The ticket's clocks in panel order, with state, time used and (optionally) the ledger."""
    now = now or timezone.now()
    clocks = sorted(
        Clock.objects.filter(ticket=ticket)
        .select_related("policy", "calendar")
        .prefetch_related("events"),
        key=lambda c: KIND_ORDER.get(c.kind, 9),
    )
    views = []
    for clock in clocks:
        hours = clock_working_time(clock)
        lines = clock_ledger(clock, now=now, hours=hours) if ledger else []
        used = clock.consumed
        if clock.state == Clock.State.RUNNING and clock.run_started_at is not None:
            used += hours.business_seconds(clock.run_started_at, now)
        views.append(ClockView(clock=clock, state=clock_state(clock, now), used=used, ledger=lines))
    return views


def clock_ledger(
    clock: Clock, *, now: dt.datetime | None = None, hours: WorkingTime | None = None
) -> list[LedgerLine]:
    """Every stretch from the clock's start to now (or its stop), and every event, in order."""
    now = now or timezone.now()
    hours = hours or clock_working_time(clock)
    language = holiday_language()
    lines: list[LedgerLine] = []
    run_start: dt.datetime | None = None
    idle_start: dt.datetime | None = None
    idle_kind = "paused"
    for event in clock.events.all():
        if event.kind in RUN_STARTS and run_start is None:
            if idle_start is not None and event.at > idle_start:
                lines.append(_idle(idle_kind, idle_start, event.at))
            idle_start = None
            run_start = event.at
        elif event.kind in RUN_STOPS and run_start is not None:
            lines.extend(_run(hours, run_start, event.at, language))
            run_start = None
            idle_start = event.at
            idle_kind = "paused" if event.kind == ClockEvent.Kind.PAUSED else "idle"
        elif event.kind == ClockEvent.Kind.RETARGETED and run_start is not None:
            # Split the run so the line before shows what counted under the old target.
            lines.extend(_run(hours, run_start, event.at, language))
            run_start = event.at
        lines.append(LedgerLine(kind="event", start=event.at, note=_event_text(event)))
    if run_start is not None and now > run_start:
        lines.extend(_run(hours, run_start, now, language))
    elif idle_start is not None and idle_kind == "paused" and now > idle_start:
        lines.append(_idle("paused", idle_start, now))
    lines.sort(key=lambda line: (line.start, line.kind != "event"))
    return lines


def _event_text(event: ClockEvent) -> str:
    text = str(event.get_kind_display())
    return f"{text}: {event.note}" if event.note else text


def _idle(kind: str, start: dt.datetime, end: dt.datetime) -> LedgerLine:
    return LedgerLine(kind=kind, start=start, end=end, seconds=(end - start).total_seconds())


def _run(
    hours: WorkingTime, start: dt.datetime, end: dt.datetime, language: str
) -> list[LedgerLine]:
    return [
        LedgerLine(
            kind=segment.kind,
            start=dt.datetime.fromtimestamp(segment.start, dt.UTC),
            end=dt.datetime.fromtimestamp(segment.end, dt.UTC),
            seconds=segment.seconds,
            note=segment.note,
        )
        for segment in hours.explain(start.timestamp(), end.timestamp(), language)
    ]


def ticket_sla_state(ticket: Ticket, now: dt.datetime) -> str:
    """The queue's SLA state of a ticket, from its summary columns (no clock query).

    It follows the nearest running deadline; a target breached earlier (say a
    late first response) shows separately through `ticket.sla_breached`.
    """
    if ticket.sla_due_at is not None:
        if ticket.sla_due_at <= now:
            return ClockState.BREACHED
        if ticket.sla_warn_at is not None and ticket.sla_warn_at <= now:
            return ClockState.AT_RISK
        return ClockState.ON_TRACK
    if ticket.sla_paused:
        return ClockState.PAUSED
    return ClockState.BREACHED if ticket.sla_breached else ""


def sla_queue_filter(state: str, now: dt.datetime) -> Q | None:
    """The queue filter for one SLA state (None for an unknown state: no filter).

    «Breached» lists every ticket with a breach, running or already recorded.
    """
    return {
        ClockState.BREACHED: Q(sla_breached=True) | Q(sla_due_at__lte=now),
        ClockState.AT_RISK: Q(sla_due_at__gt=now, sla_warn_at__lte=now),
        ClockState.ON_TRACK: Q(sla_warn_at__gt=now),
        ClockState.PAUSED: Q(sla_paused=True),
    }.get(state)


QUEUE_STATES = (ClockState.BREACHED, ClockState.AT_RISK, ClockState.ON_TRACK, ClockState.PAUSED)
