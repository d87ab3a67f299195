from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TicketSettings(models.Model):
    """The company's ticket-handling rules: closing criteria, auto-close, repeat contacts.

    A single row (pk=1); read it with `TicketSettings.load()`.
    """

    require_category_to_resolve = models.BooleanField(
        _("category is required to resolve"), default=True
    )
    require_resolution_to_resolve = models.BooleanField(
        _("resolution code is required to resolve"), default=True
    )
    auto_close_days = models.PositiveSmallIntegerField(
        _("close resolved tickets after, days"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A resolved ticket the client has not answered is closed after this."),
    )
    repeat_window_days = models.PositiveSmallIntegerField(
        _("repeat contact window, days"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "A new ticket from the same contact or client with the same category "
            "within this many days is a repeat contact."
        ),
    )

    class Meta:
        verbose_name = _("ticket settings")
        verbose_name_plural = _("ticket settings")

    def __str__(self) -> str:
        return str(_("ticket settings"))

    @classmethod
    def load(cls) -> TicketSettings:
        return cls.objects.get_or_create(pk=1)[0]


class ResolutionCode(models.Model):
    """How a ticket was resolved («Консультация дана», «Ошибка исправлена»…)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("resolution code")
        verbose_name_plural = _("resolution codes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        if self.name_en and get_language() == "en":
            return self.name_en
        return self.name


class CustomField(models.Model):
    """An extra ticket field shown for some categories (or all, when none are chosen)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice")
        DATE = "date", _("Date")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # One option per line, for «choice» fields.
    options = models.TextField(_("options"), blank=True, help_text=_("One per line."))
    categories = models.ManyToManyField(
        "tickets.Category",
        verbose_name=_("categories"),
        blank=True,
        help_text=_("Leave empty to show the field on every ticket."),
    )
    required_to_resolve = models.BooleanField(_("required to resolve"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


class SavedView(models.Model):
    """A named set of queue filters, personal or shared with everyone."""

    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    is_shared = models.BooleanField(_("shared with everyone"), default=False)
    # The queue's query string (status=open&team=2…): the URL is the source of truth.
    query = models.CharField(_("filters"), max_length=500)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class BlockedSender(models.Model):
    """An email address or domain whose messages are marked as spam on arrival."""

    pattern = models.CharField(
        _("address or domain"),
        max_length=254,
        unique=True,
        help_text=_("user@example.com, or @example.com for a whole domain."),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("blocked by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("blocked sender")
        verbose_name_plural = _("blocked senders")
        ordering = ["pattern"]

    def __str__(self) -> str:
        return self.pattern


class QueueSettings(models.Model):
    """How new tickets in a queue (team) find an assignee."""

    class Mode(models.TextChoices):
        OFF = "off", _("Off (manual)")
        ROUND_ROBIN = "round_robin", _("Round-robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")
        SKILLS = "skills", _("By skills, then least loaded")

    team = models.OneToOneField(
        "accounts.Team",
        verbose_name=_("queue"),
        on_delete=models.CASCADE,
        related_name="queue_settings",
    )
    assignment = models.CharField(
        _("auto-assignment"), max_length=20, choices=Mode.choices, default=Mode.OFF
    )
    # Round-robin continues after this person.
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("queue settings")
        verbose_name_plural = _("queue settings")

    def __str__(self) -> str:
        return str(self.team)


class OperatorProfile(models.Model):
    """What an operator can take: a cap on open tickets and skills for routing."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.CASCADE,
        related_name="operator_profile",
    )
    capacity = models.PositiveSmallIntegerField(
        _("open tickets cap"),
        default=25,
        help_text=_("Weighted by ticket type: an emergency counts more than a consultation."),
    )
    skill_tags = models.ManyToManyField(
        "tickets.Tag", verbose_name=_("skills: tags"), blank=True, related_name="+"
    )
    skill_categories = models.ManyToManyField(
        "tickets.Category", verbose_name=_("skills: categories"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("operator profile")
        verbose_name_plural = _("operator profiles")

    def __str__(self) -> str:
        return str(self.user)
