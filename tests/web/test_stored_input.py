"""Hand-entered values that could break pages (defect 2.3): refused at entry, harmless if
already stored (a page never answers 500 to anyone because of a stored value)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotekeskus.store import monitoring
from sotekeskus.store.models import IndicatorTarget, IndicatorValue, MonitoringIndicator
from tests.web.conftest import PASSWORDS, ROLE_USERS, build_store, csrf_from, sign_in

BAD_NUMBERS = ["1e30", "inf", "-inf", "nan", "NaN", "Infinity", "-1e300", "1e309"]


@pytest.fixture(scope="module")
def own_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    """An app over a store of its own (these tests write odd values into it)."""
    from sotekeskus.web.app import create_app

    url = build_store(Path(tmp_path_factory.mktemp("stored")) / "s.db")
    yield create_app(url, secret_key="test-secret")


def client(app, role: str) -> TestClient:  # type: ignore[no-untyped-def]
    return sign_in(TestClient(app, base_url="https://testserver"), ROLE_USERS[role],
                   PASSWORDS[role])


def manual_indicator(app, code: str = "typed-values", unit: str = "min"):  # type: ignore[no-untyped-def]
    found = next((i for i in monitoring.list_indicators(app.state.engine) if i.code == code),
                 None)
    return found or monitoring.save_indicator(
        app.state.engine, code=code, name_fi="Käsin", name_sv="För hand", name_en="By hand",
        unit_of_measure=unit, computation="manual", period_kind="year")


@pytest.mark.parametrize("text", BAD_NUMBERS)
def test_a_non_finite_or_huge_value_is_refused_with_a_message(own_app, text: str) -> None:
    ind = manual_indicator(own_app)
    admin = client(own_app, "admin")
    token = csrf_from(admin.get(f"/admin/indicators/{ind.id}").text)
    r = admin.post(f"/admin/indicators/{ind.id}/value",
                   data={"period": "2024", "value": text, "csrf_token": token})
    assert r.status_code == 400
    assert "value:" in r.text and ("not a finite number" in r.text or "out of range" in r.text)
    assert "2024" not in monitoring.get_indicator(own_app.state.engine, ind.id).values


def test_percentages_stay_within_0_to_100(own_app) -> None:
    ind = manual_indicator(own_app, "typed-pct", "%")
    engine = own_app.state.engine
    with pytest.raises(monitoring.MonitoringError, match=r"value: 150 is out of range.*0"):
        monitoring.set_value(engine, ind.id, "2024", 150.0, "admin")
    monitoring.set_value(engine, ind.id, "2024", 99.5, "admin")
    assert monitoring.get_indicator(engine, ind.id).values == {"2024": 99.5}
    # a genuine negative value of another unit is fine
    other = manual_indicator(own_app, "typed-change", "persons")
    monitoring.set_value(engine, other.id, "2024", -3.0, "admin")


def test_baseline_targets_and_years_are_checked(own_app) -> None:
    admin = client(own_app, "admin")
    token = csrf_from(admin.get("/admin/indicators/new").text)
    base = {"code": "checked", "name_fi": "a", "name_sv": "b", "name_en": "c",
            "computation": "manual", "period_kind": "year", "csrf_token": token}
    for extra, message in (({"baseline_value": "nan"}, "baseline_value:"),
                           ({"baseline_value": "1e30"}, "baseline_value:"),
                           ({"targets": "2025: 99999999999999999999"}, "targets:"),
                           ({"targets": "0000: 5"}, "period:"),
                           ({"targets": "9999: 5"}, "period:"),
                           ({"baseline_period": "0000"}, "baseline_period:")):
        r = admin.post("/admin/indicators/save", data=base | extra)
        assert r.status_code == 400 and message in r.text, (extra, r.status_code)
    assert not any(i.code == "checked" for i in monitoring.list_indicators(own_app.state.engine))
    with pytest.raises(monitoring.MonitoringError, match="targets: 2025"):
        monitoring.save_indicator(own_app.state.engine, code="checked", name_fi="a",
                                  name_sv="b", name_en="c", targets={"2025": float("inf")})


def test_bad_values_already_in_a_store_never_break_a_page(own_app) -> None:
    """Values written past the checks (older versions, direct SQL) are left out on reading."""
    engine = own_app.state.engine
    ind = manual_indicator(own_app, "poisoned", "%")
    with Session(engine) as s, s.begin():
        row = s.get(MonitoringIndicator, ind.id)
        row.baseline_value = float("inf")
        row.baseline_period = "0000"
        row.values = [IndicatorValue(period="2023", value=float("inf")),
                      IndicatorValue(period="2024", value=1e300),
                      IndicatorValue(period="2025", value=-float("inf")),
                      IndicatorValue(period="0000", value=1.0),
                      IndicatorValue(period="2022", value=42.0)]
        row.targets = [IndicatorTarget(period="2024", value=float("inf")),
                       IndicatorTarget(period="2025-Q9", value=5.0),
                       IndicatorTarget(period="2025", value=50.0)]
    read = monitoring.get_indicator(engine, ind.id)
    assert read.values == {"2022": 42.0} and read.targets == {"2025": 50.0}
    assert read.baseline_value is None and read.baseline_period is None
    pages = ["/monitoring", "/monitoring/export/monitoring.csv",
             "/monitoring/export/monitoring.xlsx", f"/monitoring/chart/{ind.id}.json",
             f"/monitoring/chart/{ind.id}.svg"]
    for role in ("leadership", "analyst", "admin"):
        c = client(own_app, role)
        for path in pages + (["/admin/indicators", f"/admin/indicators/{ind.id}"]
                             if role == "admin" else []):
            assert c.get(path).status_code == 200, (role, path)
