"""Certification (аттестация): tests built from knowledge-base articles, assigned with a deadline.

A test's questions can be edited at any time: an attempt copies the questions it
shows (text, choices, which are correct, points, the article) into its `paper` when
it starts and is scored against that copy, so editing a test never changes a past
result. Every assignment and every attempt is kept: they are the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["Assignment", "Attempt", "CertificationTest", "Choice", "Question"]


class CertificationTest(models.Model):
    """A test on a set of knowledge-base articles (the material), with a pass mark in percent."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    articles = models.ManyToManyField(
        "knowledge.Article",
        verbose_name=_("material"),
        related_name="certification_tests",
        blank=True,
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark, %"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit, minutes"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=2, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("certification test")
        verbose_name_plural = _("certification tests")
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1, pass_mark__lte=100), name="cert_pass_mark_1_to_100"
            ),
            models.CheckConstraint(
                condition=Q(attempts_allowed__gte=1), name="cert_attempts_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One question of a test; `article` is where the answer is explained (shown after an attempt)."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")

    test = models.ForeignKey(
        CertificationTest,
        verbose_name=_("test"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    text = models.TextField(_("question"))
    article = models.ForeignKey(
        "knowledge.Article",
        verbose_name=_("article"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    points = models.PositiveSmallIntegerField(
        _("points"), default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["test_id", "position", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    """One answer option of a question."""

    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    text = models.CharField(_("answer"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["question_id", "position", "id"]

    def __str__(self) -> str:
        return self.text[:80]


OPEN_STATUSES = ("assigned", "failed")


class Assignment(models.Model):
    """A test given to one operator with a deadline (a date: the whole day counts).

    `status` is stored: an attempt's submission sets passed/failed, the daily job
    moves an open assignment past its deadline to overdue (and mails the lead once:
    that transition is the claim). Between the deadline and the job's run `state()`
    already answers «overdue», so no screen lags behind. A failed assignment stays
    open while attempts remain; only one open assignment per test and operator.
    """

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Not passed")
        OVERDUE = "overdue", _("Overdue")

    OPEN = OPEN_STATUSES

    test = models.ForeignKey(
        CertificationTest,
        verbose_name=_("test"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="certification_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ASSIGNED
    )
    passed_at = models.DateTimeField(_("passed"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("marked overdue"), null=True, blank=True)

    class Meta:
        verbose_name = _("certification assignment")
        verbose_name_plural = _("certification assignments")
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["test", "operator"],
                condition=Q(status__in=OPEN_STATUSES),
                name="cert_one_open_assignment",
            )
        ]
        indexes = [
            # The daily overdue scan reads only open assignments.
            models.Index(
                fields=["deadline"],
                name="cert_assignment_open_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["operator", "test"]),
        ]

    def __str__(self) -> str:
        return f"{self.test_id} → {self.operator_id}"

    def state(self, today: dt.date | None = None) -> str:
        from opora.quality.certification.scoring import assignment_state

        return assignment_state(self.status, self.deadline, today or timezone.localdate())


class Attempt(models.Model):
    """One try at an assigned test.

    `paper` is the copy of the questions in the order shown (with choices and which
    are correct); `answers` is what was chosen and how each question scored. An
    attempt with no `finished_at` is in progress; `due_at` is when its time limit
    runs out. A submission after `due_at` (plus a short grace for the network) is
    scored as it stands, marked `late`, and never counts as a pass.
    """

    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.PROTECT,
        related_name="attempts",
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    due_at = models.DateTimeField(_("time is up at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    score = models.DecimalField(
        _("score, %"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    late = models.BooleanField(_("after the time limit"), default=False)
    paper: models.JSONField[Any] = models.JSONField(_("questions shown"), default=list)
    answers: models.JSONField[Any] = models.JSONField(_("answers"), default=list)

    class Meta:
        verbose_name = _("certification attempt")
        verbose_name_plural = _("certification attempts")
        ordering = ["assignment_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "number"], name="cert_attempt_number"),
            # Two clicks on «start» cannot open two attempts.
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(finished_at__isnull=True),
                name="cert_one_attempt_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} #{self.number}"
