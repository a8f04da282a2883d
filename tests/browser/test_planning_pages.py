"""Headless Chromium over the capacity-planning and pathway pages on a small synthetic
region (six and a half years with the contract-v2 columns, so that forecasts, care debt,
continuity and follow-up have data): every page axe-clean, a filter, a scenario run, the
audited worklist, a download."""

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
    """The synthetic region (tests/web/manage/conftest.build_region) served on 127.0.0.1."""
    from sotekeskus.web.app import create_app
    from tests.web.manage.conftest import build_region

    url = build_region(tmp_path_factory.mktemp("browser-planning"))
    app = create_app(url, secret_key="browser-test-secret", secure_cookies=True)
    with serve_app(app) as base:
        yield base


def check(page, where: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("networkidle")  # the charts (a polling predicate would eval)
    assert page.evaluate("Array.from(document.images).every(i => i.complete)")
    check_axe(page, where)


def test_planning_pages(page) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(120_000)
    sign_in(page, "leader", PASSWORDS["leadership"])
    page.click("header nav a[href='/planning']")
    page.wait_for_url("**/planning")
    assert page.locator("#planning-series tbody tr").count() > 10
    check(page, "planning queues")
    page.select_option("#f-queue", "oral/dental_hygienist/all")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**queue=oral%2Fdental_hygienist%2Fall**")
    check(page, "planning queue")
    with page.expect_download() as info:
        page.locator("#h-series ~ p.exports a", has_text="CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert rows and "size" in rows[0]
    page.click("text=Jonotunnusluvut")
    page.wait_for_url("**/planning/statistics**")
    assert page.locator("#planning-statistics tbody tr").count() > 10
    check(page, "planning statistics")
    page.click("nav.subnav a[href^='/planning/scenario']")
    page.fill("#f-extra", "10")
    page.fill("#f-reps", "5")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#planning-answers")
    check(page, "planning scenario")
    page.goto("/planning/forecast?queue=medical/physician/all&horizon=8")
    assert page.locator("#planning-accuracy tbody tr").count() == 4
    check(page, "planning forecast")
    page.goto("/planning/care-debt?target_wait=90&clear_by=2026-06-30")
    assert page.locator("#planning-care-debt tbody tr").count() > 5
    check(page, "planning care debt")


def test_planning_for_a_manager(page) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(120_000)
    sign_in(page, "manager", PASSWORDS["manager"])
    page.goto("/planning/care-debt")
    assert page.locator("#planning-care-debt").count() == 0
    check(page, "care debt manager")
    response = page.goto("/planning?unit=U002")
    assert response is not None and response.status == 403


def test_pathway_pages(page) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(120_000)
    sign_in(page, "leader", PASSWORDS["leadership"])
    page.click("header nav a[href='/pathways']")
    page.wait_for_url("**/pathways")
    assert page.locator("#pathways-clients tbody tr").count() > 10
    check(page, "pathways clients")
    for path, table in (("/pathways/continuity?from=2024-07-01&to=2025-06-30",
                         "#pathways-continuity"),
                        ("/pathways/flow?case_type=neuropsychiatric_assessment",
                         "#pathways-edges"),
                        ("/pathways/segments?year=2024", "#pathways-segments"),
                        ("/pathways/follow-up", "#pathways-follow-up")):
        page.goto(path)
        assert page.locator(f"{table} tbody tr").count() > 0, path
        check(page, path)


def test_the_worklist_in_a_browser(page) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(120_000)
    sign_in(page, "manager", PASSWORDS["manager"])
    page.goto("/pathways/follow-up")
    page.click("text=Myöhästynyt seuranta henkilötasolla")
    page.wait_for_url("**/worklist**")
    check(page, "worklist form")
    page.select_option("#f-purpose", "contact_patients")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#pathways-worklist")
    assert page.locator("#pathways-worklist tbody tr").count() > 0
    check(page, "worklist")
