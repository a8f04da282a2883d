"""The workdesk in headless Chromium: a nurse claims, assesses, routes and books by keyboard
and forms; a second nurse cannot claim the same case; the queue refreshes live; a physician
sees the booked appointment; a manager sees the figures change; axe finds no serious
violation; the pages are in fi, sv and en."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.conftest import check_axe, serve_app
from tests.web.conftest import PASSWORDS
from tests.web.workdesk.conftest import NOW, STAFF_PASSWORDS, build_workdesk

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def workdesk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sotekeskus.web.app import create_app

    url = build_workdesk(tmp_path_factory.mktemp("workdesk-browser") / "region.db")
    app = create_app(url, secret_key="browser-workdesk-secret", secure_cookies=True)
    app.state.workdesk_now = lambda: NOW
    with serve_app(app) as base:
        yield base


def context_page(browser, base: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900},
                                  locale="fi-FI")
    return context, context.new_page()


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    password = STAFF_PASSWORDS.get(username) or PASSWORDS[username]
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def same_day(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator('[data-key="assessed_same_day_pct"]').inner_text()


def test_the_workdesk_day_of_a_nurse_a_physician_and_a_manager(browser,  # type: ignore[no-untyped-def]
                                                               workdesk_server) -> None:
    mctx, manager = context_page(browser, workdesk_server)
    sign_in(manager, "manager")
    manager.goto("/workdesk/figures?on=2025-06-16")
    check_axe(manager, "workdesk figures")
    before = same_day(manager)

    nctx, nurse = context_page(browser, workdesk_server)
    sign_in(nurse, "nurse")
    assert nurse.url.endswith("/workdesk")
    assert nurse.locator("h1").inner_text() == "Workdesk"  # the nurse's language is en
    check_axe(nurse, "queue")
    n2ctx, nurse2 = context_page(browser, workdesk_server)
    sign_in(nurse2, "nurse2")
    assert nurse2.locator("tr.case-row").count() == 3

    # keyboard: j focuses the first case, c claims it
    nurse.keyboard.press("j")
    assert nurse.evaluate("document.activeElement.getAttribute('data-case')") == "1"
    nurse.keyboard.press("c")
    nurse.wait_for_url("**/workdesk/cases/1**")
    assert "You claimed the case." in nurse.locator("p.flash").inner_text()
    check_axe(nurse, "case")

    # the second nurse's queue refreshes by itself (server-sent event → htmx)
    from playwright.sync_api import expect

    expect(nurse2.locator("tr.case-row[data-case='1'] td[data-key=owner]")).to_have_text(
        "nurse", timeout=15000)

    # assessment → the rule that fired → route to the service's queue
    nurse.check("input[name=urgency][value=non_urgent]")
    nurse.fill("#a-need", "Sore throat for 3 days, no red flags")
    nurse.select_option("#a-group", "physician")
    nurse.click("#assessment button[type=submit]")
    nurse.wait_for_selector("#routing p.rule")
    assert re.search(r"Rule physician-digital-channel \(version 2025\.1\)",
                     nurse.locator("#routing p.rule").inner_text())
    nurse.click("#routing form[action$='/route'] button[type=submit]")
    nurse.wait_for_url("**/workdesk")

    # case 2: claimed, assessed and booked straight into the physician's remote slot
    nurse.goto("/workdesk")
    nurse.click("tr.case-row[data-case='2'] form.claim button")
    nurse.wait_for_url("**/workdesk/cases/2**")
    nurse.check("input[name=urgency][value=non_urgent]")
    nurse.fill("#a-need", "Back pain")
    nurse.select_option("#a-group", "physician")
    nurse.click("#assessment button[type=submit]")
    nurse.wait_for_selector("#booking input[name=slot]")
    check_axe(nurse, "booking")
    nurse.click("#booking button[type=submit]")
    nurse.wait_for_url("**/workdesk")
    assert "The appointment was booked." in nurse.locator("p.flash").inner_text()

    # a second nurse cannot claim the same case: the queue she loaded still offers it
    nurse2.goto("/workdesk")
    claim3 = nurse2.locator("tr.case-row[data-case='3'] form.claim button")
    assert claim3.count() == 1
    nurse.goto("/workdesk")
    nurse.click("tr.case-row[data-case='3'] form.claim button")
    nurse.wait_for_url("**/workdesk/cases/3**")
    claim3.click()
    nurse2.wait_for_selector("#refusal")
    assert "case 3 is already claimed by nurse" in nurse2.locator("#refusal").inner_text()
    assert nurse2.locator("h1").inner_text() == "Someone else was first"
    check_axe(nurse2, "conflict")

    # the physician sees the booked appointment and the routed case
    pctx, physician = context_page(browser, workdesk_server)
    sign_in(physician, "physician")
    assert physician.locator("tr.case-row[data-case='1']").count() == 1
    physician.goto("/workdesk/day?on=2025-06-17")
    booked = physician.locator("#day tr.appointment")
    assert booked.count() == 1 and "#2" in booked.inner_text()
    check_axe(physician, "my day")

    # the manager sees the figures change
    manager.goto("/workdesk/figures?on=2025-06-16")
    assert same_day(manager) != before
    for ctx in (mctx, nctx, n2ctx, pctx):
        ctx.close()


def test_workdesk_pages_in_three_languages(browser, workdesk_server) -> None:  # type: ignore[no-untyped-def]
    ctx, page = context_page(browser, workdesk_server)
    sign_in(page, "nurse2")
    for lang, heading, day in (("fi", "Työpöytä", "Oma päivä"), ("sv", "Arbetsbord", "Min dag"),
                               ("en", "Workdesk", "My day")):
        page.select_option("#language-select", lang)
        page.click("form.lang button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto("/workdesk")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").inner_text() == heading
        check_axe(page, f"queue ({lang})")
        page.goto("/workdesk/day?on=2025-06-17")
        assert page.locator("h1").inner_text().startswith(day)
    ctx.close()
    sctx, scheduler = context_page(browser, workdesk_server)
    sign_in(scheduler, "scheduler")
    assert scheduler.url.endswith("/workdesk/schedules")
    check_axe(scheduler, "schedules")
    sctx.close()
