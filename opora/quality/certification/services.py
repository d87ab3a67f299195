"""Certification: every state change (audited, emails enqueued in the same transaction).

Tests are built and edited by people with MANAGE_CERTIFICATION (the views check it);
attempts are started and submitted by the assignee only (checked here as well).
Scoring rules live in `scoring.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.audit import audit_record, diff, snapshot
from opora.knowledge.models import Article
from opora.quality.certification import scoring
from opora.quality.models import Assignment, Attempt, CertificationTest, Choice, Question

if TYPE_CHECKING:
    from django.http import HttpRequest

# Who sits certification tests: the people who answer clients.
CERTIFIED_ROLES = (User.Role.OPERATOR,)
TEST_FIELDS = (
    "title",
    "description",
    "pass_mark",
    "time_limit_minutes",
    "attempts_allowed",
    "is_active",
)


@dataclass(frozen=True)
class ChoiceDraft:
    text: str
    is_correct: bool


@dataclass(frozen=True)
class QuestionDraft:
    text: str
    kind: str
    points: int = 1
    article_id: int | None = None
    choices: tuple[ChoiceDraft, ...] = ()


@dataclass(frozen=True)
class TestDraft:
    """A whole test as the editor submits it: its settings, material and questions."""

    __test__ = False  # not a pytest test class, despite the name

    title: str
    pass_mark: int = 80
    description: str = ""
    time_limit_minutes: int | None = None
    attempts_allowed: int = 2
    is_active: bool = True
    article_ids: tuple[int, ...] = ()
    questions: tuple[QuestionDraft, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AssignResult:
    created: list[Assignment]
    skipped: list[User]


# --- Tests ------------------------------------------------------------------------------


def _validate_draft(draft: TestDraft) -> set[int]:
    """Raise ValidationError listing every broken rule; return the material's article ids."""
    errors: list[str] = []
    if not draft.title.strip():
        errors.append(_("The test needs a title."))
    if not 1 <= draft.pass_mark <= 100:
        errors.append(_("The pass mark must be between 1 and 100 percent."))
    if draft.attempts_allowed < 1:
        errors.append(_("At least one attempt must be allowed."))
    if draft.time_limit_minutes is not None and draft.time_limit_minutes < 1:
        errors.append(_("The time limit must be at least one minute."))
    if not draft.questions:
        errors.append(_("The test needs at least one question."))
    for number, question in enumerate(draft.questions, start=1):
        label = {"n": number}
        if not question.text.strip():
            errors.append(_("Question %(n)s has no text.") % label)
        if question.kind not in (scoring.SINGLE, scoring.MULTIPLE):
            errors.append(_("Question %(n)s has an unknown kind.") % label)
        if question.points < 1:
            errors.append(_("Question %(n)s must be worth at least one point.") % label)
        if len(question.choices) < 2:
            errors.append(_("Question %(n)s needs at least two answer options.") % label)
        if any(not choice.text.strip() for choice in question.choices):
            errors.append(_("Question %(n)s has an empty answer option.") % label)
        correct = sum(1 for choice in question.choices if choice.is_correct)
        if correct == 0:
            errors.append(_("Question %(n)s has no correct answer marked.") % label)
        elif question.kind == scoring.SINGLE and correct > 1:
            errors.append(
                _("Question %(n)s is single choice: mark exactly one correct answer.") % label
            )
    wanted = set(draft.article_ids) | {q.article_id for q in draft.questions if q.article_id}
    published = set(
        Article.objects.filter(pk__in=wanted, status=Article.Status.PUBLISHED).values_list(
            "pk", flat=True
        )
    )
    if wanted - published:
        errors.append(_("Only published knowledge-base articles can be the material of a test."))
    if errors:
        raise ValidationError(errors)
    return published


def _write_questions(test: CertificationTest, questions: Sequence[QuestionDraft]) -> None:
    # Past attempts keep their own copy of the questions, so replacing them is safe.
    test.questions.all().delete()
    for position, draft in enumerate(questions):
        question = Question.objects.create(
            test=test,
            text=draft.text.strip(),
            kind=draft.kind,
            points=draft.points,
            article_id=draft.article_id,
            position=position,
        )
        Choice.objects.bulk_create(
            Choice(question=question, text=c.text.strip(), is_correct=c.is_correct, position=i)
            for i, c in enumerate(draft.choices)
        )


def _apply(test: CertificationTest, draft: TestDraft) -> None:
    test.title = draft.title.strip()
    test.description = draft.description.strip()
    test.pass_mark = draft.pass_mark
    test.time_limit_minutes = draft.time_limit_minutes
    test.attempts_allowed = draft.attempts_allowed
    test.is_active = draft.is_active


@transaction.atomic
def test_create(
    *, actor: User, draft: TestDraft, request: HttpRequest | None = None
) -> CertificationTest:
    """Create a test with its material and questions (all rules checked first)."""
    article_ids = _validate_draft(draft)
    test = CertificationTest(created_by=actor)
    _apply(test, draft)
    test.save()
    test.articles.set(article_ids)
    _write_questions(test, draft.questions)
    audit_record(
        actor=actor,
        action="certification.test_create",
        target=test,
        changes={**snapshot(test, TEST_FIELDS), "questions": len(draft.questions)},
        request=request,
    )
    return test


@transaction.atomic
def test_update(
    *, actor: User, test: CertificationTest, draft: TestDraft, request: HttpRequest | None = None
) -> CertificationTest:
    """Replace a test's settings, material and questions; past attempts keep their paper."""
    article_ids = _validate_draft(draft)
    test = CertificationTest.objects.select_for_update().get(pk=test.pk)
    before = {
        **snapshot(test, TEST_FIELDS),
        "questions": test.questions.count(),
        "articles": sorted(test.articles.values_list("pk", flat=True)),
    }
    _apply(test, draft)
    test.updated_at = timezone.now()
    test.save()
    test.articles.set(article_ids)
    _write_questions(test, draft.questions)
    after = {
        **snapshot(test, TEST_FIELDS),
        "questions": len(draft.questions),
        "articles": sorted(article_ids),
    }
    audit_record(
        actor=actor,
        action="certification.test_update",
        target=test,
        changes=diff(before, after),
        request=request,
    )
    return test


# --- Assignments ------------------------------------------------------------------------


@transaction.atomic
def test_assign(
    *,
    actor: User,
    test: CertificationTest,
    deadline: dt.date,
    operator_ids: Iterable[int] = (),
    team_ids: Iterable[int] = (),
    request: HttpRequest | None = None,
) -> AssignResult:
    """Assign `test` to operators and/or every operator of teams; email each assignee.

    Someone who already has an open assignment of this test is skipped (returned in
    `skipped`), so assigning a team twice changes nothing.
    """
    from opora.quality.certification import tasks

    if not test.is_active:
        raise ValidationError(_("This test is switched off; switch it on before assigning it."))
    if deadline < timezone.localdate():
        raise ValidationError(_("The deadline cannot be in the past."))
    operator_ids, team_ids = list(operator_ids), list(team_ids)
    people = list(
        User.objects.filter(is_active=True, role__in=CERTIFIED_ROLES)
        .filter(Q(pk__in=operator_ids) | Q(team_id__in=team_ids))
        .order_by("full_name")
    )
    if not people:
        raise ValidationError(_("Choose at least one operator or a team with operators."))
    if len({p.pk for p in people} & set(operator_ids)) != len(set(operator_ids)):
        raise ValidationError(_("Tests can be assigned only to active operators."))
    test = CertificationTest.objects.select_for_update().get(pk=test.pk)
    busy = set(
        Assignment.objects.filter(
            test=test, operator__in=people, status__in=Assignment.OPEN
        ).values_list("operator_id", flat=True)
    )
    created: list[Assignment] = []
    skipped: list[User] = []
    for person in people:
        if person.pk in busy:
            skipped.append(person)
            continue
        assignment = Assignment.objects.create(
            test=test, operator=person, assigned_by=actor, deadline=deadline
        )
        audit_record(
            actor=actor,
            action="certification.assign",
            target=assignment,
            changes={"test": test.title, "operator": str(person), "deadline": deadline.isoformat()},
            request=request,
        )
        tasks.notify_assigned.enqueue(assignment_id=assignment.pk)
        created.append(assignment)
    return AssignResult(created=created, skipped=skipped)


# --- Attempts ---------------------------------------------------------------------------


def _paper(test: CertificationTest, seed: str) -> list[scoring.PaperQuestion]:
    questions = {
        q.pk: q for q in test.questions.prefetch_related("choices").order_by("position", "pk")
    }
    order = scoring.stable_order(list(questions), seed)
    return [
        scoring.PaperQuestion(
            id=q.pk,
            text=q.text,
            kind=q.kind,
            points=q.points,
            article_id=q.article_id,
            choices=tuple(
                scoring.PaperChoice(id=c.pk, text=c.text, is_correct=c.is_correct)
                for c in q.choices.all()
            ),
        )
        for q in (questions[pk] for pk in order)
    ]


def attempt_paper(attempt: Attempt) -> list[scoring.PaperQuestion]:
    return [scoring.PaperQuestion.from_json(q) for q in attempt.paper]


def _finish(
    attempt: Attempt,
    assignment: Assignment,
    answers: Mapping[int, Iterable[int]],
    now: dt.datetime,
    actor: User,
) -> None:
    """Score and close `attempt`, then move the assignment (both rows locked by the caller)."""
    result = scoring.score_paper(attempt_paper(attempt), answers, assignment.test.pass_mark)
    attempt.finished_at = now
    attempt.score = result.percent
    attempt.late = scoring.is_late(attempt.due_at, now)
    attempt.passed = result.passed and not attempt.late
    attempt.answers = [r.to_json() for r in result.results]
    attempt.save(update_fields=["finished_at", "score", "late", "passed", "answers"])
    if attempt.passed:
        assignment.status = Assignment.Status.PASSED
        assignment.passed_at = now
    elif assignment.status in Assignment.OPEN:
        assignment.status = Assignment.Status.FAILED
    assignment.save(update_fields=["status", "passed_at"])
    audit_record(
        actor=actor,
        action="certification.attempt_finish",
        target=attempt,
        changes={"score": str(attempt.score), "passed": attempt.passed, "late": attempt.late},
    )


def _locked_assignment(assignment_id: int) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("test")
        .get(pk=assignment_id)
    )


@transaction.atomic
def attempt_start(
    *, actor: User, assignment: Assignment, now: dt.datetime | None = None
) -> Attempt:
    """Open an attempt for the assignee (or return the one in progress).

    An attempt whose time ran out without a submission is closed first, scored with
    no answers, and counts as used.
    """
    now = now or timezone.now()
    assignment = _locked_assignment(assignment.pk)
    if actor.pk != assignment.operator_id:
        raise ValidationError(_("Only the assignee can take this test."))
    current = assignment.attempts.filter(finished_at__isnull=True).first()
    if current is not None:
        if not scoring.is_late(current.due_at, now):
            return current
        _finish(current, assignment, {}, now, actor)
    state = assignment.state(timezone.localdate(now))
    if state == Assignment.Status.PASSED:
        raise ValidationError(_("You have already passed this test."))
    if state == Assignment.Status.OVERDUE:
        raise ValidationError(_("The deadline for this test has passed."))
    if not assignment.test.is_active:
        raise ValidationError(_("This test is switched off."))
    used = assignment.attempts.count()
    if used >= assignment.test.attempts_allowed:
        raise ValidationError(_("You have used all attempts at this test."))
    number = used + 1
    limit = assignment.test.time_limit_minutes
    attempt = Attempt.objects.create(
        assignment=assignment,
        number=number,
        started_at=now,
        due_at=now + dt.timedelta(minutes=limit) if limit else None,
        paper=[q.to_json() for q in _paper(assignment.test, f"{assignment.pk}:{number}")],
    )
    audit_record(
        actor=actor,
        action="certification.attempt_start",
        target=attempt,
        changes={"test": assignment.test.title, "number": number},
    )
    return attempt


@transaction.atomic
def attempt_submit(
    *,
    actor: User,
    attempt: Attempt,
    answers: Mapping[int, Sequence[int]],
    now: dt.datetime | None = None,
) -> Attempt:
    """Score the assignee's answers ({question id: chosen option ids}); once only.

    After the time limit (plus `scoring.LATE_GRACE`) the answers are still scored as
    they stand, but the attempt is marked late and does not pass.
    """
    now = now or timezone.now()
    assignment = _locked_assignment(attempt.assignment_id)
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if actor.pk != assignment.operator_id:
        raise ValidationError(_("Only the assignee can take this test."))
    if attempt.finished_at is not None:
        raise ValidationError(_("This attempt has already been submitted."))
    paper = {q.id: q for q in attempt_paper(attempt)}
    for question_id, chosen in answers.items():
        question = paper.get(question_id)
        if question is None or not set(chosen) <= {c.id for c in question.choices}:
            raise ValidationError(_("An answer does not belong to its question."))
        if question.kind == scoring.SINGLE and len(set(chosen)) > 1:
            raise ValidationError(_("A single-choice question takes one answer."))
    _finish(attempt, assignment, answers, now, actor)
    return attempt


# --- Overdue ----------------------------------------------------------------------------


def assignments_overdue_mark(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Mark open assignments past their deadline as overdue and email each operator's lead once.

    1. read candidates through the partial index on open assignments' `deadline`;
    2. claim each with an UPDATE conditioned on the status still being open;
    3. only the claimant audits and enqueues the email, in the claim's transaction.
    """
    from opora.quality.certification import tasks

    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = list(
        Assignment.objects.filter(status__in=Assignment.OPEN, deadline__lt=today).values_list(
            "pk", flat=True
        )[:limit]
    )
    marked = 0
    for pk in candidates:
        with transaction.atomic():
            claimed = Assignment.objects.filter(
                pk=pk, status__in=Assignment.OPEN, deadline__lt=today
            ).update(status=Assignment.Status.OVERDUE, overdue_at=now)
            if not claimed:
                continue
            assignment = Assignment.objects.select_related("test", "operator__team__lead").get(
                pk=pk
            )
            audit_record(
                actor=None,
                action="certification.overdue",
                target=assignment,
                changes={"deadline": assignment.deadline.isoformat()},
            )
            team = assignment.operator.team
            lead = team.lead if team else None
            if lead is not None and lead.is_active:
                tasks.notify_overdue.enqueue(assignment_id=pk, user_id=lead.pk)
            marked += 1
    return marked
