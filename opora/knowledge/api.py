"""The knowledge base over the API: search and read the articles the caller may read."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from ninja import Query, Router, Schema

from opora.core.access import Perm, ensure_perm
from opora.core.http import AuthedRequest
from opora.knowledge.markup import markdown_render
from opora.knowledge.search import SearchHit, article_search
from opora.knowledge.selectors import article_get_for_user, article_texts

router = Router(tags=["knowledge"])


class SearchIn(Schema):
    q: str = ""
    language: str = "ru"
    limit: int = 10


class HitOut(Schema):
    id: int
    number: int
    kind: str
    status: str
    section: str
    language: str
    title: str
    snippet_html: str
    url: str


class TextOut(Schema):
    language: str
    title: str
    body_markdown: str
    body_html: str


class ArticleOut(Schema):
    id: int
    number: int
    kind: str
    visibility: str
    status: str
    section: str
    review_by: dt.date | None
    published_at: dt.datetime | None
    updated_at: dt.datetime
    helpful_count: int
    unhelpful_count: int
    url: str
    texts: list[TextOut]


def _hit(hit: SearchHit) -> HitOut:
    return HitOut(
        id=hit.article_id,
        number=hit.number,
        kind=hit.kind,
        status=hit.status,
        section=hit.section_name,
        language=hit.language,
        title=hit.title,
        snippet_html=str(hit.snippet),
        url=reverse("knowledge:article-detail", args=[hit.number]),
    )


@router.get("/kb/articles", response=list[HitOut], summary="Search the knowledge base")
def articles_search(request: AuthedRequest, params: Query[SearchIn]) -> list[HitOut]:
    ensure_perm(request.user, Perm.VIEW_KB)
    hits = article_search(
        params.q,
        language="en" if params.language == "en" else "ru",
        user_or_public=request.user,
        limit=max(1, min(params.limit, 50)),
    )
    return [_hit(hit) for hit in hits]


@router.get("/kb/articles/{number}", response=ArticleOut, summary="One article with its texts")
def article_get(request: AuthedRequest, number: int) -> ArticleOut:
    ensure_perm(request.user, Perm.VIEW_KB)
    article = article_get_for_user(number=number, user=request.user)

    def file_url(pk: int) -> str:
        item = article.files.filter(pk=pk).first()
        return reverse("knowledge:file", args=[pk, item.name]) if item else ""

    return ArticleOut(
        id=article.pk,
        number=article.number,
        kind=article.kind,
        visibility=article.visibility,
        status=article.status,
        section=article.section.name,
        review_by=article.review_by,
        published_at=article.published_at,
        updated_at=article.updated_at,
        helpful_count=article.helpful_count,
        unhelpful_count=article.unhelpful_count,
        url=reverse("knowledge:article-detail", args=[article.number]),
        texts=[
            TextOut(
                language=text.language,
                title=text.title,
                body_markdown=text.body,
                body_html=str(markdown_render(text.body, file_url=file_url)),
            )
            for text in article_texts(article).values()
        ],
    )
