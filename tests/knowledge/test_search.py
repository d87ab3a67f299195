"""Search: morphology, typos, who sees what — on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from opora.accounts.models import User
from opora.knowledge.models import Article, Section
from opora.knowledge.search import article_search
from opora.knowledge.services import Text, article_update
from tests.knowledge.factories import make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(lead: User) -> Section:
    return make_section(owner=lead, name="Очередь", is_public=True)


@pytest.fixture
def article(lead: User, section: Section) -> Article:
    # Only the plural «заявки» appears in the text; no other article has any form of it.
    return make_article(
        author=lead,
        section=section,
        title="Как разбирать очередь",
        body="Новые заявки клиентов сначала получают приоритет.",
        publish_as=lead,
    )


def numbers(query: str, user: User | None, **kwargs: object) -> list[int]:
    return [
        hit.number
        for hit in article_search(query, language="ru", user_or_public=user, **kwargs)  # type: ignore[arg-type]
    ]


def test_it_finds_another_word_form(article: Article, operator: User) -> None:
    assert numbers("заявка", operator) == [article.number]


@pytest.mark.parametrize("typo", ["зявка", "заявкаа"])
def test_it_forgives_a_typo(article: Article, operator: User, typo: str) -> None:
    assert numbers(typo, operator) == [article.number]


def test_the_snippet_marks_the_match_and_escapes_the_text(
    lead: User, section: Section, operator: User
) -> None:
    make_article(
        author=lead,
        section=section,
        title="Разметка",
        body="Пример <script>alert(1)</script> и заявки",
        publish_as=lead,
    )
    (hit,) = article_search("заявка", language="ru", user_or_public=operator)
    assert "<mark>заявки</mark>" in hit.snippet
    assert "<script>" not in hit.snippet


def test_the_title_ranks_above_the_text(lead: User, section: Section, operator: User) -> None:
    in_body = make_article(
        author=lead, section=section, title="Прочее", body="Про тарифы тоже", publish_as=lead
    )
    in_title = make_article(
        author=lead, section=section, title="Тарифы", body="Описание", publish_as=lead
    )
    assert numbers("тариф", operator) == [in_title.number, in_body.number]


def test_internal_articles_never_reach_the_public(
    article: Article, lead: User, section: Section
) -> None:
    public = make_article(
        author=lead,
        section=section,
        title="Заявки для клиентов",
        body="Как отправить заявку",
        visibility=Article.Visibility.PUBLIC,
        publish_as=lead,
    )
    assert numbers("заявка", None) == [public.number]


def test_public_articles_of_private_sections_stay_internal(lead: User) -> None:
    private = make_section(owner=lead, name="Внутреннее")
    make_article(
        author=lead,
        section=private,
        body="заявки",
        visibility=Article.Visibility.PUBLIC,
        publish_as=lead,
    )
    assert numbers("заявка", None) == []


def test_drafts_are_found_only_by_their_editors(
    lead: User, operator: User, other_operator: User, section: Section
) -> None:
    draft = make_article(author=operator, section=section, body="черновик про заявки")
    assert numbers("заявка", operator) == [draft.number]
    assert numbers("заявка", lead) == [draft.number]  # publisher
    assert numbers("заявка", other_operator) == []
    assert numbers("заявка", None) == []


def test_it_searches_the_english_version(lead: User, section: Section, operator: User) -> None:
    article = make_article(
        author=lead,
        section=section,
        title="Сброс пароля",
        body="Откройте профиль",
        en=("Password reset", "Open your profile settings"),
        publish_as=lead,
    )
    (hit,) = article_search("resetting passwords", language="en", user_or_public=operator)
    assert (hit.number, hit.language, hit.title) == (article.number, "en", "Password reset")
    (hit,) = article_search("пароли", language="en", user_or_public=operator)
    assert hit.number == article.number


def test_an_edit_is_searchable_at_once(article: Article, lead: User, operator: User) -> None:
    assert numbers("счёт", operator) == []
    article_update(
        actor=lead,
        article=article,
        texts={"ru": Text(title="Счета и акты", body="Закрывающие документы")},
    )
    assert numbers("счета", operator) == [article.number]
    assert numbers("заявка", operator) == []


def test_a_long_question_finds_the_articles_with_most_of_its_words(
    article: Article, lead: User, section: Section, operator: User
) -> None:
    every = make_article(
        author=lead, section=section, title="Висит заявка", body="клиент жалуется", publish_as=lead
    )
    question = "клиент жалуется что заявка висит"
    assert numbers(question, operator) == [every.number]
    assert numbers(question, operator, any_term=True)[0] == every.number
    assert numbers("почему заявка висит у клиента вторые сутки", operator) == [
        every.number,
        article.number,
    ]


def test_query_syntax_is_taken_literally(article: Article, operator: User) -> None:
    for query in ['"', "заявка AND OR NOT", "заявка* -x", "':&|!()", ""]:
        article_search(query, language="ru", user_or_public=operator)


def test_section_limits_the_search(article: Article, lead: User, operator: User) -> None:
    other = make_section(owner=lead, name="Другое")
    assert numbers("заявка", operator, section=other) == []
    child = make_section(owner=lead, name="Вложенный", parent=article.section)
    inner = make_article(author=lead, section=child, body="заявки внутри", publish_as=lead)
    assert set(numbers("заявка", operator, section=article.section)) == {
        article.number,
        inner.number,
    }
