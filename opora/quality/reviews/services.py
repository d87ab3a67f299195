"""Changes to QA data: scorecards, reviews, comments, disputes, calibration sessions.

Every function is atomic and audited. Views check the capability (Perm);
these functions enforce the rules that depend on the objects: who reviews
whom, which answers a scorecard accepts, who may dispute and re-score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.core.access import Perm, has_perm
from opora.core.audit import audit_record
from opora.quality.models import (
    CalibrationSession,
    Criterion,
    Dispute,
    Review,
    ReviewAnswer,
    ReviewComment,
    Scorecard,
    ScorecardCategory,
)
from opora.quality.reviews import scoring
from opora.tickets.models import Message, Ticket
from opora.tickets.tasks import enqueue_staff_notification

if TYPE_CHECKING:
    from opora.accounts.models import User

SCALE_MAX_RANGE = (2, 10)
COMMENT_LIMIT = 4000


# ---------------------------------------------------------------- scorecards


@dataclass(frozen=True)
class CriterionSpec:
    """A criterion as the editor sends it; `id` is set for an existing one."""

    text: str
    kind: str = Criterion.Kind.YES_NO
    weight: int = 1
    help: str = ""
    scale_max: int = 5
    is_critical: bool = False
    allows_na: bool = False
    id: int | None = None


@dataclass(frozen=True)
class CategorySpec:
    name: str
    criteria: Sequence[CriterionSpec] = field(default_factory=tuple)
    id: int | None = None


def _scorecard_errors(name: str, categories: Sequence[CategorySpec]) -> list[str]:
    errors: list[str] = []
    if not name.strip():
        errors.append(_("Enter the scorecard's name."))
    if not any(category.criteria for category in categories):
        errors.append(_("A scorecard needs at least one criterion."))
    for c_index, category in enumerate(categories, start=1):
        if not category.name.strip():
            errors.append(_("Category %(n)d: enter its name.") % {"n": c_index})
        for k_index, spec in enumerate(category.criteria, start=1):
            where = {"c": c_index, "n": k_index}
            if not spec.text.strip():
                errors.append(_("Category %(c)d, criterion %(n)d: enter its text.") % where)
            if spec.weight < 1:
                errors.append(
                    _("Category %(c)d, criterion %(n)d: the weight must be 1 or more.") % where
                )
            if spec.kind not in Criterion.Kind.values:
                errors.append(_("Category %(c)d, criterion %(n)d: choose its kind.") % where)
            low, high = SCALE_MAX_RANGE
            if spec.kind == Criterion.Kind.SCALE and not low <= spec.scale_max <= high:
                errors.append(
                    _("Category %(c)d, criterion %(n)d: the scale goes up to 2…10.") % where
                )
    return errors


def _scorecard_structure_save(scorecard: Scorecard, categories: Sequence[CategorySpec]) -> None:
    """Make the scorecard's categories and criteria exactly `categories`, in that order.

    Removed criteria are deleted: answers given to them keep their snapshot.
    """
    old_categories = {c.pk: c for c in scorecard.categories.all()}
    old_criteria = {c.pk: c for c in Criterion.objects.filter(category__scorecard=scorecard)}
    kept_categories: set[int] = set()
    kept_criteria: set[int] = set()
    for c_position, spec in enumerate(categories):
        category = old_categories.get(spec.id) if spec.id else None
        if category is None:
            category = ScorecardCategory(scorecard=scorecard)
        category.name = spec.name.strip()[:200]
        category.position = c_position
        category.save()
        kept_categories.add(category.pk)
        for k_position, item in enumerate(spec.criteria):
            criterion = old_criteria.get(item.id) if item.id else None
            if criterion is None:
                criterion = Criterion()
            criterion.category = category
            criterion.text = item.text.strip()[:300]
            criterion.help = item.help.strip()
            criterion.kind = item.kind
            # A yes/no criterion keeps the default scale, ready if it is switched to a scale.
            criterion.scale_max = item.scale_max if item.kind == Criterion.Kind.SCALE else 5
            criterion.weight = item.weight
            criterion.is_critical = item.is_critical
            criterion.allows_na = item.allows_na
            criterion.position = k_position
            criterion.save()
            kept_criteria.add(criterion.pk)
    Criterion.objects.filter(category__scorecard=scorecard).exclude(pk__in=kept_criteria).delete()
    scorecard.categories.exclude(pk__in=kept_categories).delete()


def _scorecard_outline(scorecard: Scorecard) -> list[dict[str, object]]:
    """The structure for the audit trail."""
    return [
        {
            "category": category.name,
            "criteria": [
                [c.text, c.kind, c.scale_max, c.weight, c.is_critical, c.allows_na]
                for c in category.criteria.all()
            ],
        }
        for category in scorecard.categories.prefetch_related("criteria")
    ]


@transaction.atomic
def scorecard_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    is_active: bool = True,
    categories: Sequence[CategorySpec],
) -> Scorecard:
    """A new scorecard with its categories and criteria (at least one criterion)."""
    errors = _scorecard_errors(name, categories)
    if errors:
        raise ValidationError(errors)
    scorecard = Scorecard.objects.create(
        name=name.strip()[:200], description=description.strip(), is_active=is_active
    )
    _scorecard_structure_save(scorecard, categories)
    audit_record(
        actor=actor,
        action="scorecard.create",
        target=scorecard,
        changes={"structure": [None, _scorecard_outline(scorecard)]},
    )
    return scorecard


@transaction.atomic
def scorecard_update(
    *,
    actor: User,
    scorecard: Scorecard,
    name: str,
    description: str = "",
    is_active: bool = True,
    categories: Sequence[CategorySpec],
) -> Scorecard:
    """Replace the scorecard's name, state and structure; past reviews keep their snapshots."""
    errors = _scorecard_errors(name, categories)
    if errors:
        raise ValidationError(errors)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    before = _scorecard_outline(scorecard)
    before_head = [scorecard.name, scorecard.description, scorecard.is_active]
    scorecard.name = name.strip()[:200]
    scorecard.description = description.strip()
    scorecard.is_active = is_active
    scorecard.save()
    _scorecard_structure_save(scorecard, categories)
    after = _scorecard_outline(scorecard)
    changes: dict[str, list[object]] = {}
    if before_head != [scorecard.name, scorecard.description, scorecard.is_active]:
        changes["scorecard"] = [before_head, [scorecard.name, scorecard.description, is_active]]
    if before != after:
        changes["structure"] = [before, after]
    if changes:
        audit_record(actor=actor, action="scorecard.update", target=scorecard, changes=changes)
    return scorecard


def scorecard_criteria(scorecard: Scorecard) -> list[Criterion]:
    return list(
        Criterion.objects.filter(category__scorecard=scorecard)
        .select_related("category")
        .order_by("category__position", "category_id", "position", "id")
    )


# ---------------------------------------------------------------- reviews


@dataclass(frozen=True)
class AnswerInput:
    """A reviewer's answer to one criterion: a value, or N/A, or nothing yet."""

    value: int | None = None
    is_na: bool = False
    comment: str = ""


def ticket_reviewable(ticket: Ticket) -> bool:
    """Resolved or closed, or at least answered publicly by an operator."""
    if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        return True
    return ticket.messages.filter(kind=Message.Kind.REPLY, author__isnull=False).exists()


def review_editors(review: Review) -> set[int]:
    """Who may change a draft: its reviewer, and whoever upheld a dispute about it."""
    editors = {review.reviewer_id}
    editors.update(
        review.disputes.filter(status=Dispute.Status.UPHELD, resolved_by__isnull=False)
        .values_list("resolved_by_id", flat=True)
        .distinct()
    )
    return editors


def review_editable_by(review: Review, user: User) -> bool:
    return (
        review.status == Review.Status.DRAFT
        and has_perm(user, Perm.REVIEW_QUALITY)
        and user.pk in review_editors(review)
        and not (
            review.calibration is not None
            and review.calibration.status != CalibrationSession.Status.OPEN
        )
    )


@transaction.atomic
def review_start(
    *,
    actor: User,
    ticket: Ticket,
    scorecard: Scorecard,
    operator: User | None = None,
    calibration: CalibrationSession | None = None,
) -> Review:
    """A draft review of `operator`'s work on `ticket` (the assignee unless given).

    In a calibration session the actor must be one of its reviewers; the
    session's ticket and scorecard are used.
    """
    if calibration is not None:
        if calibration.status != CalibrationSession.Status.OPEN:
            raise ValidationError(_("This calibration session is closed."))
        if not calibration.reviewers.filter(pk=actor.pk).exists():
            raise ValidationError(_("You are not a reviewer of this calibration session."))
        ticket, scorecard = calibration.ticket, calibration.scorecard
        existing = Review.objects.filter(calibration=calibration, reviewer=actor).first()
        if existing is not None:
            return existing
    operator = operator or ticket.assignee
    if operator is None:
        raise ValidationError(_("The ticket has no operator to review: assign it first."))
    if operator.pk == actor.pk:
        raise ValidationError(_("You cannot review your own ticket."))
    if not scorecard.is_active:
        raise ValidationError(_("This scorecard is archived; choose an active one."))
    if not ticket_reviewable(ticket):
        raise ValidationError(
            _("Only a resolved ticket, or one with an operator's public reply, can be reviewed.")
        )
    if (
        calibration is None
        and Review.objects.filter(ticket=ticket, operator=operator, calibration=None).exists()
    ):
        raise ValidationError(_("This operator's work on the ticket has already been reviewed."))
    review = Review.objects.create(
        ticket=ticket,
        operator=operator,
        reviewer=actor,
        scorecard=scorecard,
        calibration=calibration,
    )
    audit_record(
        actor=actor,
        action="review.start",
        target=review,
        changes={"ticket": [None, ticket.reference], "operator": [None, str(operator)]},
    )
    return review


def _locked_draft(actor: User, review: Review) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("calibration")
        .get(pk=review.pk)
    )
    if review.status != Review.Status.DRAFT:
        raise ValidationError(_("This review is already submitted."))
    if not review_editable_by(review, actor):
        raise PermissionDenied
    return review


def _answers_write(
    review: Review, criteria: list[Criterion], answers: Mapping[int, AnswerInput]
) -> None:
    """Validate `answers` against the scorecard and store them with the criteria's snapshot."""
    by_id = {c.pk: c for c in criteria}
    errors: list[str] = []
    foreign = sorted(set(answers) - set(by_id))
    if foreign:
        errors.append(_("Some answers are for criteria that are not on this scorecard."))
    for criterion_id, answer in answers.items():
        criterion = by_id.get(criterion_id)
        if criterion is None:
            continue
        if answer.is_na and not criterion.allows_na:
            errors.append(_("«%(text)s» cannot be N/A.") % {"text": criterion.text})
        elif answer.value is not None and not scoring.value_valid(
            criterion.kind, answer.value, criterion.scale_max
        ):
            errors.append(
                _("«%(text)s»: %(value)s is not a valid answer.")
                % {"text": criterion.text, "value": answer.value}
            )
    if errors:
        raise ValidationError(errors)
    existing = {a.criterion_id: a for a in review.answers.all()}
    for criterion in criteria:
        answer = answers.get(criterion.pk, AnswerInput())
        row = existing.get(criterion.pk) or ReviewAnswer(review=review, criterion=criterion)
        row.value = None if answer.is_na else answer.value
        row.is_na = answer.is_na
        row.comment = answer.comment.strip()[:COMMENT_LIMIT]
        row.category_name = criterion.category.name
        row.category_position = criterion.category.position
        row.text = criterion.text
        row.kind = criterion.kind
        row.scale_max = criterion.scale_max
        row.weight = criterion.weight
        row.is_critical = criterion.is_critical
        row.position = criterion.position
        row.save()
    # Answers to criteria removed from the scorecard since the draft was begun.
    review.answers.exclude(criterion__in=criteria).delete()


def answer_items(answers: Sequence[ReviewAnswer]) -> list[scoring.Item]:
    return [
        scoring.Item(
            kind=a.kind,
            weight=a.weight,
            value=a.value,
            is_na=a.is_na,
            is_critical=a.is_critical,
            scale_max=a.scale_max,
        )
        for a in answers
    ]


def preview_score(
    criteria: Sequence[Criterion], answers: Mapping[int, AnswerInput]
) -> scoring.Score:
    """The score the answers would give, for the live score while the form is filled in."""
    items = []
    for criterion in criteria:
        answer = answers.get(criterion.pk, AnswerInput())
        value = answer.value
        if value is not None and not scoring.value_valid(
            criterion.kind, value, criterion.scale_max
        ):
            value = None
        items.append(
            scoring.Item(
                kind=criterion.kind,
                weight=criterion.weight,
                value=value,
                is_na=answer.is_na and criterion.allows_na,
                is_critical=criterion.is_critical,
                scale_max=criterion.scale_max,
            )
        )
    return scoring.review_score(items)


@transaction.atomic
def review_save(
    *, actor: User, review: Review, answers: Mapping[int, AnswerInput], comment: str
) -> Review:
    """Keep a draft's answers (any may still be missing)."""
    review = _locked_draft(actor, review)
    _answers_write(review, scorecard_criteria(review.scorecard), answers)
    review.comment = comment.strip()[:COMMENT_LIMIT]
    review.save(update_fields=["comment"])
    audit_record(actor=actor, action="review.save", target=review, changes={})
    return review


@transaction.atomic
def review_submit(
    *,
    actor: User,
    review: Review,
    answers: Mapping[int, AnswerInput],
    comment: str,
    notify: bool = True,
) -> Review:
    """Store the answers, require every criterion answered or N/A, score, notify the operator.

    A re-submission after an upheld dispute records the new score on that dispute.
    `notify=False` is for loading past reviews (the demo), where nobody waits for the news.
    """
    review = _locked_draft(actor, review)
    criteria = scorecard_criteria(review.scorecard)
    _answers_write(review, criteria, answers)
    missing = [
        c.text
        for c in criteria
        if not (
            answers.get(c.pk, AnswerInput()).is_na
            or answers.get(c.pk, AnswerInput()).value is not None
        )
    ]
    if missing:
        raise ValidationError(
            _("Answer every criterion or mark it N/A: %(list)s.")
            % {"list": "; ".join(f"«{text}»" for text in missing)}
        )
    result = scoring.review_score(answer_items(list(review.answers.all())))
    before = [review.status, str(review.score) if review.score is not None else None]
    review.comment = comment.strip()[:COMMENT_LIMIT]
    review.score = result.score
    review.critical_failed = result.critical_failed
    review.status = Review.Status.SUBMITTED
    review.submitted_at = timezone.now()
    review.save()
    rescored = (
        review.disputes.filter(status=Dispute.Status.UPHELD, score_after__isnull=True)
        .order_by("-resolved_at")
        .first()
    )
    if rescored is not None:
        rescored.score_after = review.score
        rescored.save(update_fields=["score_after"])
    audit_record(
        actor=actor,
        action="review.rescore" if rescored else "review.submit",
        target=review,
        changes={
            "status": [before[0], review.status],
            "score": [before[1], str(review.score) if review.score is not None else None],
            "critical_failed": [None, review.critical_failed],
        },
    )
    if notify and review.calibration_id is None:
        _notify_operator(review)
    return review


def _notify_operator(review: Review) -> None:
    link = settings.OPORA_BASE_URL + reverse("quality:review-detail", args=[review.pk])
    with translation.override(review.operator.language):
        if review.score is None:
            score = _("no score (every criterion N/A)")
        else:
            score = f"{review.score.normalize():f}"
        text = _(
            "%(reviewer)s reviewed your work on this ticket: %(score)s. The review: %(link)s"
        ) % {
            "reviewer": review.reviewer,
            "score": score,
            "link": link,
        }
    enqueue_staff_notification(user=review.operator, ticket=review.ticket, kind="review", text=text)


def review_viewers_ok(review: Review, user: User) -> bool:
    """Whether `user` takes part in the review's thread: its operator or a reviewer."""
    return user.pk == review.operator_id or has_perm(user, Perm.REVIEW_QUALITY)


@transaction.atomic
def review_comment_add(*, actor: User, review: Review, text: str) -> ReviewComment:
    """A message in the review's thread, by the reviewed operator or a reviewer."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a comment.")})
    if review.status != Review.Status.SUBMITTED:
        raise ValidationError(_("Comments open once the review is submitted."))
    if not review_viewers_ok(review, actor):
        raise PermissionDenied
    comment = ReviewComment.objects.create(review=review, author=actor, text=text[:COMMENT_LIMIT])
    audit_record(actor=actor, action="review.comment", target=review, changes={})
    return comment


# ---------------------------------------------------------------- disputes


@transaction.atomic
def dispute_open(*, actor: User, review: Review, reason: str) -> Dispute:
    """The reviewed operator objects to a submitted review; one open dispute at a time."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if actor.pk != review.operator_id:
        raise ValidationError(_("Only the reviewed operator can dispute a review."))
    if review.status != Review.Status.SUBMITTED or review.calibration_id is not None:
        raise ValidationError(_("Only a submitted review can be disputed."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say what you disagree with.")})
    if review.disputes.filter(status=Dispute.Status.OPEN).exists():
        raise ValidationError(_("This review is already under dispute."))
    dispute = Dispute.objects.create(
        review=review, raised_by=actor, reason=reason[:COMMENT_LIMIT], score_before=review.score
    )
    review.is_disputed = True
    review.save(update_fields=["is_disputed"])
    audit_record(
        actor=actor, action="review.dispute_open", target=review, changes={"reason": [None, reason]}
    )
    return dispute


@transaction.atomic
def dispute_resolve(*, actor: User, dispute: Dispute, uphold: bool, note: str) -> Dispute:
    """A lead or the head decides: upheld reopens the review for re-scoring, rejected keeps it.

    The reviewed operator cannot decide their own dispute.
    """
    dispute = Dispute.objects.select_for_update().select_related("review").get(pk=dispute.pk)
    if dispute.status != Dispute.Status.OPEN:
        raise ValidationError(_("This dispute is already resolved."))
    review = dispute.review
    if actor.pk == review.operator_id:
        raise PermissionDenied
    note = note.strip()
    if not uphold and not note:
        raise ValidationError({"note": _("Explain why the dispute is rejected.")})
    dispute.status = Dispute.Status.UPHELD if uphold else Dispute.Status.REJECTED
    dispute.resolved_by = actor
    dispute.resolution = note[:COMMENT_LIMIT]
    dispute.resolved_at = timezone.now()
    dispute.score_before = review.score
    dispute.save()
    review.is_disputed = False
    fields = ["is_disputed"]
    if uphold:
        # Back to a draft: it leaves the IQS until the reviewer or the resolver re-scores it.
        review.status = Review.Status.DRAFT
        fields.append("status")
    review.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="review.dispute_resolve",
        target=review,
        changes={"dispute": [Dispute.Status.OPEN, dispute.status], "note": [None, note]},
    )
    return dispute


# ---------------------------------------------------------------- calibration


@transaction.atomic
def calibration_create(
    *,
    actor: User,
    ticket: Ticket,
    scorecard: Scorecard,
    reviewers: Sequence[User],
    title: str = "",
) -> CalibrationSession:
    """A session where `reviewers` (two or more) each score `ticket` with `scorecard`."""
    errors: list[str] = []
    if len({r.pk for r in reviewers}) < 2:
        errors.append(_("Choose at least two reviewers."))
    if any(not has_perm(r, Perm.REVIEW_QUALITY) for r in reviewers):
        errors.append(_("Every reviewer must be allowed to review quality."))
    if ticket.assignee_id is None:
        errors.append(_("The ticket has no operator to review: assign it first."))
    elif any(r.pk == ticket.assignee_id for r in reviewers):
        errors.append(_("The ticket's own operator cannot be one of its reviewers."))
    if not scorecard.is_active:
        errors.append(_("This scorecard is archived; choose an active one."))
    if not ticket_reviewable(ticket):
        errors.append(
            _("Only a resolved ticket, or one with an operator's public reply, can be reviewed.")
        )
    if errors:
        raise ValidationError(errors)
    session = CalibrationSession.objects.create(
        ticket=ticket,
        scorecard=scorecard,
        title=(title.strip() or f"{ticket.reference} — {scorecard.name}")[:200],
        created_by=actor,
    )
    session.reviewers.set(reviewers)
    audit_record(
        actor=actor,
        action="calibration.create",
        target=session,
        changes={"reviewers": [None, sorted(str(r) for r in reviewers)]},
    )
    return session


@transaction.atomic
def calibration_close(*, actor: User, session: CalibrationSession) -> CalibrationSession:
    """Close the session: unfinished drafts stay out of the spread, the spread is shown to all."""
    session = CalibrationSession.objects.select_for_update().get(pk=session.pk)
    if session.status == CalibrationSession.Status.CLOSED:
        raise ValidationError(_("This calibration session is already closed."))
    session.status = CalibrationSession.Status.CLOSED
    session.closed_at = timezone.now()
    session.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="calibration.close",
        target=session,
        changes={"status": [CalibrationSession.Status.OPEN, session.status]},
    )
    return session
