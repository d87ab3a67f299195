"""Background work of the knowledge base: the daily review reminders."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task


@task()
def review_reminders() -> str:
    from opora.knowledge.services import article_review_reminders_send

    return f"digests {article_review_reminders_send()}"


@task(queue_name="email")
def notify_review_digest(*, user_id: int, article_ids: list[int]) -> str:
    from opora.accounts.models import User
    from opora.knowledge.models import Article
    from opora.knowledge.selectors import article_title

    user = User.objects.get(pk=user_id)
    if not user.is_active:
        return "skipped: user inactive"
    articles = (
        Article.objects.filter(pk__in=article_ids)
        .prefetch_related("translations")
        .order_by("review_by", "id")
    )
    base = settings.OPORA_BASE_URL
    with translation.override(user.language):
        items = [
            {
                "title": article_title(article, user.language),
                "review_by": article.review_by,
                "link": base + reverse("knowledge:article-detail", args=[article.number]),
            }
            for article in articles
        ]
        ctx = {
            "user": user,
            "items": items,
            "queue": base + reverse("knowledge:review-queue") + "?mine=1",
        }
        subject = render_to_string("knowledge/email/review_subject.txt", ctx).strip()
        body = render_to_string("knowledge/email/review.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return f"sent {len(items)}"
