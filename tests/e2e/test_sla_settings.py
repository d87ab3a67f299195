"""SLA settings in a real browser: a head of support keeps the production calendar and a policy.

The seeds of migration 0002 (the federal calendar, the policies) may have been
flushed by an earlier browser test, so the test makes what it needs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import User
from opora.sla import config_services
from opora.sla.models import Calendar, CalendarException, Policy, Target
from opora.tickets.models import TicketType
from tests.e2e.conftest import SignIn, expect_language, expect_path
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

DECREE_2026 = Path(config_services.__file__).resolve().parent / "data" / "ru-2026.xml"
SCREENSHOTS = Path("/tmp")


def test_a_head_marks_a_company_day_off_and_changes_a_policy(page: Page, sign_in: SignIn) -> None:
    head = UserFactory(full_name="Дмитрий Главный", role=User.Role.HEAD)
    federal, _created = Calendar.objects.get_or_create(
        name="Производственный календарь РФ",
        defaults={"country": "RU", "time_zone": "Europe/Moscow", "is_default": True},
    )
    company = config_services.calendar_save(
        actor=head, name="ООО «Опора»", parent=federal, time_zone="Europe/Moscow"
    )
    standard_type, _created = TicketType.objects.get_or_create(
        code="standard", defaults={"name": "Стандартное", "name_en": "Standard"}
    )
    standard = Policy.objects.filter(name="Стандартные").first() or config_services.policy_save(
        actor=head,
        name="Стандартные",
        ticket_types=[standard_type],
        targets=[{"kind": "resolution", "minutes": 24 * 60, "clock": "business", "cap_days": 5}],
    )
    sign_in(head.email)

    # The federal calendar gets the 2026 decree from a file.
    page.locator("nav.sidebar a[href='/sla/policies/']").click()
    expect_path(page, "/sla/policies/")
    expect_language(page, "ru")
    page.locator("main nav a[href='/sla/calendars/']").click()
    expect(page.locator(f"#calendar-{company.pk}")).to_contain_text(federal.name)
    page.goto(f"/sla/calendars/{federal.pk}/2026/")
    importer = page.locator("#import-form")
    importer.locator("select[name=fmt]").select_option("xmlcalendar")
    importer.locator("input[name=file]").set_input_files(DECREE_2026)
    importer.locator("button[type=submit]").click()
    expect_path(page, f"/sla/calendars/{federal.pk}/2026/")
    expect(page.locator(".messages li.success")).to_contain_text("2026")
    expect(page.locator("#provisional")).to_have_count(0)

    # The company calendar inherits May's holidays; 12 May becomes a company day off.
    page.goto(f"/sla/calendars/{company.pk}/2026/")
    may = page.locator("#month-5")
    expect(may.locator("td[data-date='2026-05-01']")).to_have_class(re.compile(r"\bholiday\b"))
    expect(may.locator("td[data-date='2026-05-11']")).to_have_attribute("data-kind", "day_off")
    expect(may.locator("td[data-date='2026-05-12']")).to_have_attribute("data-kind", "working")
    may.locator("td[data-date='2026-05-12'] a").click()
    editor = page.locator("#day-editor")
    expect(editor.locator("#day-form")).to_be_visible()
    editor.locator("input[name=kind][value=day_off]").check()
    editor.locator("input[name=note]").fill("День компании")
    editor.locator("button[type=submit]").click()

    day = page.locator("#month-5 td[data-date='2026-05-12']")
    expect(day).to_have_attribute("data-kind", "day_off")
    expect(day).to_have_class(re.compile(r"\bown\b"))
    expect(day).to_have_attribute("title", re.compile("День компании"))
    expect(page.locator("#day-saved")).to_be_visible()
    row = CalendarException.objects.get(calendar=company)
    assert (str(row.date), row.kind, row.note) == ("2026-05-12", "day_off", "День компании")
    page.screenshot(path=SCREENSHOTS / "sla-year.png", full_page=True)

    # The standard policy's resolution budget: a zero is refused by its row, 16 h is saved.
    page.locator("main nav a[href='/sla/policies/']").click()
    page.locator(f"#policy-{standard.pk} a[href='/sla/policies/{standard.pk}/']").first.click()
    form = page.locator("#policy-form")
    form.locator("input[name='targets-resolution-hours']").fill("0")
    form.locator("button[type=submit]").click()
    expect(page.locator("#target-resolution-errors")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "sla-policy.png", full_page=True)
    assert Target.objects.get(policy=standard, kind="resolution").minutes == 24 * 60

    form.locator("input[name='targets-resolution-hours']").fill("16")
    form.locator("button[type=submit]").click()

    expect_path(page, "/sla/policies/")
    expect(page.locator(".messages li.success")).to_be_visible()
    expect(page.locator(f"#policy-{standard.pk}")).to_contain_text(re.compile(r"16\s*(h|ч)"))
    assert Target.objects.get(policy=standard, kind="resolution").minutes == 16 * 60
    page.screenshot(path=SCREENSHOTS / "sla-policy-list.png", full_page=True)
