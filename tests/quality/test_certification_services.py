"""Certification services: building tests, assigning, attempts, the overdue job, the status selector."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.core.models import AuditEntry
from opora.core.scheduler import PERIODIC_JOBS
from opora.knowledge.models import Article
from opora.quality.certification import services
from opora.quality.certification.selectors import certification_status
from opora.quality.certification.services import ChoiceDraft, QuestionDraft, TestDraft
from opora.quality.models import Assignment, Attempt, CertificationTest, Question
from tests.factories import UserFactory
from tests.quality.certification_factories import (
    make_article,
    make_assignment,
    make_test,
    right_answers,
    sla_questions,
)

pytestmark = pytest.mark.django_db


def _draft(**changes: Any) -> TestDraft:
    return replace(TestDraft(title="Тест", questions=sla_questions()), **changes)


def _messages(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


# --- Building tests -------------------------------------------------------------------------


def test_it_creates_a_test_with_questions_material_and_an_audit_entry(lead: User) -> None:
    article = make_article(lead)
    test = make_test(lead, article=article)
    assert list(test.articles.all()) == [article]
    questions = list(test.questions.order_by("position"))
    assert [q.kind for q in questions] == ["single", "multiple"]
    assert [c.is_correct for c in questions[0].choices.all()] == [True, False, False]
    assert AuditEntry.objects.filter(
        action="certification.test_create", target_id=str(test.pk)
    ).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"questions": ()}, "хотя бы один вопрос"),
        ({"pass_mark": 0}, "от 1 до 100"),
        ({"pass_mark": 150}, "от 1 до 100"),
        (
            {
                "questions": (
                    QuestionDraft(text="?", kind="single", choices=(ChoiceDraft("a", True),)),
                )
            },
            "не меньше двух вариантов ответа",
        ),
        (
            {
                "questions": (
                    QuestionDraft(
                        text="?",
                        kind="single",
                        choices=(ChoiceDraft("a", False), ChoiceDraft("b", False)),
                    ),
                )
            },
            "не отмечен правильный ответ",
        ),
        (
            {
                "questions": (
                    QuestionDraft(
                        text="?",
                        kind="single",
                        choices=(ChoiceDraft("a", True), ChoiceDraft("b", True)),
                    ),
                )
            },
            "ровно один правильный",
        ),
    ],
)
def test_it_refuses_a_broken_test_and_creates_nothing(
    lead: User, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.test_create(actor=lead, draft=_draft(**changes))
    assert message in _messages(error)
    assert CertificationTest.objects.count() == 0


def test_only_published_articles_can_be_the_material(lead: User) -> None:
    draft = make_article(lead, status=Article.Status.DRAFT)
    with pytest.raises(ValidationError) as error:
        services.test_create(actor=lead, draft=_draft(article_ids=(draft.pk,)))
    assert "только опубликованные" in _messages(error)


def test_editing_a_test_keeps_the_results_of_past_attempts(lead: User, operator: User) -> None:
    test = make_test(lead)
    attempt = services.attempt_start(
        actor=operator, assignment=make_assignment(test, operator, lead)
    )
    services.attempt_submit(actor=operator, attempt=attempt, answers=right_answers(attempt.paper))
    edited = _draft(
        title="Тест v2",
        questions=(
            QuestionDraft(
                text="Новый вопрос",
                kind="single",
                choices=(ChoiceDraft("да", False), ChoiceDraft("нет", True)),
            ),
        ),
    )
    services.test_update(actor=lead, test=test, draft=edited)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (Decimal("100.0"), True)
    assert [q["text"] for q in attempt.paper] != ["Новый вопрос"]
    assert Question.objects.filter(test=test).count() == 1
    entry = AuditEntry.objects.get(action="certification.test_update")
    assert entry.changes["title"] == ["Аттестация: SLA", "Тест v2"]


def test_refused_edit_leaves_the_test_as_it_was(lead: User) -> None:
    test = make_test(lead)
    with pytest.raises(ValidationError):
        services.test_update(actor=lead, test=test, draft=_draft(questions=()))
    test.refresh_from_db()
    assert test.title == "Аттестация: SLA" and test.questions.count() == 2


# --- Assigning ------------------------------------------------------------------------------


def test_assigning_a_team_reaches_its_operators_once_and_emails_them(
    lead: User, operator: User, first_line: Team, mailoutbox: list[Any]
) -> None:
    colleague = UserFactory(team=first_line, full_name="Мария Коллегова")
    test = make_test(lead)
    deadline = timezone.localdate() + dt.timedelta(days=3)
    result = services.test_assign(
        actor=lead, test=test, team_ids=[first_line.pk], deadline=deadline
    )
    assert sorted(a.operator_id for a in result.created) == sorted([operator.pk, colleague.pk])
    assert sorted(m.to[0] for m in mailoutbox) == sorted([operator.email, colleague.email])
    assert "Аттестация: SLA" in mailoutbox[0].subject
    again = services.test_assign(
        actor=lead,
        test=test,
        team_ids=[first_line.pk],
        operator_ids=[operator.pk],
        deadline=deadline,
    )
    assert again.created == [] and len(again.skipped) == 2
    assert Assignment.objects.count() == 2


def test_it_refuses_a_deadline_in_the_past_and_nobody_to_assign(lead: User, operator: User) -> None:
    test = make_test(lead)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.test_assign(actor=lead, test=test, operator_ids=[operator.pk], deadline=yesterday)
    assert "в прошлом" in _messages(error)
    with pytest.raises(ValidationError):
        services.test_assign(actor=lead, test=test, deadline=timezone.localdate())
    with pytest.raises(ValidationError):
        services.test_assign(
            actor=lead, test=test, operator_ids=[lead.pk], deadline=timezone.localdate()
        )
    assert Assignment.objects.count() == 0


# --- Attempts -------------------------------------------------------------------------------


def test_a_right_submission_passes_and_a_wrong_one_fails(lead: User, operator: User) -> None:
    assignment = make_assignment(make_test(lead), operator, lead)
    first = services.attempt_start(actor=operator, assignment=assignment)
    first = services.attempt_submit(actor=operator, attempt=first, answers={})
    assignment.refresh_from_db()
    assert (first.score, first.passed, assignment.status) == (Decimal("0.0"), False, "failed")
    second = services.attempt_start(actor=operator, assignment=assignment)
    assert second.number == 2
    second = services.attempt_submit(
        actor=operator, attempt=second, answers=right_answers(second.paper)
    )
    assignment.refresh_from_db()
    assert (second.passed, assignment.status) == (True, "passed")
    assert assignment.passed_at is not None


def test_the_question_order_is_random_but_stable_and_hides_nothing(
    lead: User, operator: User
) -> None:
    assignment = make_assignment(make_test(lead), operator, lead)
    attempt = services.attempt_start(actor=operator, assignment=assignment)
    again = services.attempt_start(actor=operator, assignment=assignment)
    assert again.pk == attempt.pk and again.paper == attempt.paper
    assert {q["id"] for q in attempt.paper} == set(
        Question.objects.filter(test=assignment.test).values_list("pk", flat=True)
    )


def test_it_refuses_a_second_submission_and_keeps_the_first(lead: User, operator: User) -> None:
    attempt = services.attempt_start(
        actor=operator, assignment=make_assignment(make_test(lead), operator, lead)
    )
    services.attempt_submit(actor=operator, attempt=attempt, answers={})
    with pytest.raises(ValidationError) as error:
        services.attempt_submit(
            actor=operator, attempt=attempt, answers=right_answers(attempt.paper)
        )
    assert "уже отправлена" in _messages(error)
    attempt.refresh_from_db()
    assert attempt.score == Decimal("0.0")


def test_it_refuses_an_answer_from_another_question(lead: User, operator: User) -> None:
    attempt = services.attempt_start(
        actor=operator, assignment=make_assignment(make_test(lead), operator, lead)
    )
    first, second = attempt.paper
    foreign = second["choices"][0]["id"]
    with pytest.raises(ValidationError) as error:
        services.attempt_submit(actor=operator, attempt=attempt, answers={first["id"]: [foreign]})
    assert "не относится к своему вопросу" in _messages(error)
    attempt.refresh_from_db()
    assert attempt.finished_at is None


def test_only_the_assignee_may_start(lead: User, operator: User, other_operator: User) -> None:
    assignment = make_assignment(make_test(lead), operator, lead)
    with pytest.raises(ValidationError):
        services.attempt_start(actor=other_operator, assignment=assignment)
    assert Attempt.objects.count() == 0


def test_it_refuses_to_start_after_the_deadline_or_beyond_the_attempts(
    lead: User, operator: User
) -> None:
    assignment = make_assignment(make_test(lead, attempts_allowed=1), operator, lead, days=0)
    attempt = services.attempt_start(actor=operator, assignment=assignment)
    services.attempt_submit(actor=operator, attempt=attempt, answers={})
    with pytest.raises(ValidationError) as error:
        services.attempt_start(actor=operator, assignment=assignment)
    assert "все попытки" in _messages(error)
    other = make_assignment(make_test(lead, title="Второй"), operator, lead, days=0)
    with pytest.raises(ValidationError) as error:
        services.attempt_start(
            actor=operator, assignment=other, now=timezone.now() + dt.timedelta(days=1)
        )
    assert "Срок сдачи" in _messages(error)
    assert Attempt.objects.count() == 1


def test_a_late_submission_is_scored_but_does_not_pass(lead: User, operator: User) -> None:
    assignment = make_assignment(make_test(lead, time_limit_minutes=10), operator, lead)
    attempt = services.attempt_start(actor=operator, assignment=assignment)
    assert attempt.due_at == attempt.started_at + dt.timedelta(minutes=10)
    attempt = services.attempt_submit(
        actor=operator,
        attempt=attempt,
        answers=right_answers(attempt.paper),
        now=attempt.started_at + dt.timedelta(minutes=11),
    )
    assignment.refresh_from_db()
    assert (attempt.score, attempt.late, attempt.passed, assignment.status) == (
        Decimal("100.0"),
        True,
        False,
        "failed",
    )


def test_an_abandoned_timed_attempt_is_closed_when_the_next_one_starts(
    lead: User, operator: User
) -> None:
    assignment = make_assignment(make_test(lead, time_limit_minutes=5), operator, lead)
    first = services.attempt_start(actor=operator, assignment=assignment)
    second = services.attempt_start(
        actor=operator, assignment=assignment, now=first.started_at + dt.timedelta(hours=1)
    )
    first.refresh_from_db()
    assert (first.finished_at is not None, first.late, first.passed, second.number) == (
        True,
        True,
        False,
        2,
    )


# --- Overdue --------------------------------------------------------------------------------


def test_the_daily_job_marks_overdue_and_mails_the_lead_once(
    lead: User, operator: User, mailoutbox: list[Any]
) -> None:
    test = make_test(lead)
    open_one = make_assignment(test, operator, lead, days=1)
    passed = make_assignment(make_test(lead, title="Сдан"), operator, lead, days=1)
    attempt = services.attempt_start(actor=operator, assignment=passed)
    services.attempt_submit(actor=operator, attempt=attempt, answers=right_answers(attempt.paper))
    mailoutbox.clear()
    later = timezone.now() + dt.timedelta(days=3)
    assert services.assignments_overdue_mark(now=later) == 1
    assert services.assignments_overdue_mark(now=later) == 0
    open_one.refresh_from_db()
    passed.refresh_from_db()
    assert (open_one.status, passed.status) == ("overdue", "passed")
    assert [m.to[0] for m in mailoutbox] == [lead.email]
    assert operator.full_name in mailoutbox[0].subject


def test_the_overdue_job_is_scheduled_daily() -> None:
    job = next(j for j in PERIODIC_JOBS if j.name == "quality.certification_overdue")
    assert job.every == dt.timedelta(hours=24)


def test_an_overdue_test_can_be_assigned_again(lead: User, operator: User) -> None:
    test = make_test(lead)
    make_assignment(test, operator, lead, days=0)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        services.assignments_overdue_mark()
        again = make_assignment(test, operator, lead)
    assert again.status == "assigned"
    assert Assignment.objects.filter(test=test, operator=operator).count() == 2


# --- certification_status ----------------------------------------------------------------------


def test_status_gives_each_operator_the_latest_assignment_per_active_test(
    lead: User, operator: User, other_operator: User, django_assert_num_queries: Any
) -> None:
    sla = make_test(lead, title="SLA")
    off = make_test(lead, title="Выключен")
    attempt = services.attempt_start(
        actor=operator, assignment=make_assignment(sla, operator, lead)
    )
    services.attempt_submit(actor=operator, attempt=attempt, answers={})
    make_assignment(off, operator, lead)
    CertificationTest.objects.filter(pk=off.pk).update(is_active=False)
    with django_assert_num_queries(1):
        status = certification_status(operator_ids=[operator.pk, other_operator.pk])
    assert status[other_operator.pk] == []
    (state,) = status[operator.pk]
    assert (state.test_id, state.test_title, state.status, state.last_score, state.passed_at) == (
        sla.pk,
        "SLA",
        "failed",
        Decimal("0.0"),
        None,
    )
