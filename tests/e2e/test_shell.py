"""The application shell in a real browser: language, sign-in and -out, roles, errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import User
from tests.e2e.conftest import SignIn, expect_language, expect_path
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def test_the_login_page_is_in_russian_by_default(page: Page) -> None:
    response = page.goto("/login/")

    assert response is not None
    assert response.status == 200
    assert response.headers["content-language"] == "ru"
    expect_language(page, "ru")
    # Django's own Russian catalogue labels the password field, so this holds
    # whatever state Opora's own translation is in.
    expect(page.locator("label[for=id_password]")).to_have_text("Пароль:")
    # Opora's own strings: the heading and the button must not stay English.
    expect(page.locator("main form.form button[type=submit]")).not_to_have_text("Sign in")
    expect(page.locator("h1")).not_to_have_text("Sign in")
    expect(page.locator("button[lang=ru]")).to_have_attribute("aria-pressed", "true")


def test_an_operator_signing_in_in_russian_lands_on_the_overview_with_their_name(
    page: Page, sign_in: SignIn
) -> None:
    operator = UserFactory(full_name="Иван Операторов", role=User.Role.OPERATOR)

    sign_in(operator.email)

    expect_path(page, "/")
    expect_language(page, "ru")
    expect(page.locator("h1")).to_contain_text("Иван")
    expect(page.locator(".topbar .who")).to_contain_text("Иван Операторов")
    expect(page.locator("nav.sidebar a[aria-current=page]")).to_have_attribute("href", "/")
    expect(page.get_by_test_id("logout")).not_to_have_text("Sign out")


def test_switching_to_english_turns_the_page_english_and_is_kept_on_the_user(
    page: Page, sign_in: SignIn
) -> None:
    operator = UserFactory(full_name="Иван Операторов", role=User.Role.OPERATOR)
    sign_in(operator.email)
    expect_language(page, "ru")
    assert operator.language == User.Language.RU

    page.locator(".topbar button[lang=en]").click()

    expect_path(page, "/")
    expect_language(page, "en")
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")
    expect(page.locator(".topbar button[lang=en]")).to_have_attribute("aria-pressed", "true")
    operator.refresh_from_db()
    assert operator.language == User.Language.EN

    page.reload()
    expect_language(page, "en")
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")

    # Without the switcher's cookie the login page is Russian again; the
    # English comes back from the saved preference once the user signs in.
    page.get_by_test_id("logout").click()
    page.context.clear_cookies()
    sign_in(operator.email)
    expect_path(page, "/")
    expect_language(page, "en")
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")


def test_signing_out_returns_to_the_login_page_and_the_overview_then_asks_to_sign_in(
    page: Page, sign_in: SignIn
) -> None:
    operator = UserFactory(role=User.Role.OPERATOR)
    sign_in(operator.email)
    expect_path(page, "/")

    page.get_by_test_id("logout").click()

    expect_path(page, "/login/")
    expect(page.locator("main form.form input[name=password]")).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)

    page.goto("/")
    expect_path(page, "/login/?next=/")
    expect(page.locator("main form.form input[name=username]")).to_be_visible()


def test_a_viewer_gets_the_localised_403_page_on_the_audit_trail(
    page: Page, sign_in: SignIn
) -> None:
    viewer = UserFactory(role=User.Role.VIEWER)
    sign_in(viewer.email)

    response = page.goto("/audit/")

    assert response is not None
    assert response.status == 403
    expect_language(page, "ru")
    expect(page.locator(".error-code")).to_have_text("403")
    expect(page.locator("h1")).not_to_have_text("Access denied")
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert "PermissionDenied" not in body
    expect(page.locator("table.table")).to_have_count(0)


def test_an_admin_sees_the_audit_trail(page: Page, sign_in: SignIn) -> None:
    admin = UserFactory(role=User.Role.ADMIN)
    sign_in(admin.email)

    response = page.goto("/audit/")

    assert response is not None
    assert response.status == 200
    expect_language(page, "ru")
    expect(page.locator("nav.sidebar a[aria-current=page]")).to_have_attribute("href", "/audit/")
    expect(page.locator("main table.table")).to_be_visible()


def test_an_operators_sidebar_has_no_audit_or_staff_links(page: Page, sign_in: SignIn) -> None:
    operator = UserFactory(role=User.Role.OPERATOR)

    sign_in(operator.email)

    sidebar = page.locator("nav.sidebar")
    expect(sidebar.locator("a[href='/']")).to_have_count(2)  # the brand and "Overview"
    expect(sidebar.locator("a[href='/audit/']")).to_have_count(0)
    expect(sidebar.locator("a[href='/staff/']")).to_have_count(0)
    expect(sidebar.locator("a[href='/jobs/']")).to_have_count(0)


def test_an_admins_sidebar_has_the_audit_and_staff_links(page: Page, sign_in: SignIn) -> None:
    admin = UserFactory(role=User.Role.ADMIN)

    sign_in(admin.email)

    sidebar = page.locator("nav.sidebar")
    expect(sidebar.locator("a[href='/audit/']")).to_have_count(1)
    expect(sidebar.locator("a[href='/staff/']")).to_have_count(1)
    expect(sidebar.locator("a[href='/jobs/']")).to_have_count(1)


def test_a_wrong_password_shows_a_russian_error_and_keeps_the_form(
    page: Page, sign_in: SignIn
) -> None:
    operator = UserFactory(role=User.Role.OPERATOR)

    sign_in(operator.email, password="not-the-password")

    expect_path(page, "/login/")
    expect_language(page, "ru")
    expect(page.locator(".form-errors[role=alert]")).to_contain_text(
        "Неверная эл. почта или пароль."
    )
    form = page.locator("main form.form")
    expect(form.locator("input[name=username]")).to_have_value(operator.email)
    expect(form.locator("input[name=password]")).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)


def test_the_language_switcher_on_the_login_page_shows_both_languages_unclipped(
    page: Page,
) -> None:
    page.goto("/login/")

    switcher = page.locator(".public-foot form.lang")
    expect(switcher.locator("button[lang=en]")).to_have_text("English")
    overflow = switcher.evaluate("form => form.scrollWidth - form.clientWidth")
    assert overflow == 0, f"the switcher hides {overflow}px of its buttons"
