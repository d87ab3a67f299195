"""Knowledge base search: Russian and English morphology, typo tolerance, snippets.

One entry point, `article_search`, for every screen, the composer, the portal and
the API. Two engines behind it, chosen by the database:

- PostgreSQL: the generated `search_vector` column (migration 0002: `russian` or
  `english` configuration by the text's language, title weight A, text weight B)
  with a GIN index; ranked by `ts_rank`, snippets by `ts_headline`.
- SQLite: the FTS5 table `knowledge_search` holding Snowball stems of each text
  (kept by `translation_index`, which the services call on every save); ranked by
  bm25 with the title weighted 10:1; snippets cut in Python.

Typo tolerance is shared: when nothing matches, every query word whose stem no
article contains is replaced by the nearest stem of the vocabulary (`SearchTerm`;
pg_trgm similarity on PostgreSQL, rapidfuzz on SQLite) and the search runs again.
On PostgreSQL a last resort compares the whole query with the titles by trigrams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import snowballstemmer
from django.db import connection
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from rapidfuzz import fuzz, process

from opora.knowledge.models import Article, ArticleTranslation, SearchTerm, Section
from opora.knowledge.selectors import readable_q, section_subtree_ids

if TYPE_CHECKING:
    from opora.accounts.models import User

__all__ = ["SearchHit", "article_search", "stems", "translation_index", "translation_unindex"]

_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]")
# Sentinels ts_headline wraps matches in; the text is escaped before they become <mark>.
_OPEN, _CLOSE = "\u27e6", "\u27e7"
_HEADLINE_OPTIONS = f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=30, MinWords=12, MaxFragments=2"
_TERM_MAX = 60
# Words that say nothing about the topic: dropped from queries (PostgreSQL's
# configurations drop them too), so «не может войти» looks for «может войти».
STOP_WORDS = frozenset(
    """а без бы был была были было в вам вас весь во вот все всё вы где да для до его ее её
    если есть еще ещё же за и из или им их к как ко когда кто ли либо мне мы на над не нет
    ни но ну о об он она они оно от по под при с со так там те то того тоже только том ты у
    уже хотя чем что чтобы эта эти это я здравствуйте спасибо пожалуйста
    a an and are as at be by for from has have how i in is it of on or that the this to was
    were what when where which who why will with you your hello hi thanks please""".split()  # noqa: SIM905 -- a word list reads better as text
)
# How close a misspelt stem must be to a known one (rapidfuzz ratio, 0–100).
_TYPO_CUTOFF = 75
_SNIPPET_WORDS = 30
# At most this many batches of FTS5 matches are filtered for visibility.
_SQLITE_BATCHES = 20


@dataclass(frozen=True)
class SearchHit:
    """One found article, in the language asked for when it has that version."""

    article_id: int
    number: int
    kind: str
    status: str
    visibility: str
    section_id: int
    section_name: str
    language: str
    title: str
    snippet: SafeString
    rank: float


@lru_cache(maxsize=2)
def _stemmer(language: str) -> Any:
    return snowballstemmer.stemmer(language)


def words_of(text: str) -> list[str]:
    # ё is written as е as often as not: one letter for both, as readers expect.
    return _WORD.findall(text.lower().replace("ё", "е"))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    language = "russian" if _CYRILLIC.search(word) else "english"
    return str(_stemmer(language).stemWord(word))[:_TERM_MAX]


def stems(text: str) -> list[str]:
    """Snowball stems of `text`'s words, Russian or English by each word's alphabet."""
    return [stem(w) for w in words_of(text)]


# --- Index upkeep -----------------------------------------------------------------


def translation_index(translation: ArticleTranslation) -> None:
    """Bring the search structures up to date with `translation`; call in its transaction.

    PostgreSQL keeps the tsvector itself (generated column); both engines need
    the vocabulary for typo correction, SQLite also its FTS5 row.
    """
    title_words = words_of(translation.title)
    body_words = words_of(translation.body)
    vocabulary = {
        stem(w): w[:_TERM_MAX] for w in (*title_words, *body_words) if len(w) >= 3 and w.isalpha()
    }
    if vocabulary:
        SearchTerm.objects.bulk_create(
            [SearchTerm(stem=s, word=w) for s, w in vocabulary.items()], ignore_conflicts=True
        )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM knowledge_search WHERE rowid = %s", [translation.pk])
            cursor.execute(
                "INSERT INTO knowledge_search (rowid, title, body) VALUES (%s, %s, %s)",
                [
                    translation.pk,
                    " ".join(stem(w) for w in title_words),
                    " ".join(stem(w) for w in body_words),
                ],
            )


def translation_unindex(translation_id: int) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM knowledge_search WHERE rowid = %s", [translation_id])


# --- Search -------------------------------------------------------------------------


def article_search(
    query: str,
    *,
    language: str,
    user_or_public: User | None,
    section: Section | None = None,
    limit: int = 10,
    any_term: bool = False,
    kind: str | None = None,
) -> list[SearchHit]:
    """Articles matching `query` that `user_or_public` may read, best first.

    `user_or_public` is a member of staff, or None for the public (the client
    portal: published public articles of public sections only). Staff see
    published articles, and drafts only where they are editors. `any_term`
    matches any of the words instead of all (suggestions from a ticket's text).
    `section` limits the search to that section and its subsections.
    """
    words = [w for w in words_of(query) if len(w) >= 2 and w not in STOP_WORDS][:32]
    if not words or limit <= 0:
        return []
    base = ArticleTranslation.objects.filter(readable_q(user_or_public, "article__")).exclude(
        article__status=Article.Status.ARCHIVED
    )
    if section is not None:
        base = base.filter(article__section_id__in=section_subtree_ids(section))
    if kind is not None:
        base = base.filter(article__kind=kind)
    engine = _postgres_match if connection.vendor == "postgresql" else _sqlite_match
    rows = engine(base, words, any_term=any_term, limit=limit * 3)
    corrected = words
    if not rows:
        corrected = _corrected(words)
        if corrected != words:
            rows = engine(base, corrected, any_term=any_term, limit=limit * 3)
    if not rows and not any_term and len(corrected) > 1:
        # No article has every word of a long question: the ones with the most of them.
        rows = engine(base, corrected, any_term=True, limit=limit * 3)
    if not rows and connection.vendor == "postgresql" and len(words) <= 3:
        rows = _postgres_title_trigram(base, " ".join(words), limit=limit * 3)
    return _best_per_article(rows, language=language, limit=limit)


_FIELDS = (
    "id",
    "article_id",
    "language",
    "title",
    "body",
    "article__number",
    "article__kind",
    "article__status",
    "article__visibility",
    "article__section_id",
    "article__section__name",
)
_CONFIG_SQL = (
    "(CASE WHEN knowledge_articletranslation.language = 'en' "
    "THEN 'english'::regconfig ELSE 'russian'::regconfig END)"
)


def _postgres_match(
    base: QuerySet[ArticleTranslation], words: Sequence[str], *, any_term: bool, limit: int
) -> list[dict[str, Any]]:
    # Words are \w+ only, so joining them with tsquery operators cannot inject syntax.
    tsquery = (" | " if any_term else " & ").join(words)
    # 1. Rank every match (GIN index) and keep the best; 2. headlines for those only:
    # ts_headline re-parses the text, too slow to run on thousands of matches.
    ranked = base.extra(  # noqa: S610 -- constant SQL; the query text is a parameter
        select={
            "rank": f"ts_rank(knowledge_articletranslation.search_vector, to_tsquery({_CONFIG_SQL}, %s))"
        },
        select_params=[tsquery],
        where=[
            "(knowledge_articletranslation.search_vector @@ to_tsquery('russian', %s) "
            "OR knowledge_articletranslation.search_vector @@ to_tsquery('english', %s))"
        ],
        params=[tsquery, tsquery],
        order_by=["-rank", "article_id"],
    )
    rows = list(ranked.values(*_FIELDS[:4], *_FIELDS[5:], "rank")[:limit])
    if not rows:
        return rows
    headlines = dict(
        ArticleTranslation.objects.filter(id__in=[row["id"] for row in rows])
        .extra(  # noqa: S610 -- constant SQL; the query text is a parameter
            select={
                "snippet": (
                    f"ts_headline({_CONFIG_SQL}, knowledge_articletranslation.body, "
                    f"to_tsquery({_CONFIG_SQL}, %s), %s)"
                )
            },
            select_params=[tsquery, _HEADLINE_OPTIONS],
        )
        .values_list("id", "snippet")
    )
    for row in rows:
        row["snippet"] = _marked(headlines[row["id"]])
    return rows


def _postgres_title_trigram(
    base: QuerySet[ArticleTranslation], text: str, *, limit: int
) -> list[dict[str, Any]]:
    qs = base.extra(  # noqa: S610 -- constant SQL; the query text is a parameter
        select={"rank": "similarity(lower(knowledge_articletranslation.title), %s)"},
        select_params=[text],
        where=["lower(knowledge_articletranslation.title) %% %s"],
        params=[text],
        order_by=["-rank", "article_id"],
    )
    rows = list(qs.values(*_FIELDS, "rank")[:limit])
    for row in rows:
        row["snippet"] = _snippet(row.pop("body"), set())
    return rows


def _sqlite_match(
    base: QuerySet[ArticleTranslation], words: Sequence[str], *, any_term: bool, limit: int
) -> list[dict[str, Any]]:
    query_stems = [stem(w) for w in words]
    # Each stem quoted: FTS5 syntax (AND, NEAR, *, -) in the query stays literal.
    match = (" OR " if any_term else " AND ").join(f'"{s}"' for s in query_stems)
    # FTS5 ranks fast on its own but slowly under an IN (subquery): take the best
    # matches in batches and keep the ones the reader may see, until enough.
    scores: dict[int, float] = {}
    batch = max(limit * 10, 200)
    with connection.cursor() as cursor:
        for offset in range(0, batch * _SQLITE_BATCHES, batch):
            cursor.execute(
                "SELECT rowid, bm25(knowledge_search, 10.0, 1.0) FROM knowledge_search "
                "WHERE knowledge_search MATCH %s ORDER BY 2 LIMIT %s OFFSET %s",
                [match, batch, offset],
            )
            # bm25 is better the more negative it is.
            chunk = {int(rowid): -float(score) for rowid, score in cursor.fetchall()}
            visible = set(base.filter(id__in=chunk).order_by().values_list("id", flat=True))
            scores.update((pk, score) for pk, score in chunk.items() if pk in visible)
            if len(chunk) < batch or len(scores) >= limit:
                break
    if not scores:
        return []
    scores = dict(sorted(scores.items(), key=lambda item: -item[1])[:limit])
    rows = list(ArticleTranslation.objects.filter(id__in=scores).values(*_FIELDS))
    wanted = set(query_stems)
    for row in rows:
        row["rank"] = scores[row["id"]]
        row["snippet"] = _snippet(row.pop("body"), wanted)
    rows.sort(key=lambda r: (-r["rank"], r["article_id"]))
    return rows


def _corrected(words: Sequence[str]) -> list[str]:
    """`words` with each one no article contains replaced by the nearest known word."""
    by_stem = {stem(w): w for w in words}
    known = set(SearchTerm.objects.filter(stem__in=by_stem).values_list("stem", flat=True))
    corrected = []
    for word_stem, word in by_stem.items():
        if word_stem in known or len(word) < 3:
            corrected.append(word)
            continue
        corrected.append(_nearest_word(word_stem) or word)
    return corrected


def _nearest_word(word_stem: str) -> str | None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word FROM knowledge_searchterm WHERE stem %% %s "
                "ORDER BY similarity(stem, %s) DESC, stem LIMIT 1",
                [word_stem, word_stem],
            )
            row = cursor.fetchone()
        return str(row[0]) if row else None
    # Only stems of similar length can be within the cutoff: skip the rest in the query.
    spread = max(2, len(word_stem) // 3)
    candidates = dict(
        SearchTerm.objects.extra(  # noqa: S610 -- constant SQL
            where=["length(stem) BETWEEN %s AND %s"],
            params=[len(word_stem) - spread, len(word_stem) + spread],
        ).values_list("stem", "word")
    )
    best = process.extractOne(
        word_stem, list(candidates), scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF
    )
    return candidates[best[0]] if best else None


def _best_per_article(
    rows: Iterable[dict[str, Any]], *, language: str, limit: int
) -> list[SearchHit]:
    """One hit per article: its version in `language` if that matched, else the best one."""
    chosen: dict[int, dict[str, Any]] = {}
    order: list[int] = []
    for row in rows:
        current = chosen.get(row["article_id"])
        if current is None:
            order.append(row["article_id"])
            chosen[row["article_id"]] = row
        elif row["language"] == language and current["language"] != language:
            chosen[row["article_id"]] = {**row, "rank": current["rank"]}
    return [_hit(chosen[article_id]) for article_id in order[:limit]]


def _hit(row: dict[str, Any]) -> SearchHit:
    return SearchHit(
        article_id=row["article_id"],
        number=row["article__number"],
        kind=row["article__kind"],
        status=row["article__status"],
        visibility=row["article__visibility"],
        section_id=row["article__section_id"],
        section_name=row["article__section__name"],
        language=row["language"],
        title=row["title"],
        snippet=row["snippet"],
        rank=float(row["rank"]),
    )


def _marked(headline: str) -> SafeString:
    return mark_safe(  # noqa: S308 -- escaped first; only our own <mark> is added
        str(escape(headline)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    )


_MARKDOWN_NOISE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[#*_`>|~]+")


def _snippet(body: str, wanted_stems: set[str]) -> SafeString:
    """About 30 words of `body` around the first match, matches in <mark>."""
    text = _MARKDOWN_NOISE.sub(lambda m: m.group(1) or " ", body)
    tokens = text.split()
    start = 0
    for index, token in enumerate(tokens):
        if any(stem(w) in wanted_stems for w in words_of(token)):
            start = max(0, index - 8)
            break
    window = tokens[start : start + _SNIPPET_WORDS]
    parts = []
    for token in window:
        hit = any(stem(w) in wanted_stems for w in words_of(token))
        parts.append(f"{_OPEN}{token}{_CLOSE}" if hit else token)
    prefix = "… " if start else ""
    suffix = " …" if start + _SNIPPET_WORDS < len(tokens) else ""
    return _marked(prefix + " ".join(parts) + suffix)
