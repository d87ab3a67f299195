from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Macro(models.Model):
    """A canned response with variables, plus actions applied with it.

    Personal macros are seen by their owner only; shared ones by everyone.
    """

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(
        _("text"),
        blank=True,
        help_text=_("Variables: {{ ticket.number }}, {{ contact.first_name }} and others."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="macros",
    )
    is_shared = models.BooleanField(_("shared with everyone"), default=False)
    # A knowledge-base script: its published text replaces `body`, so the wording
    # is kept in one place and reviewed like any article.
    script = models.ForeignKey(
        "knowledge.Article",
        verbose_name=_("script from the knowledge base"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        limit_choices_to={"kind": "script"},
        related_name="macros",
    )
    set_status = models.CharField(_("set status"), max_length=10, blank=True)
    set_priority = models.CharField(_("set priority"), max_length=10, blank=True)
    add_tags = models.CharField(
        _("add tags"), max_length=200, blank=True, help_text=_("Comma-separated.")
    )
    assign_to_self = models.BooleanField(_("assign to me"), default=False)
    internal = models.BooleanField(_("post as internal note"), default=False)
    usage_count = models.PositiveIntegerField(_("used"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def tag_list(self) -> list[str]:
        return [t.strip().lower() for t in self.add_tags.split(",") if t.strip()]


class Rule(models.Model):
    """A trigger: when a ticket is created or updated and the conditions hold, act.

    `conditions` is a list of {"field", "op", "value"}; `actions` a list of
    {"action", "value"}. Both are validated by `automation.rule_validate`.
    Rules run in `position` order; each run that fires is logged on the ticket.
    """

    class Event(models.TextChoices):
        CREATED = "created", _("Ticket created")
        UPDATED = "updated", _("Ticket updated")
        ANY = "any", _("Created or updated")

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("enabled"), default=True)
    event = models.CharField(_("when"), max_length=10, choices=Event.choices, default=Event.CREATED)
    match_all = models.BooleanField(
        _("all conditions must hold"), default=True, help_text=_("Otherwise any one is enough.")
    )
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    stop_processing = models.BooleanField(_("stop after this rule"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """One firing of a rule on a ticket, with what it did."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), null=True, on_delete=models.SET_NULL, related_name="runs"
    )
    rule_name = models.CharField(_("rule"), max_length=120)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="rule_runs",
    )
    event = models.CharField(_("event"), max_length=10)
    summary = models.TextField(_("what it did"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.rule_name} → {self.ticket_id}"
