"""Analytics storage: a fact row per ticket and the daily rollups dashboards read.

Every number on a dashboard is a sum over rollup rows (docs/metrics.md). A
ticket's fact row remembers exactly what the ticket added to the rollups
(`contributions`), so when the ticket changes the refresh adds the difference
and nothing is counted twice; `StaleTicket` is the queue of tickets to
refresh, written in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaleTicket(models.Model):
    """A ticket whose rollup contributions must be recomputed.

    `token` changes on every new mark, so the refresh deletes the mark only if
    nobody marked the ticket again while it was computing.
    """

    ticket_id = models.BigIntegerField(primary_key=True)
    token = models.UUIDField(default=uuid.uuid4)
    marked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ticket {self.ticket_id}"


class RollupState(models.Model):
    """The single row that leases the refresh to one worker at a time."""

    lease_until = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"refreshed {self.refreshed_at}"


class TicketFact(models.Model):
    """One ticket as analytics sees it: its measured times and its rollup contributions."""

    ticket_id = models.BigIntegerField(primary_key=True)
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_day = models.DateField()
    team_id = models.BigIntegerField(null=True)
    type_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20)
    category_id = models.BigIntegerField(null=True)
    client_id = models.BigIntegerField(null=True)
    operator_id = models.BigIntegerField(null=True)
    status = models.CharField(max_length=10)
    first_response_at = models.DateTimeField(null=True)
    frt_seconds = models.FloatField(null=True)
    frt_business_seconds = models.FloatField(null=True)
    resolved_at = models.DateTimeField(null=True)
    resolution_seconds = models.FloatField(null=True)
    resolution_business_seconds = models.FloatField(null=True)
    replies = models.PositiveIntegerField(default=0)
    reopened = models.PositiveSmallIntegerField(default=0)
    is_repeat = models.BooleanField(default=False)
    is_escalated = models.BooleanField(default=False)
    # «met» / «breached» / "" (no target, or not decided yet).
    sla_first_response = models.CharField(max_length=10, blank=True)
    sla_resolution = models.CharField(max_length=10, blank=True)
    fcr = models.BooleanField(null=True)
    csat = models.PositiveSmallIntegerField(null=True)
    # [[cube, *key, measure, value], …]: exactly what this ticket added to the rollups.
    contributions = models.JSONField(default=list)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["client_id", "created_day"], name="fact_client_idx"),
            models.Index(fields=["operator_id", "created_day"], name="fact_operator_idx"),
        ]

    def __str__(self) -> str:
        return f"OP-{self.number}"


class DailyStat(models.Model):
    """Additive measures per day × queue × type × channel × operator (docs/metrics.md).

    In every rollup a dimension id of 0 means «none» (no queue, no operator):
    NULLs would make the unique keys leak on databases where NULLs are distinct.
    """

    day = models.DateField()
    team_id = models.BigIntegerField(default=0)
    type_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=20)
    operator_id = models.BigIntegerField(default=0)
    created = models.IntegerField(default=0)
    repeat = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    first_responses = models.IntegerField(default=0)
    frt_sum = models.FloatField(default=0)
    frt_business_sum = models.FloatField(default=0)
    resolved = models.IntegerField(default=0)
    resolution_sum = models.FloatField(default=0)
    resolution_business_sum = models.FloatField(default=0)
    reopened = models.IntegerField(default=0)
    fcr = models.IntegerField(default=0)
    sla_frt_total = models.IntegerField(default=0)
    sla_frt_met = models.IntegerField(default=0)
    sla_resolution_total = models.IntegerField(default=0)
    sla_resolution_met = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)
    csat_count = models.IntegerField(default=0)
    csat_sum = models.IntegerField(default=0)
    csat_satisfied = models.IntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["day", "team_id", "type_id", "channel", "operator_id"],
                name="daily_stat_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.type_id}/{self.channel}/{self.operator_id}"


class DurationHistogram(models.Model):
    """How many durations fell in each bucket, per day × queue × type × channel."""

    day = models.DateField()
    team_id = models.BigIntegerField(default=0)
    type_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=20)
    measure = models.CharField(max_length=12)
    bucket = models.SmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["measure", "day", "team_id", "type_id", "channel", "bucket"],
                name="histogram_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.measure}[{self.bucket}] = {self.count}"


class CategoryStat(models.Model):
    """Tickets created per day × category × queue × type × channel (contact reasons)."""

    day = models.DateField()
    category_id = models.BigIntegerField(default=0)
    team_id = models.BigIntegerField(default=0)
    type_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=20)
    created = models.IntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["day", "category_id", "team_id", "type_id", "channel"],
                name="category_stat_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} category {self.category_id}: {self.created}"


class ReportNote(models.Model):
    """The head's commentary on one period of a report («why SLA dipped in March»)."""

    kind = models.CharField(_("report"), max_length=10)
    period_start = models.DateField(_("period from"))
    text = models.TextField(_("commentary"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("report commentary")
        verbose_name_plural = _("report commentaries")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "period_start"], name="report_note_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_start}"


class ReportDelivery(models.Model):
    """A report period that was mailed: the schedule sends each one once."""

    kind = models.CharField(max_length=10)
    period_start = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "period_start"], name="report_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_start}"


class ProductRequest(models.Model):
    """A contact reason handed to development, with sample tickets as evidence."""

    title = models.CharField(_("title"), max_length=250)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    tickets_in_period = models.PositiveIntegerField(_("tickets in the period"), default=0)
    note = models.TextField(_("what development should know"), blank=True)
    samples = models.ManyToManyField(
        "tickets.Ticket", verbose_name=_("sample tickets"), related_name="product_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("product request")
        verbose_name_plural = _("product requests")
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class KpiGoals(models.Model):
    """The department's targets that every dashboard and report compares with: one row.

    Defaults are the KPI of PRODUCT.md (seeds 001 and 003); a head changes them on
    the goals screen, and every number keeps its meaning (docs/metrics.md).
    """

    sla_emergency = models.DecimalField(
        _("emergency tickets within SLA, %"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("100"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    sla_default = models.DecimalField(
        _("other tickets within SLA, %"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("95"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    csat = models.DecimalField(
        _("CSAT, average of 5"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("4.5"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    nps = models.SmallIntegerField(
        _("NPS"), default=50, validators=[MinValueValidator(-100), MaxValueValidator(100)]
    )
    iqs = models.DecimalField(
        _("quality score (IQS), %"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("90"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    repeat_quarterly_change = models.DecimalField(
        _("repeat contacts, change a quarter, %"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("-10"),
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
        help_text=_("Relative change of the repeat-contact rate against the previous quarter."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("KPI goals")
        verbose_name_plural = _("KPI goals")

    def __str__(self) -> str:
        return str(_("KPI goals"))

    def sla_for(self, type_code: str) -> float:
        """A ticket type's SLA goal: emergency tickets have their own."""
        return float(self.sla_emergency if type_code == "emergency" else self.sla_default)

    def value(self, name: str) -> float:
        return float(getattr(self, name))
