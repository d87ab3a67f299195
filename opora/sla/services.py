"""SLA clocks on tickets: start, pause, resume, meet, retarget, warn, breach, recompute.

The tickets app calls the `sla_ticket_*` hooks inside its own transactions,
with the ticket row locked; nothing here commits on its own. The clock
rules (also in README «SLA»):

- clocks start when the ticket is created: first response and resolution;
  a next-response clock starts on each client message after the first reply;
- «waiting on client» pauses the resolution clock; the client's reply (or
  an operator moving the ticket back) resumes it;
- a public reply meets the response clocks; resolving meets all clocks;
- a reopened ticket (client wrote after «resolved») resumes its resolution
  clock where it stopped: the time it sat resolved does not count;
- closing, merging into another ticket or marking spam cancels what runs;
- a change of type, priority, channel or client re-matches the policy: the
  consumed time stays, the budget changes, and the ledger says so; a target
  that did not apply before starts when it starts to apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from opora.sla.engine import (
    CalendarSpec,
    DayException,
    ExceptionKind,
    WorkingTime,
    check_intervals,
    compile_calendar,
    parse_hours,
)
from opora.sla.models import Calendar, Clock, ClockEvent, Policy, Target
from opora.tickets.models import Ticket

ROUND_THE_CLOCK = WorkingTime(CalendarSpec.round_the_clock())
ACTIVE_STATES = (Clock.State.RUNNING, Clock.State.PAUSED)
RESPONSE_KINDS = (Target.Kind.FIRST_RESPONSE, Target.Kind.NEXT_RESPONSE)


# --- Calendars → working time -------------------------------------------------


def week_from_json(
    week: Sequence[Sequence[Sequence[str]]],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The stored weekly hours ([["09:00", "18:00"]] per weekday) as engine intervals."""
    days = []
    for day in week:
        days.append(check_intervals([parse_hours(f"{start}-{end}")[0] for start, end in day]))
    return tuple(days)


def holiday_language() -> str:
    """The `holidays` package's language for holiday names in the active UI language."""
    return "ru" if (get_language() or "ru").startswith("ru") else "en_US"


def calendar_spec(calendar: Calendar) -> CalendarSpec:
    """Walk the `parent` chain: own hours and zone, nearest country, exceptions child-first."""
    if calendar.is_round_the_clock:
        return CalendarSpec.round_the_clock()
    exceptions: dict[dt.date, DayException] = {}
    country = ""
    node: Calendar | None = calendar
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        country = country or node.country
        for row in node.exceptions.all():
            exceptions.setdefault(
                row.date, DayException(ExceptionKind(row.kind), row.shorter_by_minutes, row.note)
            )
        node = node.parent
    return CalendarSpec(
        time_zone=calendar.time_zone,
        week=week_from_json(calendar.week),
        country=country.upper(),
        exceptions=tuple(sorted(exceptions.items())),
    )


_compiled: dict[int, tuple[tuple[int, dt.datetime], WorkingTime]] = {}


def working_time(calendar_id: int | None) -> WorkingTime:
    """The compiled working time of a calendar, cached per process by (id, version, updated).

    `updated_at` joins the key so a re-used id (a rolled-back test, a restored
    backup) never finds another calendar's hours.
    """
    if calendar_id is None:
        return ROUND_THE_CLOCK
    cached = _compiled.get(calendar_id)
    stamp = Calendar.objects.filter(pk=calendar_id).values_list("version", "updated_at").first()
    if stamp is None:
        return ROUND_THE_CLOCK
    if cached and cached[0] == stamp:
        return cached[1]
    calendar = Calendar.objects.select_related("parent").get(pk=calendar_id)
    compiled = compile_calendar(calendar_spec(calendar))
    _compiled[calendar_id] = (stamp, compiled)
    return compiled


def calendar_touch(calendar: Calendar) -> list[int]:
    """Bump the version of a calendar and every calendar extending it; returns their ids."""
    ids = [calendar.pk]
    frontier = [calendar.pk]
    while frontier:
        frontier = list(
            Calendar.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        ids.extend(pk for pk in frontier if pk not in ids)
    Calendar.objects.filter(pk__in=ids).update(version=F("version") + 1)
    return ids


def default_calendar_id_any() -> int | None:
    """The default calendar (for questions not about one ticket)."""
    return Calendar.objects.filter(is_default=True).values_list("pk", flat=True).first()


def default_calendar_id(ticket: Ticket) -> int | None:
    """The queue's calendar if it has one, else the default calendar."""
    if ticket.team_id is not None:
        own = Calendar.objects.filter(teams=ticket.team_id).values_list("pk", flat=True).first()
        if own is not None:
            return own
    return default_calendar_id_any()


# --- Policies -------------------------------------------------------------------


@dataclass(frozen=True)
class TicketTraits:
    """What policies match on."""

    type_id: int
    priority: str
    channel: str
    support_plan: str

    @classmethod
    def of(cls, ticket: Ticket) -> TicketTraits:
        plan = ticket.client.support_plan if ticket.client_id and ticket.client else ""
        return cls(ticket.type_id, ticket.priority, ticket.channel, plan)


def policy_matches(policy: Policy, traits: TicketTraits, type_ids: Iterable[int]) -> bool:
    type_ids = set(type_ids)
    return (
        (not type_ids or traits.type_id in type_ids)
        and (not policy.priorities or traits.priority in policy.priorities)
        and (not policy.channels or traits.channel in policy.channels)
        and (not policy.support_plans or traits.support_plan in policy.support_plans)
    )


def active_policies() -> list[tuple[Policy, set[int], dict[str, Target]]]:
    """Active policies in order, each with its type ids and targets by kind (3 queries)."""
    policies = Policy.objects.filter(is_active=True).prefetch_related("ticket_types", "targets")
    return [
        (
            policy,
            {t.pk for t in policy.ticket_types.all()},
            {target.kind: target for target in policy.targets.all()},
        )
        for policy in policies
    ]


def policy_for(
    traits: TicketTraits, policies: list[tuple[Policy, set[int], dict[str, Target]]] | None = None
) -> tuple[Policy | None, dict[str, Target]]:
    """The first matching active policy and its targets, or (None, {})."""
    for policy, type_ids, targets in policies if policies is not None else active_policies():
        if policy_matches(policy, traits, type_ids):
            return policy, targets
    return None, {}


# --- Clock arithmetic -----------------------------------------------------------


def clock_working_time(clock: Clock) -> WorkingTime:
    if clock.clock == Target.Clock.ROUND_THE_CLOCK:
        return ROUND_THE_CLOCK
    return working_time(clock.calendar_id)


def _from_ts(value: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, dt.UTC)


def clock_schedule(
    clock: Clock, hours: WorkingTime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """(due_at, warn_at) of a running clock: the budget left from its run start, capped."""
    assert clock.run_started_at is not None  # noqa: S101 -- only running clocks have a schedule
    hours = hours or clock_working_time(clock)
    start = clock.run_started_at.timestamp()
    left = max(clock.budget - clock.consumed, 0.0)
    warn_left = max(clock.budget * clock.warn_percent / 100 - clock.consumed, 0.0)
    due = hours.add(start, left)
    warn = hours.add(start, warn_left) if warn_left < left else due
    if clock.cap_days:
        cap = clock.cap_days * 86400.0
        due = min(due, start + max(cap - clock.consumed_calendar, 0.0))
        warn = min(warn, start + max(cap * clock.warn_percent / 100 - clock.consumed_calendar, 0.0))
    return _from_ts(due), _from_ts(min(warn, due))


def _run(clock: Clock, now: dt.datetime) -> None:
    clock.state = Clock.State.RUNNING
    clock.run_started_at = now
    clock.due_at, clock.warn_at = clock_schedule(clock)


def _stop_run(clock: Clock, now: dt.datetime) -> None:
    """Fold the current run into the consumed totals (a pause or a stop)."""
    if clock.state == Clock.State.RUNNING and clock.run_started_at is not None:
        clock.consumed += clock_working_time(clock).business_seconds(clock.run_started_at, now)
        clock.consumed_calendar += max((now - clock.run_started_at).total_seconds(), 0.0)
        if clock.due_at is not None and clock.breached_at is None and now > clock.due_at:
            # The worker had not come round yet: the breach happened at due time.
            clock.breached_at = clock.due_at
            _log(clock, ClockEvent.Kind.BREACHED, clock.due_at)
    clock.run_started_at = None
    clock.due_at = None
    clock.warn_at = None


def _log(clock: Clock, kind: str, at: dt.datetime, note: str = "") -> None:
    ClockEvent.objects.create(clock=clock, kind=kind, at=at, note=note[:250])


def duration(seconds: float, *, days: bool = True) -> str:
    """«4 h 05 min», «15 min», «2 d 3 h»; business budgets read in hours (days=False)."""
    minutes = round(seconds / 60)
    whole_days, rest = divmod(minutes, 24 * 60) if days else (0, minutes)
    hours, minutes = divmod(rest, 60)
    if whole_days:
        if hours:
            return _("%(d)s d %(h)s h") % {"d": whole_days, "h": hours}
        return _("%(d)s d") % {"d": whole_days}
    if hours:
        if minutes:
            return _("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": minutes}


def _describe(target: Target | Clock) -> str:
    clock = _("business hours") if target.clock == Target.Clock.BUSINESS else _("24×7")
    text = _("%(budget)s, %(clock)s") % {
        "budget": duration(target.minutes * 60, days=False),
        "clock": clock,
    }
    if target.cap_days:
        text += ", " + _("at most %(days)s calendar days") % {"days": target.cap_days}
    return text


def _apply_target(clock: Clock, policy: Policy, target: Target, calendar_id: int | None) -> None:
    clock.policy = policy
    clock.minutes = target.minutes
    clock.clock = target.clock
    clock.calendar_id = calendar_id if target.clock == Target.Clock.BUSINESS else None
    clock.cap_days = target.cap_days
    clock.warn_percent = policy.warn_percent


def _start_clock(
    ticket: Ticket, kind: str, policy: Policy, target: Target, now: dt.datetime, note: str = ""
) -> Clock:
    """Start (or start afresh) the ticket's clock of this kind from `now`."""
    clock = Clock.objects.filter(ticket=ticket, kind=kind).first() or Clock(
        ticket=ticket, kind=kind
    )
    clock.started_at = now
    clock.consumed = clock.consumed_calendar = 0.0
    clock.met_at = clock.breached_at = clock.warned_at = None
    _apply_target(clock, policy, target, policy.calendar_id or default_calendar_id(ticket))
    if ticket.status == Ticket.Status.PENDING and kind == Target.Kind.RESOLUTION:
        clock.state = Clock.State.PAUSED
        clock.run_started_at = clock.due_at = clock.warn_at = None
    else:
        _run(clock, now)
    clock.save()
    _log(clock, ClockEvent.Kind.STARTED, now, note or f"{policy.name}: {_describe(target)}")
    return clock


def ticket_summary_refresh(ticket: Ticket, clocks: Sequence[Clock] | None = None) -> None:
    """Recompute the ticket's SLA summary columns from its clocks and save them."""
    if clocks is None:
        clocks = list(Clock.objects.filter(ticket=ticket))
    running = [c for c in clocks if c.state == Clock.State.RUNNING]
    ticket.sla_due_at = min((c.due_at for c in running if c.due_at), default=None)
    ticket.sla_warn_at = min((c.warn_at for c in running if c.warn_at), default=None)
    ticket.sla_paused = not running and any(c.state == Clock.State.PAUSED for c in clocks)
    ticket.sla_breached = any(c.breached_at is not None for c in clocks)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_due_at=ticket.sla_due_at,
        sla_warn_at=ticket.sla_warn_at,
        sla_paused=ticket.sla_paused,
        sla_breached=ticket.sla_breached,
    )


# --- Hooks the tickets app calls ----------------------------------------------------


def sla_ticket_started(*, ticket: Ticket, now: dt.datetime | None = None) -> list[Clock]:
    """Start the first-response and resolution clocks of a new ticket."""
    now = now or ticket.created_at or timezone.now()
    policy, targets = policy_for(TicketTraits.of(ticket))
    clocks = []
    if policy is not None:
        for kind in (Target.Kind.FIRST_RESPONSE, Target.Kind.RESOLUTION):
            if kind in targets:
                clocks.append(_start_clock(ticket, kind, policy, targets[kind], now))
    ticket_summary_refresh(ticket, clocks)
    return clocks


def _clocks_of(ticket: Ticket) -> list[Clock]:
    return list(Clock.objects.filter(ticket=ticket).order_by("pk"))


def _meet(clock: Clock, now: dt.datetime, note: str = "") -> None:
    _stop_run(clock, now)
    clock.state = Clock.State.MET
    clock.met_at = now
    _log(clock, ClockEvent.Kind.MET, now, note)


def sla_ticket_replied(*, ticket: Ticket, now: dt.datetime | None = None) -> None:
    """A public reply: the first-response and next-response clocks are met."""
    now = now or timezone.now()
    clocks = _clocks_of(ticket)
    for clock in clocks:
        if clock.kind in RESPONSE_KINDS and clock.state in ACTIVE_STATES:
            _meet(clock, now)
            clock.save()
    ticket_summary_refresh(ticket, clocks)


def sla_client_wrote(*, ticket: Ticket, now: dt.datetime | None = None) -> None:
    """A client message after a reply starts the next-response clock (once at a time)."""
    now = now or timezone.now()
    if ticket.first_responded_at is None:
        return  # the first-response clock still covers it
    policy, targets = policy_for(TicketTraits.of(ticket))
    target = targets.get(Target.Kind.NEXT_RESPONSE)
    if policy is None or target is None:
        return
    running = Clock.objects.filter(
        ticket=ticket, kind=Target.Kind.NEXT_RESPONSE, state__in=ACTIVE_STATES
    ).exists()
    if not running:
        # A fresh promise per unanswered client message: the budget starts again.
        _start_clock(ticket, Target.Kind.NEXT_RESPONSE, policy, target, now)
    ticket_summary_refresh(ticket)


def sla_ticket_changed(
    *, ticket: Ticket, old: dict[str, Any], now: dt.datetime | None = None
) -> None:
    """React to a saved change: status moves pause/resume/meet; traits re-match the policy.

    `old` holds the previous values of the fields that changed (status,
    type_id, priority, channel, client_id).
    """
    now = now or timezone.now()
    clocks = _clocks_of(ticket)
    if {"type_id", "priority", "channel", "client_id"} & set(old):
        _retarget(ticket, clocks, now)
    if "status" in old:
        _follow_status(ticket, clocks, old["status"], now)
    ticket_summary_refresh(ticket, clocks)


def _follow_status(ticket: Ticket, clocks: list[Clock], old_status: str, now: dt.datetime) -> None:
    status = ticket.status
    for clock in clocks:
        before = clock.state
        if status == Ticket.Status.PENDING and clock.kind == Target.Kind.RESOLUTION:
            if before == Clock.State.RUNNING:
                _stop_run(clock, now)
                clock.state = Clock.State.PAUSED
                _log(clock, ClockEvent.Kind.PAUSED, now, _("Waiting on the client"))
        elif status in (Ticket.Status.NEW, Ticket.Status.OPEN):
            if before == Clock.State.PAUSED:
                _run(clock, now)
                _log(clock, ClockEvent.Kind.RESUMED, now)
            elif (
                before == Clock.State.MET
                and clock.kind == Target.Kind.RESOLUTION
                and old_status == Ticket.Status.RESOLVED
            ):
                clock.met_at = None
                _run(clock, now)
                _log(clock, ClockEvent.Kind.REOPENED, now, _("The ticket was reopened"))
        elif status == Ticket.Status.RESOLVED:
            if before in ACTIVE_STATES:
                _meet(clock, now, _("The ticket was resolved"))
        elif status == Ticket.Status.CLOSED and before in ACTIVE_STATES:
            _cancel(clock, now, _("The ticket was closed"))
        if clock.state != before or clock.state == Clock.State.RUNNING:
            clock.save()


def _cancel(clock: Clock, now: dt.datetime, note: str) -> None:
    _stop_run(clock, now)
    clock.state = Clock.State.CANCELLED
    _log(clock, ClockEvent.Kind.CANCELLED, now, note)


def sla_ticket_stopped(*, ticket: Ticket, reason: str, now: dt.datetime | None = None) -> None:
    """Cancel every clock still going (spam, merged into another ticket)."""
    now = now or timezone.now()
    clocks = _clocks_of(ticket)
    for clock in clocks:
        if clock.state in ACTIVE_STATES:
            _cancel(clock, now, reason)
            clock.save()
    ticket_summary_refresh(ticket, clocks)


def _retarget(ticket: Ticket, clocks: list[Clock], now: dt.datetime) -> None:
    """Re-match the policy; keep consumed time, change budgets; log old → new."""
    if ticket.status not in Ticket.ACTIVE_STATUSES:
        return
    policy, targets = policy_for(TicketTraits.of(ticket))
    by_kind = {clock.kind: clock for clock in clocks}
    calendar_id = (policy.calendar_id or default_calendar_id(ticket)) if policy else None
    for kind in Target.Kind.values:
        clock, target = by_kind.get(kind), targets.get(kind)
        if clock is not None and clock.state not in ACTIVE_STATES:
            continue
        if clock is not None and (policy is None or target is None):
            _cancel(clock, now, _("No longer covered by the policy"))
            clock.save()
        elif clock is not None and policy is not None and target is not None:
            old = (clock.policy_id, clock.minutes, clock.clock, clock.calendar_id, clock.cap_days)
            was_running = clock.state == Clock.State.RUNNING
            _stop_run(clock, now)
            old_text = _describe(clock)
            _apply_target(clock, policy, target, calendar_id)
            if old != (policy.pk, clock.minutes, clock.clock, clock.calendar_id, clock.cap_days):
                _log(
                    clock,
                    ClockEvent.Kind.RETARGETED,
                    now,
                    f"{old_text} → {policy.name}: {_describe(target)}",
                )
            if was_running:
                _run(clock, now)
            clock.save()
        elif clock is None and policy is not None and target is not None:
            if kind == Target.Kind.NEXT_RESPONSE:
                continue  # starts with the next client message
            if kind == Target.Kind.FIRST_RESPONSE and ticket.first_responded_at is not None:
                continue
            note = _("Applies since the change: %(policy)s, %(target)s") % {
                "policy": policy.name,
                "target": _describe(target),
            }
            clocks.append(_start_clock(ticket, kind, policy, target, now, note))


# --- Warnings and breaches (the worker) ---------------------------------------------


def sla_warnings_send(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Claim running clocks past their warning point; notify assignee and queue lead once.

    1. read candidate ids through the partial index on `warn_at`;
    2. claim each with an UPDATE conditioned on `warned_at IS NULL`;
    3. only the claimant enqueues the emails, in the claim's transaction.
    """
    from opora.tickets import tasks as ticket_tasks

    now = now or timezone.now()
    candidates = list(
        Clock.objects.filter(
            state=Clock.State.RUNNING, warned_at__isnull=True, warn_at__lte=now
        ).values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in candidates:
        with transaction.atomic():
            claimed = Clock.objects.filter(
                pk=pk, state=Clock.State.RUNNING, warned_at__isnull=True
            ).update(warned_at=now)
            if not claimed:
                continue
            clock = Clock.objects.select_related("ticket__assignee", "ticket__team__lead").get(
                pk=pk
            )
            ticket = clock.ticket
            _log(clock, ClockEvent.Kind.WARNED, now)
            text = _("%(target)s is due at %(due)s.") % {
                "target": clock.get_kind_display(),
                "due": timezone.localtime(clock.due_at).strftime("%d.%m.%Y %H:%M"),
            }
            for user in _people(ticket.assignee, ticket.team.lead if ticket.team else None):
                ticket_tasks.enqueue_staff_notification(
                    user=user, ticket=ticket, kind="sla_warning", text=text
                )
            sent += 1
    return sent


def _people(*users: Any) -> list[Any]:
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None and user.is_active:
            seen.setdefault(user.pk, user)
    return list(seen.values())


def sla_breaches_escalate(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Claim running clocks past due; mark the breach and run the policy's escalation once."""
    now = now or timezone.now()
    candidates = list(
        Clock.objects.filter(
            state=Clock.State.RUNNING, breached_at__isnull=True, due_at__lte=now
        ).values_list("pk", flat=True)[:limit]
    )
    escalated = 0
    for pk in candidates:
        with transaction.atomic():
            clock = (
                Clock.objects.select_for_update()
                .filter(pk=pk, state=Clock.State.RUNNING, breached_at__isnull=True)
                .first()
            )
            if clock is None or clock.due_at is None or clock.due_at > now:
                continue
            clock.breached_at = clock.due_at
            clock.save(update_fields=["breached_at"])
            _log(clock, ClockEvent.Kind.BREACHED, clock.due_at)
            _escalate(clock)
            escalated += 1
    return escalated


PRIORITY_UP = {
    Ticket.Priority.LOW: Ticket.Priority.NORMAL,
    Ticket.Priority.NORMAL: Ticket.Priority.HIGH,
    Ticket.Priority.HIGH: Ticket.Priority.URGENT,
}


def _escalate(clock: Clock) -> None:
    """The breach rule: history line, raise priority, reassign, tell the head(s)."""
    from opora.accounts.models import User
    from opora.tickets import tasks as ticket_tasks
    from opora.tickets.services import event_record, ticket_apply_changes

    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("team__lead")
        .get(pk=clock.ticket_id)
    )
    event_record(
        ticket, None, "sla", "", _("%(target)s breached") % {"target": clock.get_kind_display()}
    )
    policy = clock.policy
    changes: dict[str, Any] = {}
    if policy is not None and policy.breach_raise_priority and ticket.priority in PRIORITY_UP:
        changes["priority"] = PRIORITY_UP[Ticket.Priority(ticket.priority)]
    if (
        policy is not None
        and policy.breach_assign_to_id
        and policy.breach_assign_to_id != ticket.assignee_id
    ):
        changes["assignee"] = policy.breach_assign_to
    if changes:
        ticket_apply_changes(ticket=ticket, actor=None, changes=changes)
    ticket_summary_refresh(ticket)
    text = _("%(target)s breached (was due %(due)s).") % {
        "target": clock.get_kind_display(),
        "due": timezone.localtime(clock.due_at).strftime("%d.%m.%Y %H:%M") if clock.due_at else "",
    }
    people = [ticket.assignee, ticket.team.lead if ticket.team else None]
    if policy is None or policy.breach_notify_head:
        people += list(User.objects.filter(role=User.Role.HEAD, is_active=True))
    for user in _people(*people):
        ticket_tasks.enqueue_staff_notification(
            user=user, ticket=ticket, kind="sla_breach", text=text
        )
    from opora.channels.services import ticket_event

    ticket_event("ticket.sla_breached", ticket=ticket, extra={"target": clock.kind})


# --- Bulk recompute (calendar or policy changed) ------------------------------------

RECOMPUTE_BATCH = 5000


def sla_recompute(*, calendar_ids: Sequence[int] | None = None, workers: int = 1) -> int:
    """Recompute due and warning times of every running clock (on these calendars).

    Streams clocks in ticket order, computes in memory with the compiled
    calendars, and writes back what changed in batches, one statement per
    batch, the tickets' summaries with them. Returns the clocks that changed.

    On PostgreSQL `workers` > 1 splits the tickets by id modulo and runs the
    parts in threads, each on its own connection: the database does most of
    the work, so two cores finish about twice as fast. Inside a transaction
    it stays on one connection: other connections could not see its rows.
    """
    from django.db import connection

    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _recompute_part(calendar_ids, 0, 1)
    from concurrent.futures import ThreadPoolExecutor

    def run(part: int) -> int:
        try:
            return _recompute_part(calendar_ids, part, workers)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(run, range(workers)))


def _recompute_part(calendar_ids: Sequence[int] | None, part: int, parts: int) -> int:
    clocks = Clock.objects.filter(state=Clock.State.RUNNING).order_by("ticket_id", "pk")
    if parts > 1:
        clocks = clocks.annotate(part=F("ticket_id") % parts).filter(part=part)
    if calendar_ids is not None:
        ticket_ids = Clock.objects.filter(
            state=Clock.State.RUNNING, calendar_id__in=calendar_ids
        ).values("ticket_id")
        clocks = clocks.filter(ticket_id__in=ticket_ids)
    rows = clocks.values_list(
        "pk", "ticket_id", "run_started_at", "consumed", "consumed_calendar",
        "minutes", "clock", "calendar_id", "cap_days", "warn_percent", "due_at", "warn_at",
    )  # fmt: skip
    hours_by_calendar: dict[int | None, WorkingTime] = {}
    clock_rows: list[tuple[int, dt.datetime, dt.datetime]] = []
    ticket_rows: list[tuple[int, dt.datetime, dt.datetime]] = []
    # The ticket being summed up: id, earliest due, earliest warning, anything changed.
    current: list[Any] = [None, None, None, False]
    updated = 0
    probe = Clock()
    for (
        pk, ticket_id, run_started_at, consumed, consumed_cal,
        minutes, kind, cal_id, cap, warn, old_due, old_warn,
    ) in rows.iterator(chunk_size=RECOMPUTE_BATCH):  # fmt: skip
        key = None if kind == Target.Clock.ROUND_THE_CLOCK else cal_id
        if key not in hours_by_calendar:
            hours_by_calendar[key] = working_time(key) if key is not None else ROUND_THE_CLOCK
        probe.run_started_at, probe.consumed, probe.consumed_calendar = (
            run_started_at, consumed, consumed_cal,
        )  # fmt: skip
        probe.minutes, probe.cap_days, probe.warn_percent = minutes, cap, warn
        due, warn_at = clock_schedule(probe, hours_by_calendar[key])
        changed = due != old_due or warn_at != old_warn
        if changed:
            clock_rows.append((pk, due, warn_at))
        if current[0] != ticket_id:
            if current[3]:
                ticket_rows.append((current[0], current[1], current[2]))
            current = [ticket_id, due, warn_at, changed]
        else:
            current[1], current[2] = min(current[1], due), min(current[2], warn_at)
            current[3] = current[3] or changed
        if len(clock_rows) >= RECOMPUTE_BATCH:
            updated += _write_schedules(clock_rows, ticket_rows)
            clock_rows, ticket_rows = [], []
    if current[3]:
        ticket_rows.append((current[0], current[1], current[2]))
    updated += _write_schedules(clock_rows, ticket_rows)
    return updated


def _write_schedules(
    clock_rows: list[tuple[int, dt.datetime, dt.datetime]],
    ticket_rows: list[tuple[int, dt.datetime, dt.datetime]],
) -> int:
    """One UPDATE … FROM per table on PostgreSQL; executemany on SQLite."""
    from django.db import connection

    if not clock_rows and not ticket_rows:
        return 0
    clock_table, ticket_table = Clock._meta.db_table, Ticket._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table, due, warn, rows in (
                (clock_table, "due_at", "warn_at", clock_rows),
                (ticket_table, "sla_due_at", "sla_warn_at", ticket_rows),
            ):
                if not rows:
                    continue
                ids, dues, warns = zip(*rows, strict=True)
                cursor.execute(
                    f"UPDATE {table} AS t SET {due} = v.due, {warn} = v.warn "  # noqa: S608 -- table names from models
                    "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) "
                    "AS v(id, due, warn) WHERE t.id = v.id",
                    [list(ids), list(dues), list(warns)],
                )
        else:
            cursor.executemany(
                f"UPDATE {clock_table} SET due_at = %s, warn_at = %s WHERE id = %s",  # noqa: S608
                [(due, warn, pk) for pk, due, warn in clock_rows],
            )
            cursor.executemany(
                f"UPDATE {ticket_table} SET sla_due_at = %s, sla_warn_at = %s WHERE id = %s",  # noqa: S608
                [(due, warn, pk) for pk, due, warn in ticket_rows],
            )
    return len(clock_rows)


def sla_rematch(*, now: dt.datetime | None = None) -> int:
    """Re-match policies for every active ticket after a policy change; returns tickets changed.

    Tickets are grouped by the traits policies look at, so matching runs once
    per combination; only tickets whose clocks disagree with their policy are
    re-targeted (each in its own short transaction, ticket locked).
    """
    now = now or timezone.now()
    policies = active_policies()
    wanted: dict[TicketTraits, tuple[Policy | None, dict[str, Target]]] = {}
    changed = 0
    tickets = Ticket.objects.filter(status__in=Ticket.ACTIVE_STATUSES, is_spam=False).values_list(
        "pk", "type_id", "priority", "channel", "client__support_plan"
    )
    clocks_by_ticket: dict[int, dict[str, tuple[int | None, int, str, int | None]]] = {}
    for ticket_id, kind, policy_id, minutes, clock, cap in Clock.objects.filter(
        state__in=ACTIVE_STATES
    ).values_list("ticket_id", "kind", "policy_id", "minutes", "clock", "cap_days"):
        clocks_by_ticket.setdefault(ticket_id, {})[kind] = (policy_id, minutes, clock, cap)
    for pk, type_id, priority, channel, plan in tickets.iterator(chunk_size=RECOMPUTE_BATCH):
        traits = TicketTraits(type_id, priority, channel, plan or "")
        if traits not in wanted:
            wanted[traits] = policy_for(traits, policies)
        policy, targets = wanted[traits]
        have = clocks_by_ticket.get(pk, {})
        want = {
            kind: (policy.pk if policy else None, t.minutes, t.clock, t.cap_days)
            for kind, t in targets.items()
            if kind != Target.Kind.NEXT_RESPONSE or kind in have
        }
        if have == want:
            continue
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",)).select_related("client").get(pk=pk)
            )
            clocks = _clocks_of(ticket)
            _retarget(ticket, clocks, now)
            ticket_summary_refresh(ticket, clocks)
        changed += 1
    return changed
