"""Who may read and edit which articles, and the knowledge base's reusable reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from opora.core.access import Perm, has_perm
from opora.knowledge.models import Article, ArticleTranslation, ArticleVersion, Section

if TYPE_CHECKING:
    from opora.accounts.models import User
    from opora.knowledge.search import SearchHit

# The «needs verification» queue also shows what falls due this soon.
REVIEW_SOON = dt.timedelta(days=14)


def readable_q(user: User | None, prefix: str = "") -> Q:
    """The condition on Article (fields under `prefix`, e.g. "article__") for what
    `user` may open; None is the public (the client portal).

    The public gets published public articles of public sections (no scripts);
    staff get every published article, and unpublished ones only where they are
    editors: the author, the section's owners, and PUBLISH_KB roles.
    """

    def q(**conditions: Any) -> Q:
        return Q(**{prefix + name: value for name, value in conditions.items()})

    if user is None:
        return q(
            status=Article.Status.PUBLISHED,
            visibility=Article.Visibility.PUBLIC,
            kind=Article.Kind.ARTICLE,
            section__is_public=True,
        )
    if not has_perm(user, Perm.VIEW_KB):
        return q(pk__in=[])
    if has_perm(user, Perm.PUBLISH_KB):
        return Q()
    return (
        q(status=Article.Status.PUBLISHED)
        | q(author=user)
        | q(section__owner=user)
        | q(section__backup_owner=user)
    )


def articles_readable(user: User | None) -> QuerySet[Article]:
    """Articles `user` may open (see `readable_q`)."""
    return Article.objects.filter(readable_q(user))


def article_get_for_user(*, number: int, user: User | None) -> Article:
    """The article, or 404 for anyone who may not read it (not even its existence)."""
    article = (
        articles_readable(user)
        .select_related("section", "section__owner", "section__backup_owner", "author")
        .filter(number=number)
        .first()
    )
    if article is None:
        raise Http404
    return article


def can_publish(user: User, section: Section) -> bool:
    """PUBLISH_KB roles anywhere; a section's owner and backup owner in their section."""
    if has_perm(user, Perm.PUBLISH_KB):
        return True
    return has_perm(user, Perm.WRITE_KB) and section.is_owned_by(user)


def can_edit(user: User, article: Article) -> bool:
    return has_perm(user, Perm.WRITE_KB) and articles_readable(user).filter(pk=article.pk).exists()


def section_subtree_ids(section: Section) -> set[int]:
    """`section` and every section below it (the tree is small: one query, walked here)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Section.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found = {section.pk}
    stack = [section.pk]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


@dataclass
class SectionNode:
    section: Section
    depth: int
    published: int = 0


def section_tree(*, public: bool = False) -> list[SectionNode]:
    """The sections as a flat list in tree order (depth for indentation), with counts."""
    sections = Section.objects.select_related("owner", "backup_owner").annotate(
        published=Count(
            "articles",
            filter=Q(articles__status=Article.Status.PUBLISHED)
            & (
                Q(articles__visibility=Article.Visibility.PUBLIC, articles__kind="article")
                if public
                else Q()
            ),
        )
    )
    if public:
        sections = sections.filter(is_public=True)
    listed = list(sections)
    ids = {section.pk for section in listed}
    by_parent: dict[int | None, list[Section]] = {}
    for section in listed:
        # A public section under a private one shows at the top level of the portal.
        parent_id = section.parent_id if section.parent_id in ids else None
        by_parent.setdefault(parent_id, []).append(section)
    ordered: list[SectionNode] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for section in by_parent.get(parent_id, []):
            ordered.append(SectionNode(section, depth, section.published))  # type: ignore[attr-defined]
            walk(section.pk, depth + 1)

    walk(None, 0)
    return ordered


def section_articles(*, section: Section, user: User | None) -> QuerySet[Article]:
    """The section's readable articles with their texts, newest change first."""
    return (
        articles_readable(user)
        .filter(section=section)
        .exclude(status=Article.Status.ARCHIVED)
        .select_related("section", "author")
        .prefetch_related("translations")
        .order_by("kind", "-updated_at", "-id")
    )


def articles_published(*, language: str = "ru") -> QuerySet[ArticleTranslation]:
    """Published articles' texts in `language` (for certification questions and lists)."""
    return (
        ArticleTranslation.objects.filter(
            language=language,
            article__status=Article.Status.PUBLISHED,
            article__kind=Article.Kind.ARTICLE,
        )
        .select_related("article", "article__section")
        .order_by("article__section__name", "title")
    )


def articles_needing_review(
    *, user: User | None = None, today: dt.date | None = None
) -> QuerySet[Article]:
    """Published articles past their review date or due within two weeks, soonest first.

    With `user`, only the sections they own or back up («mine»).
    """
    today = today or timezone.localdate()
    articles = (
        Article.objects.filter(
            status=Article.Status.PUBLISHED,
            review_by__isnull=False,
            review_by__lte=today + REVIEW_SOON,
        )
        .select_related("section", "section__owner", "section__backup_owner", "reviewed_by")
        .prefetch_related("translations")
        .order_by("review_by", "id")
    )
    if user is not None:
        articles = articles.filter(Q(section__owner=user) | Q(section__backup_owner=user))
    return articles


def article_title(article: Article, language: str) -> str:
    """The title in `language`, else the Russian one (uses prefetched translations)."""
    texts = {t.language: t for t in article.translations.all()}
    text = texts.get(language) or texts.get("ru") or next(iter(texts.values()), None)
    return text.title if text else str(article)


def article_texts(article: Article) -> dict[str, ArticleTranslation]:
    return {t.language: t for t in article.translations.all()}


def article_versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("author").order_by("language", "-number")


def script_text(article: Article, language: str = "ru") -> str | None:
    """A script's latest published text (what macros insert), or None if never published."""
    version = (
        article.versions.filter(language=language, published_at__isnull=False)
        .order_by("-number")
        .first()
    )
    if version is None and language != "ru":
        return script_text(article, "ru")
    return version.body if version else None


@dataclass(frozen=True)
class ComposerItem:
    """A search hit as the reply composer offers it: a link to give, a text to insert."""

    number: int
    kind: str
    title: str
    snippet: str
    url: str
    text: str


def composer_items(*, hits: list[SearchHit], base_url: str) -> list[ComposerItem]:
    """Links point to the client portal when the client may read the article there."""
    from django.urls import reverse

    texts = {
        (t.article_id, t.language): t.body
        for t in ArticleTranslation.objects.filter(article_id__in=[h.article_id for h in hits])
    }
    public = set(
        articles_readable(None)
        .filter(pk__in=[h.article_id for h in hits])
        .values_list("pk", flat=True)
    )
    items = []
    for hit in hits:
        name = "portal:kb-article" if hit.article_id in public else "knowledge:article-detail"
        items.append(
            ComposerItem(
                number=hit.number,
                kind=hit.kind,
                title=hit.title,
                snippet=hit.snippet,
                url=base_url + reverse(name, args=[hit.number]),
                text=texts.get((hit.article_id, hit.language), ""),
            )
        )
    return items


def scripts_list() -> QuerySet[Article]:
    """Scripts a macro may take its text from (not archived), with their texts."""
    return (
        Article.objects.filter(kind=Article.Kind.SCRIPT)
        .exclude(status=Article.Status.ARCHIVED)
        .prefetch_related("translations")
        .order_by("number")
    )
