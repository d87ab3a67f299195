"""Changes to calendars and SLA policies.

Every function runs in one transaction, writes the audit trail, and (when
deadlines can move) enqueues the bulk recompute in that same transaction,
so open tickets follow a calendar or policy change even if the process dies
right after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.accounts.models import Team, User
from opora.core.audit import audit_record, diff, snapshot
from opora.sla import tasks
from opora.sla.engine import (
    CalendarError,
    CalendarSpec,
    DayKind,
    WorkingTime,
    known_country,
    parse_hours,
)
from opora.sla.importers import CalendarImportError, ImportedDay, parse_isdayoff, parse_xmlcalendar
from opora.sla.models import Calendar, CalendarException, CalendarYear, Policy, Target
from opora.sla.services import (
    calendar_touch,
    holiday_language,
    week_from_json,
    working_time,
)

CALENDAR_FIELDS = (
    "name",
    "parent",
    "country",
    "time_zone",
    "week",
    "is_round_the_clock",
    "is_default",
)
POLICY_FIELDS = (
    "name",
    "is_active",
    "priorities",
    "channels",
    "support_plans",
    "calendar",
    "warn_percent",
    "breach_assign_to",
    "breach_raise_priority",
    "breach_notify_head",
)


# --- Calendars -------------------------------------------------------------------


def week_parse(lines: Sequence[str]) -> list[list[list[str]]]:
    """Seven «09:00-13:00, 14:00-18:00» strings (empty = day off) → the stored week.

    Raises ValidationError naming the weekday.
    """
    week: list[list[list[str]]] = []
    for day, text in zip(WEEKDAYS, lines, strict=True):
        try:
            intervals = parse_hours(text)
        except CalendarError:
            raise ValidationError(
                {"week": _("%(day)s: write hours as 09:00-13:00, 14:00-18:00.") % {"day": day}}
            ) from None
        week.append([[_hhmm(start), _hhmm(end)] for start, end in intervals])
    return week


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


WEEKDAYS = (
    gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"), gettext_lazy("Friday"), gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)  # fmt: skip


def _calendar_check(calendar: Calendar) -> None:
    errors: dict[str, str] = {}
    if calendar.country and not known_country(calendar.country):
        errors["country"] = _("Unknown country code «%(code)s».") % {"code": calendar.country}
    node, seen = calendar.parent, {calendar.pk}
    while node is not None:
        if node.pk in seen:
            errors["parent"] = _("A calendar cannot extend itself, even through others.")
            break
        seen.add(node.pk)
        node = node.parent
    if not calendar.is_round_the_clock:
        try:
            week = week_from_json(calendar.week)
            if not any(week):
                errors["week"] = _("Give at least one working interval in the week.")
            else:  # raises on a bad time zone
                WorkingTime(CalendarSpec(time_zone=calendar.time_zone, week=week))
        except CalendarError as error:
            errors.setdefault("time_zone", str(error))
    if errors:
        raise ValidationError(errors)


def _calendar_changed(calendar: Calendar) -> None:
    """Bump versions down the chain and queue the recompute of affected open tickets."""
    ids = calendar_touch(calendar)
    tasks.recompute.enqueue(calendar_ids=ids)


def _calendar_snapshot(calendar: Calendar) -> dict[str, Any]:
    return {
        **snapshot(calendar, CALENDAR_FIELDS),
        "teams": sorted(calendar.teams.values_list("name", flat=True)) if calendar.pk else [],
    }


@transaction.atomic
def calendar_save(
    *,
    actor: User,
    calendar: Calendar | None = None,
    teams: Iterable[Team] | None = None,
    **fields: Any,
) -> Calendar:
    """Create a calendar or change one; a new default takes the flag from the old."""
    unknown = set(fields) - set(CALENDAR_FIELDS)
    if unknown:
        raise TypeError(f"calendar_save cannot change {sorted(unknown)}")
    creating = calendar is None
    if calendar is None:
        calendar = Calendar()
    else:
        calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    before = {} if creating else _calendar_snapshot(calendar)
    for name, value in fields.items():
        setattr(calendar, name, value)
    calendar.country = calendar.country.strip().upper()
    _calendar_check(calendar)
    if calendar.is_default:
        Calendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(is_default=False)
    calendar.full_clean()
    calendar.save()
    if teams is not None:
        calendar.teams.set(list(teams))
    changes = diff(before, _calendar_snapshot(calendar))
    if changes:
        action = "calendar.create" if creating else "calendar.update"
        audit_record(actor=actor, action=action, target=calendar, changes=changes)
        _calendar_changed(calendar)
    return calendar


@transaction.atomic
def calendar_delete(*, actor: User, calendar: Calendar) -> None:
    """Delete a calendar nobody uses (no policy, no clock on a ticket, no child calendar)."""
    from opora.sla.models import Clock

    if calendar.is_default:
        raise ValidationError(_("Make another calendar the default first."))
    if (
        calendar.children.exists()
        or Policy.objects.filter(calendar=calendar).exists()
        or Clock.objects.filter(calendar=calendar, state__in=("running", "paused")).exists()
    ):
        raise ValidationError(
            _("The calendar is in use by a policy, another calendar or open tickets.")
        )
    audit_record(actor=actor, action="calendar.delete", target=calendar, changes={})
    calendar.delete()


@transaction.atomic
def calendar_day_set(
    *,
    actor: User,
    calendar: Calendar,
    date: dt.date,
    kind: str,
    shorter_by_minutes: int = 60,
    note: str = "",
) -> CalendarException | None:
    """Set one date's exception; kind "" removes it (the date follows the week and parent)."""
    row = CalendarException.objects.select_for_update().filter(calendar=calendar, date=date).first()
    before = snapshot(row, ("kind", "shorter_by_minutes", "note")) if row else {}
    if not kind:
        if row is None:
            return None
        row.delete()
        audit_record(
            actor=actor,
            action="calendar.day_clear",
            target=calendar,
            changes={str(date): [before, None]},
        )
        _calendar_changed(calendar)
        return None
    if kind not in CalendarException.Kind.values:
        raise ValidationError({"kind": _("Choose what kind of day it is.")})
    if kind == CalendarException.Kind.SHORTENED and not 1 <= shorter_by_minutes <= 8 * 60:
        raise ValidationError({"shorter_by_minutes": _("Shorten a day by 1 to 480 minutes.")})
    row = row or CalendarException(calendar=calendar, date=date)
    row.kind, row.shorter_by_minutes, row.note = kind, shorter_by_minutes, note.strip()[:200]
    row.source = CalendarException.Source.MANUAL
    row.full_clean()
    row.save()
    after = snapshot(row, ("kind", "shorter_by_minutes", "note"))
    audit_record(
        actor=actor,
        action="calendar.day_set",
        target=calendar,
        changes={str(date): [before, after]},
    )
    _calendar_changed(calendar)
    return row


@transaction.atomic
def calendar_import(
    *, actor: User, calendar: Calendar, fmt: str, data: bytes, year: int | None = None
) -> tuple[int, int]:
    """Load a year from xmlcalendar XML or isdayoff data; replaces that year's exceptions.

    The year stops being provisional. Returns (year, days stored). Bad data
    raises ValidationError and changes nothing.
    """
    try:
        if fmt == "xmlcalendar":
            year, days = parse_xmlcalendar(data)
            source = CalendarException.Source.XMLCALENDAR
        elif fmt == "isdayoff":
            if year is None:
                raise ValidationError({"year": _("Say which year the isdayoff data is for.")})
            days = parse_isdayoff(data.decode("ascii", errors="replace"), year=year)
            source = CalendarException.Source.ISDAYOFF
        else:
            raise ValidationError({"fmt": _("Unknown format.")})
    except CalendarImportError as error:
        raise ValidationError({"data": str(error)}) from None
    assert year is not None  # noqa: S101 -- both parsers give the year
    _replace_year(calendar, year, days, source)
    CalendarYear.objects.update_or_create(
        calendar=calendar,
        year=year,
        defaults={"is_provisional": False, "source": CalendarException.Source(source).label},
    )
    audit_record(
        actor=actor,
        action="calendar.import",
        target=calendar,
        changes={"year": [None, year], "days": [None, len(days)], "format": [None, fmt]},
    )
    _calendar_changed(calendar)
    return year, len(days)


def _replace_year(calendar: Calendar, year: int, days: Sequence[ImportedDay], source: str) -> None:
    CalendarException.objects.filter(calendar=calendar, date__year=year).delete()
    CalendarException.objects.bulk_create(
        CalendarException(
            calendar=calendar,
            date=day.date,
            kind=day.kind,
            shorter_by_minutes=day.shorter_by_minutes or 60,
            source=source,
            note=day.note[:200],
        )
        for day in days
    )


def calendar_years_check(*, today: dt.date | None = None) -> list[CalendarYear]:
    """From September on: next year without a loaded decree is marked provisional, admins warned once.

    Looks at the root calendars of a country (the ones decrees are loaded
    into). The warning is claimed with a conditional UPDATE on `warned_at`.
    """
    today = today or timezone.localdate()
    if today.month < 9:
        return []
    year = today.year + 1
    flagged = []
    for calendar in Calendar.objects.filter(parent__isnull=True, is_round_the_clock=False).exclude(
        country=""
    ):
        row, _created = CalendarYear.objects.get_or_create(
            calendar=calendar, year=year, defaults={"is_provisional": True}
        )
        if not row.is_provisional:
            continue
        flagged.append(row)
        with transaction.atomic():
            claimed = CalendarYear.objects.filter(pk=row.pk, warned_at__isnull=True).update(
                warned_at=timezone.now()
            )
            if claimed:
                tasks.warn_provisional_year.enqueue(calendar_year_id=row.pk)
    return flagged


# --- The year view ------------------------------------------------------------------


def calendar_year(calendar: Calendar, year: int) -> dict[str, Any]:
    """Every date of the year with its kind and note, plus the year's totals."""
    hours = working_time(calendar.pk)
    own = {row.date: row for row in calendar.exceptions.filter(date__year=year)}
    language = holiday_language()
    months = []
    working_days = shortened = 0
    for month in range(1, 13):
        days = []
        date = dt.date(year, month, 1)
        while date.month == month:
            kind, note = hours.day(date, language)
            if kind in (DayKind.WORKING, DayKind.SHORTENED, DayKind.WORKING_WEEKEND):
                working_days += 1
            shortened += kind == DayKind.SHORTENED
            days.append({"date": date, "kind": str(kind), "note": note, "own": date in own})
            date += dt.timedelta(days=1)
        months.append(
            {"number": month, "first_weekday": dt.date(year, month, 1).weekday(), "days": days}
        )
    zone = ZoneInfo(calendar.time_zone)
    start = dt.datetime(year, 1, 1, tzinfo=zone).timestamp()
    end = dt.datetime(year + 1, 1, 1, tzinfo=zone).timestamp()
    year_row = CalendarYear.objects.filter(calendar=calendar, year=year).first()
    return {
        "year": year,
        "months": months,
        "working_days": working_days,
        "shortened_days": shortened,
        "norm_40h": 8 * working_days - shortened,
        "business_hours": round(hours.business_between(start, end) / 3600, 1),
        "provisional": year_row.is_provisional if year_row else not _has_decree(calendar, year),
    }


def _has_decree(calendar: Calendar, year: int) -> bool:
    node: Calendar | None = calendar
    while node is not None:
        if CalendarYear.objects.filter(calendar=node, year=year, is_provisional=False).exists():
            return True
        node = node.parent
    return False


# --- Policies -----------------------------------------------------------------------


def _policy_snapshot(policy: Policy) -> dict[str, Any]:
    if policy.pk is None:
        return {}
    return {
        **snapshot(policy, POLICY_FIELDS),
        "ticket_types": sorted(policy.ticket_types.values_list("code", flat=True)),
        "targets": {
            t.kind: [t.minutes, t.clock, t.cap_days] for t in policy.targets.order_by("kind")
        },
    }


@transaction.atomic
def policy_save(
    *,
    actor: User,
    policy: Policy | None = None,
    ticket_types: Iterable[Any] = (),
    targets: Sequence[dict[str, Any]] = (),
    **fields: Any,
) -> Policy:
    """Create or change a policy with its targets; open tickets are re-matched afterwards.

    `targets` are dicts of kind, minutes, clock, cap_days; a kind left out is removed.
    """
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"policy_save cannot change {sorted(unknown)}")
    creating = policy is None
    if policy is None:
        last = Policy.objects.order_by("-position").values_list("position", flat=True).first()
        policy = Policy(position=(last or 0) + 1)
    else:
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
    before = _policy_snapshot(policy)
    for name, value in fields.items():
        setattr(policy, name, value)
    errors: dict[str, Any] = {}
    kinds = [t["kind"] for t in targets]
    if not targets:
        errors["targets"] = _("Give the policy at least one target.")
    elif len(set(kinds)) != len(kinds):
        errors["targets"] = _("Each target (first response, next response, resolution) once.")
    for target in targets:
        if target["minutes"] is None or target["minutes"] <= 0:
            errors["targets"] = _("A target's budget must be more than zero minutes.")
    if not 1 <= policy.warn_percent <= 99:
        errors["warn_percent"] = _("Warn somewhere between 1 and 99 percent of the budget.")
    if errors:
        raise ValidationError(errors)
    policy.full_clean()
    policy.save()
    policy.ticket_types.set(list(ticket_types))
    policy.targets.exclude(kind__in=kinds).delete()
    for target in targets:
        Target.objects.update_or_create(
            policy=policy,
            kind=target["kind"],
            defaults={
                "minutes": target["minutes"],
                "clock": target["clock"],
                "cap_days": target.get("cap_days"),
            },
        )
    changes = diff(before, _policy_snapshot(policy))
    if changes:
        action = "sla_policy.create" if creating else "sla_policy.update"
        audit_record(actor=actor, action=action, target=policy, changes=changes)
        tasks.recompute.enqueue(rematch=True)
    return policy


@transaction.atomic
def policy_delete(*, actor: User, policy: Policy) -> None:
    audit_record(actor=actor, action="sla_policy.delete", target=policy, changes={})
    policy.delete()
    tasks.recompute.enqueue(rematch=True)


@transaction.atomic
def policy_move(*, actor: User, policy: Policy, offset: int) -> None:
    """Move a policy up (-1) or down (+1) in matching order."""
    ordered = list(Policy.objects.select_for_update().order_by("position", "pk"))
    index = next(i for i, p in enumerate(ordered) if p.pk == policy.pk)
    other = index + offset
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        if row.position != position:
            Policy.objects.filter(pk=row.pk).update(position=position)
    audit_record(
        actor=actor,
        action="sla_policy.move",
        target=policy,
        changes={"position": [index, other]},
    )
    tasks.recompute.enqueue(rematch=True)
