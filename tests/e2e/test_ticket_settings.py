"""Ticket settings in a real browser: a head of support writes a rule in Russian."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import User
from opora.tickets.models import Rule, TicketType
from tests.e2e.conftest import ARTIFACTS, SignIn, expect_language, expect_path
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_a_head_creates_a_rule_in_russian_and_sees_it_listed(page: Page, sign_in: SignIn) -> None:
    head = UserFactory(full_name="Дмитрий Главный", role=User.Role.HEAD)
    second_line = TeamFactory(name="Вторая линия")
    # Seeded by a migration, but an earlier browser test's flush may have removed it.
    emergency, _created = TicketType.objects.get_or_create(
        code="emergency", defaults={"name": "Экстренное", "name_en": "Emergency"}
    )
    sign_in(head.email)

    page.locator("nav.sidebar a[href='/tickets/settings/rules/']").click()
    expect_path(page, "/tickets/settings/rules/")
    expect_language(page, "ru")
    expect(page.locator("nav.sidebar a[aria-current=page]")).to_have_attribute(
        "href", "/tickets/settings/rules/"
    )
    page.locator("main a[href='/tickets/settings/rules/new/']").click()

    form = page.locator("#rule-form")
    form.locator("input[name=name]").fill("Аварии — на вторую линию")
    form.locator("select[name='conditions-0-field']").select_option("type")
    form.locator("select[name='conditions-0-op']").select_option("is")
    form.locator("input[name='conditions-0-value']").fill("Экстренное")
    form.locator("select[name='actions-0-action']").select_option("set_team")
    form.locator("input[name='actions-0-value']").fill("Третья линия")  # no such queue
    form.locator("select[name='actions-1-action']").select_option("notify")
    form.locator("input[name='actions-1-value']").fill(head.email)
    form.locator("button[type=submit]").click()

    # The mistake is shown beside its row and what was typed is kept.
    expect(page.locator("#actions-0-errors")).to_contain_text("Третья линия")
    expect(page.locator("#conditions-0-errors")).to_have_count(0)
    expect(form.locator("input[name='conditions-0-value']")).to_have_value("Экстренное")
    assert not Rule.objects.exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "ticket_settings_rule_form.png", full_page=True)

    form.locator("input[name='actions-0-value']").fill("Вторая линия")
    form.locator("button[type=submit]").click()

    expect_path(page, "/tickets/settings/rules/")
    expect(page.locator(".messages li.success")).to_be_visible()
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "type", "op": "is", "value": str(emergency.pk)}]
    assert rule.actions == [
        {"action": "set_team", "value": str(second_line.pk)},
        {"action": "notify", "value": str(head.pk)},
    ]
    row = page.locator(f"#rule-{rule.pk}")
    expect(row).to_contain_text("Аварии — на вторую линию")
    expect(row).to_contain_text("Экстренное")  # stored ids are shown as names
    expect(row).to_contain_text("Вторая линия")
    expect(row).to_contain_text("Дмитрий Главный")
    page.screenshot(path=ARTIFACTS / "ticket_settings_rule_list.png", full_page=True)
