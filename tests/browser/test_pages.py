"""Real headless Chromium: sign in, every page, a filter, a download, the language switch,
axe-core accessibility checks, and the screenshots under docs/screenshots/."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.conftest import SCREENSHOTS, check_axe, sign_in
from tests.web.conftest import PASSWORDS, TODAY

pytestmark = pytest.mark.browser

ON = TODAY.isoformat()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def test_login_page_is_accessible(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    check_axe(page, "login")
    shot(page, "login")
    page.fill("#username", "leader")
    page.fill("#password", "wrong")
    page.click("form.stack button[type=submit]")
    assert page.locator("p.error").is_visible()


def test_leadership_walkthrough(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "leader", PASSWORDS["leadership"])
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sotekeskus_session"]["secure"] and cookies["sotekeskus_session"]["httpOnly"]

    page.goto(f"/situation?on={ON}")
    assert page.locator("h1").inner_text() == "Tilannekuva"
    assert page.locator("#waiting-summary tbody tr").count() > 0
    check_axe(page, "situation")
    shot(page, "situation")
    # the panel polls itself through htmx (every 60 s) and swaps in place, no reload
    panel = page.locator("#situation-panel")
    assert panel.get_attribute("hx-trigger") == "every 60s"
    page.evaluate("window.__marker = 1")
    with page.expect_response(lambda r: "/situation/panel" in r.url):
        page.evaluate("htmx.ajax('GET', document.querySelector('#situation-panel')"
                      ".getAttribute('hx-get'), {target: '#situation-panel', "
                      "swap: 'outerHTML'})")
    page.wait_for_selector("#situation-panel #waiting-summary")
    assert page.evaluate("window.__marker") == 1

    page.goto("/access?month_from=2024-10&month_to=2025-06")
    page.wait_for_selector("figure.chart img")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    check_axe(page, "access")
    shot(page, "care_guarantee")
    # apply a filter: htmx swaps the dashboard and pushes the URL
    page.select_option("#f-group", "physician")
    page.select_option("#f-area", "medical")
    with page.expect_response(lambda r: "/access?" in r.url and "physician" in r.url):
        page.click("form.filters button[type=submit]")
    page.wait_for_url("**professional_group=physician**")
    groups = page.locator("#access-by-group tbody td[data-key=professional_group]")
    assert groups.count() > 0 and set(groups.all_inner_texts()) == {"Lääkäri"}
    # drill down to one unit
    page.locator("#access-by-unit tbody th a, #access-by-unit tbody td[data-key=unit_id] a"
                 ).first.click()
    page.wait_for_url("**unit=U**")
    check_axe(page, "access drilled")
    # download an export
    with page.expect_download() as info:
        page.locator("#h-summary ~ p.exports a", has_text="CSV").click()
    path = info.value.path()
    rows = list(csv.DictReader(io.StringIO(open(path, encoding="utf-8").read())))
    assert rows and "within_7d_pct" in rows[0]
    with page.expect_download() as info:
        page.locator("#h-summary ~ p.exports a", has_text="Excel").click()
    assert info.value.suggested_filename.endswith(".xlsx")

    page.goto("/monitoring")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    check_axe(page, "monitoring")
    shot(page, "monitoring")

    # switch the language: remembered across pages
    page.select_option("#language-select", "sv")
    page.click("form.lang button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == "Uppföljningsmätare"
    page.goto(f"/situation?on={ON}")
    assert page.locator("h1").inner_text() == "Lägesbild"
    check_axe(page, "situation sv")
    page.select_option("#language-select", "en")
    page.click("form.lang button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Situation picture"
    page.select_option("#language-select", "fi")
    page.click("form.lang button[type=submit]")


def test_manager_waiting_list(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "manager", PASSWORDS["manager"])
    page.goto(f"/situation/waiting-list?on={ON}")
    assert page.locator("#waiting-list tbody tr").count() > 0
    check_axe(page, "waiting list")
    shot(page, "waiting_list")
    response = page.goto("/access?unit=U2")
    assert response is not None and response.status == 403
    check_axe(page, "forbidden")


def test_admin_pages(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "admin", PASSWORDS["admin"])
    for path in ("/admin/indicators", "/admin/indicators/new", "/admin/indicators/1",
                 "/admin/users", "/admin/audit"):
        page.goto(path)
        check_axe(page, path)
    page.goto("/admin/indicators/1")
    shot(page, "indicator_registry")
