"""Knowledge base services: workflow, permissions, versions, votes, reminders, files, macros."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opora.accounts.models import User
from opora.core.models import AuditEntry
from opora.knowledge.markup import text_diff
from opora.knowledge.models import Article, ArticleVersion, Section
from opora.knowledge.services import (
    REVIEW_PERIOD,
    Text,
    article_file_add,
    article_publish,
    article_review_reminders_send,
    article_send_back,
    article_submit,
    article_update,
    article_verify,
    article_vote,
    section_update,
    version_restore,
)
from opora.knowledge.tasks import review_reminders
from tests.knowledge.factories import make_article, make_section

pytestmark = pytest.mark.django_db


# --- Workflow and permissions ------------------------------------------------------


def test_an_operator_drafts_and_submits_but_cannot_publish(
    operator: User, lead: User, section: Section
) -> None:
    article = make_article(author=operator, section=section)
    assert article.status == Article.Status.DRAFT
    article = article_submit(actor=operator, article=article)
    assert article.status == Article.Status.REVIEW
    with pytest.raises(PermissionDenied):
        article_publish(actor=operator, article=article)
    article = article_publish(actor=lead, article=article)
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at is not None and article.reviewed_by == lead


def test_a_section_owner_publishes_in_their_section_only(
    operator: User, lead: User, section: Section
) -> None:
    own = make_section(owner=lead, name="Свой", backup_owner=operator)
    article = make_article(author=operator, section=own)
    assert article_publish(actor=operator, article=article).status == Article.Status.PUBLISHED
    elsewhere = make_article(author=operator, section=section)
    with pytest.raises(PermissionDenied):
        article_publish(actor=operator, article=elsewhere)


def test_a_viewer_cannot_write(viewer: User, published: Article) -> None:
    with pytest.raises(PermissionDenied):
        article_update(actor=viewer, article=published, texts={"ru": Text(title="Новое", body="")})


def test_publishing_stamps_times_and_sets_a_review_date(lead: User, section: Section) -> None:
    article = make_article(author=lead, section=section)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        article = article_publish(actor=lead, article=article)
    assert article.review_by == dt.date(2026, 3, 2) + REVIEW_PERIOD
    assert article.versions.get(language="ru").published_at is not None
    assert AuditEntry.objects.filter(
        action="kb.article_publish", target_id=str(article.pk)
    ).exists()


def test_sending_back_needs_a_comment_and_returns_a_draft(
    operator: User, lead: User, section: Section
) -> None:
    article = article_submit(actor=operator, article=make_article(author=operator, section=section))
    with pytest.raises(ValidationError):
        article_send_back(actor=lead, article=article, comment="  ")
    article = article_send_back(actor=lead, article=article, comment="Добавьте скриншот")
    assert (article.status, article.review_comment) == (Article.Status.DRAFT, "Добавьте скриншот")


def test_an_operators_edit_of_a_published_article_goes_to_review(
    operator: User, published: Article
) -> None:
    article = article_update(
        actor=operator,
        article=published,
        texts={"ru": Text(title="Как разбирать очередь", body="Исправлено")},
    )
    assert article.status == Article.Status.REVIEW


def test_a_publishers_edit_stays_published(lead: User, published: Article) -> None:
    article = article_update(
        actor=lead, article=published, texts={"ru": Text(title="Новое название", body="")}
    )
    assert article.status == Article.Status.PUBLISHED


def test_bad_input_leaves_the_article_intact(lead: User, published: Article) -> None:
    with pytest.raises(ValidationError) as empty_title:
        article_update(actor=lead, article=published, texts={"ru": Text(title=" ", body="x")})
    assert "title_ru" in empty_title.value.message_dict
    with pytest.raises(ValidationError) as past:
        article_update(
            actor=lead,
            article=published,
            texts={"ru": Text(title="Новое", body="x")},
            review_by=timezone.localdate() - dt.timedelta(days=1),
        )
    assert "review_by" in past.value.message_dict
    published.refresh_from_db()
    assert published.translations.get().title == "Как разбирать очередь"
    assert published.versions.count() == 1


def test_a_section_cannot_go_inside_itself(lead: User, section: Section) -> None:
    child = make_section(owner=lead, name="Дочерний", parent=section)
    with pytest.raises(ValidationError):
        section_update(actor=lead, section=section, parent=child)
    section.refresh_from_db()
    assert section.parent is None


# --- Versions --------------------------------------------------------------------


def test_every_edit_is_a_version_and_restore_adds_one(lead: User, published: Article) -> None:
    article_update(
        actor=lead,
        article=published,
        texts={"ru": Text(title="Как разбирать очередь", body="Вторая редакция")},
        note="правка",
    )
    first = published.versions.get(language="ru", number=1)
    article = version_restore(actor=lead, version=first)
    numbers = list(article.versions.filter(language="ru").values_list("number", "body"))
    assert numbers == [
        (3, first.body),
        (2, "Вторая редакция"),
        (1, first.body),
    ]
    assert article.translations.get(language="ru").body == first.body


def test_an_unchanged_save_adds_no_version(lead: User, published: Article) -> None:
    article_update(
        actor=lead,
        article=published,
        texts={"ru": Text(title="Как разбирать очередь", body=published.translations.get().body)},
    )
    assert ArticleVersion.objects.filter(article=published).count() == 1


def test_the_english_version_is_optional_and_versioned_apart(
    lead: User, published: Article
) -> None:
    ru = Text(title="Как разбирать очередь", body=published.translations.get().body)
    article_update(
        actor=lead, article=published, texts={"ru": ru, "en": Text(title="Queue", body="Triage")}
    )
    assert published.versions.filter(language="en").count() == 1
    with pytest.raises(ValidationError) as untitled:
        article_update(
            actor=lead, article=published, texts={"ru": ru, "en": Text(title="", body="Text")}
        )
    assert "title_en" in untitled.value.message_dict
    article_update(actor=lead, article=published, texts={"ru": ru, "en": Text(title="", body="")})
    assert not published.translations.filter(language="en").exists()


def test_the_diff_marks_changed_words_and_escapes_html() -> None:
    rows = text_diff("один <b>два</b>\nтри", "один <b>ДВА</b>\nтри\nчетыре")
    assert [row.kind for row in rows] == ["change", "same", "add"]
    assert "<del>&lt;b&gt;два&lt;/b&gt;</del>" in rows[0].old
    assert "<ins>&lt;b&gt;ДВА&lt;/b&gt;</ins>" in rows[0].new


# --- Votes, verification, reminders -------------------------------------------------


def test_a_voter_counts_once(published: Article, operator: User, lead: User) -> None:
    assert article_vote(article=published, helpful=True, user=operator)
    assert not article_vote(article=published, helpful=False, user=operator)
    assert article_vote(article=published, helpful=False, user=lead)
    assert article_vote(article=published, helpful=True, session_key="abc")
    assert not article_vote(article=published, helpful=True, session_key="abc")
    published.refresh_from_db()
    assert (published.helpful_count, published.unhelpful_count) == (2, 1)


def test_verifying_moves_the_review_date_and_is_audited(lead: User, published: Article) -> None:
    Article.objects.filter(pk=published.pk).update(review_by=dt.date(2020, 1, 1))
    article = article_verify(actor=lead, article=published)
    assert article.review_by == timezone.localdate() + REVIEW_PERIOD
    assert article.reviewed_by == lead
    assert AuditEntry.objects.filter(action="kb.article_verify").count() == 1


def test_an_operator_cannot_verify_another_owners_article(
    operator: User, published: Article
) -> None:
    with pytest.raises(PermissionDenied):
        article_verify(actor=operator, article=published)


def _overdue(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(
        review_by=timezone.localdate() - dt.timedelta(days=3)
    )


def test_each_owner_gets_one_digest_and_never_twice(
    lead: User, head: User, section: Section, published: Article
) -> None:
    second = make_article(author=lead, section=section, title="Второе", publish_as=lead)
    other_section = make_section(owner=head, name="Биллинг")
    third = make_article(author=head, section=other_section, title="Счета", publish_as=head)
    fresh = make_article(author=lead, section=section, title="Свежее", publish_as=lead)
    for article in (published, second, third):
        _overdue(article)
    mail.outbox.clear()
    assert review_reminders.call() == "digests 2"
    assert sorted(m.to[0] for m in mail.outbox) == [head.email, lead.email]
    to_lead = next(m for m in mail.outbox if m.to == [lead.email])
    assert "Как разбирать очередь" in to_lead.body and "Второе" in to_lead.body
    assert "Свежее" not in to_lead.body and fresh.review_by is not None
    mail.outbox.clear()
    assert article_review_reminders_send() == 0
    assert mail.outbox == []
    # A week later the still-overdue articles are reminded about again.
    assert article_review_reminders_send(now=timezone.now() + dt.timedelta(days=8)) == 2


def test_an_inactive_owners_digest_goes_to_the_backup(
    lead: User, operator: User, published: Article
) -> None:
    section_update(actor=lead, section=published.section, backup_owner=operator)
    User.objects.filter(pk=lead.pk).update(is_active=False)
    _overdue(published)
    mail.outbox.clear()
    assert article_review_reminders_send() == 1
    assert mail.outbox[0].to == [operator.email]


# --- Files -------------------------------------------------------------------------


def test_files_follow_the_attachment_limits(lead: User, published: Article, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OPORA_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as denied:
        article_file_add(actor=lead, article=published, upload=SimpleUploadedFile("run.exe", b"MZ"))
    assert "не принимаются" in denied.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as big:
        article_file_add(
            actor=lead, article=published, upload=SimpleUploadedFile("big.png", b"x" * 11)
        )
    assert "больше" in big.value.message_dict["file"][0]
    item = article_file_add(
        actor=lead, article=published, upload=SimpleUploadedFile("../../shot.png", b"\x89PNG")
    )
    assert (item.name, item.content_type, item.is_image) == ("shot.png", "image/png", True)
    assert published.files.count() == 1
