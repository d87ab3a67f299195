from __future__ import annotations

import pytest

from opora.accounts.models import User
from opora.knowledge.models import Article, Section
from tests.knowledge.factories import make_article, make_section


@pytest.fixture
def section(lead: User) -> Section:
    """The lead owns «Очередь», shown in the portal."""
    return make_section(owner=lead, name="Очередь", is_public=True)


@pytest.fixture
def published(lead: User, section: Section) -> Article:
    return make_article(
        author=lead,
        section=section,
        title="Как разбирать очередь",
        body="Новые заявки клиентов сначала получают приоритет.",
        visibility=Article.Visibility.PUBLIC,
        publish_as=lead,
    )
