"""Knowledge base: sections with owners, articles with versions and review dates.

Layout: an `Article` holds what is true of every language (section, kind,
workflow status, review date); its text lives in one `ArticleTranslation` per
language (ru required, en optional) — the current text, which is what search
indexes; every save of a text also adds an `ArticleVersion` (full history,
diff, restore). Search structures that only one database has (PostgreSQL's
tsvector column and GIN indexes, SQLite's FTS5 table) are created by the
migrations and kept outside the model state, see `opora/knowledge/search.py`.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from opora.tickets.models import Ticket

LANGUAGES = (("ru", _("Russian")), ("en", _("English")))


class Section(models.Model):
    """A node of the knowledge base's tree («Заявки → Приоритеты»), owned by one person.

    The owner (and the backup owner when the owner is away or gone) keeps the
    section's articles true: they get the review reminders and may publish here
    without the PUBLISH_KB capability. `is_public` shows the section's public
    articles in the client portal.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="kb_sections_owned",
    )
    backup_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("backup owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kb_sections_backed",
    )
    is_public = models.BooleanField(_("shown in the client portal"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("knowledge base section")
        verbose_name_plural = _("knowledge base sections")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="kb_section_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def is_owned_by(self, user: object) -> bool:
        user_id = getattr(user, "pk", None)
        return user_id is not None and user_id in (self.owner_id, self.backup_owner_id)


class Article(models.Model):
    """An article or a script (a reply template for the composer and macros).

    Readers see only published articles; `review_by` is when the owner must
    confirm the text is still true («needs verification» queue, reminders).
    """

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        SCRIPT = "script", _("Script")

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        PUBLIC = "public", _("Public")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    number = models.PositiveIntegerField(_("number"), unique=True)
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="articles"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ARTICLE)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="kb_articles",
    )
    # The comment of the last «send back» (why the article went back to draft).
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    review_by = models.DateField(_("review by"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Claimed with a conditional UPDATE by the daily reminder so no digest repeats.
    review_reminded_at = models.DateTimeField(_("review reminder sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    unhelpful_count = models.PositiveIntegerField(_("not helpful"), default=0)
    related_tickets: models.ManyToManyField[Ticket, ArticleTicket] = models.ManyToManyField(
        "tickets.Ticket",
        verbose_name=_("related tickets"),
        through="ArticleTicket",
        related_name="kb_articles",
        blank=True,
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["section", "status"]),
            # The «needs verification» queue and the daily reminder scan.
            models.Index(
                fields=["review_by"],
                name="kb_article_review_due",
                condition=Q(status="published", review_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"KB-{self.number}"

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        if self.status != self.Status.PUBLISHED or self.review_by is None:
            return False
        return self.review_by < (today or timezone.localdate())


class ArticleTranslation(models.Model):
    """The current text of an article in one language (what readers and search see)."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("article text")
        verbose_name_plural = _("article texts")
        ordering = ["article_id", "-language"]
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="kb_translation_unique")
        ]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """One saved state of an article's text in one language; never edited.

    Restoring an old version adds a new one with the old content, so the history
    only grows. `published_at` marks versions that were live when the article was
    published: macros take a script's text from its latest published version.
    """

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="versions"
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES)
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article_id", "language", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language", "number"], name="kb_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.language} v{self.number}"


def article_file_path(instance: ArticleFile, filename: str) -> str:
    # A random name on disk, as for ticket attachments: the uploader's name never
    # reaches the file system.
    return f"kb/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}"


class ArticleFile(models.Model):
    """An image or attachment of an article, embedded in Markdown as `attachment:<id>`."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(_("file"), upload_to=article_file_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("article file")
        verbose_name_plural = _("article files")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        from opora.tickets.models import INLINE_IMAGE_TYPES

        return self.content_type in INLINE_IMAGE_TYPES


class ArticleTicket(models.Model):
    """A ticket the article helped with (inserted from the composer, or linked by hand)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="kb_article_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)

    class Meta:
        verbose_name = _("related ticket")
        verbose_name_plural = _("related tickets")
        ordering = ["-linked_at"]
        constraints = [
            models.UniqueConstraint(fields=["article", "ticket"], name="kb_article_ticket_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} ↔ {self.ticket_id}"


class ArticleVote(models.Model):
    """«Was this helpful?» — one per voter: a staff user, a portal contact, or an
    anonymous portal visitor (by session)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("voted"), default=timezone.now)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="kb_vote_user"
            ),
            models.UniqueConstraint(
                fields=["article", "contact"],
                condition=Q(contact__isnull=False),
                name="kb_vote_contact",
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=~Q(session_key=""),
                name="kb_vote_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class SearchTerm(models.Model):
    """A stemmed word that occurs in some article: the vocabulary typo correction
    matches unknown query words against (pg_trgm on PostgreSQL, rapidfuzz on SQLite).

    Only grows; a stale word at worst corrects a typo into a word that finds nothing.
    """

    stem = models.CharField(max_length=60, unique=True)
    # One surface form, searched instead of the misspelt word.
    word = models.CharField(max_length=60)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")

    def __str__(self) -> str:
        return self.stem
