"""Page plumbing: htmx partials, redirects, static assets, error pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import TODAY


def test_htmx_filter_swaps_only_the_dashboard(client_for) -> None:
    c = client_for("leadership")
    q = "/access?month_from=2025-01&month_to=2025-02&service_area=oral"
    partial = c.get(q, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="dashboard">') and "<html" not in partial.text
    restore = c.get(q, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_situation_panel_is_polled(client_for) -> None:
    c = client_for("manager")
    page = c.get(f"/situation?on={TODAY}")
    assert 'hx-trigger="every 60s"' in page.text
    assert f'hx-get="/situation/panel?on={TODAY}"' in page.text
    panel = c.get(f"/situation/panel?on={TODAY}", headers={"HX-Request": "true"})
    assert panel.text.lstrip().startswith('<div id="situation-panel"')


def test_root_and_static(app, client_for) -> None:
    anon = TestClient(app, base_url="https://testserver")
    assert anon.get("/", follow_redirects=False).headers["location"] == "/login"
    js = anon.get("/static/vendor/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:200]
    assert anon.get("/static/app.css").status_code == 200
    assert client_for("analyst").get("/", follow_redirects=False).headers["location"] == (
        "/situation")


def test_not_found_and_bad_filter(client_for) -> None:
    c = client_for("leadership")
    r = c.get("/no/such/page")
    assert r.status_code == 404 and "Sivua ei löydy" in r.text
    r = c.get("/access?month_from=2025-13")
    assert r.status_code == 400 and "month_from" in r.text
    assert c.get("/access?service_area=dental").status_code == 400
    assert c.get("/situation?on=yesterday").status_code == 400


def test_default_period_is_the_last_twelve_months(client_for) -> None:
    page = client_for("leadership").get("/access")
    assert 'name="month_from" value="2024-07"' in page.text
    assert 'name="month_to" value="2025-06"' in page.text
