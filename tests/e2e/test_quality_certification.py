"""Certification in a real browser: a lead builds and assigns a test, an operator passes it,
the lead sees it in the status matrix."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from opora.accounts.models import User
from tests.e2e.conftest import SignIn, expect_language
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


def test_a_lead_assigns_a_test_the_operator_passes_it_and_the_lead_sees_it(
    page: Page, sign_in: SignIn
) -> None:
    team = TeamFactory(name="Первая линия")
    lead = UserFactory(full_name="Елена Лидова", role=User.Role.LEAD, team=team)
    team.lead = lead
    team.save()
    operator = UserFactory(full_name="Иван Операторов", role=User.Role.OPERATOR, team=team)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The lead writes a two-question test with a time limit.
    sign_in(lead.email)
    page.goto("/quality/certification/tests/")
    expect_language(page, "ru")
    page.locator("main a[href='/quality/certification/tests/new/']").click()
    form = page.locator("#test-form")
    form.locator("input[name=title]").fill("Экстренные заявки")
    form.locator("input[name=time_limit_minutes]").fill("10")
    form.locator("textarea[name=q-0-text]").fill("Время первого ответа по экстренной заявке?")
    form.locator("input[name=q-0-c-0-text]").fill("15 минут")
    form.locator("input[name=q-0-c-0-correct]").check()
    form.locator("input[name=q-0-c-1-text]").fill("4 часа")
    form.locator("button[value=add_question]").click()
    form.locator("textarea[name=q-1-text]").fill("Когда эскалировать на вторую линию?")
    form.locator("select[name=q-1-kind]").select_option("multiple")
    form.locator("input[name=q-1-c-0-text]").fill("Нужны доступы второй линии")
    form.locator("input[name=q-1-c-0-correct]").check()
    form.locator("input[name=q-1-c-1-text]").fill("Клиент написал повторно")
    form.locator("button[value=add_choice\\:1]").click()
    form.locator("input[name=q-1-c-2-text]").fill("SLA вот-вот нарушится")
    form.locator("input[name=q-1-c-2-correct]").check()
    page.screenshot(path=SCREENSHOTS / "certification-editor.png", full_page=True)
    form.locator("#save-test").click()
    expect(page.locator("main h1")).to_have_text("Экстренные заявки")

    # … and assigns it to the operator for next week.
    page.locator("main a[href$='/assign/']").first.click()
    page.get_by_label(operator.full_name).check()
    deadline = timezone.localdate() + dt.timedelta(days=7)
    page.locator("input[name=deadline]").fill(deadline.isoformat())
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main table")).to_contain_text(operator.full_name)
    page.locator("button[data-testid=logout]").click()

    # The operator studies the assignment, takes the test and sees the result.
    sign_in(operator.email)
    page.goto("/quality/certification/")
    page.locator("main a", has_text="Экстренные заявки").first.click()
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".cert-countdown")).to_have_text(re.compile(r"^(10:00|9:\d\d)$"))
    page.get_by_label("15 минут").check()
    page.get_by_label("Нужны доступы второй линии").check()
    page.get_by_label("SLA вот-вот нарушится").check()
    page.screenshot(path=SCREENSHOTS / "certification-take.png", full_page=True)
    page.locator("#answer-sheet button[type=submit]").click()
    result = page.locator("[data-testid=attempt-result]")
    expect(result).to_contain_text("100")
    expect(result.locator(".badge.ok")).to_be_visible()
    page.locator("button[data-testid=logout]").click()

    # The lead sees the pass in the status matrix of their team.
    sign_in(lead.email)
    page.goto("/quality/certification/status/")
    matrix = page.locator("[data-testid=certification-matrix]")
    expect(matrix).to_contain_text(operator.full_name)
    expect(matrix).to_contain_text("Экстренные заявки")
    expect(matrix.locator(".badge.ok")).to_have_count(1)
