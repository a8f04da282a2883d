"""The resident front door in headless Chromium at a phone viewport (390 × 844) and a
desktop one: identify through the test identity provider, see own cases, book a free time of
the routed service with the keyboard, cancel it, and see "who has read my data" list the
professional who opened the case; axe finds no serious or critical violation on any page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sotekeskus.care.cases.queue import read_case
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.store.database import resolve_url
from tests.browser.conftest import check_axe, serve_app
from tests.care.conftest import NOW
from tests.resident.conftest import FrontDoor, make_front_door

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def front_door_server(tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[tuple[str, FrontDoor, dict[str, int]]]:
    fd = make_front_door(resolve_url(str(tmp_path_factory.mktemp("fd") / "front.db")))
    cases = {"phone": fd.routed_case(0, subject="Kuumetta ja yskää"),
             "desktop": fd.routed_case(1, subject="Kuumetta ja yskää")}
    with serve_app(fd.app) as base:
        yield base, fd, cases
    fd.engine.dispose()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_identify_book_cancel_and_who_read(browser, front_door_server,  # type: ignore[no-untyped-def]
                                           viewport: str) -> None:
    base, fd, cases = front_door_server
    person = fd.person(0 if viewport == "phone" else 1)
    case_id = cases[viewport]
    ctx = browser.new_context(base_url=base, viewport=VIEWPORTS[viewport], locale="fi-FI",
                              is_mobile=viewport == "phone", has_touch=viewport == "phone")
    page = ctx.new_page()
    try:
        page.goto("/asiointi/")
        check_axe(page, f"{viewport} front page")
        page.keyboard.press("Tab")  # the first stop is the skip link
        assert page.evaluate("document.activeElement.className") == "skip"
        page.click("main a.r-button")
        page.wait_for_url("**/asiointi/tunnistaudu**")
        assert "TESTI" in page.inner_text("main").upper()
        check_axe(page, f"{viewport} sign-in")
        page.click("#identify")
        page.wait_for_url("**/test-idp/authorize**")
        assert "TEST identity provider" in page.inner_text("body")
        check_axe(page, f"{viewport} test identity provider")
        page.click(f"button[value='{person.hetu}']")
        page.wait_for_url("**/asiointi/")
        assert person.name in page.inner_text("header")

        page.click("nav.r-nav >> text=Omat asiat")
        page.wait_for_url("**/asiointi/omat")
        assert "Kuumetta ja yskää" in page.inner_text("main")
        assert "Seuraava määräaika" in page.inner_text("main")
        check_axe(page, f"{viewport} my cases")

        page.goto(f"/asiointi/omat/{case_id}")
        check_axe(page, f"{viewport} case with free times")
        first = page.locator("input[name=slot_id]").first
        first.focus()
        page.keyboard.press("ArrowDown")  # choose the second time with the keyboard
        chosen = page.evaluate("document.activeElement.value")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the Book button
        page.wait_for_url("**/asiointi/ajat?varattu=*")
        assert "Aika on varattu." in page.inner_text("main")
        check_axe(page, f"{viewport} my appointments")
        assert chosen

        page.click("main button:has-text('Peru aika')")
        page.wait_for_url("**/asiointi/ajat?peruttu=1")
        assert "Aika on peruttu." in page.inner_text("main")
        assert "Sinulla ei ole tulevia aikoja." in page.inner_text("main")

        r = fd.region  # a physician opens the case on the workdesk, for treatment
        with UnitOfWork(r.engine, r.physician.actor, "treatment") as uow:
            read_case(uow, r.physician, case_id, now=NOW)
        page.click("nav.r-nav >> text=Kuka on katsonut tietojani")
        page.wait_for_url("**/asiointi/lukijat")
        table = page.inner_text("main table")
        assert "Physician" in table and "Hoito" in table and f"Asia {case_id}" in table
        check_axe(page, f"{viewport} who read my data")

        page.click("form.r-signout button")
        page.wait_for_url("**/asiointi/?signed_out=1")
        page.goto("/asiointi/omat")
        page.wait_for_url("**/asiointi/tunnistaudu**")
    finally:
        ctx.close()


def test_service_tray_in_swedish(browser, front_door_server) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = front_door_server
    ctx = browser.new_context(base_url=base, viewport=VIEWPORTS["phone"], locale="sv-SE")
    page = ctx.new_page()
    try:
        page.goto("/asiointi/palvelut")
        page.fill("#tray-q", "kamratstöd")
        page.keyboard.press("Enter")
        page.wait_for_url("**/asiointi/palvelut?q=*")
        assert "Kamratstödgrupper för psykisk hälsa (exempel)" in page.inner_text("main")
        check_axe(page, "service tray (sv)")
    finally:
        ctx.close()
