"""Quality models: asking clients (CSAT requests, NPS surveys) and following up low scores."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["CsatRequest", "FollowUp", "NpsInvitation", "NpsResponse", "NpsSurvey"]


class CsatRequest(models.Model):
    """The one time a ticket's client was asked for CSAT, with the link's token.

    One row per ticket for its whole life: a ticket reopened and resolved again
    is not asked again (the first link keeps working until it expires). The
    token is a long random value (32 URL-safe characters, 192 bits), looked up
    as is: it is the only thing a link or a Telegram button carries.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email link")
        TELEGRAM = "telegram", _("Telegram")

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="csat_request",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token = models.CharField(max_length=64, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("CSAT request")
        verbose_name_plural = _("CSAT requests")

    def __str__(self) -> str:
        return f"CSAT {self.ticket_id}"


class NpsSurvey(models.Model):
    """A recurring NPS question to client contacts: everyone, or the chosen accounts' people."""

    class Audience(models.TextChoices):
        ALL = "all", _("All active contacts of active client accounts")
        CHOSEN = "chosen", _("Contacts of the chosen client accounts")

    name = models.CharField(_("name"), max_length=200)
    question_ru = models.CharField(_("question (Russian)"), max_length=500)
    question_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    accounts = models.ManyToManyField(
        "clients.ClientAccount", verbose_name=_("client accounts"), blank=True, related_name="+"
    )
    every_months = models.PositiveSmallIntegerField(
        _("every N months"), default=3, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    cooldown_days = models.PositiveSmallIntegerField(
        _("do not ask a contact again within (days)"), default=60
    )
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    # Bumped by each claim: the invitations of one run share its number.
    runs = models.PositiveIntegerField(_("runs"), default=0)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("NPS survey")
        verbose_name_plural = _("NPS surveys")
        ordering = ["name"]
        indexes = [
            models.Index(
                fields=["next_run_at"],
                name="nps_survey_due_idx",
                condition=models.Q(is_active=True),
            )
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(every_months__gte=1), name="nps_every_month")
        ]

    def __str__(self) -> str:
        return self.name

    def question(self, language: str) -> str:
        return (self.question_en if language == "en" else "") or self.question_ru


class NpsInvitation(models.Model):
    """One contact asked in one run of a survey; the token is the email link's key."""

    survey = models.ForeignKey(
        NpsSurvey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="invitations"
    )
    run = models.PositiveIntegerField(_("run"))
    contact = models.ForeignKey(
        "clients.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        "clients.ClientAccount",
        verbose_name=_("client account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(_("sent"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("NPS invitation")
        verbose_name_plural = _("NPS invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "run", "contact"], name="nps_invitation_once_per_run"
            )
        ]
        indexes = [models.Index(fields=["contact", "-sent_at"], name="nps_invitation_contact_idx")]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.run}: {self.contact_id}"


class NpsResponse(models.Model):
    """A contact's answer: how likely they are to recommend us, 0–10."""

    invitation = models.OneToOneField(
        NpsInvitation,
        verbose_name=_("invitation"),
        on_delete=models.CASCADE,
        related_name="response",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    account = models.ForeignKey(
        "clients.ClientAccount",
        verbose_name=_("client account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        verbose_name = _("NPS answer")
        verbose_name_plural = _("NPS answers")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__lte=10), name="nps_score_0_to_10")
        ]
        indexes = [models.Index(fields=["created_at"], name="nps_response_created_idx")]

    def __str__(self) -> str:
        return f"NPS {self.contact_id}: {self.score}"

    @property
    def group(self) -> str:
        return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"


class FollowUp(models.Model):
    """A low score someone must call back about: CSAT ≤ 3 or an NPS detractor (0–6)."""

    class Kind(models.TextChoices):
        CSAT = "csat", _("CSAT")
        NPS = "nps", _("NPS")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    csat = models.OneToOneField(
        "quality.CsatResponse",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up",
    )
    nps = models.OneToOneField(
        NpsResponse, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_up"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    account = models.ForeignKey(
        "clients.ClientAccount",
        verbose_name=_("client account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quality_follow_ups",
    )
    status = models.CharField(
        _("status"), max_length=4, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.TextField(_("what was done"), blank=True)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["status", "due_at"], name="follow_up_status_due_idx"),
            models.Index(fields=["assignee", "status"], name="follow_up_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score}"
