"""The administrator's staff profile page in headless Chromium, by keyboard only: from the
users page to a professional's profile, change group, title, units and services, save; a bad
value comes back as an alert naming it; axe finds no serious violation on the staff list,
the form, the error page and the services and routing page (fi and sv)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import check_axe, serve_app
from tests.browser.test_workdesk import context_page, sign_in
from tests.web.workdesk.conftest import NOW, build_workdesk

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sotekeskus.web.app import create_app

    url = build_workdesk(tmp_path_factory.mktemp("admin-browser") / "region.db")
    app = create_app(url, secret_key="browser-admin-secret", secure_cookies=True)
    app.state.workdesk_now = lambda: NOW
    with serve_app(app) as base:
        yield base


def tab_to(page, selector: str, limit: int = 80) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until ``selector`` has the focus (fails when the keyboard cannot reach it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_an_administrator_sets_a_staff_profile_by_keyboard(browser,  # type: ignore[no-untyped-def]
                                                           admin_server) -> None:
    ctx, page = context_page(browser, admin_server)
    try:
        sign_in(page, "admin")
        page.goto("/admin/users")
        tab_to(page, 'a[href="/admin/staff"]')
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/staff")
        assert page.locator("h1").inner_text() == "Henkilöstön profiilit"
        check_axe(page, "staff list (fi)")
        row = page.locator("#staff tbody tr", has_text="nurse2")
        href = row.locator("a").get_attribute("href")
        tab_to(page, f'a[href="{href}"]')
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{href}")
        check_axe(page, "staff form (fi)")

        # a value the form cannot offer, sent as the page would: refused, named, nothing kept
        page.evaluate("""() => { const o = document.createElement('option');
            o.value = 'surgeon'; o.text = 'surgeon';
            document.querySelector('#s-group').add(o); }""")
        tab_to(page, "#s-group")
        page.select_option("#s-group", "surgeon")
        tab_to(page, "form.stack button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        alert = page.locator('[role="alert"]')
        assert "'surgeon'" in alert.inner_text() and "physician" in alert.inner_text()
        check_axe(page, "staff form with an error (fi)")

        tab_to(page, "#s-group")
        page.select_option("#s-group", "physician")
        tab_to(page, "#s-title")
        page.keyboard.press("Control+A")
        page.keyboard.type("Etälääkäri")
        tab_to(page, 'input[name="units"][value="U2"]')
        page.keyboard.press("Space")  # U1 and U2 were set: U2 off
        tab_to(page, 'input[name="services"][value="remote_physician"]')
        page.keyboard.press("Space")
        tab_to(page, "form.stack button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/staff")
        saved = page.locator("#staff tbody tr", has_text="nurse2").inner_text()
        assert "Lääkäri" in saved and "Etälääkäri" in saved and "U1" in saved
        assert "U2" not in saved

        page.goto("/admin/services")
        check_axe(page, "services and routing rules (fi)")
    finally:
        ctx.close()


def test_the_admin_pages_in_swedish_pass_axe(browser, admin_server) -> None:  # type: ignore[no-untyped-def]
    ctx, page = context_page(browser, admin_server)
    try:
        sign_in(page, "admin")
        token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
        page.request.post(f"{admin_server}/language", form={
            "language": "sv", "next": "/admin/staff", "csrf_token": token or ""})
        page.goto("/admin/staff")
        assert page.locator("h1").inner_text() == "Personalprofiler"
        check_axe(page, "staff list (sv)")
        page.goto("/admin/services")
        assert "Tjänster och styrningsregler" in page.locator("h1").inner_text()
        check_axe(page, "services and routing rules (sv)")
    finally:
        ctx.close()
