"""QA reviews: scorecards with weighted criteria, reviews of tickets, disputes, calibration.

A scorecard stays editable after it has been used: every answer keeps a
snapshot of its criterion (category, text, kind, scale, weight, critical) taken
when the answer is saved and refreshed when the review is submitted. A
submitted review is therefore read and re-scored from its own answers only, so
editing or removing a criterion later never changes a past score — without
the version chains that versioning whole scorecards would bring into every
query and screen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scorecard(models.Model):
    """What a good answer is: categories of weighted criteria a reviewer scores a ticket by."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["-is_active", "name"]

    def __str__(self) -> str:
        return self.name


class ScorecardCategory(models.Model):
    """A group of criteria on a scorecard (e.g. «Приветствие и тон»)."""

    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("scorecard category")
        verbose_name_plural = _("scorecard categories")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """One question of a scorecard: answered yes/no or on a 1…scale_max scale, with a weight."""

    class Kind(models.TextChoices):
        YES_NO = "yes_no", _("Yes / no")
        SCALE = "scale", _("Scale")

    category = models.ForeignKey(
        ScorecardCategory,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    text = models.CharField(_("criterion"), max_length=300)
    help = models.TextField(_("hint for the reviewer"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.YES_NO)
    scale_max = models.PositiveSmallIntegerField(_("scale maximum"), default=5)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    # Failing it (no, or the scale's minimum) zeroes the whole review.
    is_critical = models.BooleanField(_("critical"), default=False)
    allows_na = models.BooleanField(_("N/A allowed"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="criterion_weight_pos"),
            models.CheckConstraint(
                condition=models.Q(scale_max__gte=2, scale_max__lte=10),
                name="criterion_scale_2_to_10",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class CalibrationSession(models.Model):
    """Several reviewers score the same ticket with the same scorecard to compare judgements."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewers"), related_name="calibrations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Review(models.Model):
    """A reviewer's assessment of an operator's work on one ticket with a scorecard.

    Reviews of a calibration session compare reviewers, not operators: they
    never count toward the internal quality score (IQS).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="reviews"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="quality_reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="reviews"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # 0–100; null when every criterion was N/A.
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    critical_failed = models.BooleanField(_("critical criterion failed"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    # Kept by the dispute services so lists can flag and filter without a join.
    is_disputed = models.BooleanField(_("under dispute"), default=False)
    calibration = models.ForeignKey(
        CalibrationSession,
        verbose_name=_("calibration session"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One QA review of an operator's work on a ticket; calibration has its own rule.
            models.UniqueConstraint(
                fields=["ticket", "operator"],
                condition=models.Q(calibration__isnull=True),
                name="review_one_per_ticket_operator",
            ),
            models.UniqueConstraint(
                fields=["calibration", "reviewer"],
                condition=models.Q(calibration__isnull=False),
                name="review_one_per_calibration_reviewer",
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                name="review_score_0_to_100",
            ),
        ]
        indexes = [
            # IQS: an operator's (or everyone's) submitted reviews by period.
            models.Index(
                fields=["operator", "submitted_at"],
                name="review_iqs_operator_idx",
                condition=models.Q(status="submitted", calibration__isnull=True),
            ),
            models.Index(
                fields=["submitted_at"],
                name="review_iqs_idx",
                condition=models.Q(status="submitted", calibration__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} / {self.operator_id}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class ReviewAnswer(models.Model):
    """The answer to one criterion, with the criterion as it was when answered (see module)."""

    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="answers"
    )
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("criterion"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    value = models.PositiveSmallIntegerField(_("value"), null=True, blank=True)
    is_na = models.BooleanField(_("N/A"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    # The criterion's snapshot.
    category_name = models.CharField(_("category"), max_length=200)
    category_position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("criterion"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Criterion.Kind.choices)
    scale_max = models.PositiveSmallIntegerField(_("scale maximum"), default=5)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    is_critical = models.BooleanField(_("critical"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("review answer")
        verbose_name_plural = _("review answers")
        ordering = ["category_position", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="answer_one_per_criterion")
        ]

    def __str__(self) -> str:
        return self.text


class ReviewComment(models.Model):
    """A message in the thread between the reviewed operator and the reviewers."""

    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class Dispute(models.Model):
    """The reviewed operator's objection to a review, decided by a lead or the head.

    Upholding reopens the review for re-scoring; the score before and after are kept here.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="disputes"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("resolution note"), blank=True)
    score_before = models.DecimalField(
        _("score before"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score_after = models.DecimalField(
        _("score after re-scoring"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review"],
                condition=models.Q(status="open"),
                name="dispute_one_open_per_review",
            )
        ]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.status}"


__all__ = [
    "CalibrationSession",
    "Criterion",
    "Dispute",
    "Review",
    "ReviewAnswer",
    "ReviewComment",
    "Scorecard",
    "ScorecardCategory",
]
