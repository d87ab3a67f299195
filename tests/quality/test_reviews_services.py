"""QA services and selectors: scorecards, reviews, disputes, calibration, sampling, IQS."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opora.accounts.models import User
from opora.core.models import AuditEntry
from opora.quality.models import CsatResponse, Dispute, Review, ReviewAnswer, Scorecard
from opora.quality.reviews import selectors, services
from opora.quality.reviews.services import AnswerInput, CategorySpec, CriterionSpec
from opora.tickets.models import Ticket
from tests.quality.test_reviews_helpers import (
    criteria_of,
    good_answers,
    make_ticket,
    scorecard,
    submitted_review,
)

__all__ = ["scorecard"]


# ---------------------------------------------------------------- scorecards


def test_it_creates_a_scorecard_with_categories_and_criteria(scorecard: Scorecard) -> None:
    assert [c.name for c in scorecard.categories.all()] == ["Приветствие", "Решение"]
    assert list(criteria_of(scorecard)) == [
        "Поздоровался",
        "Тон вежливый",
        "Ответ корректен",
        "Ссылка на базу знаний",
    ]
    assert AuditEntry.objects.filter(action="scorecard.create").count() == 1


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        ([CategorySpec("Пусто", [])], "хотя бы один критерий"),
        ([CategorySpec("А", [CriterionSpec("  ")])], "введите текст"),
        ([CategorySpec("А", [CriterionSpec("Текст", weight=0)])], "вес должен быть не меньше 1"),
        ([CategorySpec("А", [CriterionSpec("Т", kind="scale", scale_max=11)])], "от 2 до 10"),
        ([CategorySpec("", [CriterionSpec("Т")])], "введите название"),
    ],
)
def test_it_refuses_a_bad_scorecard(
    head: User, categories: list[CategorySpec], message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.scorecard_create(actor=head, name="Плохой", categories=categories)
    assert message in " ".join(error.value.messages)
    assert not Scorecard.objects.exists()


def test_editing_a_scorecard_does_not_change_past_reviews(
    scorecard: Scorecard, lead: User, operator: User, head: User
) -> None:
    review = submitted_review(lead, operator, scorecard)
    assert review.score == Decimal("91.67")  # (1 + 2·0.75 + 3) / 6 — N/A left out
    c = criteria_of(scorecard)
    services.scorecard_update(
        actor=head,
        scorecard=scorecard,
        name="Стандарт 2",
        categories=[
            CategorySpec(
                "Решение",
                [CriterionSpec("Ответ верный", weight=10, id=c["Ответ корректен"].pk)],
                id=c["Ответ корректен"].category_id,
            )
        ],
    )
    assert list(criteria_of(scorecard)) == ["Ответ верный"]
    review.refresh_from_db()
    assert review.score == Decimal("91.67")
    texts = {a.text for a in review.answers.all()}
    assert texts == {"Поздоровался", "Ответ корректен", "Ссылка на базу знаний", "Тон вежливый"}


# ---------------------------------------------------------------- reviews


def test_a_review_is_scored_and_the_operator_notified(
    scorecard: Scorecard, lead: User, operator: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        review = submitted_review(lead, operator, scorecard)
    assert review.status == Review.Status.SUBMITTED
    assert review.submitted_at is not None
    assert not review.critical_failed
    assert [m.to for m in mail.outbox] == [[operator.email]]
    assert f"/quality/reviews/{review.pk}/" in mail.outbox[0].body


def test_a_failed_critical_criterion_zeroes_the_review(
    scorecard: Scorecard, lead: User, operator: User
) -> None:
    review = services.review_start(
        actor=lead, ticket=make_ticket(assignee=operator), scorecard=scorecard
    )
    answers = good_answers(scorecard)
    answers[criteria_of(scorecard)["Ответ корректен"].pk] = AnswerInput(value=0)
    review = services.review_submit(actor=lead, review=review, answers=answers, comment="")
    assert (review.score, review.critical_failed) == (Decimal("0.00"), True)


def test_the_operator_defaults_to_the_assignee(
    scorecard: Scorecard, lead: User, operator: User
) -> None:
    review = services.review_start(
        actor=lead, ticket=make_ticket(assignee=operator), scorecard=scorecard
    )
    assert review.operator == operator
    assert review.status == Review.Status.DRAFT


def test_a_reviewer_cannot_review_their_own_ticket(scorecard: Scorecard, lead: User) -> None:
    with pytest.raises(ValidationError, match="Нельзя проверять собственное"):
        services.review_start(actor=lead, ticket=make_ticket(assignee=lead), scorecard=scorecard)
    assert not Review.objects.exists()


def test_an_unanswered_open_ticket_cannot_be_reviewed(
    scorecard: Scorecard, lead: User, operator: User
) -> None:
    ticket = make_ticket(assignee=operator, status=Ticket.Status.OPEN, reply=False)
    with pytest.raises(ValidationError, match="только решённое обращение"):
        services.review_start(actor=lead, ticket=ticket, scorecard=scorecard)
    answered = make_ticket(assignee=operator, status=Ticket.Status.OPEN, reply=True)
    assert services.review_start(actor=lead, ticket=answered, scorecard=scorecard).pk


def test_a_ticket_is_reviewed_once_per_operator(
    scorecard: Scorecard, lead: User, head: User, operator: User
) -> None:
    ticket = make_ticket(assignee=operator)
    services.review_start(actor=lead, ticket=ticket, scorecard=scorecard)
    with pytest.raises(ValidationError, match="уже проверена"):
        services.review_start(actor=head, ticket=ticket, scorecard=scorecard)


def test_submitting_with_missing_answers_names_them_and_keeps_the_draft(
    scorecard: Scorecard, lead: User, operator: User
) -> None:
    review = services.review_start(
        actor=lead, ticket=make_ticket(assignee=operator), scorecard=scorecard
    )
    c = criteria_of(scorecard)
    with pytest.raises(ValidationError) as error:
        services.review_submit(
            actor=lead,
            review=review,
            answers={c["Поздоровался"].pk: AnswerInput(value=1)},
            comment="",
        )
    assert "«Тон вежливый»" in error.value.messages[0]
    assert "«Поздоровался»" not in error.value.messages[0]
    review.refresh_from_db()
    assert review.status == Review.Status.DRAFT
    assert review.score is None


@pytest.mark.parametrize(
    ("criterion", "answer", "message"),
    [
        ("Тон вежливый", AnswerInput(value=6), "недопустимый ответ"),
        ("Поздоровался", AnswerInput(value=2), "недопустимый ответ"),
        ("Поздоровался", AnswerInput(is_na=True), "нельзя отметить «Н/П»"),
    ],
)
def test_it_refuses_invalid_answers(
    scorecard: Scorecard,
    lead: User,
    operator: User,
    criterion: str,
    answer: AnswerInput,
    message: str,
) -> None:
    review = services.review_start(
        actor=lead, ticket=make_ticket(assignee=operator), scorecard=scorecard
    )
    answers = good_answers(scorecard)
    answers[criteria_of(scorecard)[criterion].pk] = answer
    with pytest.raises(ValidationError, match=message):
        services.review_submit(actor=lead, review=review, answers=answers, comment="")
    assert not ReviewAnswer.objects.exists()


def test_it_refuses_an_answer_for_another_scorecards_criterion(
    scorecard: Scorecard, head: User, lead: User, operator: User
) -> None:
    from tests.quality.test_reviews_helpers import make_scorecard

    other = make_scorecard(head, "Другая")
    review = services.review_start(
        actor=lead, ticket=make_ticket(assignee=operator), scorecard=scorecard
    )
    answers = good_answers(scorecard)
    answers[next(iter(criteria_of(other).values())).pk] = AnswerInput(value=1)
    with pytest.raises(ValidationError, match="нет в этом чек-листе"):
        services.review_save(actor=lead, review=review, answers=answers, comment="")


def test_only_the_reviewer_edits_a_draft(
    scorecard: Scorecard, lead: User, head: User, operator: User
) -> None:
    review = services.review_start(
        actor=lead, ticket=make_ticket(assignee=operator), scorecard=scorecard
    )
    for intruder in (head, operator):
        with pytest.raises(PermissionDenied):
            services.review_save(actor=intruder, review=review, answers={}, comment="")


# ---------------------------------------------------------------- comments and disputes


def test_the_operator_comments_and_disputes_and_the_lead_upholds(
    scorecard: Scorecard, lead: User, head: User, operator: User
) -> None:
    review = submitted_review(lead, operator, scorecard)
    services.review_comment_add(actor=operator, review=review, text="Почему 91?")
    dispute = services.dispute_open(actor=operator, review=review, reason="Тон был вежливым")
    review.refresh_from_db()
    assert review.is_disputed
    with pytest.raises(ValidationError, match="уже оспаривается"):
        services.dispute_open(actor=operator, review=review, reason="Ещё раз")
    services.dispute_resolve(actor=head, dispute=dispute, uphold=True, note="Пересмотрим")
    review.refresh_from_db()
    assert (review.status, review.is_disputed) == (Review.Status.DRAFT, False)
    answers = good_answers(scorecard)
    answers[criteria_of(scorecard)["Тон вежливый"].pk] = AnswerInput(value=5)
    services.review_submit(actor=head, review=review, answers=answers, comment="Пересчитано")
    dispute.refresh_from_db()
    assert (dispute.score_before, dispute.score_after) == (Decimal("91.67"), Decimal("100.00"))
    assert AuditEntry.objects.filter(action="review.rescore").exists()


def test_only_the_reviewed_operator_may_dispute(
    scorecard: Scorecard, lead: User, operator: User, other_operator: User
) -> None:
    review = submitted_review(lead, operator, scorecard)
    with pytest.raises(ValidationError, match="только оператор, чью работу проверили"):
        services.dispute_open(actor=other_operator, review=review, reason="Не согласен")
    assert not Dispute.objects.exists()


def test_a_rejection_needs_a_note_and_keeps_the_score(
    scorecard: Scorecard, lead: User, operator: User
) -> None:
    review = submitted_review(lead, operator, scorecard)
    dispute = services.dispute_open(actor=operator, review=review, reason="Не согласен")
    with pytest.raises(ValidationError):
        services.dispute_resolve(actor=lead, dispute=dispute, uphold=False, note=" ")
    services.dispute_resolve(actor=lead, dispute=dispute, uphold=False, note="Оценка верна")
    review.refresh_from_db()
    assert (review.status, review.score, review.is_disputed) == (
        "submitted",
        Decimal("91.67"),
        False,
    )


# ---------------------------------------------------------------- calibration


def test_calibration_reviews_give_a_spread_and_stay_out_of_iqs(
    scorecard: Scorecard, lead: User, head: User, admin_user: User, operator: User
) -> None:
    ticket = make_ticket(assignee=operator)
    session = services.calibration_create(
        actor=head, ticket=ticket, scorecard=scorecard, reviewers=[lead, head]
    )
    c = criteria_of(scorecard)
    for reviewer, tone in ((lead, 5), (head, 1)):
        review = services.review_start(
            actor=reviewer, ticket=ticket, scorecard=scorecard, calibration=session
        )
        answers = good_answers(scorecard)
        answers[c["Тон вежливый"].pk] = AnswerInput(value=tone)
        services.review_submit(actor=reviewer, review=review, answers=answers, comment="")
    spread = selectors.calibration_spread(session, selectors.calibration_reviews(session))
    tone_row = next(row for row in spread.rows if row.label == "Тон вежливый")
    assert (tone_row.spread.min, tone_row.spread.max, tone_row.spread.range) == (0.0, 100.0, 100.0)
    assert spread.overall.spread.range == pytest.approx(33.33, abs=0.01)
    today = timezone.localdate()
    assert selectors.iqs_total(start=today, end=today).reviews == 0
    with pytest.raises(ValidationError, match="не проверяющий"):
        services.review_start(
            actor=admin_user, ticket=ticket, scorecard=scorecard, calibration=session
        )
    services.calibration_close(actor=head, session=session)
    with pytest.raises(ValidationError, match="уже закрыта"):
        services.calibration_close(actor=head, session=session)


def test_a_calibration_needs_two_reviewers(
    scorecard: Scorecard, head: User, operator: User
) -> None:
    with pytest.raises(ValidationError, match="не менее двух проверяющих"):
        services.calibration_create(
            actor=head, ticket=make_ticket(assignee=operator), scorecard=scorecard, reviewers=[head]
        )


# ---------------------------------------------------------------- IQS and sampling


def test_iqs_by_operator_total_and_trend(
    scorecard: Scorecard,
    lead: User,
    operator: User,
    other_operator: User,
    django_assert_num_queries: Any,
) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        submitted_review(lead, operator, scorecard)
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC), tick=False):
        review = services.review_start(
            actor=lead, ticket=make_ticket(assignee=other_operator), scorecard=scorecard
        )
        answers = good_answers(scorecard)
        answers[criteria_of(scorecard)["Ответ корректен"].pk] = AnswerInput(value=0)
        services.review_submit(actor=lead, review=review, answers=answers, comment="")
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    with django_assert_num_queries(1):
        by_operator = selectors.iqs_by_operator(start=start, end=end)
    assert by_operator[operator.pk] == selectors.IqsValue(91.67, 1, 0)
    assert by_operator[other_operator.pk] == selectors.IqsValue(0.0, 1, 1)
    with django_assert_num_queries(1):
        total = selectors.iqs_total(start=start, end=end)
    assert total == selectors.IqsValue(45.84, 2, 1)
    assert selectors.iqs_total(start=start, end=end, team_id=operator.team_id).reviews == 1
    with django_assert_num_queries(1):
        trend = selectors.iqs_trend(start=start, end=end, grain="week")
    assert trend[0] == (dt.date(2026, 2, 23), selectors.EMPTY)
    assert trend[1] == (dt.date(2026, 3, 2), selectors.IqsValue(91.67, 1, 0))
    assert trend[2][1].critical_failed == 1
    days = selectors.iqs_trend(start=start, end=end, grain="day", operator_id=operator.pk)
    assert len(days) == 31
    assert days[1] == (dt.date(2026, 3, 2), selectors.IqsValue(91.67, 1, 0))


def test_the_sample_is_stable_unreviewed_and_filtered(
    scorecard: Scorecard, lead: User, operator: User, other_operator: User
) -> None:
    tickets = [make_ticket(assignee=operator) for _ in range(6)]
    make_ticket(assignee=lead)  # the reviewer's own: never offered
    make_ticket(assignee=operator, status=Ticket.Status.OPEN)  # not resolved
    breached = make_ticket(assignee=other_operator, sla_breached=True)
    low = make_ticket(assignee=other_operator)
    CsatResponse.objects.create(ticket=low, score=2, channel="email")
    today = timezone.localdate()
    args = {"reviewer": lead, "start": today - dt.timedelta(days=7), "end": today, "seed": "x"}
    first = selectors.review_sample(per_operator=3, **args)
    again = selectors.review_sample(per_operator=3, **args)
    assert [[t.pk for t in row.tickets] for row in first] == [
        [t.pk for t in row.tickets] for row in again
    ]
    mine = next(row for row in first if row.operator == operator)
    assert (len(mine.tickets), mine.available) == (3, 6)
    assert {row.operator for row in first} == {operator, other_operator}
    services.review_start(actor=lead, ticket=tickets[0], scorecard=scorecard)
    after = selectors.review_sample(per_operator=10, operator_id=operator.pk, **args)
    assert tickets[0].pk not in [t.pk for t in after[0].tickets]
    by_sla = selectors.review_sample(kind="sla_breached", **args)
    assert [t.pk for row in by_sla for t in row.tickets] == [breached.pk]
    by_csat = selectors.review_sample(kind="low_csat", **args)
    assert [t.pk for row in by_csat for t in row.tickets] == [low.pk]
