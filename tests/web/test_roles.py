"""What each role may see: managers are held to their own units by URL and by form field."""

from __future__ import annotations

import csv
import io

import pytest

from sotekeskus.store import audit
from tests.web.conftest import TODAY
from tests.web.helpers import table_rows

ON = f"on={TODAY.isoformat()}"

FOREIGN_UNIT_URLS = [
    "/access?unit=U2",
    "/access?unit=U1&unit=U2",
    "/access/export/access_by_unit.csv?unit=U2",
    "/access/export/access_summary.xlsx?unit=U3",
    "/access/chart/within.svg?unit=U2",
    "/access/measure-report.json?period=2025-Q1&unit=U2",
    f"/situation?{ON}&unit=U2",
    f"/situation/panel?{ON}&unit=U2",
    f"/situation/export/waiting_summary.csv?{ON}&unit=U2",
    f"/situation/waiting-list?{ON}&unit=U2",
    f"/situation/export/waiting_list.csv?{ON}&unit=U3",
]


@pytest.mark.parametrize("url", FOREIGN_UNIT_URLS)
def test_manager_cannot_reach_another_unit_by_url(client_for, url: str) -> None:
    r = client_for("manager").get(url)
    assert r.status_code == 403, url
    assert "Pohjoisen terveysasema" not in r.text and "Kylän sote-asema" not in r.text


def test_manager_sees_only_own_units(client_for) -> None:
    c = client_for("manager")
    page = c.get("/access")
    assert page.status_code == 200
    units = {r["unit_id"] for r in table_rows(page.text, "access-by-unit")}
    assert units == {"Keskustan terveysasema"}
    # the unit selector offers only the own unit
    assert "Pohjoisen terveysasema" not in page.text
    rows = list(csv.DictReader(io.StringIO(
        c.get("/access/export/access_by_unit.csv").text)))
    assert rows and {r["unit_id"] for r in rows} == {"U1"}
    summary = c.get(f"/situation/export/waiting_summary.csv?{ON}").text
    assert {r["unit_id"] for r in csv.DictReader(io.StringIO(summary))} == {"U1"}


def test_manager_denied_attempts_are_audited(client_for, app) -> None:
    c = client_for("manager")
    c.get("/access?unit=U3&professional_group=nurse")
    denied = audit.events(app.state.engine, actor="manager", action=audit.DENIED)
    assert any("unit=U3" in e.target for e in denied)


def test_manager_monitoring_and_admin_are_forbidden(client_for) -> None:
    c = client_for("manager")
    assert c.get("/monitoring").status_code == 403
    assert c.get("/admin/indicators").status_code == 403
    assert c.get("/admin/users").status_code == 403


@pytest.mark.parametrize("role", ["leadership", "analyst", "admin"])
def test_person_level_list_is_for_managers_only(client_for, role: str) -> None:
    c = client_for(role)
    assert c.get(f"/situation/waiting-list?{ON}").status_code == 403
    assert c.get(f"/situation/export/waiting_list.csv?{ON}").status_code == 403
    assert "/situation/waiting-list" not in c.get(f"/situation?{ON}").text


def test_person_level_read_is_audited(client_for, app) -> None:
    c = client_for("manager")
    before = len(audit.events(app.state.engine, action=audit.READ_PERSONS))
    page = c.get(f"/situation/waiting-list?{ON}")
    assert page.status_code == 200
    rows = table_rows(page.text, "waiting-list")
    assert rows and all(r["unit_id"] == "Keskustan terveysasema" for r in rows)
    events = audit.events(app.state.engine, action=audit.READ_PERSONS)
    assert len(events) == before + 1
    last = events[0]
    assert last.actor == "manager" and last.target == "waiting_list"
    assert f"persons={len(rows)}" in last.detail and "U1" in last.detail
    c.get(f"/situation/export/waiting_list.csv?{ON}")
    exported = audit.events(app.state.engine, action=audit.EXPORT_PERSONS)
    assert exported and exported[0].actor == "manager"


@pytest.mark.parametrize("role", ["manager", "leadership", "analyst"])
def test_non_admins_cannot_administer(client_for, role: str) -> None:
    c = client_for(role)
    for path in ("/admin/indicators", "/admin/indicators/new", "/admin/users",
                 "/admin/audit"):
        assert c.get(path).status_code == 403, path


def _by_unit(c, query: str = "") -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(
        c.get(f"/access/export/access_by_unit.csv{query}").text)))


def test_analyst_sees_small_cells_suppressed_leadership_exact(client_for) -> None:
    q = "?unit=U3&service_area=oral"
    analyst = _by_unit(client_for("analyst"), q)
    leader = _by_unit(client_for("leadership"), q)
    assert len(analyst) == len(leader) > 0
    small = [i for i, r in enumerate(leader) if int(r["visits"]) < 5]
    assert small, "the test region should have small cells in U3 oral care"
    for i in small:
        assert analyst[i]["visits"] == "<5"
        assert analyst[i]["within_7d_pct"] == "" and analyst[i]["median_wait_days"] == ""
        assert leader[i]["visits"] != "<5"
    page = client_for("analyst").get("/access" + q)
    assert "&lt;5" in page.text
    assert "&lt;5" not in client_for("leadership").get("/access" + q).text


def test_manager_sees_exact_small_cells_in_own_unit(client_for) -> None:
    rows = _by_unit(client_for("manager"), "?service_area=oral")
    assert rows and all(r["visits"] != "<5" for r in rows)


def test_leadership_sees_whole_region(client_for) -> None:
    units = {r["unit_id"] for r in _by_unit(client_for("leadership"))}
    assert units == {"U1", "U2", "U3"}
