"""The knowledge base in a real browser: a lead writes and publishes an article, finds it
by another word form, and an operator inserts it into a reply from the composer panel.

Selectors are ids and attributes, not texts: the Russian catalogue is filled at merge time.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import Team, User
from opora.clients.models import Contact
from opora.knowledge.models import Article, ArticleTicket
from opora.knowledge.services import section_create
from opora.tickets import services
from opora.tickets.models import Ticket, TicketType
from tests.e2e.conftest import SignIn
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

BODY = "## Шаги\n\nПроверьте, что все **заявки** клиента видны в очереди первой линии."


def test_a_lead_writes_an_article_and_an_operator_inserts_it_into_a_reply(
    page: Page, sign_in: SignIn
) -> None:
    team = Team.objects.create(name="Первая линия")
    lead = UserFactory(full_name="Елена Кузнецова", role=User.Role.LEAD, team=team)
    operator = UserFactory(full_name="Иван Петров", role=User.Role.OPERATOR, team=team)
    section = section_create(actor=lead, name="Работа с заявками", owner=lead)
    kind, _ = TicketType.objects.get_or_create(
        code="standard", defaults={"name": "Стандартное", "load_weight": 2}
    )
    ticket = services.ticket_create(
        subject="Пропала заявка из очереди",
        body="Не вижу свою заявку в списке.",
        channel=Ticket.Channel.EMAIL,
        type=kind,
        requester=Contact.objects.create(full_name="Павел Николаев", email="pavel@romashka.ru"),
        team=team,
    )

    # The lead writes the article, previews it and publishes.
    sign_in(lead.email)
    page.goto("/kb/new/")
    editor = page.locator("#kb-editor")
    editor.locator("select[name=section]").select_option(str(section.pk))
    editor.locator("input[name=title_ru]").fill("Где искать пропавшие заявки")
    editor.locator("textarea[name=body_ru]").fill(BODY)
    editor.locator(".kb-panel-ru button[hx-post]").click()
    expect(page.locator("#kb-preview-ru h2")).to_have_text("Шаги")
    expect(page.locator("#kb-preview-ru strong")).to_have_text("заявки")
    editor.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/kb/KB-\d+/edit/$"))
    article = Article.objects.get()
    page.goto(f"/kb/KB-{article.number}/")
    expect(page.locator(".kb-body h2")).to_have_text("Шаги")
    page.locator("form[action$='/publish/'] button").click()
    expect(page.locator(".badge.ok").first).to_be_visible()
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED

    # Found by another word form: the text says «заявки», the search «заявка».
    page.goto("/kb/")
    page.locator("#kb-q").fill("заявка")
    page.locator("#kb-q").press("Enter")
    hit = page.locator(".kb-hit a", has_text="Где искать пропавшие заявки")
    expect(hit).to_be_visible()
    expect(page.locator(".kb-hit mark").first).to_be_visible()
    page.locator("form[action='/logout/'] button, [data-testid=logout]").first.click()

    # The operator gets it suggested on the ticket and inserts its text into the reply.
    sign_in(operator.email)
    page.goto(f"/tickets/{ticket.reference}/")
    suggestion = page.locator(".kb-suggestion", has_text="Где искать пропавшие заявки")
    expect(suggestion).to_be_visible()
    suggestion.locator("[data-kb-insert=text]").click()
    reply = page.locator("#composer textarea[name=body]")
    expect(reply).to_have_value(re.compile("все \\*\\*заявки\\*\\* клиента"))
    suggestion.locator("[data-kb-insert=link]").click()
    expect(reply).to_have_value(re.compile(f"/kb/KB-{article.number}/"))
    page.wait_for_load_state("networkidle")
    link = ArticleTicket.objects.get()
    assert (link.article_id, link.ticket_id, link.linked_by_id) == (
        article.pk,
        ticket.pk,
        operator.pk,
    )
