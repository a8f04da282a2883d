"""A resident answers the respiratory symptom check in headless Chromium at a phone viewport
(390 × 844): a red flag shows "call 112 now" and nothing else is asked; without one, the
questions that the answers enable appear (htmx), a case opens and booking is offered on the
case page. axe finds no serious or critical violation on any page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import CareCase, QuestionnaireResponseRow
from tests.browser.conftest import check_axe, serve_app
from tests.resident.conftest import FrontDoor, make_front_door

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
FLAGS = ("rf_breathless_rest", "rf_chest_pain", "rf_confusion", "rf_blue_lips")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FrontDoor]]:
    fd = make_front_door(resolve_url(str(tmp_path_factory.mktemp("q") / "front.db")))
    with serve_app(fd.app) as base:
        yield base, fd
    fd.engine.dispose()


def _identify(browser, base: str, fd: FrontDoor, i: int):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(base_url=base, viewport=PHONE, locale="en-GB", is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    page.goto("/asiointi/")
    page.click("main a.r-button")
    page.wait_for_url("**/asiointi/tunnistaudu**")
    page.click("#identify")
    page.wait_for_url("**/test-idp/authorize**")
    page.click(f"button[value='{fd.person(i).hetu}']")
    page.wait_for_url("**/asiointi/")
    page.goto("/asiointi/kieli?lang=en&next=/asiointi/kyselyt")
    page.wait_for_url("**/asiointi/kyselyt")
    check_axe(page, "questionnaire list")
    page.click("text=Respiratory infection symptom check (adults)")
    page.wait_for_url("**/asiointi/kyselyt/respiratory-adult")
    check_axe(page, "first page")
    return ctx, page


def _answer(page, link_id: str, yes: bool) -> None:  # type: ignore[no-untyped-def]
    page.check(f"#q-{link_id}-{1 if yes else 2}")


def test_red_flag_shows_112_and_asks_nothing_else(browser, server) -> None:  # type: ignore[no-untyped-def]
    base, fd = server
    ctx, page = _identify(browser, base, fd, 0)
    try:
        _answer(page, "rf_breathless_rest", False)
        _answer(page, "rf_chest_pain", True)
        page.wait_for_selector("#q-alert [role=alert]")  # htmx: at once, before sending
        assert "Call 112 now" in page.inner_text("#q-alert")
        check_axe(page, "first page with the 112 alert")
        page.click("form.q-form button[type=submit]")
        page.wait_for_url("**/asiointi/kyselyt/vastaus/*")
        main = page.inner_text("main")
        assert "Call 112 now" in main
        assert page.locator("a[href='tel:112']").count() == 1
        assert page.locator("form.q-form").count() == 0  # nothing else is asked
        assert "Book an appointment" not in main
        check_axe(page, "112 result")
        with Session(fd.engine) as s:
            mine = fd.region.persons[0]
            assert s.scalar(select(QuestionnaireResponseRow.outcome).where(
                QuestionnaireResponseRow.person_pk == mine)) == "emergency"
            assert s.scalar(select(func.count()).select_from(CareCase).where(
                CareCase.person_pk == mine)) == 0
    finally:
        ctx.close()


def test_no_red_flag_opens_a_case_and_offers_booking(browser, server) -> None:  # type: ignore[no-untyped-def]
    base, fd = server
    ctx, page = _identify(browser, base, fd, 1)
    try:
        for link_id in FLAGS:
            _answer(page, link_id, False)
        page.click("form.q-form button[type=submit]")
        page.wait_for_selector("input[name=fever]")
        assert page.locator("input[name=fever_days]").count() == 0
        _answer(page, "fever", True)
        page.wait_for_selector("input[name=fever_days]")  # enabled by the answer (htmx)
        page.fill("input[name=fever_days]", "2")
        page.check("input[name=symptom][value=ear_pain]")
        _answer(page, "breathless_exertion", False)
        _answer(page, "risk_group", False)
        page.check("input[name=duration][value='3to10']")
        check_axe(page, "symptoms page")
        page.click("form.q-form button[type=submit]")
        page.wait_for_selector("textarea[name=description]")
        page.fill("textarea[name=description]", "Ear hurts")
        page.click("form.q-form button[type=submit]")
        page.wait_for_url("**/asiointi/kyselyt/vastaus/*")
        main = page.inner_text("main")
        assert "An appointment is recommended" in main and "Digital nurse" in main
        check_axe(page, "result with booking")
        page.click("main a.r-button:has-text('Book an appointment')")
        page.wait_for_url("**/asiointi/omat/*")
        assert page.locator("input[name=slot_id]").count() > 0  # free times of the service
        check_axe(page, "case page with free times")
        with Session(fd.engine) as s:
            case = s.scalar(select(CareCase).where(CareCase.person_pk == fd.region.persons[1],
                                                   CareCase.channel == "questionnaire"))
            assert (case.channel, case.state, case.service_id) == ("questionnaire", "routed",
                                                                  "nurse_remote")
    finally:
        ctx.close()
