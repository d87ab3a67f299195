"""A QA review in a real browser: the lead samples, scores beside the conversation and
submits; the operator reads, comments and disputes; the lead resolves the dispute."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import User
from opora.quality.models import Dispute, Review
from opora.tickets.models import TicketType
from tests.e2e.conftest import SignIn
from tests.factories import TeamFactory, UserFactory
from tests.quality.test_reviews_helpers import criteria_of, make_scorecard, make_ticket

pytestmark = pytest.mark.e2e


def test_a_lead_reviews_a_ticket_and_the_operator_disputes(page: Page, sign_in: SignIn) -> None:
    # Browser tests run with a flushed database: the migration-seeded rows may be gone.
    TicketType.objects.get_or_create(code="standard", defaults={"name": "Стандартное"})
    team = TeamFactory(name="Первая линия")
    lead = UserFactory(
        email="lead@example.com", full_name="Елена Лидова", role=User.Role.LEAD, team=team
    )
    head = UserFactory(email="head@example.com", full_name="Дмитрий Главный", role=User.Role.HEAD)
    operator = UserFactory(email="op@example.com", full_name="Иван Операторов", team=team)
    scorecard = make_scorecard(head)
    ticket = make_ticket(assignee=operator)
    c = criteria_of(scorecard)

    sign_in(lead.email)
    page.goto("/quality/reviews/sample/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    sample = page.locator(f"#sample-{operator.pk}")
    expect(sample).to_contain_text(ticket.reference)
    sample.locator("button[type=submit]").first.click()

    # The conversation on the left, the scorecard on the right.
    expect(page.locator("#conversation")).to_contain_text("Исправили, проверьте.")
    score = page.locator("#live-score-value")
    expect(score).to_have_text("—")
    page.locator(f"#criterion-{c['Поздоровался'].pk} input[value='1']").check()
    expect(score).to_have_text("100")
    page.locator(f"#criterion-{c['Тон вежливый'].pk} input[value='3']").check()
    expect(score).to_have_text("66,67")  # (1 + 2·0.5) / 3
    page.locator(f"#criterion-{c['Ответ корректен'].pk} input[value='1']").check()
    page.locator(f"#criterion-{c['Ссылка на базу знаний'].pk} input[value='na']").check()
    expect(score).to_have_text("83,33")
    page.locator("#review-comment").fill("Хорошо, но тон можно теплее.")
    page.locator("button[name=submit]").click()
    expect(page.locator("#review-score")).to_have_text("83,33")
    review = Review.objects.get(ticket=ticket)
    assert review.status == Review.Status.SUBMITTED

    page.context.clear_cookies()
    sign_in(operator.email)
    page.goto("/quality/reviews/mine/")
    page.locator(f"a[href='/quality/reviews/{review.pk}/']").first.click()
    expect(page.locator("#review-answers")).to_contain_text("Тон вежливый")
    page.locator("#thread textarea[name=text]").fill("Клиент сам был резок, я держался вежливо.")
    page.locator("#thread button[type=submit]").click()
    expect(page.locator("#thread")).to_contain_text("держался вежливо")
    page.locator("#dispute-box summary").click()
    page.locator("#dispute-box textarea[name=reason]").fill("Тон был вежливым, прошу пересмотреть.")
    page.locator("#dispute-box button[type=submit]").click()
    expect(page.locator(".badge.warn").first).to_be_visible()
    assert Dispute.objects.filter(review=review, status="open").exists()

    page.context.clear_cookies()
    sign_in(lead.email)
    page.goto(f"/quality/reviews/{review.pk}/")
    resolve = page.locator("#resolve-form")
    resolve.locator("input[value=reject]").check()
    resolve.locator("textarea[name=note]").fill("Оценка тона верна: обращения по имени не было.")
    resolve.locator("button[type=submit]").click()
    expect(page.locator("#review-summary")).to_be_visible()
    dispute = Dispute.objects.get(review=review)
    assert dispute.status == Dispute.Status.REJECTED
    assert dispute.resolved_by == lead
