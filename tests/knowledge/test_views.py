"""Knowledge base screens through HTTP: who may open what, forms, bad input, query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opora.accounts.models import User
from opora.core.models import AuditEntry
from opora.knowledge.models import Article, ArticleTicket, Section
from opora.knowledge.services import Text, article_update
from opora.tickets.models import Ticket
from tests.knowledge.factories import make_article

pytestmark = pytest.mark.django_db


def url(name: str, *args: object) -> str:
    return reverse(f"knowledge:{name}", args=args)


def editor_data(section: Section, **overrides: str) -> dict[str, str]:
    data = {
        "section": str(section.pk),
        "kind": "article",
        "visibility": "internal",
        "review_by": "",
        "title_ru": "Как закрыть заявку",
        "body_ru": "Закрывайте заявки после подтверждения клиента.",
        "title_en": "",
        "body_en": "",
        "note": "",
    }
    return {**data, **overrides}


# --- Reading -------------------------------------------------------------------------


def test_everyone_on_staff_reads_the_knowledge_base(
    viewer_client: Client, analyst_client: Client, published: Article
) -> None:
    for client in (viewer_client, analyst_client):
        assert client.get(url("home")).status_code == 200
        page = client.get(url("article-detail", published.number))
        assert page.status_code == 200
        assert "Новые заявки клиентов" in page.content.decode()


def test_anonymous_visitors_go_to_the_login_page(client: Client, published: Article) -> None:
    response = client.get(url("article-detail", published.number))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_draft_is_404_to_those_who_are_not_its_editors(
    operator: User, section: Section, viewer_client: Client, lead_client: Client
) -> None:
    draft = make_article(author=operator, section=section)
    assert viewer_client.get(url("article-detail", draft.number)).status_code == 404
    assert lead_client.get(url("article-detail", draft.number)).status_code == 200


def test_the_home_shows_owners_and_the_overdue_count(
    lead_client: Client, published: Article, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    Article.objects.filter(pk=published.pk).update(review_by=dt.date(2020, 1, 1))
    with django_assert_max_num_queries(12):
        page = lead_client.get(url("home")).content.decode()
    assert "Очередь" in page and "Елена Лидова" in page


def test_the_section_list_flags_overdue_articles(
    lead: User, lead_client: Client, section: Section, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for index in range(5):
        article = make_article(
            author=lead, section=section, title=f"Статья {index}", publish_as=lead
        )
    Article.objects.filter(pk=article.pk).update(review_by=dt.date(2020, 1, 1))
    with django_assert_max_num_queries(12):
        page = lead_client.get(url("section-detail", section.pk)).content.decode()
    assert len(re.findall(r"Статья \d", page)) == 5
    assert page.count("kb-overdue") + page.count("badge bad") >= 1


def test_search_finds_another_word_form_on_the_page(
    operator_client: Client, published: Article
) -> None:
    page = operator_client.get(url("search"), {"q": "заявка"}).content.decode()
    assert "Как разбирать очередь" in page and "<mark>заявки</mark>" in page


def test_the_markdown_is_rendered_and_sanitised(
    lead: User, published: Article, lead_client: Client
) -> None:
    article_update(
        actor=lead,
        article=published,
        texts={
            "ru": Text(
                title="Разметка",
                body="**жирный** <script>alert(1)</script> [ссылка](javascript:alert(1)) ![x](https://evil.example/p.png)",
            )
        },
    )
    page = lead_client.get(url("article-detail", published.number)).content.decode()
    assert "<strong>жирный</strong>" in page
    assert "<script>alert" not in page, page[page.find("<script>alert") - 300 :][:400]
    assert 'href="javascript' not in page
    assert "evil.example" not in page


def test_the_english_version_is_shown_on_request(
    lead: User, published: Article, operator_client: Client
) -> None:
    article_update(
        actor=lead,
        article=published,
        texts={
            "ru": Text(title="Как разбирать очередь", body="Текст"),
            "en": Text(title="Queue triage", body="New tickets first"),
        },
    )
    page = operator_client.get(
        url("article-detail", published.number) + "?lang=en"
    ).content.decode()
    assert "Queue triage" in page and "New tickets first" in page


# --- Writing -------------------------------------------------------------------------


def test_an_operator_writes_a_draft_in_the_editor(
    operator_client: Client, section: Section
) -> None:
    response = operator_client.post(url("article-create"), editor_data(section))
    article = Article.objects.get()
    assert response.status_code == 302
    assert (article.status, article.translations.get().title) == ("draft", "Как закрыть заявку")


def test_a_viewer_cannot_open_the_editor(viewer_client: Client, section: Section) -> None:
    assert viewer_client.get(url("article-create")).status_code == 403
    assert viewer_client.post(url("article-create"), editor_data(section)).status_code == 403
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("title_ru", "", "Русский заголовок обязателен"),
        ("review_by", "2020-01-01", "Дата проверки должна быть в будущем"),
        ("review_by", "завтра", "Введите правильную дату"),
    ],
)
def test_bad_editor_input_is_explained(
    operator_client: Client, section: Section, field: str, value: str, error: str
) -> None:
    response = operator_client.post(url("article-create"), editor_data(section, **{field: value}))
    assert response.status_code == 400
    assert not Article.objects.exists()
    assert response.context["form"].errors[field]


def test_the_preview_renders_markdown(operator_client: Client) -> None:
    response = operator_client.post(
        url("article-preview"),
        {"language": "ru", "body_ru": "## Шаги\n\n<img src=x onerror=alert(1)>"},
    )
    html = response.content.decode()
    assert "<h2>Шаги</h2>" in html and "<img" not in html


def test_an_operator_cannot_edit_a_draft_of_someone_else(
    other_operator: User, section: Section, operator_client: Client
) -> None:
    draft = make_article(author=other_operator, section=section)
    assert operator_client.get(url("article-edit", draft.number)).status_code == 404


def test_an_operator_cannot_publish_outside_their_sections(
    operator: User, operator_client: Client, section: Section, lead_client: Client
) -> None:
    article = make_article(author=operator, section=section)
    operator_client.post(url("article-submit", article.number))
    assert operator_client.post(url("article-publish", article.number)).status_code == 403
    article.refresh_from_db()
    assert article.status == "review"
    lead_client.post(url("article-publish", article.number))
    article.refresh_from_db()
    assert article.status == "published"


def test_uploads_are_checked_and_explained(lead_client: Client, published: Article) -> None:
    denied = lead_client.post(
        url("article-file-upload", published.number),
        {"file": SimpleUploadedFile("evil.html", b"<script>")},
        HTTP_HX_REQUEST="true",
    )
    assert denied.status_code == 400 and "не принимаются" in denied.content.decode()
    ok = lead_client.post(
        url("article-file-upload", published.number),
        {"file": SimpleUploadedFile("screen.png", b"\x89PNG data")},
        HTTP_HX_REQUEST="true",
    )
    item = published.files.get()
    assert ok.status_code == 200 and f"attachment:{item.pk}" in ok.content.decode()
    image = lead_client.get(url("file", item.pk, item.name))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_history_shows_a_diff_and_restores(
    lead: User, lead_client: Client, published: Article
) -> None:
    article_update(
        actor=lead,
        article=published,
        texts={"ru": Text(title="Как разбирать очередь", body="Другой текст")},
    )
    page = lead_client.get(url("article-history", published.number)).content.decode()
    assert "<ins>" in page and "<del>" in page
    first = published.versions.get(number=1)
    lead_client.post(url("version-restore", published.number, first.pk))
    assert published.translations.get().body == first.body
    assert published.versions.count() == 3


def test_the_review_queue_verifies_in_one_click(
    lead: User, lead_client: Client, operator_client: Client, published: Article, section: Section
) -> None:
    Article.objects.filter(pk=published.pk).update(
        review_by=timezone.localdate() - dt.timedelta(days=1)
    )
    page = lead_client.get(url("review-queue") + "?mine=1").content.decode()
    assert "Как разбирать очередь" in page
    assert (
        "Как разбирать очередь"
        not in operator_client.get(url("review-queue") + "?mine=1").content.decode()
    )
    assert operator_client.post(url("article-verify", published.number)).status_code == 403
    published.refresh_from_db()
    assert published.review_by < timezone.localdate()  # the operator is not an owner: refused
    lead_client.post(url("article-verify", published.number), {"next": "queue"})
    published.refresh_from_db()
    assert published.review_by > timezone.localdate() and published.reviewed_by == lead


def test_sections_are_managed_by_publishers_only(
    lead_client: Client, operator_client: Client, lead: User, operator: User
) -> None:
    data = {
        "name": "Новый раздел",
        "position": "0",
        "owner": str(lead.pk),
        "backup_owner": str(lead.pk),
    }
    assert operator_client.post(url("section-create"), data).status_code == 403
    same = lead_client.post(url("section-create"), data)
    assert same.status_code == 400 and not Section.objects.exists()
    lead_client.post(url("section-create"), {**data, "backup_owner": str(operator.pk)})
    assert Section.objects.get().backup_owner == operator


def test_votes_count_once(operator_client: Client, published: Article) -> None:
    operator_client.post(url("article-vote", published.number), {"helpful": "1"})
    operator_client.post(url("article-vote", published.number), {"helpful": "0"})
    published.refresh_from_db()
    assert (published.helpful_count, published.unhelpful_count) == (1, 0)


# --- The composer's panel --------------------------------------------------------------


@pytest.fixture
def ticket(operator: User) -> Ticket:
    from opora.clients.models import Contact
    from opora.tickets import services
    from opora.tickets.models import TicketType

    return services.ticket_create(
        subject="Не могу создать заявку",
        body="Кнопка создания заявки не работает.",
        channel=Ticket.Channel.EMAIL,
        type=TicketType.objects.get(code="standard"),
        requester=Contact.objects.create(full_name="Павел", email="p@example.com"),
    )


def test_the_panel_suggests_articles_from_the_ticket(
    operator_client: Client, ticket: Ticket, published: Article, lead: User, section: Section
) -> None:
    script = make_article(
        author=lead,
        section=section,
        title="Приветствие",
        body="Здравствуйте! Заявка принята.",
        kind=Article.Kind.SCRIPT,
        publish_as=lead,
    )
    page = operator_client.get(url("ticket-suggest", ticket.number)).content.decode()
    assert "Как разбирать очередь" in page and "Приветствие" in page
    assert 'data-kb-insert="text"' in page
    # A public article links to the portal, an internal one to the staff page.
    assert f"/portal/kb/KB-{published.number}/" in page and f"/kb/KB-{script.number}/" in page
    searched = operator_client.get(url("ticket-suggest", ticket.number), {"q": "приветствие"})
    assert "Приветствие" in searched.content.decode()


def test_inserting_records_the_related_ticket_once(
    operator_client: Client, ticket: Ticket, published: Article
) -> None:
    for _ in range(2):
        response = operator_client.post(url("ticket-use", ticket.number, published.number))
        assert response.status_code == 204
    assert ArticleTicket.objects.get().ticket == ticket
    assert AuditEntry.objects.filter(action="kb.article_ticket_link").count() == 1


def test_the_panel_is_for_those_who_work_tickets(
    viewer_client: Client, analyst_client: Client, ticket: Ticket, published: Article
) -> None:
    assert viewer_client.get(url("ticket-suggest", ticket.number)).status_code == 403
    assert (
        analyst_client.post(url("ticket-use", ticket.number, published.number)).status_code == 403
    )


def test_the_ticket_page_loads_the_panel(operator_client: Client, ticket: Ticket) -> None:
    page = operator_client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert url("ticket-suggest", ticket.number) in page and "kb-composer" in page


def test_the_review_queue_and_search_keep_their_query_counts(
    lead: User, lead_client: Client, section: Section, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for index in range(6):
        article = make_article(
            author=lead, section=section, title=f"Заявки {index}", publish_as=lead
        )
        Article.objects.filter(pk=article.pk).update(review_by=dt.date(2020, 1, index + 1))
    with django_assert_max_num_queries(10):
        queue = lead_client.get(url("review-queue")).content.decode()
    assert queue.count("Заявки ") == 6
    with django_assert_max_num_queries(12):
        found = lead_client.get(url("search"), {"q": "заявка"}).content.decode()
    assert found.count("kb-hit") == 6
