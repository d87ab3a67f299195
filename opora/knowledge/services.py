"""Every change to the knowledge base: audited, in one transaction each.

Workflow: anyone with WRITE_KB writes drafts and submits them for review;
PUBLISH_KB roles and the section's owner and backup owner publish or send back
with a comment. An edit of a published article by someone who may not publish
it sends it back to review, so readers only ever see approved text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.core.audit import audit_record, diff, snapshot
from opora.core.sequences import sequence_next
from opora.knowledge.models import (
    Article,
    ArticleFile,
    ArticleTicket,
    ArticleTranslation,
    ArticleVersion,
    ArticleVote,
    Section,
)
from opora.knowledge.search import translation_index, translation_unindex
from opora.knowledge.selectors import can_edit, can_publish, section_subtree_ids
from opora.tickets.attachments import upload_name, upload_problem

if TYPE_CHECKING:
    from django.http import HttpRequest

    from opora.accounts.models import User
    from opora.clients.models import Contact
    from opora.tickets.models import Ticket

# How long a published article stays trusted before its owner must look again.
REVIEW_PERIOD = dt.timedelta(days=182)
# A still-overdue article is reminded about again after this long.
REMIND_AGAIN = dt.timedelta(days=7)
LANGUAGE_CODES = ("ru", "en")


@dataclass(frozen=True)
class Text:
    """An article's title and Markdown body in one language."""

    title: str
    body: str


_SECTION_FIELDS = (
    "name",
    "description",
    "parent",
    "position",
    "owner",
    "backup_owner",
    "is_public",
)
_ARTICLE_FIELDS = ("section", "kind", "visibility", "review_by")


# --- Sections ----------------------------------------------------------------------


def _section_check(section: Section) -> None:
    if section.pk and section.parent_id and section.parent_id in section_subtree_ids(section):
        raise ValidationError({"parent": _("A section cannot be placed inside itself.")})
    if section.backup_owner_id and section.backup_owner_id == section.owner_id:
        raise ValidationError({"backup_owner": _("The backup owner must be another person.")})


@transaction.atomic
def section_create(*, actor: User, request: HttpRequest | None = None, **fields: Any) -> Section:
    """A new section; `fields` are the Section's editable fields (name and owner required)."""
    section = Section(**{k: v for k, v in fields.items() if k in _SECTION_FIELDS})
    _section_check(section)
    section.full_clean()
    section.save()
    audit_record(
        actor=actor,
        action="kb.section_create",
        target=section,
        changes=diff({}, snapshot(section, _SECTION_FIELDS)),
        request=request,
    )
    return section


@transaction.atomic
def section_update(
    *, actor: User, section: Section, request: HttpRequest | None = None, **fields: Any
) -> Section:
    """Change a section's name, place in the tree, owners or portal visibility."""
    section = Section.objects.select_for_update().get(pk=section.pk)
    before = snapshot(section, _SECTION_FIELDS)
    for name, value in fields.items():
        if name not in _SECTION_FIELDS:
            raise TypeError(f"section_update cannot change {name}")
        setattr(section, name, value)
    _section_check(section)
    section.full_clean()
    section.save()
    if changes := diff(before, snapshot(section, _SECTION_FIELDS)):
        audit_record(
            actor=actor,
            action="kb.section_update",
            target=section,
            changes=changes,
            request=request,
        )
    return section


# --- Articles: texts and versions -----------------------------------------------------


def _check_texts(texts: dict[str, Text]) -> None:
    ru = texts.get("ru")
    if ru is None or not ru.title.strip():
        raise ValidationError({"title_ru": _("The Russian title is required.")})
    en = texts.get("en")
    if en is not None and en.body.strip() and not en.title.strip():
        raise ValidationError({"title_en": _("The English version needs a title too.")})


def _check_review_by(review_by: dt.date | None) -> None:
    if review_by is not None and review_by <= timezone.localdate():
        raise ValidationError({"review_by": _("The review date must be in the future.")})


def _write_text(
    *, article: Article, language: str, text: Text, actor: User, note: str
) -> ArticleVersion | None:
    """Set the current text of one language; add a version if it changed."""
    current = ArticleTranslation.objects.filter(article=article, language=language).first()
    if current is not None and (current.title, current.body) == (text.title, text.body):
        return None
    now = timezone.now()
    if current is None:
        current = ArticleTranslation(article=article, language=language)
    current.title, current.body, current.updated_at = text.title, text.body, now
    current.save()
    translation_index(current)
    last = (
        ArticleVersion.objects.filter(article=article, language=language)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return ArticleVersion.objects.create(
        article=article,
        language=language,
        number=(last or 0) + 1,
        title=text.title,
        body=text.body,
        author=actor,
        note=note[:300],
        created_at=now,
    )


def _write_texts(
    *, article: Article, texts: dict[str, Text], actor: User, note: str
) -> dict[str, ArticleVersion | None]:
    """Write each language's text; {language: its new version, or None if removed}."""
    changed: dict[str, ArticleVersion | None] = {}
    for language in LANGUAGE_CODES:
        text = texts.get(language)
        if text is None or not (text.title.strip() or text.body.strip()):
            # An emptied English version is removed; Russian is required (checked before).
            removed = ArticleTranslation.objects.filter(article=article, language=language).first()
            if removed is not None:
                translation_unindex(removed.pk)
                removed.delete()
                changed[language] = None
            continue
        clean = Text(title=text.title.strip(), body=text.body.replace("\r\n", "\n"))
        version = _write_text(
            article=article, language=language, text=clean, actor=actor, note=note
        )
        if version is not None:
            changed[language] = version
    return changed


@transaction.atomic
def article_create(
    *,
    actor: User,
    section: Section,
    texts: dict[str, Text],
    kind: str = Article.Kind.ARTICLE,
    visibility: str = Article.Visibility.INTERNAL,
    review_by: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Article:
    """A new draft with its first version in each language given (ru required)."""
    _check_texts(texts)
    _check_review_by(review_by)
    article = Article(
        number=sequence_next("kb_article"),
        section=section,
        kind=kind,
        visibility=visibility,
        review_by=review_by,
        author=actor,
    )
    article.full_clean(exclude=["number"])
    article.save()
    _write_texts(article=article, texts=texts, actor=actor, note=_("Created"))
    audit_record(
        actor=actor,
        action="kb.article_create",
        target=article,
        changes=diff({}, snapshot(article, _ARTICLE_FIELDS)),
        request=request,
    )
    return article


@transaction.atomic
def article_update(
    *,
    actor: User,
    article: Article,
    texts: dict[str, Text],
    note: str = "",
    request: HttpRequest | None = None,
    **fields: Any,
) -> Article:
    """Save an edit: settings in `fields` (section, kind, visibility, review_by), texts.

    Each changed language gets a new version. A published article edited by
    someone who may not publish it goes back to review.
    """
    if not can_edit(actor, article):
        raise PermissionDenied
    article = Article.objects.select_for_update().get(pk=article.pk)
    _check_texts(texts)
    if "review_by" in fields and fields["review_by"] != article.review_by:
        _check_review_by(fields["review_by"])
    before = snapshot(article, (*_ARTICLE_FIELDS, "status"))
    for name, value in fields.items():
        if name not in _ARTICLE_FIELDS:
            raise TypeError(f"article_update cannot change {name}")
        setattr(article, name, value)
    changed = _write_texts(article=article, texts=texts, actor=actor, note=note)
    if (
        article.status == Article.Status.PUBLISHED
        and not can_publish(actor, article.section)
        and (changed or diff(before, snapshot(article, _ARTICLE_FIELDS)))
    ):
        article.status = Article.Status.REVIEW
    article.updated_at = timezone.now()
    article.full_clean()
    article.save()
    if article.status == Article.Status.PUBLISHED:
        # A publisher's edit of a live article is live at once: macros use it too.
        ArticleVersion.objects.filter(
            pk__in=[v.pk for v in changed.values() if v is not None]
        ).update(published_at=article.updated_at)
    changes = diff(before, snapshot(article, (*_ARTICLE_FIELDS, "status")))
    if changed:
        changes["texts"] = [None, sorted(changed)]
    if changes:
        audit_record(
            actor=actor,
            action="kb.article_update",
            target=article,
            changes=changes,
            request=request,
        )
    return article


@transaction.atomic
def version_restore(
    *, actor: User, version: ArticleVersion, request: HttpRequest | None = None
) -> Article:
    """Make an old version current again: a new version with its content (history only grows)."""
    article = version.article
    texts = {t.language: Text(title=t.title, body=t.body) for t in article.translations.all()}
    texts[version.language] = Text(title=version.title, body=version.body)
    return article_update(
        actor=actor,
        article=article,
        texts=texts,
        note=_("Restored version %(number)s") % {"number": version.number},
        request=request,
    )


# --- Workflow ----------------------------------------------------------------------


def _transition(
    *,
    actor: User,
    article: Article,
    allowed_from: tuple[str, ...],
    to: str,
    action: str,
    request: HttpRequest | None,
    extra: dict[str, Any] | None = None,
) -> Article:
    locked = Article.objects.select_for_update().select_related("section").get(pk=article.pk)
    if locked.status not in allowed_from:
        raise ValidationError(
            _("This cannot be done to an article that is «%(status)s».")
            % {"status": locked.get_status_display()}
        )
    before = snapshot(locked, ("status", "review_by", "review_comment"))
    locked.status = to
    locked.updated_at = timezone.now()
    for name, value in (extra or {}).items():
        setattr(locked, name, value)
    locked.save()
    audit_record(
        actor=actor,
        action=action,
        target=locked,
        changes=diff(before, snapshot(locked, ("status", "review_by", "review_comment"))),
        request=request,
    )
    return locked


@transaction.atomic
def article_submit(*, actor: User, article: Article, request: HttpRequest | None = None) -> Article:
    """Draft → review: ask a publisher to look."""
    if not can_edit(actor, article):
        raise PermissionDenied
    return _transition(
        actor=actor,
        article=article,
        allowed_from=(Article.Status.DRAFT,),
        to=Article.Status.REVIEW,
        action="kb.article_submit",
        request=request,
    )


@transaction.atomic
def article_publish(
    *, actor: User, article: Article, request: HttpRequest | None = None
) -> Article:
    """Draft or review → published; stamps published and verified time, marks the
    current texts as the published versions, sets a review date if none is ahead."""
    if not can_publish(actor, article.section):
        raise PermissionDenied
    now = timezone.now()
    today = timezone.localdate()
    review_by = article.review_by
    if review_by is None or review_by <= today:
        review_by = today + REVIEW_PERIOD
    published = _transition(
        actor=actor,
        article=article,
        allowed_from=(Article.Status.DRAFT, Article.Status.REVIEW, Article.Status.ARCHIVED),
        to=Article.Status.PUBLISHED,
        action="kb.article_publish",
        request=request,
        extra={
            "published_at": now,
            "reviewed_at": now,
            "reviewed_by": actor,
            "review_by": review_by,
            "review_reminded_at": None,
            "review_comment": "",
        },
    )
    for language in LANGUAGE_CODES:
        latest = (
            ArticleVersion.objects.filter(article=published, language=language)
            .order_by("-number")
            .first()
        )
        if latest is not None and latest.published_at is None:
            latest.published_at = now
            latest.save(update_fields=["published_at"])
    return published


@transaction.atomic
def article_send_back(
    *, actor: User, article: Article, comment: str, request: HttpRequest | None = None
) -> Article:
    """Review → draft with the publisher's comment on what to fix."""
    if not can_publish(actor, article.section):
        raise PermissionDenied
    if not comment.strip():
        raise ValidationError({"comment": _("Say what should be changed.")})
    return _transition(
        actor=actor,
        article=article,
        allowed_from=(Article.Status.REVIEW,),
        to=Article.Status.DRAFT,
        action="kb.article_send_back",
        request=request,
        extra={"review_comment": comment.strip()[:2000]},
    )


@transaction.atomic
def article_archive(
    *, actor: User, article: Article, request: HttpRequest | None = None
) -> Article:
    """Take an article out of reading and search; its history stays."""
    if not can_publish(actor, article.section):
        raise PermissionDenied
    return _transition(
        actor=actor,
        article=article,
        allowed_from=(Article.Status.DRAFT, Article.Status.REVIEW, Article.Status.PUBLISHED),
        to=Article.Status.ARCHIVED,
        action="kb.article_archive",
        request=request,
    )


@transaction.atomic
def article_verify(
    *,
    actor: User,
    article: Article,
    review_by: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Article:
    """«Verified, still correct»: the owner confirms the text and moves the review date on."""
    if not can_publish(actor, article.section):
        raise PermissionDenied
    today = timezone.localdate()
    if review_by is not None:
        _check_review_by(review_by)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.status != Article.Status.PUBLISHED:
        raise ValidationError(_("Only published articles are verified."))
    before = snapshot(locked, ("review_by", "reviewed_at"))
    locked.review_by = review_by or today + REVIEW_PERIOD
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = actor
    locked.review_reminded_at = None
    locked.save(update_fields=["review_by", "reviewed_at", "reviewed_by", "review_reminded_at"])
    audit_record(
        actor=actor,
        action="kb.article_verify",
        target=locked,
        changes=diff(before, snapshot(locked, ("review_by", "reviewed_at"))),
        request=request,
    )
    return locked


# --- Files, related tickets, votes ------------------------------------------------------


@transaction.atomic
def article_file_add(
    *, actor: User, article: Article, upload: Any, request: HttpRequest | None = None
) -> ArticleFile:
    """Store an image or attachment of the article, with the ticket attachments' limits."""
    if not can_edit(actor, article):
        raise PermissionDenied
    if problem := upload_problem(upload):
        raise ValidationError({"file": problem})
    name = upload_name(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    item = ArticleFile(
        article=article,
        name=name,
        # The browser's claimed type is not trusted; the extension decides.
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    item.file.save(name, upload, save=False)
    item.save()
    audit_record(
        actor=actor,
        action="kb.article_file_add",
        target=article,
        changes={"file": [None, name]},
        request=request,
    )
    return item


@transaction.atomic
def article_ticket_link(
    *, actor: User, article: Article, ticket: Ticket, request: HttpRequest | None = None
) -> bool:
    """Record that the article was used on `ticket`; False if it already was."""
    _link, created = ArticleTicket.objects.get_or_create(
        article=article, ticket=ticket, defaults={"linked_by": actor}
    )
    if created:
        audit_record(
            actor=actor,
            action="kb.article_ticket_link",
            target=article,
            changes={"ticket": [None, ticket.number]},
            request=request,
        )
    return created


@transaction.atomic
def article_vote(
    *,
    article: Article,
    helpful: bool,
    user: User | None = None,
    contact: Contact | None = None,
    session_key: str = "",
) -> bool:
    """Count one «helpful» or «not helpful»; False when this voter has voted already.

    The voter is a staff user, a portal contact, or an anonymous portal session.
    """
    voter: dict[str, Any]
    if user is not None:
        voter = {"user": user}
    elif contact is not None:
        voter = {"contact": contact}
    elif session_key:
        voter = {"session_key": session_key}
    else:
        raise ValueError("a vote needs a voter")
    try:
        with transaction.atomic():
            ArticleVote.objects.create(article=article, helpful=helpful, **voter)
    except IntegrityError:
        return False
    counter = "helpful_count" if helpful else "unhelpful_count"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return True


# --- Review reminders ----------------------------------------------------------------


@transaction.atomic
def article_review_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Email each owner one digest of their overdue articles; returns digests queued.

    Each article is claimed with a conditional UPDATE of `review_reminded_at`
    (1. select candidates, 2. claim each, 3. keep only the ones whose UPDATE
    changed a row), so two workers never remind about the same article, and an
    article is reminded about again only after REMIND_AGAIN.
    """
    from opora.knowledge.tasks import notify_review_digest

    now = now or timezone.now()
    today = timezone.localdate(now)
    due = Q(review_reminded_at__isnull=True) | Q(review_reminded_at__lt=now - REMIND_AGAIN)
    candidates = Article.objects.filter(
        due, status=Article.Status.PUBLISHED, review_by__lt=today
    ).select_related("section__owner", "section__backup_owner")
    digests: dict[int, list[int]] = {}
    for article in candidates:
        owner = article.section.owner
        recipient = owner if owner.is_active else article.section.backup_owner
        if recipient is None or not recipient.is_active:
            continue
        claimed = Article.objects.filter(
            due, pk=article.pk, status=Article.Status.PUBLISHED
        ).update(review_reminded_at=now)
        if claimed:
            digests.setdefault(recipient.pk, []).append(article.pk)
    for user_id, article_ids in digests.items():
        notify_review_digest.enqueue(user_id=user_id, article_ids=article_ids)
    return len(digests)
