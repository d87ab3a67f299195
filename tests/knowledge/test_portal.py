"""The public help center in the client portal."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from opora.accounts.models import User
from opora.channels.portal import services as portal
from opora.clients.models import Contact
from opora.knowledge.models import Article, ArticleVote, Section
from tests.knowledge.factories import make_article

pytestmark = pytest.mark.django_db


def url(name: str, *args: object) -> str:
    return reverse(f"portal:{name}", args=args)


@pytest.fixture
def internal(lead: User, section: Section) -> Article:
    return make_article(
        author=lead,
        section=section,
        title="Внутренняя кухня",
        body="заявки изнутри",
        publish_as=lead,
    )


def test_anyone_reads_public_articles_without_signing_in(
    client: Client, published: Article, internal: Article, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(8):
        home = client.get(url("kb-home")).content.decode()
    assert "Как разбирать очередь" in home and "Внутренняя кухня" not in home
    page = client.get(url("kb-article", published.number))
    assert page.status_code == 200 and "Новые заявки клиентов" in page.content.decode()


def test_internal_and_unpublished_articles_are_404(
    client: Client, internal: Article, lead: User, section: Section
) -> None:
    draft = make_article(
        author=lead, section=section, visibility=Article.Visibility.PUBLIC, title="Черновик"
    )
    script = make_article(
        author=lead,
        section=section,
        visibility=Article.Visibility.PUBLIC,
        kind=Article.Kind.SCRIPT,
        publish_as=lead,
    )
    for article in (internal, draft, script):
        assert client.get(url("kb-article", article.number)).status_code == 404
        assert client.post(url("kb-vote", article.number), {"helpful": "1"}).status_code == 404


def test_portal_search_finds_only_public_articles(
    client: Client, published: Article, internal: Article
) -> None:
    page = client.get(url("kb-search"), {"q": "зявка"}).content.decode()
    assert "Как разбирать очередь" in page and "Внутренняя кухня" not in page


def test_an_anonymous_reader_votes_once_per_session(client: Client, published: Article) -> None:
    for _ in range(2):
        assert client.post(url("kb-vote", published.number), {"helpful": "1"}).status_code == 302
    published.refresh_from_db()
    assert published.helpful_count == 1
    assert 'name="helpful"' not in client.get(url("kb-article", published.number)).content.decode()


def test_a_signed_in_contact_votes_as_themselves(published: Article) -> None:
    contact = Contact.objects.create(
        full_name="Павел Николаев",
        email="pavel@romashka.ru",
        portal_password=make_password("x-y-z-12345"),
    )
    client = Client()
    client.post(url("link-use", portal.magic_link_token(contact)))
    client.post(url("kb-vote", published.number), {"helpful": "0"})
    vote = ArticleVote.objects.get()
    assert (vote.contact, vote.helpful) == (contact, False)
    assert "Павел Николаев" in client.get(url("kb-home")).content.decode()


def test_files_of_internal_articles_stay_hidden(
    client: Client, internal: Article, lead: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opora.knowledge.services import article_file_add

    item = article_file_add(
        actor=lead, article=internal, upload=SimpleUploadedFile("a.png", b"\x89PNG")
    )
    assert client.get(url("kb-file", item.pk, item.name)).status_code == 404
