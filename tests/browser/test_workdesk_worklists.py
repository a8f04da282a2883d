"""Headless Chromium over the professional's clinical worklists on the workdesk: the
follow-up-gap worklist and the risk list, each axe-clean before and after the purpose is
chosen, and a justified mark set with the row's button and shown on the list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest

from tests.browser.conftest import check_axe, serve_app

pytestmark = pytest.mark.browser
ON = date(2025, 6, 30)
PASSWORD = "worklist-nurse-1"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The synthetic region with both models stored and a nurse of the unit with the most
    persons on the home-care list."""
    from sotekeskus.pathways.models.cards import run
    from sotekeskus.pathways.models.scoring import listed
    from sotekeskus.pathways.models.stored import latest_run, save_run
    from sotekeskus.pathways.source import EpisodeSource
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.users import create_user
    from sotekeskus.web.app import create_app
    from tests.web.manage.conftest import build_region

    url = build_region(tmp_path_factory.mktemp("browser-worklists"))
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
    create_user(engine, "wl_nurse", PASSWORD, "professional", [unit])
    engine.dispose()
    app = create_app(url, secret_key="browser-test-secret", secure_cookies=True)
    with serve_app(app) as base:
        yield base


def check(page, where: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("networkidle")
    check_axe(page, where)


def test_the_nurse_reads_both_lists_and_marks_one(page) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(120_000)
    page.goto("/login")
    page.fill("#username", "wl_nurse")
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click('a[href="/workdesk/follow-up"]')
    check(page, "follow-up, no purpose")
    assert page.locator("#workdesk-follow-up").count() == 0
    page.fill("#f-on", ON.isoformat())
    page.select_option("#f-purpose", "contact_patients")
    page.click("form.filters button[type=submit]")
    check(page, "follow-up worklist")
    assert page.locator("#workdesk-follow-up tbody tr").count() > 0
    page.goto(f"/workdesk/risk/home_care?on={ON}")
    check(page, "risk list, no purpose")
    page.select_option("#f-purpose", "assess_need")
    page.click("form.filters button[type=submit]")
    check(page, "risk list")
    first = page.locator("#workdesk-risk-list tbody tr").first
    person = first.get_attribute("id")
    first.locator('button[value="yes"]').click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f'#{person} [data-key="mark"]').inner_text() == "Perusteltu"
    check(page, "risk list after a mark")
