"""Calendars, SLA policies and the clocks that run on tickets."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DEFAULT_TIME_ZONE = "Europe/Moscow"


def default_week() -> list[list[list[str]]]:
    """Monday to Friday, 09:00–18:00."""
    return [[["09:00", "18:00"]]] * 5 + [[], []]


class Calendar(models.Model):
    """Working time: weekly hours in a time zone, a country's holidays, dated exceptions.

    A calendar may extend another (`parent`): a company calendar extends a
    regional one, which extends the federal one. Exceptions are inherited
    and the child's own win on the same date; the country is the nearest
    one set up the chain. Hours and time zone are the calendar's own.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("extends"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_("Public holidays and moved working days of this country (ISO code, e.g. RU)."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    week = models.JSONField(_("weekly hours"), default=default_week)
    is_round_the_clock = models.BooleanField(_("24×7"), default=False)
    is_default = models.BooleanField(_("default for SLA"), default=False)
    teams = models.ManyToManyField(
        "accounts.Team",
        verbose_name=_("queues on this calendar"),
        blank=True,
        related_name="calendars",
    )
    # Bumped on any change to the calendar or its exceptions (or a parent's):
    # compiled working time is cached per process by (id, version).
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="sla_one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CalendarException(models.Model):
    """A dated exception to the weekly hours: a holiday, a moved day, a shortened day."""

    class Kind(models.TextChoices):
        # The values are the engine's ExceptionKind (tests check they agree).
        HOLIDAY = "holiday", _("Holiday")
        DAY_OFF = "day_off", _("Day off")
        WORKING = "working", _("Working day")
        SHORTENED = "shortened", _("Shortened day")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        DECREE = "decree", _("Government decree")
        XMLCALENDAR = "xmlcalendar", _("xmlcalendar file")
        ISDAYOFF = "isdayoff", _("isdayoff data")

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    shorter_by_minutes = models.PositiveSmallIntegerField(_("shorter by, minutes"), default=60)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering: ClassVar = ["date"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_one_exception_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.get_kind_display()}"


class CalendarYear(models.Model):
    """Whether a year of a calendar follows a published decree or is provisional.

    A year with no decree loaded is computed from bare holidays; the yearly
    check (from September) marks next year provisional and warns admins.
    """

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="years"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    is_provisional = models.BooleanField(_("provisional"), default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    warned_at = models.DateTimeField(_("administrators warned"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["calendar", "year"], name="sla_one_row_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.calendar} {self.year}"


class Policy(models.Model):
    """An SLA policy: which tickets it covers and what it promises.

    Policies are tried in `position` order; the first whose conditions all
    hold wins. An empty condition matches anything.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    ticket_types = models.ManyToManyField(
        "tickets.TicketType", verbose_name=_("ticket types"), blank=True
    )
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    support_plans = models.JSONField(_("client contracts"), default=list, blank=True)
    calendar = models.ForeignKey(
        Calendar,
        verbose_name=_("business calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: the queue's calendar, else the default one."),
    )
    warn_percent = models.PositiveSmallIntegerField(_("warn at, percent of the budget"), default=80)
    breach_assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on breach, reassign to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    breach_raise_priority = models.BooleanField(_("on breach, raise priority"), default=True)
    breach_notify_head = models.BooleanField(_("on breach, notify the head"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering: ClassVar = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """One promise of a policy: a budget of business (or calendar) time, maybe capped."""

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        NEXT_RESPONSE = "next_response", _("Next response")
        RESOLUTION = "resolution", _("Resolution")

    class Clock(models.TextChoices):
        BUSINESS = "business", _("Business hours")
        ROUND_THE_CLOCK = "24x7", _("24×7")

    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="targets"
    )
    kind = models.CharField(_("target"), max_length=20, choices=Kind.choices)
    minutes = models.PositiveIntegerField(_("budget, minutes"))
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices)
    cap_days = models.PositiveSmallIntegerField(_("at most, calendar days"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["policy", "kind"], name="sla_one_target_a_kind"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="sla_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_kind_display()}"


class Clock(models.Model):
    """One target running on one ticket.

    Business time consumed before the current run is kept in `consumed`
    (seconds), calendar time in `consumed_calendar` (for the cap), so a pause
    freezes the clock and a resume starts a new run. `due_at` and `warn_at`
    are set only while running; the worker finds due work through them
    (partial indexes) and claims it by setting `warned_at` / `breached_at`
    with a conditional UPDATE.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        CANCELLED = "cancelled", _("Cancelled")

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="sla_clocks",
    )
    kind = models.CharField(_("target"), max_length=20, choices=Target.Kind.choices)
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    minutes = models.PositiveIntegerField(_("budget, minutes"))
    clock = models.CharField(_("clock"), max_length=10, choices=Target.Clock.choices)
    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cap_days = models.PositiveSmallIntegerField(_("at most, calendar days"), null=True)
    warn_percent = models.PositiveSmallIntegerField(default=80)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    started_at = models.DateTimeField(_("started"))
    run_started_at = models.DateTimeField(null=True)
    consumed = models.FloatField(default=0.0)
    consumed_calendar = models.FloatField(default=0.0)
    due_at = models.DateTimeField(_("due"), null=True)
    warn_at = models.DateTimeField(null=True)
    warned_at = models.DateTimeField(null=True)
    breached_at = models.DateTimeField(_("breached"), null=True)
    met_at = models.DateTimeField(_("met"), null=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="sla_one_clock_a_kind")
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["due_at"],
                condition=Q(state="running", breached_at__isnull=True),
                name="sla_clock_breach_due",
            ),
            models.Index(
                fields=["warn_at"],
                condition=Q(state="running", warned_at__isnull=True),
                name="sla_clock_warn_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.kind} {self.state}"

    @property
    def budget(self) -> float:
        return self.minutes * 60.0


class ClockEvent(models.Model):
    """The clock's own history: what the ledger is rebuilt from."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        RETARGETED = "retargeted", _("Target changed")
        WARNED = "warned", _("Warning sent")
        BREACHED = "breached", _("Breached")
        MET = "met", _("Met")
        REOPENED = "reopened", _("Reopened")
        CANCELLED = "cancelled", _("Cancelled")

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    note = models.CharField(_("note"), max_length=250, blank=True)

    class Meta:
        verbose_name = _("SLA clock event")
        verbose_name_plural = _("SLA clock events")
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.clock_id}: {self.kind} at {self.at}"
