"""Monitoring-indicator registry: seeds, admin forms, computed values, page."""

from __future__ import annotations

from datetime import date

import pytest

from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.monitoring import indicator_value
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.domain.periods import period_bounds, periods_between
from sotekeskus.store.database import make_engine
from sotekeskus.store.monitoring import (
    MonitoringError,
    list_indicators,
    parse_targets,
    save_indicator,
    seed_region_indicators,
    set_value,
)
from tests.web.conftest import csrf_from


def test_seed_is_idempotent_and_has_the_region_targets(app) -> None:
    engine = app.state.engine
    first = seed_region_indicators(engine)
    again = seed_region_indicators(engine)
    assert [i.code for i in first] == [i.code for i in again]
    by_code = {i.code: i for i in again}
    assert by_code["remote-share"].targets == {"2022": 10, "2023": 25, "2024": 30, "2025": 45}
    assert by_code["within-7d"].targets["2025-Q4"] == 80
    assert by_code["remote-share-q"].targets["2025-Q4"] == 35


def test_periods() -> None:
    assert period_bounds("2025-Q4") == (date(2025, 10, 1), date(2025, 12, 31))
    assert period_bounds("2024") == (date(2024, 1, 1), date(2024, 12, 31))
    assert periods_between("2024-Q3", "2025-Q1", "quarter") == ["2024-Q3", "2024-Q4", "2025-Q1"]
    assert parse_targets("2023: 25\n2024 = 30,5 %", "year") == {"2023": 25.0, "2024": 30.5}
    with pytest.raises(MonitoringError):
        parse_targets("2025-Q4: 80", "year")


def test_validation_names_the_field(app) -> None:
    with pytest.raises(MonitoringError, match="computation"):
        save_indicator(app.state.engine, code="bad", name_fi="a", name_sv="a", name_en="a",
                       computation="nope")
    with pytest.raises(MonitoringError, match="name_sv"):
        save_indicator(app.state.engine, code="bad2", name_fi="a", name_sv=" ", name_en="a")


def test_computed_values_are_the_analytics_numbers(store_url: str) -> None:
    holder = AnalyticsHolder(store_url)
    an = Analytics.open(store_url)
    inds = {i.code: i for i in list_indicators(make_engine(store_url))}
    rows = an.access_summary(AccessFilter(month_from="2025-01", month_to="2025-03",
                                          service_areas=("medical",)), by="quarter")
    assert indicator_value(holder, inds["within-7d"], "2025-Q1") == rows[0]["within_7d_pct"]
    share = an.channel_share(AccessFilter(month_from="2024-01", month_to="2024-12"), by="year")
    assert indicator_value(holder, inds["remote-share"], "2024") == share[0]["remote_share_pct"]
    wl = an.waiting_list(date(2024, 12, 31))
    assert indicator_value(holder, inds["waiting-count"], "2024") == len(wl.rows)


def test_admin_defines_an_indicator_and_enters_values(client_for, app) -> None:
    c = client_for("admin")
    token = csrf_from(c.get("/admin/indicators/new").text)
    r = c.post("/admin/indicators/save", data={
        "csrf_token": token, "code": "psych-queue", "name_fi": "Psykiatrinen jono",
        "name_sv": "Psykiatrisk kö", "name_en": "Psychiatric queue",
        "definition": "Jonossa olevat", "unit_of_measure": "persons",
        "computation": "manual", "period_kind": "year", "baseline_value": "200",
        "baseline_period": "2022", "targets": "2024: 150\n2025: 100"},
        follow_redirects=False)
    assert r.status_code == 303
    ind = next(i for i in list_indicators(app.state.engine) if i.code == "psych-queue")
    assert ind.targets == {"2024": 150.0, "2025": 100.0} and not ind.higher_is_better
    token = csrf_from(c.get(f"/admin/indicators/{ind.id}").text)
    r = c.post(f"/admin/indicators/{ind.id}/value",
               data={"csrf_token": token, "period": "2024", "value": "170"},
               follow_redirects=False)
    assert r.status_code == 303
    bad = c.post(f"/admin/indicators/{ind.id}/value",
                 data={"csrf_token": token, "period": "2024-Q1", "value": "1"})
    assert bad.status_code == 400
    page = client_for("leadership").get("/monitoring")
    assert "Psykiatrinen jono" in page.text and "170,0" in page.text
    set_value(app.state.engine, ind.id, "2024", None, "test")


def test_monitoring_page_shows_targets(client_for) -> None:
    page = client_for("leadership").get("/monitoring")
    assert page.status_code == 200
    assert "Etäasioinnin osuus kaikista käynneistä" in page.text
    assert "Q4/2025" in page.text
    svg = client_for("analyst").get("/monitoring/chart/1.svg")
    assert svg.status_code == 200 and svg.content.startswith(b"<svg")


def test_admin_creates_a_manager_and_sees_the_audit_log(client_for, app) -> None:
    from sotekeskus.store.users import authenticate

    c = client_for("admin")
    token = csrf_from(c.get("/admin/users").text)
    short = c.post("/admin/users", data={"csrf_token": token, "username": "m2",
                                         "password": "short", "role": "manager",
                                         "units": ["U2"]})
    assert short.status_code == 400
    r = c.post("/admin/users", data={"csrf_token": token, "username": "m2",
                                     "display_name": "Toinen Esihenkilö",
                                     "password": "a-long-password-2", "role": "manager",
                                     "units": ["U2", "U3"]}, follow_redirects=False)
    assert r.status_code == 303
    account = authenticate(app.state.engine, "m2", "a-long-password-2").account
    assert account is not None and account.units == ("U2", "U3")
    log = c.get("/admin/audit").text
    assert "user:m2" in log and "admin_change" in log
