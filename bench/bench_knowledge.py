"""Knowledge base search at 10,000 articles: `article_search` p50/p95 over varied Russian queries.

Usage (on a migrated database; the articles are added once, in their own sections):
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_knowledge.py [--articles 10000] [--runs 5]
    OPORA_DATA_DIR=/tmp/kb-sqlite .venv/bin/python bench/bench_knowledge.py   # SQLite

Articles are made of support-department sentences with varied word forms, a
fifth of them with an English version, a tenth internal drafts. They are
stored in bulk and indexed with the service's own `translation_index`. Each
query runs as an operator (staff search), as the public (portal), and as a
suggestion from a ticket's text (any word), so every path of the search is timed.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from opora.accounts.models import User  # noqa: E402
from opora.core.sequences import sequence_next  # noqa: E402
from opora.knowledge.models import (  # noqa: E402
    Article,
    ArticleTranslation,
    ArticleVersion,
    Section,
)
from opora.knowledge.search import article_search, translation_index  # noqa: E402

SUBJECTS = [
    "заявка", "заявки", "клиент", "клиента", "оператор", "операторы", "счёт", "счета",
    "акт", "документы", "пароль", "пароля", "интеграция", "интеграции", "токен", "вебхук",
    "приоритет", "эскалация", "инцидент", "выгрузка", "отчёт", "отчёты", "тариф", "договор",
    "пользователь", "пользователи", "доступ", "уведомление", "письмо", "портал",
]  # fmt: skip
ACTIONS = [
    "не приходит", "не работает", "нужно проверить", "следует передать", "можно закрыть",
    "необходимо обновить", "зависает при сохранении", "требует подтверждения",
    "создаётся автоматически", "отклоняется сервером", "блокируется после ошибок",
    "отображается неверно", "переносится на вторую линию", "проверяется руководителем",
]  # fmt: skip
DETAILS = [
    "в личном кабинете", "после обновления", "в мобильном приложении", "через API",
    "по производственному календарю", "в течение рабочего дня", "при смене реквизитов",
    "для ключевых клиентов", "в ЭДО", "после сброса пароля", "в очереди первой линии",
    "при выгрузке в 1С", "с вложениями", "по шаблону ответа", "в отчёте за месяц",
]  # fmt: skip
ENGLISH = [
    "password reset", "invoice", "API token", "webhook retries", "ticket priority",
    "escalation", "incident", "export", "integration error", "user access",
]  # fmt: skip
QUERIES = [
    "заявка", "заявки клиентов", "сброс пароля", "пароль не приходит", "счета и акты",
    "закрывающие документы", "токен API", "ошибка интеграции", "вебхуки", "приоритет заявки",
    "эскалация на вторую линию", "инцидент", "выгрузка в 1С", "отчёт за месяц",
    "смена реквизитов", "личный кабинет", "мобильное приложение", "уведомления",
    "договор", "тарифы", "доступ пользователя", "производственный календарь",
    "зявка", "пароль не прихдит", "интеграцыя", "эскалацыя", "докуметы",
    "клиент не может войти в личный кабинет после обновления",
]  # fmt: skip


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(ACTIONS)} {rng.choice(DETAILS)}."


def generate(count: int, rng: random.Random) -> int:
    """Add `count` articles in bench sections; returns how many were added."""
    author = User.objects.filter(is_active=True).order_by("pk").first()
    if author is None:
        author = User.objects.create_user("bench@opora.local", full_name="Бенч", role="lead")
    sections = [
        Section.objects.get_or_create(
            parent=None,
            name=f"Бенч {index}",
            defaults={"owner": author, "is_public": index % 2 == 0},
        )[0]
        for index in range(10)
    ]
    now = timezone.now()
    first = sequence_next("kb_article", count=count)
    batch = 1000
    for start in range(0, count, batch):
        with transaction.atomic():
            size = min(batch, count - start)
            articles = Article.objects.bulk_create(
                [
                    Article(
                        number=first + start + offset,
                        section=rng.choice(sections),
                        kind="script" if rng.random() < 0.05 else "article",
                        visibility="public" if rng.random() < 0.4 else "internal",
                        status="draft" if rng.random() < 0.1 else "published",
                        author=author,
                        published_at=now,
                        review_by=now.date(),
                    )
                    for offset in range(size)
                ]
            )
            texts = []
            for article in articles:
                title = f"{rng.choice(SUBJECTS).capitalize()}: {rng.choice(ACTIONS)} {rng.choice(DETAILS)}"
                body = "\n\n".join(
                    " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
                    for _ in range(rng.randint(3, 8))
                )
                texts.append(
                    ArticleTranslation(article=article, language="ru", title=title, body=body)
                )
                if rng.random() < 0.2:
                    topic = rng.choice(ENGLISH)
                    texts.append(
                        ArticleTranslation(
                            article=article,
                            language="en",
                            title=f"How to handle {topic}",
                            body=f"Steps for {topic}: check the settings, then contact support.",
                        )
                    )
            # Re-read: SQLite's bulk_create does not return primary keys of related rows' parents.
            ArticleTranslation.objects.bulk_create(texts)
            saved = ArticleTranslation.objects.filter(article__in=articles)
            ArticleVersion.objects.bulk_create(
                [
                    ArticleVersion(
                        article_id=t.article_id,
                        language=t.language,
                        number=1,
                        title=t.title,
                        body=t.body,
                        author=author,
                        published_at=now,
                    )
                    for t in saved
                ]
            )
            for translation in saved:
                translation_index(translation)
        print(f"  {start + size} articles", flush=True)
    return count


def measure(label: str, runs: int, call: object) -> tuple[str, float, float, int]:
    times = []
    found = 0
    for _ in range(runs):
        for query in QUERIES:
            started = time.perf_counter()
            hits = call(query)  # type: ignore[operator]
            times.append((time.perf_counter() - started) * 1000)
            found += bool(hits)
    times.sort()
    p95 = times[max(int(len(times) * 0.95) - 1, 0)]
    return label, statistics.median(times), p95, found // runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    existing = Article.objects.count()
    if existing < args.articles:
        started = time.perf_counter()
        generate(args.articles - existing, rng)
        print(f"generated {args.articles - existing} in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    operator = User.objects.filter(role="operator", is_active=True).first() or User.objects.get(
        email="bench@opora.local"
    )
    cases = [
        ("staff search", lambda q: article_search(q, language="ru", user_or_public=operator)),
        ("portal search", lambda q: article_search(q, language="ru", user_or_public=None)),
        (
            "composer suggestions (any word)",
            lambda q: article_search(
                q, language="ru", user_or_public=operator, any_term=True, limit=6
            ),
        ),
    ]
    for _label, call in cases:  # warm connections and caches
        call("заявка")
    print(
        f"{connection.vendor}, {Article.objects.count()} articles, "
        f"{ArticleTranslation.objects.count()} texts; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; {len(QUERIES)} queries × {args.runs} runs"
    )
    print("| case | p50 ms | p95 ms | queries with hits |")
    print("|---|---:|---:|---:|")
    for label, call in cases:
        name, p50, p95, found = measure(label, args.runs, call)
        print(f"| {name} | {p50:.1f} | **{p95:.1f}** | {found}/{len(QUERIES)} |")


if __name__ == "__main__":
    main()
