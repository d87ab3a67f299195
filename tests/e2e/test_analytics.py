"""The dashboards and the monthly report in a real browser, in Russian, with data."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import Team, User
from tests.analytics.test_views import work
from tests.e2e.conftest import SignIn, expect_language

pytestmark = pytest.mark.e2e


@pytest.fixture
def department(head: User, operator: User, first_line: Team) -> User:
    work(12, operator, first_line)
    return head


def test_a_head_goes_through_every_dashboard_in_russian(
    page: Page, sign_in: SignIn, department: User, operator: User
) -> None:
    failed: list[str] = []
    page.on(
        "response",
        lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
    )
    sign_in(department.email)
    page.get_by_role("link", name="Аналитика").click()
    expect_language(page, "ru")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Операции сейчас")

    page.get_by_role("link", name="Трафик и SLA").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Трафик и SLA")
    expect(page.get_by_test_id("kpi").first).to_contain_text("Поступило")
    expect(page.get_by_test_id("kpi").first).to_contain_text("12")
    # Charts draw (ECharts renders into the placeholder).
    expect(page.locator("[data-chart] svg, [data-chart] canvas").first).to_be_visible()

    # A filter change swaps the dashboard in place and keeps the address shareable.
    page.get_by_label("Период").select_option("7")
    expect(page).to_have_url(re.compile(r"period=7"))
    expect(page.get_by_test_id("kpi").first).to_contain_text("Поступило")

    page.get_by_role("link", name="Команда").click()
    table = page.get_by_test_id("operator-table")
    expect(table).to_contain_text(operator.full_name)
    table.get_by_role("link", name="Ответы").click()
    expect(table.locator("th a.sorted")).to_have_text("Ответы")

    page.get_by_role("navigation", name="Дашборды").get_by_role("link", name="Качество").click()
    expect(page.get_by_test_id("kpi").first).to_contain_text("CSAT")
    page.get_by_role("link", name="Причины обращений").click()
    expect(page.locator("#dashboard")).to_contain_text("Кассы")
    assert failed == []


def test_the_monthly_report_takes_a_commentary_and_offers_the_pdf(
    page: Page, sign_in: SignIn, department: User
) -> None:
    sign_in(department.email)
    page.goto("/analytics/reports/monthly/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Отчёт о KPI поддержки")
    form = page.get_by_test_id("report-note")
    form.get_by_role("textbox").fill("Октябрь: рост обращений из-за релиза 2.4.")
    form.get_by_role("button", name="Сохранить комментарий").click()
    expect(page.locator(".messages")).to_contain_text("Комментарий сохранён.")
    expect(page.get_by_test_id("report-note").get_by_role("textbox")).to_have_value(
        "Октябрь: рост обращений из-за релиза 2.4."
    )
    with page.expect_download() as download:
        page.get_by_test_id("report-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
