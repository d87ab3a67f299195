"""Charts in a real browser, under the real CSP: drawn, empty, swapped in by htmx."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.urls("tests.e2e.chart_urls")]

SCREENSHOT = "/tmp/charts.png"

# Runs before any page script, outside the CSP (Playwright injects it).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sample);
});
"""


@pytest.fixture
def errors(page: Page) -> Iterator[list[str]]:
    """Console errors and uncaught exceptions; every test ends with none."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(message.text)

    page.add_init_script(WATCH_CSP)
    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(str(error)))
    yield seen
    assert page.evaluate("window.__cspViolations") == []
    assert seen == []


def test_every_chart_is_drawn_without_breaking_the_csp(page: Page, errors: list[str]) -> None:
    page.emulate_media(reduced_motion="reduce")  # no entry animation to wait for before hovering
    response = page.goto("/charts/")

    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(6)
    for index in range(6):
        expect(charts.nth(index).locator("svg")).to_have_count(1)
    inflow = page.get_by_test_id("inflow").locator("[data-chart]")
    expect(inflow).to_have_attribute("role", "img")
    expect(inflow).to_have_attribute("aria-label", "Поступление по каналам")
    # The legend shows every series of a chart with more than one.
    expect(inflow.locator("svg")).to_contain_text("Прошлый период")
    expect(page.get_by_test_id("in_time").locator("svg")).to_contain_text("Цель 95%")

    empty = page.get_by_test_id("nothing")
    expect(empty.locator(".chart-empty")).to_have_text("Нет данных за период")
    expect(empty.locator("svg")).to_have_count(0)
    assert page.evaluate("document.querySelectorAll('script[src*=echarts]').length") == 1

    # The donut's tooltip (item trigger) is as clean as the axis one below.
    donut = page.get_by_test_id("channels").locator("[data-chart]")
    donut.scroll_into_view_if_needed()
    box = donut.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] * 0.45 + 60, steps=5)
    expect(donut.locator(".chart-tip")).to_contain_text("Email")
    expect(donut.locator(".chart-tip")).to_contain_text("60,5 %")
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")

    # The tooltip is built from DOM nodes, not ECharts' styled HTML; numbers
    # are in the page's language (a decimal comma in Russian).
    in_time = page.get_by_test_id("in_time").locator("[data-chart]")
    box = in_time.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = in_time.locator(".chart-tip")
    expect(tip).to_be_visible()
    expect(tip.locator(".chart-tip-name")).to_have_text("Ответы в срок")
    expect(tip.locator(".chart-tip-value")).to_contain_text(",")
    expect(tip.locator(".chart-tip-value")).to_contain_text("%")

    page.screenshot(path=SCREENSHOT, full_page=True)


def test_a_chart_swapped_in_by_htmx_is_drawn_and_the_one_it_replaces_disposed(
    page: Page, errors: list[str]
) -> None:
    page.goto("/charts/")
    expect(page.locator("[data-chart] svg")).to_have_count(6)
    more = page.get_by_role("button", name="Ещё", exact=True)

    more.click()
    swapped = page.locator("#swapped [data-chart]")
    expect(swapped.locator("svg")).to_have_count(1)
    expect(swapped).to_have_attribute("aria-label", "Подгружено htmx №1")
    first = swapped.element_handle()
    first_host = swapped.locator(".chart-host").element_handle()

    more.click()
    expect(swapped).to_have_attribute("aria-label", "Подгружено htmx №2")
    expect(swapped.locator("svg")).to_have_count(1)
    assert first_host.evaluate("el => window.echarts.getInstanceByDom(el) === undefined")
    assert first.evaluate("el => el.childElementCount") == 0


def test_charts_follow_the_window_size(page: Page, errors: list[str]) -> None:
    page.goto("/charts/")
    svg = page.get_by_test_id("inflow").locator("svg").first
    expect(svg).to_be_visible()
    before = svg.evaluate("el => el.getBoundingClientRect().width")

    page.set_viewport_size({"width": 1000, "height": 800})  # two narrower columns

    page.wait_for_function(
        "([el, before]) => el.getBoundingClientRect().width < before - 50",
        arg=[svg.element_handle(), before],
    )


def test_going_back_through_htmx_history_draws_the_charts_again(
    page: Page, errors: list[str]
) -> None:
    page.goto("/charts/")
    drawn = page.locator("[data-chart] svg")
    expect(drawn).to_have_count(6)

    # The snapshot htmx keeps for «back» is taken from the page's markup;
    # drawn SVG in it would come back as style attributes the CSP blocks.
    page.get_by_role("button", name="Ещё, с адресом").click()
    expect(page).to_have_url(re.compile(r"/charts/\?more=1$"))
    expect(drawn).to_have_count(7)

    page.go_back()
    expect(page).to_have_url(re.compile(r"/charts/$"))
    expect(page.locator("#swapped [data-chart]")).to_have_count(0)
    expect(drawn).to_have_count(6)
