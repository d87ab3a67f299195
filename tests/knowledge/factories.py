"""Knowledge base test data: sections and articles made through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opora.accounts.models import User
from opora.knowledge.models import Article, Section
from opora.knowledge.services import Text, article_create, article_publish, section_create


def make_section(*, owner: User, name: str = "Заявки", **fields: Any) -> Section:
    return section_create(actor=owner, name=name, owner=owner, **fields)


def make_article(
    *,
    author: User,
    section: Section,
    title: str = "Как работать с заявками",
    body: str = "Все заявки клиентов попадают в общую очередь.",
    en: tuple[str, str] | None = None,
    publish_as: User | None = None,
    review_by: dt.date | None = None,
    **fields: Any,
) -> Article:
    texts = {"ru": Text(title=title, body=body)}
    if en:
        texts["en"] = Text(title=en[0], body=en[1])
    article = article_create(
        actor=author, section=section, texts=texts, review_by=review_by, **fields
    )
    if publish_as is not None:
        article = article_publish(actor=publish_as, article=article)
    return article
