"""Headless Chromium over the management pages of the deadline, planning and pathway
libraries (tests/web/manage): every page axe-clean, a filter, a download."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator

import pytest

from tests.browser.conftest import _free_port, axe_violations
from tests.web.conftest import PASSWORDS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web test region with case events (overrides the plain region's server)."""
    import uvicorn

    from sotekeskus.web.app import create_app
    from tests.web.conftest import build_store
    from tests.web.manage.case_events import add_case_events

    folder = tmp_path_factory.mktemp("browser-manage")
    url = build_store(folder / "region.db")
    add_case_events(url, folder)
    app = create_app(url, secret_key="browser-test-secret", secure_cookies=True)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/situation**")


def check(page, where: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("networkidle")  # the charts (a polling predicate would eval)
    assert page.evaluate("Array.from(document.images).every(i => i.complete)")
    bad = axe_violations(page)
    assert not bad, f"{where}: {bad}"


def test_deadline_pages(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "leader", PASSWORDS["leadership"])
    page.click("header nav a[href='/deadlines']")
    page.wait_for_url("**/deadlines")
    assert page.locator("#deadlines-overview tbody tr").count() > 0
    check(page, "deadlines")
    page.click("nav.case-types a[href^='/deadlines/child_family_assessment']")
    page.wait_for_url("**/deadlines/**")
    check(page, "deadlines case type")
    page.select_option("#f-judged", "targets")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**judged_by=targets**")
    assert page.locator("#deadlines-goals tbody tr").count() == 4
    check(page, "deadlines targets")
    with page.expect_download() as info:
        page.locator("#h-month ~ p.exports a", has_text="CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert rows and "within_limit_pct" in rows[0]
    page.goto("/deadlines/disability_application?month_from=2024-07&month_to=2025-06")
    check(page, "deadlines law change")


def test_deadline_pages_for_a_manager_and_an_analyst(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "manager", PASSWORDS["manager"])
    page.goto("/deadlines/child_family_assessment")
    page.click("text=Avoimet asiat henkilötasolla")
    page.wait_for_url("**/open**")
    assert page.locator("#deadlines-open-cases tbody tr").count() > 0
    check(page, "open cases")
    response = page.goto("/deadlines/child_family_assessment?unit=U2")
    assert response is not None and response.status == 403
    page.context.clear_cookies()
    sign_in(page, "analyst", PASSWORDS["analyst"])
    page.goto("/deadlines/child_family_assessment?unit=U3")
    assert "<5" in page.locator("#deadlines-by-month").inner_text()
    check(page, "deadlines analyst")
