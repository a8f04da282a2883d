"""Headless Chromium over the management pages of the deadline, planning and pathway
libraries (tests/web/manage): every page axe-clean, a filter, a download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from tests.browser.conftest import check_axe, serve_app, sign_in
from tests.web.conftest import PASSWORDS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web test region with case events (overrides the plain region's server)."""
    from sotekeskus.web.app import create_app
    from tests.web.conftest import build_store
    from tests.web.manage.case_events import add_case_events

    folder = tmp_path_factory.mktemp("browser-manage")
    url = build_store(folder / "region.db")
    add_case_events(url, folder)
    app = create_app(url, secret_key="browser-test-secret", secure_cookies=True)
    with serve_app(app) as base:
        yield base


def check(page, where: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("networkidle")  # the charts (a polling predicate would eval)
    assert page.evaluate("Array.from(document.images).every(i => i.complete)")
    check_axe(page, where)


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
