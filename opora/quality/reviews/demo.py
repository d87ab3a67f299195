"""Demo QA: a scorecard and reviews of the demo team's tickets."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from opora.accounts.models import User
from opora.quality.models import Criterion, Review, Scorecard
from opora.quality.reviews import services
from opora.quality.reviews.services import AnswerInput, CategorySpec, CriterionSpec
from opora.tickets.models import Ticket

SCORECARD = "Стандарт качества ответа"
SCALE = Criterion.Kind.SCALE
CATEGORIES = [
    CategorySpec(
        "Приветствие и тон",
        [
            CriterionSpec("Поздоровался и представился", weight=1),
            CriterionSpec("Вежливый, доброжелательный тон", kind=SCALE, weight=2, scale_max=5),
            CriterionSpec("Обратился к клиенту по имени", weight=1, allows_na=True),
        ],
    ),
    CategorySpec(
        "Решение вопроса",
        [
            CriterionSpec(
                "Ответ корректен",
                weight=3,
                is_critical=True,
                help="Неверный ответ обнуляет всю оценку.",
            ),
            CriterionSpec("Вопрос решён полностью", kind=SCALE, weight=3, scale_max=5),
            CriterionSpec("Дана ссылка на статью базы знаний", weight=1, allows_na=True),
        ],
    ),
    CategorySpec(
        "Оформление и SLA",
        [
            CriterionSpec("Текст без ошибок, аккуратно оформлен", weight=1),
            CriterionSpec("Ответ уложился в срок SLA", weight=2, allows_na=True),
        ],
    ),
]
REVIEWS = 32
OPERATORS = ("operator@opora.demo", "sokolova@opora.demo", "lebedev@opora.demo")
COMMENTS = [
    "Хороший ответ, клиент получил решение с первого раза.",
    "Не хватило ссылки на инструкцию, в остальном хорошо.",
    "Тон суховат — добавьте обращение по имени.",
    "",
]


def _answers(
    rng: random.Random, criteria: list[Criterion], *, fail_critical: bool
) -> dict[int, AnswerInput]:
    """A believable reviewer: mostly good, now and then a miss; scores land around 60–100."""
    answers = {}
    for criterion in criteria:
        if criterion.allows_na and rng.random() < 0.2:
            answers[criterion.pk] = AnswerInput(is_na=True)
        elif criterion.is_critical:
            answers[criterion.pk] = AnswerInput(value=0 if fail_critical else 1)
        elif criterion.kind == SCALE:
            answers[criterion.pk] = AnswerInput(value=rng.choice([3, 4, 4, 5, 5]))
        else:
            answers[criterion.pk] = AnswerInput(value=1 if rng.random() < 0.8 else 0)
    return answers


def _backdate(review: Review, at: dt.datetime) -> None:
    Review.objects.filter(pk=review.pk).update(created_at=at, submitted_at=at)


@transaction.atomic
def seed_reviews() -> None:
    """Idempotent: running the demo seed again adds nothing."""
    if Scorecard.objects.filter(name=SCORECARD).exists():
        return
    head = User.objects.filter(email="head@opora.demo").first()
    lead = User.objects.filter(email="lead@opora.demo").first()
    operators = list(User.objects.filter(email__in=OPERATORS))
    if head is None or lead is None or not operators:
        return
    scorecard = services.scorecard_create(
        actor=head,
        name=SCORECARD,
        description="Базовая карта оценки ответа клиенту для первой и второй линии.",
        categories=CATEGORIES,
    )
    criteria = services.scorecard_criteria(scorecard)
    now = timezone.now()
    tickets = list(
        Ticket.objects.filter(
            status__in=(Ticket.Status.RESOLVED, Ticket.Status.CLOSED),
            assignee__in=operators,
            resolved_at__gte=now - dt.timedelta(days=90),
            resolved_at__lt=now - dt.timedelta(days=2),
            is_spam=False,
        )
        .select_related("assignee")
        .order_by("id")[:2000]
    )
    rng = random.Random(7)  # noqa: S311 -- demo data, reproducible on purpose
    chosen = rng.sample(tickets, min(REVIEWS + 1, len(tickets)))
    reviews: list[Review] = []
    for index, ticket in enumerate(chosen[:REVIEWS]):
        reviewer = lead if index % 3 else head
        review = services.review_start(actor=reviewer, ticket=ticket, scorecard=scorecard)
        review = services.review_submit(
            actor=reviewer,
            review=review,
            answers=_answers(rng, criteria, fail_critical=index == 5),
            comment=rng.choice(COMMENTS),
            notify=False,
        )
        resolved_at = ticket.resolved_at or now
        _backdate(review, min(now, resolved_at + dt.timedelta(hours=rng.randint(20, 70))))
        reviews.append(review)
    demo_operator = next((u for u in operators if u.email == OPERATORS[0]), None)
    disputed = next(
        (r for r in reversed(reviews) if r.operator == demo_operator and not r.critical_failed),
        None,
    )
    if disputed is not None and demo_operator is not None:
        services.review_comment_add(
            actor=demo_operator,
            review=disputed,
            text="Ссылку на статью не дал, потому что клиент уже читал её — он сам написал об этом.",
        )
        services.review_comment_add(
            actor=disputed.reviewer,
            review=disputed,
            text="Тогда стоило упомянуть это в ответе: так видно, что вы учли контекст.",
        )
        services.dispute_open(
            actor=demo_operator,
            review=disputed,
            reason="Критерий «ссылка на статью» здесь неприменим: клиент уже читал статью.",
        )
    if len(chosen) > REVIEWS:
        ticket = chosen[REVIEWS]
        session = services.calibration_create(
            actor=head,
            ticket=ticket,
            scorecard=scorecard,
            reviewers=[head, lead],
            title=f"Калибровка: {ticket.reference}",
        )
        for reviewer in (head, lead):
            review = services.review_start(
                actor=reviewer, ticket=ticket, scorecard=scorecard, calibration=session
            )
            services.review_submit(
                actor=reviewer,
                review=review,
                answers=_answers(rng, criteria, fail_critical=False),
                comment="",
            )
        services.calibration_close(actor=head, session=session)
