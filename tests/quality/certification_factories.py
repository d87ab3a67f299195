"""Builders for certification tests: a knowledge-base article, a small test, an assignment."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from opora.accounts.models import User
from opora.knowledge.models import Article, Section
from opora.quality.certification import services
from opora.quality.certification.services import ChoiceDraft, QuestionDraft, TestDraft
from opora.quality.models import Assignment, CertificationTest
from tests.knowledge.factories import make_article as kb_article
from tests.knowledge.factories import make_section

_numbers = itertools.count(9000)


def make_article(
    owner: User, title: str = "Приоритеты заявок", status: str = Article.Status.PUBLISHED
) -> Article:
    """An article made by the knowledge base's services, so its search index is real."""
    section = Section.objects.filter(name="Заявки", parent=None).first() or make_section(
        owner=owner
    )
    published = status == Article.Status.PUBLISHED
    return kb_article(
        author=owner, section=section, title=title, publish_as=owner if published else None
    )


def sla_questions(article_id: int | None = None) -> tuple[QuestionDraft, ...]:
    """Two questions: a single choice worth 1 point and a multiple choice worth 3."""
    return (
        QuestionDraft(
            text="Время первого ответа на экстренную заявку?",
            kind="single",
            points=1,
            article_id=article_id,
            choices=(
                ChoiceDraft("15 минут", True),
                ChoiceDraft("1 час", False),
                ChoiceDraft("4 часа", False),
            ),
        ),
        QuestionDraft(
            text="Что считается экстренной заявкой?",
            kind="multiple",
            points=3,
            choices=(
                ChoiceDraft("Система недоступна всем", True),
                ChoiceDraft("Потеря данных", True),
                ChoiceDraft("Вопрос по отчёту", False),
            ),
        ),
    )


def make_test(
    actor: User,
    *,
    title: str = "Аттестация: SLA",
    pass_mark: int = 75,
    attempts_allowed: int = 2,
    time_limit_minutes: int | None = None,
    article: Article | None = None,
) -> CertificationTest:
    draft = TestDraft(
        title=title,
        pass_mark=pass_mark,
        attempts_allowed=attempts_allowed,
        time_limit_minutes=time_limit_minutes,
        article_ids=(article.pk,) if article else (),
        questions=sla_questions(article.pk if article else None),
    )
    return services.test_create(actor=actor, draft=draft)


def make_assignment(
    test: CertificationTest, operator: User, actor: User, *, days: int = 7
) -> Assignment:
    deadline = timezone.localdate() + dt.timedelta(days=days)
    result = services.test_assign(
        actor=actor, test=test, operator_ids=[operator.pk], deadline=deadline
    )
    return result.created[0]


def right_answers(attempt_paper: list[dict[str, object]]) -> dict[int, list[int]]:
    """The all-correct answer sheet for an attempt's paper."""
    answers: dict[int, list[int]] = {}
    for question in attempt_paper:
        choices = question["choices"]
        assert isinstance(choices, list)
        answers[int(str(question["id"]))] = [int(c["id"]) for c in choices if c["is_correct"]]
    return answers
