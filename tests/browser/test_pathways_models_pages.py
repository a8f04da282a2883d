"""Headless Chromium over the risk-model, outcome, experience and cost pages of a small
synthetic region: every page axe-clean, the audited risk list read with a purpose, a
justified mark set with the keyboard-reachable buttons and shown on the list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest

from tests.browser.conftest import check_axe, serve_app, sign_in
from tests.web.conftest import PASSWORDS

pytestmark = pytest.mark.browser
ON = date(2025, 6, 30)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The synthetic region with both models evaluated and stored, and a manager of the
    unit with the most persons on the home-care list."""
    from sotekeskus.pathways.models.cards import run
    from sotekeskus.pathways.models.scoring import listed
    from sotekeskus.pathways.models.stored import latest_run, save_run
    from sotekeskus.pathways.source import EpisodeSource
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.users import create_user
    from sotekeskus.web.app import create_app
    from tests.web.manage.conftest import build_region

    url = build_region(tmp_path_factory.mktemp("browser-models"))
    engine = make_engine(url)
    upgrade(engine)
    save_run(engine, run(1500, date(2019, 1, 1), date(2024, 12, 31), 1, 50),
             created_by="test")
    src = EpisodeSource.from_store(url)
    try:
        rows = listed(src, latest_run(engine, "home_care"), ON)
    finally:
        src.close()
    unit = Counter(r["unit_id"] for r in rows).most_common(1)[0][0]
    create_user(engine, "riskmanager", PASSWORDS["manager"], "manager", [unit])
    engine.dispose()
    app = create_app(url, secret_key="browser-test-secret", secure_cookies=True)
    with serve_app(app) as base:
        yield base


def check(page, where: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("networkidle")
    check_axe(page, where)


def test_model_outcome_and_cost_pages(page) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(120_000)
    sign_in(page, "leader", PASSWORDS["leadership"])
    for path, table in (("/pathways/models", "#pathways-justified"),
                        ("/pathways/models/home_care", "#pathways-model-metrics"),
                        ("/pathways/models/readmission", "#pathways-model-subgroups"),
                        ("/pathways/outcomes", "#pathways-outcomes"),
                        ("/pathways/experience", "#pathways-experience"),
                        ("/pathways/cost", "#pathways-cost"),
                        ("/pathways/flow?case_type=primary_access", "#pathways-breaches")):
        page.goto(path)
        assert page.locator(table).count() == 1, path
        check(page, path)


def test_a_manager_marks_a_listed_person(page) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(120_000)
    sign_in(page, "riskmanager", PASSWORDS["manager"])
    page.goto("/pathways/models")
    page.click("a[href='/pathways/models/home_care/list']")
    page.wait_for_url("**/home_care/list**")
    check(page, "risk list form")
    page.fill("#f-on", ON.isoformat())
    page.select_option("#f-purpose", "assess_need")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#pathways-risk-list")
    rows = page.locator("#pathways-risk-list tbody tr")
    assert rows.count() > 0
    check(page, "risk list")
    first = rows.first
    first.locator("input[name=note]").fill("kotikäynti sovittu")
    first.locator("button[value=yes]").click()
    page.wait_for_url("**/home_care/list?**")
    page.wait_for_selector("#pathways-risk-list")
    marked = page.locator("#pathways-risk-list tbody tr").first
    assert marked.locator("td[data-key=mark]").inner_text() == "Perusteltu"
