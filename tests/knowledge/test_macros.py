"""Scripts feed macros: the macro inserts the script's latest published text."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from opora.accounts.models import User
from opora.clients.models import Contact
from opora.knowledge.models import Article, Section
from opora.knowledge.services import Text, article_publish, article_update
from opora.tickets import automation, services
from opora.tickets.models import Macro, Ticket, TicketType
from tests.knowledge.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def script(lead: User, section: Section) -> Article:
    return make_article(
        author=lead,
        section=section,
        title="Приветствие",
        body="Здравствуйте, {{ contact.first_name }}! Меня зовут {{ agent.name }}.",
        kind=Article.Kind.SCRIPT,
        publish_as=lead,
    )


@pytest.fixture
def ticket() -> Ticket:
    return services.ticket_create(
        subject="Вопрос",
        body="Помогите",
        channel=Ticket.Channel.EMAIL,
        type=TicketType.objects.get(code="standard"),
        requester=Contact.objects.create(full_name="Павел Николаев", email="p@example.com"),
    )


def test_editing_the_script_changes_what_the_macro_inserts(
    lead: User, operator: User, script: Article, ticket: Ticket
) -> None:
    macro = automation.macro_create(owner=lead, name="Привет", body="", script=script)
    message = automation.macro_apply(macro=macro, ticket=ticket, agent=operator)
    assert message is not None
    assert message.body == "Здравствуйте, Павел! Меня зовут Иван Операторов."
    article_update(
        actor=lead, article=script, texts={"ru": Text(title="Приветствие", body="Добрый день!")}
    )
    message = automation.macro_apply(macro=macro, ticket=ticket, agent=operator)
    assert message is not None and message.body == "Добрый день!"


def test_only_published_text_reaches_the_macro(lead: User, operator: User, script: Article) -> None:
    macro = automation.macro_create(owner=lead, name="Привет", body="запасной", script=script)
    # An operator's edit sends the script back to review: the macro keeps the approved text.
    article_update(
        actor=operator,
        article=script,
        texts={"ru": Text(title="Приветствие", body="Непроверенное")},
    )
    assert "Непроверенное" not in automation.macro_text(macro)
    article_publish(actor=lead, article=Article.objects.get(pk=script.pk))
    assert automation.macro_text(macro) == "Непроверенное"


def test_the_macro_form_offers_scripts(lead_client: Client, script: Article) -> None:
    page = lead_client.get(reverse("tickets:macro-create")).content.decode()
    assert "Приветствие" in page
    response = lead_client.post(
        reverse("tickets:macro-create"), {"name": "Из скрипта", "body": "", "script": script.pk}
    )
    assert response.status_code == 302
    assert Macro.objects.get().script == script
