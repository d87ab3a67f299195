"""CSAT and NPS in a real browser, in Russian: one click from the email, then the follow-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from opora.accounts.models import Team, User
from opora.quality.models import CsatResponse, FollowUp, NpsResponse
from opora.quality.surveys import services
from tests.e2e.conftest import SignIn, expect_language
from tests.quality.surveys_factories import (
    account_with_contact,
    links_in_last_email,
    resolve,
    survey,
    ticket_for,
)

pytestmark = pytest.mark.e2e

# Runs before any page script, outside the CSP (Playwright injects it).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def ru(msgid: str) -> str:
    with translation.override("ru"):
        return gettext(msgid)


@pytest.fixture
def errors(page: Page) -> Iterator[list[str]]:
    """Console errors and CSP violations; every test ends with none."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The browser asks for /favicon.ico by itself; the app has none to give.
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):
            seen.append(f"{message.text} {url}")

    page.add_init_script(WATCH_CSP)
    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(str(error)))
    yield seen
    assert page.evaluate("window.__cspViolations") == []
    assert seen == []


def test_a_client_rates_in_one_click_and_the_lead_closes_the_follow_up(
    page: Page,
    errors: list[str],
    sign_in: SignIn,
    first_line: Team,
    lead: User,
    operator: User,
) -> None:
    _account, contact = account_with_contact()
    ticket = ticket_for(contact, team=first_line)
    mail.outbox.clear()
    resolve(ticket, operator)
    links = links_in_last_email("csat")
    two = links[1]

    # The client clicks «2» in the email: the page posts itself, no staff session anywhere.
    page.goto(two)

    expect(page.get_by_role("heading", name=ru("Thank you for your rating!"))).to_be_visible()
    expect_language(page, "ru")
    answer = CsatResponse.objects.get(ticket=ticket)
    assert (answer.score, answer.channel) == (2, "email")
    page.get_by_label(ru("Anything to add? (optional)")).fill("Ждали ответа три дня")
    page.get_by_role("button", name=ru("Send the comment")).click()
    expect(page.get_by_text("Ждали ответа три дня")).to_be_visible()
    answer.refresh_from_db()
    assert answer.comment == "Ждали ответа три дня"

    # Opening the link again changes nothing.
    page.goto(links[4])
    expect(
        page.get_by_role("heading", name=ru("You have already rated this request."))
    ).to_be_visible()
    assert CsatResponse.objects.get(ticket=ticket).score == 2

    # The lead finds the low score on the Follow-ups screen and closes it with a note.
    follow_up = FollowUp.objects.get(csat=answer)
    assert follow_up.assignee == lead
    sign_in(lead.email)
    page.goto("/quality/follow-ups/")
    row = page.locator(f"#followup-{follow_up.pk}")
    expect(row).to_contain_text("Ждали ответа три дня")
    row.locator("summary").click()
    row.get_by_label(ru("What was done")).fill("Позвонила клиенту, извинилась, ускорили выгрузку.")
    row.get_by_role("button", name=ru("Close the follow-up")).click()

    expect(page.get_by_text(ru("The follow-up is closed."))).to_be_visible()
    expect(page.locator(f"#followup-{follow_up.pk}")).to_have_count(0)
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.closed_by) == ("done", lead)


def test_an_nps_link_is_answered_in_one_click(page: Page, errors: list[str]) -> None:
    account_with_contact()
    nps = survey()
    mail.outbox.clear()
    services.nps_survey_run(survey_id=nps.pk, due_at=nps.next_run_at)  # type: ignore[arg-type]
    links = links_in_last_email("nps")
    assert len(links) == 11

    page.goto(links[9])

    expect(page.get_by_role("heading", name=ru("Thank you for your rating!"))).to_be_visible()
    assert NpsResponse.objects.get().score == 9
    page.get_by_label(ru("Anything to add? (optional)")).fill("Отличная поддержка")
    page.get_by_role("button", name=ru("Send the comment")).click()
    expect(page.get_by_text("Отличная поддержка")).to_be_visible()
    assert NpsResponse.objects.get().comment == "Отличная поддержка"
    assert not FollowUp.objects.exists()


def test_without_javascript_the_button_sends_the_score(browser_no_js: Page) -> None:
    account_with_contact()
    nps = survey()
    mail.outbox.clear()
    services.nps_survey_run(survey_id=nps.pk, due_at=nps.next_run_at)  # type: ignore[arg-type]
    page = browser_no_js

    page.goto(links_in_last_email("nps")[3])
    assert not NpsResponse.objects.exists()
    page.get_by_role("button", name=ru("Send the rating")).click()

    expect(page.get_by_role("heading", name=ru("Thank you for your rating!"))).to_be_visible()
    assert NpsResponse.objects.get().score == 3
    assert FollowUp.objects.get().kind == "nps"


@pytest.fixture
def browser_no_js(
    browser: Browser, live_server: LiveServer, transactional_db: None
) -> Iterator[Page]:
    """A browser with scripts off, like a strict mail client's."""
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="en-US"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
