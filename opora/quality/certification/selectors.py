"""Certification reads: the status other pages show, lists, histories, who may see what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from opora.accounts.models import Team, User
from opora.core.access import Perm, has_perm
from opora.knowledge.models import Article, ArticleTranslation
from opora.knowledge.search import article_search
from opora.quality.certification.services import CERTIFIED_ROLES
from opora.quality.models import Assignment, Attempt, CertificationTest


@dataclass(frozen=True)
class CertificationState:
    """An operator's standing on one active test (their latest assignment of it)."""

    test_id: int
    test_title: str
    status: str
    last_score: Decimal | None
    deadline: dt.date
    passed_at: dt.datetime | None


def _last_score() -> Subquery:
    return Subquery(
        Attempt.objects.filter(assignment=OuterRef("pk"), finished_at__isnull=False)
        .order_by("-finished_at", "-number")
        .values("score")[:1],
        output_field=DecimalField(max_digits=4, decimal_places=1),
    )


def certification_status(*, operator_ids: list[int]) -> dict[int, list[CertificationState]]:
    """Each operator's latest assignment of every active test, in one query.

    Operators with nothing assigned map to an empty list; tests never assigned to
    someone are absent from their list. `status` already reads «overdue» for an open
    assignment past its deadline.
    """
    today = timezone.localdate()
    result: dict[int, list[CertificationState]] = {pk: [] for pk in operator_ids}
    rows = (
        Assignment.objects.filter(operator_id__in=operator_ids, test__is_active=True)
        .select_related("test")
        .annotate(last_score=_last_score())
        .order_by("operator_id", "test__title", "test_id", "-assigned_at", "-id")
    )
    seen: set[tuple[int, int]] = set()
    for row in rows:
        key = (row.operator_id, row.test_id)
        if key in seen:
            continue
        seen.add(key)
        result[row.operator_id].append(
            CertificationState(
                test_id=row.test_id,
                test_title=row.test.title,
                status=row.state(today),
                last_score=row.last_score,
                deadline=row.deadline,
                passed_at=row.passed_at,
            )
        )
    return result


# --- Knowledge-base articles --------------------------------------------------------------


@dataclass(frozen=True)
class ArticleLink:
    id: int
    number: int
    title: str
    url: str


def article_url(number: int) -> str:
    """The reader's page of an article in the knowledge base."""
    return reverse("knowledge:article-detail", args=[number])


def _links(articles: QuerySet[Article]) -> list[ArticleLink]:
    language = (get_language() or "ru")[:2]
    articles = articles.prefetch_related(
        Prefetch(
            "translations", queryset=ArticleTranslation.objects.only("article", "language", "title")
        )
    )
    links = []
    for article in articles:
        titles = {t.language: t.title for t in article.translations.all()}
        title = titles.get(language) or titles.get("ru") or next(iter(titles.values()), "")
        links.append(
            ArticleLink(
                id=article.pk,
                number=article.number,
                title=title or str(article),
                url=article_url(article.number),
            )
        )
    return links


def article_links(article_ids: Iterable[int]) -> dict[int, ArticleLink]:
    ids = {pk for pk in article_ids if pk}
    if not ids:
        return {}
    return {link.id: link for link in _links(Article.objects.filter(pk__in=ids))}


def published_articles_search(query: str, *, user: User, limit: int = 20) -> list[ArticleLink]:
    """Published articles to study, found by the knowledge base's own search (word forms,
    typos) in every language; the first published ones when there is no query."""
    articles = Article.objects.filter(status=Article.Status.PUBLISHED)
    if not query.strip():
        return _links(articles.order_by("number")[:limit])
    ids: list[int] = []
    for language, _name in settings.LANGUAGES:
        hits = article_search(query, language=language, user_or_public=user, limit=limit)
        ids += [hit.article_id for hit in hits if hit.article_id not in ids]
    found = {link.id: link for link in _links(articles.filter(pk__in=ids))}
    return [found[pk] for pk in ids if pk in found][:limit]


# --- Lists and histories ------------------------------------------------------------------


def tests_list() -> QuerySet[CertificationTest]:
    return CertificationTest.objects.annotate(
        question_count=Count("questions", distinct=True),
        assigned_count=Count("assignments", distinct=True),
        passed_count=Count(
            "assignments", filter=Q(assignments__status=Assignment.Status.PASSED), distinct=True
        ),
    ).order_by("-is_active", "title", "pk")


def _with_attempts(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return assignments.select_related("test", "operator", "assigned_by").prefetch_related(
        Prefetch("attempts", queryset=Attempt.objects.order_by("number"))
    )


def test_results(test: CertificationTest) -> list[Assignment]:
    return list(
        _with_attempts(test.assignments.all()).order_by("operator__full_name", "-assigned_at")
    )


def operator_history(operator_id: int) -> list[Assignment]:
    return list(
        _with_attempts(Assignment.objects.filter(operator_id=operator_id)).order_by(
            "-assigned_at", "-id"
        )
    )


def certified_people(*, team_id: int | None) -> list[User]:
    """The people who sit tests (of one team, or all when `team_id` is None)."""
    people = User.objects.filter(is_active=True, role__in=CERTIFIED_ROLES)
    if team_id is not None:
        people = people.filter(team_id=team_id)
    return list(people.select_related("team").order_by("full_name"))


def lead_default_team(viewer: User) -> int | None:
    """The team a lead's status matrix opens on: the team they lead, else their own."""
    if viewer.role != User.Role.LEAD:
        return None
    led: int | None = Team.objects.filter(lead=viewer).values_list("pk", flat=True).first()
    return led or viewer.team_id


# --- Object-level access --------------------------------------------------------------------


def own_assignment(user: User, pk: int) -> Assignment:
    """The assignment if it is the user's own; anyone else's is a 404."""
    return get_object_or_404(Assignment.objects.select_related("test"), pk=pk, operator=user)


def visible_attempt(user: User, pk: int) -> Attempt:
    """An attempt the user may look at: their own, or anyone's for certification managers."""
    attempt = get_object_or_404(
        Attempt.objects.select_related("assignment__test", "assignment__operator"), pk=pk
    )
    if attempt.assignment.operator_id == user.pk or has_perm(user, Perm.MANAGE_CERTIFICATION):
        return attempt
    raise Http404


def test_material(test_ids: Iterable[int]) -> dict[int, list[ArticleLink]]:
    """Each test's material (published articles only), titled in the reader's language."""
    through = CertificationTest.articles.through.objects.filter(
        certificationtest_id__in=list(test_ids), article__status=Article.Status.PUBLISHED
    ).values_list("certificationtest_id", "article_id")
    pairs = list(through)
    links = article_links(article_id for _test, article_id in pairs)
    material: dict[int, list[ArticleLink]] = {}
    for test_id, article_id in pairs:
        material.setdefault(test_id, []).append(links[article_id])
    for items in material.values():
        items.sort(key=lambda link: link.title)
    return material
