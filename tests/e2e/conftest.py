"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Playwright cannot download its own browser here, so the system Chromium is
used; without it every e2e test is skipped. Each test gets a fresh browser
context whose locale is en-US on purpose: Opora must speak Russian by default
whatever the browser's Accept-Language says. After each test a full-page
screenshot lands in test-artifacts/e2e/<test name>.png for people to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.factories import TEST_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"e2e tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright(
    chromium: Path, django_db_setup: None, live_server: LiveServer
) -> Iterator[Playwright]:
    # Playwright's sync API marks its asyncio loop as running on the main thread
    # for as long as it is started, so Django's async-safety guard would refuse
    # every ORM call made there: the tests' factories, transactional_db's flush,
    # and any test that runs later in the session. The guard is lifted for
    # exactly that lifetime; the test database and the live server are set up
    # before the loop exists (they are requested first) and torn down after.
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium: Path) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def page(
    browser: Browser,
    live_server: LiveServer,
    transactional_db: None,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",  # Russian must win over the browser's Accept-Language
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
        finally:
            context.close()


class SignIn:
    """Sign in through the real login form, as a person would."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def __call__(self, email: str, password: str = TEST_PASSWORD) -> None:
        self.page.goto("/login/")
        self.fill_and_submit(email, password)

    def fill_and_submit(self, email: str, password: str = TEST_PASSWORD) -> None:
        form = self.page.locator("main form.form")
        form.locator("input[name=username]").fill(email)
        form.locator("input[name=password]").fill(password)
        form.locator("button[type=submit]").click()
        self.page.wait_for_load_state()


@pytest.fixture
def sign_in(page: Page) -> SignIn:
    return SignIn(page)


def expect_language(page: Page, code: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", code)


def expect_path(page: Page, path: str) -> None:
    """The page's URL ends at `path`, whatever the live server's host and port."""
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{re.escape(path)}$"))
