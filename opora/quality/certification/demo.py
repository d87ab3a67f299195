"""Demo certification: a test built from knowledge-base articles, assigned with results.

Runs after the knowledge-base demo: the test's material is the published articles
whose titles mention its topics (or the first published articles); with an empty
knowledge base the test simply has no material. Assignments are written directly
(the demo's past, without emails); attempts go through the services so their
scores follow the real rules.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from opora.accounts.models import User
from opora.knowledge.models import Article
from opora.quality.certification import services
from opora.quality.certification.selectors import published_articles_search
from opora.quality.certification.services import ChoiceDraft, QuestionDraft, TestDraft
from opora.quality.models import Assignment, Attempt, CertificationTest

SLA_TITLE = "Аттестация первой линии: SLA и эскалации"
KB_TITLE = "Работа с базой знаний и скриптами"

# (question, kind, topic, [(answer, correct), …]); the topic picks the article to study.
SLA_QUESTIONS = [
    (
        "За какое время нужно дать первый ответ по экстренной заявке?",
        "single",
        "sla",
        [
            ("15 минут", True),
            ("1 час", False),
            ("4 рабочих часа", False),
            ("24 рабочих часа", False),
        ],
    ),
    (
        "Как считается время по экстренной заявке?",
        "single",
        "sla",
        [
            ("Круглосуточно, 24×7, включая выходные и праздники", True),
            ("Только в рабочие часы по производственному календарю", False),
            ("Только в будни с 9:00 до 18:00 по времени клиента", False),
        ],
    ),
    (
        "За какое время должна быть решена экстренная заявка?",
        "single",
        "sla",
        [("4 рабочих часа", True), ("15 минут", False), ("24 рабочих часа", False)],
    ),
    (
        "Каков срок решения стандартной заявки?",
        "single",
        "sla",
        [
            ("24 рабочих часа, но не более 5 календарных дней", True),
            ("48 рабочих часов без ограничения в днях", False),
            ("8 рабочих часов", False),
        ],
    ),
    (
        "Каков срок решения консультации?",
        "single",
        "sla",
        [
            ("48 рабочих часов, но не более 5 календарных дней", True),
            ("24 рабочих часа", False),
            ("Срока нет, консультации отвечаются по мере возможности", False),
        ],
    ),
    (
        "Какие цели по соблюдению SLA установлены для отдела? Отметьте все верные.",
        "multiple",
        "sla",
        [
            ("100% экстренных заявок — в срок", True),
            ("Не менее 95% остальных заявок — в срок", True),
            ("90% экстренных заявок — в срок", False),
            ("80% стандартных заявок — в срок", False),
        ],
    ),
    (
        "Когда заявку нужно эскалировать на вторую линию? Отметьте все верные.",
        "multiple",
        "escalation",
        [
            ("Для решения нужны доступы или компетенции второй линии", True),
            ("Срок по SLA подходит к концу, а решения нет", True),
            ("Клиент написал повторно по той же заявке", False),
            ("Заявка пришла по электронной почте, а не через портал", False),
        ],
    ),
    (
        "Что обязательно сделать при эскалации? Отметьте все верные.",
        "multiple",
        "escalation",
        [
            ("Записать в заявке, что уже проверено и что известно", True),
            ("Сообщить клиенту, что заявка передана специалистам", True),
            ("Закрыть заявку и попросить клиента написать заново", False),
        ],
    ),
]
KB_QUESTIONS = [
    (
        "Где искать ответ на типовой вопрос клиента в первую очередь?",
        "single",
        "kb",
        [("В базе знаний", True), ("В личной переписке коллег", False), ("У руководителя", False)],
    ),
    (
        "Что делать, если статья базы знаний устарела? Отметьте все верные.",
        "multiple",
        "kb",
        [
            ("Сообщить владельцу раздела", True),
            ("Отметить статью как бесполезную с комментарием", True),
            ("Продолжать отвечать по устаревшей статье", False),
        ],
    ),
    (
        "Можно ли менять текст скрипта перед отправкой клиенту?",
        "single",
        "kb",
        [
            ("Да, подставив данные клиента и сохранив смысл", True),
            ("Нет, скрипт отправляется только без изменений", False),
        ],
    ),
]
TOPIC_WORDS = {
    "sla": ["SLA", "срок", "приоритет"],
    "escalation": ["эскалация"],
    "kb": ["скрипт", "база знаний"],
}


def _topic_articles(reader: User) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for topic, words in TOPIC_WORDS.items():
        ids: list[int] = []
        for word in words:
            found_now = published_articles_search(word, user=reader, limit=3)
            ids += [a.id for a in found_now if a.id not in ids]
        found[topic] = ids[:3]
    if not any(found.values()):
        first = list(
            Article.objects.filter(status=Article.Status.PUBLISHED)
            .order_by("number")
            .values_list("pk", flat=True)[:3]
        )
        found = {topic: first for topic in TOPIC_WORDS}
    return found


def _draft(
    title: str,
    description: str,
    questions: list[tuple[str, str, str, list[tuple[str, bool]]]],
    reader: User,
) -> TestDraft:
    topics = _topic_articles(reader)
    used = {topic for _text, _kind, topic, _choices in questions}
    return TestDraft(
        title=title,
        description=description,
        pass_mark=80,
        time_limit_minutes=20,
        attempts_allowed=2,
        article_ids=tuple(pk for topic in sorted(used) for pk in topics[topic]),
        questions=tuple(
            QuestionDraft(
                text=text,
                kind=kind,
                article_id=topics[topic][0] if topics[topic] else None,
                choices=tuple(ChoiceDraft(answer, correct) for answer, correct in choices),
            )
            for text, kind, topic, choices in questions
        ),
    )


def _assign(
    test: CertificationTest, operator: User, lead: User, *, assigned: dt.datetime, deadline: dt.date
) -> Assignment:
    return Assignment.objects.create(
        test=test, operator=operator, assigned_by=lead, assigned_at=assigned, deadline=deadline
    )


def _take(assignment: Assignment, *, right: int, at: dt.datetime) -> Attempt:
    """An attempt at `at` answering the first `right` questions correctly and the rest wrong."""
    attempt = services.attempt_start(actor=assignment.operator, assignment=assignment, now=at)
    answers: dict[int, list[int]] = {}
    for index, question in enumerate(attempt.paper):
        wanted = index < right
        answers[question["id"]] = [
            c["id"] for c in question["choices"] if c["is_correct"] == wanted
        ][: None if wanted else 1]
    return services.attempt_submit(
        actor=assignment.operator,
        attempt=attempt,
        answers=answers,
        now=at + dt.timedelta(minutes=12),
    )


@transaction.atomic
def seed_certification() -> None:
    """Idempotent: running the demo seed again adds nothing."""
    if CertificationTest.objects.filter(title=SLA_TITLE).exists():
        return
    lead = User.objects.filter(email="lead@opora.demo").first()
    people = {u.email: u for u in User.objects.filter(email__endswith="@opora.demo")}
    if lead is None:
        return
    sla = services.test_create(
        actor=lead,
        draft=_draft(
            SLA_TITLE,
            "Сроки SLA по типам заявок и правила эскалации на вторую линию. "
            "Перед тестом перечитайте статьи из материалов.",
            SLA_QUESTIONS,
            lead,
        ),
    )
    kb = services.test_create(
        actor=lead,
        draft=_draft(
            KB_TITLE, "Как пользоваться базой знаний и скриптами ответов.", KB_QUESTIONS, lead
        ),
    )
    now = timezone.now()
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    ivan = people.get("operator@opora.demo")
    maria = people.get("sokolova@opora.demo")
    alexey = people.get("lebedev@opora.demo")
    if ivan:
        passed = _assign(sla, ivan, lead, assigned=now - 20 * day, deadline=today - 10 * day)
        _take(passed, right=7, at=now - 15 * day)
        _assign(kb, ivan, lead, assigned=now - day, deadline=today + 10 * day)
    if maria:
        failed = _assign(sla, maria, lead, assigned=now - 6 * day, deadline=today + 5 * day)
        _take(failed, right=5, at=now - 2 * day)
    if alexey:
        late = _assign(sla, alexey, lead, assigned=now - 17 * day, deadline=today - 3 * day)
        Assignment.objects.filter(pk=late.pk).update(
            status=Assignment.Status.OVERDUE, overdue_at=now - 2 * day
        )
