"""Headless Chromium over the data-quality page (tests/interop/test_data_quality_web.py has
the numbers): reached from the menu, axe-clean in fi and sv for an analyst (suppressed
cells) and a manager, a filter by month, a CSV download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import check_axe, serve_app, sign_in
from tests.web.conftest import PASSWORDS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web test region with the hand-built quarantine of the data-quality tests."""
    from sotekeskus.store.database import make_engine
    from sotekeskus.web.app import create_app
    from tests.interop.test_data_quality_web import quarantine_rows
    from tests.web.conftest import build_store

    url = build_store(tmp_path_factory.mktemp("browser-dq") / "region.db")
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        session.add_all(quarantine_rows())
    engine.dispose()
    app = create_app(url, secret_key="browser-test-secret", secure_cookies=True)
    with serve_app(app) as base:
        yield base


def test_data_quality_page(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "analyst", PASSWORDS["analyst"])
    page.click("header nav a[href='/data-quality']")
    page.wait_for_url("**/data-quality")
    assert page.locator("#dq-by_category ~ div table tbody tr").count() == 7
    check_axe(page, "data quality (analyst)")
    page.fill("#dq-month", "2025-03")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**month=2025-03**")
    check_axe(page, "data quality, one month")
    with page.expect_download() as info:
        page.locator("#dq-by_category ~ p.exports a", has_text="CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert {r["category"]: r["rejected_rows"] for r in rows}["invalid_code"] == "7"
    page.select_option("#language-select", "sv")
    page.click("form.lang button[type=submit]")
    page.wait_for_selector("html[lang=sv]")
    assert page.locator("h1").inner_text() == "Datakvalitet"
    check_axe(page, "data quality in Swedish")


def test_data_quality_page_of_a_manager(page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "manager", PASSWORDS["manager"])
    page.goto("/data-quality")
    assert page.locator("#dq-unit option").count() == 2  # all my units, U1
    check_axe(page, "data quality (manager)")
