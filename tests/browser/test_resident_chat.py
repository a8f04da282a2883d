"""The chat in headless Chromium: a resident on a phone (390 × 844) identifies through the
test identity provider, opens a chat on the oral-health line and sees the expected wait; a
dental hygienist in a second browser context claims and answers from the chat panel; the
messages arrive live both ways (server-sent events, no reload); axe finds no serious or
critical violation on either side."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from sotekeskus.store.models import Person
from tests.browser.conftest import check_axe, serve_app
from tests.channels.conftest import PASSWORDS, build_web

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    app, ch = build_web(tmp_path_factory.mktemp("chat-browser") / "chat.db")
    with Session(ch.engine) as s:
        person = s.get(Person, ch.residents[0].person_pk)
        assert person is not None
        hetu = person.hetu
    with serve_app(app) as base:
        yield base, hetu
    ch.engine.dispose()


def phone_resident(browser, base: str, hetu: str, path: str):  # type: ignore[no-untyped-def]
    """A phone-sized context whose resident identified through the test provider."""
    rctx = browser.new_context(base_url=base, viewport={"width": 390, "height": 844},
                               locale="fi-FI", is_mobile=True, has_touch=True)
    resident = rctx.new_page()
    resident.goto(path)
    resident.click("#identify")
    resident.fill("#idp-hetu", hetu)
    resident.click("form button[type=submit]:not([name=cancel])")
    resident.wait_for_url(f"**{path}")
    return rctx, resident


def test_chat_both_ways_live(browser, chat_server) -> None:  # type: ignore[no-untyped-def]
    base, hetu = chat_server
    rctx, resident = phone_resident(browser, base, hetu, "/asiointi/chat")
    assert "Arvioitu odotusaika noin 7 min" in resident.inner_text("main")
    check_axe(resident, "resident chat start")
    resident.check("#line-oral_health")
    resident.fill("#chat-text", "Hammasta vihloo kylmästä")
    resident.click("main form button[type=submit]")
    resident.wait_for_url("**/asiointi/chat/*")
    case_id = resident.url.rsplit("/", 1)[1]
    assert "olet jonossa 1." in resident.inner_text("#chat-wait")
    check_axe(resident, "resident chat")
    resident.evaluate("window.__sameDocument = true")

    pctx = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900},
                               locale="fi-FI")
    pro = pctx.new_page()
    pro.goto("/login")
    pro.fill("#username", "hyg")
    pro.fill("#password", PASSWORDS["hyg"])
    pro.click("form.stack button[type=submit]")
    pro.wait_for_load_state("networkidle")
    pro.goto(f"/workdesk/chat/{case_id}?purpose=treatment")
    assert "Hammasta vihloo kylmästä" in pro.inner_text("#chat-log")
    pro.click("#claim-button")
    pro.wait_for_selector("#reply-body")
    check_axe(pro, "workdesk chat panel")
    pro.fill("#reply-body", "Hei! Onko kipu jatkuvaa?")
    pro.click("form.chat-send button[type=submit]")

    resident.locator("#chat-log").get_by_text("Hei! Onko kipu jatkuvaa?").wait_for(
        timeout=10_000)
    assert resident.evaluate("window.__sameDocument === true")  # arrived live, no reload
    resident.locator("#chat-wait").get_by_text("Ammattilainen on vastannut.").wait_for(
        timeout=10_000)
    resident.fill("#chat-text", "Vain kylmästä")
    resident.click("form.chat-send button[type=submit]")
    pro.locator("#chat-log").get_by_text("Vain kylmästä").wait_for(timeout=10_000)
    assert resident.input_value("#chat-text") == ""  # the form was emptied for the next one
    check_axe(resident, "resident chat with messages")
    check_axe(pro, "workdesk chat panel with messages")
    rctx.close()
    pctx.close()


def test_contact_forms_on_a_phone(browser, chat_server) -> None:  # type: ignore[no-untyped-def]
    """Every contact form is usable and axe-clean on a phone; a call-back request with a
    window chosen from those offered lands as a case the resident can follow."""
    base, hetu = chat_server
    rctx, resident = phone_resident(browser, base, hetu, "/asiointi/yhteydenotto")
    check_axe(resident, "contact menu")
    for path in ("/asiointi/yhteydenotto/viesti", "/asiointi/yhteydenotto/resepti",
                 "/asiointi/yhteydenotto/lomake/certificate_request"):
        resident.goto(path)
        check_axe(resident, path)
    resident.goto("/asiointi/yhteydenotto/soittopyynto")
    resident.check("#line-health_station")
    resident.click("main form button[type=submit]")
    resident.wait_for_selector("#w-1")
    check_axe(resident, "call-back windows")
    resident.check("#w-2")
    resident.fill("#phone", "040 123 4567")
    resident.fill("#subject", "Laboratoriotulokset")
    resident.click("main form button[type=submit]")
    resident.wait_for_url("**/asiointi/yhteydenotto/asiat/*")
    assert "Soitamme sinulle välillä 16.06. 10:00–11:00." in resident.inner_text("main")
    check_axe(resident, "call-back case")
    resident.goto("/asiointi/yhteydenotto/resepti")
    resident.click("main form button[type=submit]")  # empty: the browser asks for it
    assert resident.url.endswith("/asiointi/yhteydenotto/resepti")
    rctx.close()
