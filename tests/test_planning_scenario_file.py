"""Scenario files: every key checked, errors name the key and the value."""

from __future__ import annotations

from datetime import date

import pytest

from sotekeskus.planning.scenario_file import ScenarioFileError, load_scenario, parse_scenario


def test_a_full_scenario_file(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text("""
queue: oral/dental_hygienist
target_wait_days: 90
weeks: 40
replications: 20
seed: 7
on: 2025-12-31
arrivals_factor: 1.1
own_capacity_per_week: 400
own_cost_per_patient: 55
extra_capacity:
  - name: purchased
    per_week: 40
    from: 2026-02-01
    to: 2026-06-30
    cost_per_patient: 85
""", encoding="utf-8")
    spec = load_scenario(path)
    assert str(spec.queue) == "oral/dental_hygienist/all"
    assert (spec.target_wait_days, spec.weeks, spec.replications, spec.seed) == (90, 40, 20, 7)
    assert spec.on == date(2025, 12, 31) and spec.arrivals_factor == 1.1
    assert spec.own_capacity_per_week == 400 and spec.own_cost_per_patient == 55
    (extra,) = spec.extra_capacity
    assert (extra.name, extra.per_week, extra.start, extra.end, extra.cost_per_patient) == (
        "purchased", 40, date(2026, 2, 1), date(2026, 6, 30), 85)


@pytest.mark.parametrize(("data", "message"), [
    ([], "expected a mapping"),
    ({"target_wait_days": 90}, "the key queue is required"),
    ({"queue": "oral/dental_hygienist", "wekes": 3}, "unknown key 'wekes'; allowed: queue"),
    ({"queue": "dental/x"}, "queue: service_area 'dental'"),
    ({"queue": "oral/dentist", "weeks": 2.5}, "weeks: 2.5 is not a whole number 1 or more"),
    ({"queue": "oral/dentist", "weeks": True}, "weeks: True is not a whole number"),
    ({"queue": "oral/dentist", "replications": 1}, "replications: 1 is not a whole number 2"),
    ({"queue": "oral/dentist", "target_wait_days": 0}, "target_wait_days: 0 is not a number "
                                                       "above 0"),
    ({"queue": "oral/dentist", "on": "31.12.2025"}, "on: '31.12.2025' is not a date"),
    ({"queue": "oral/dentist", "extra_capacity": {"per_week": 3}}, "expected a list"),
    ({"queue": "oral/dentist", "extra_capacity": [{"per_week": 3, "from": "2026-01-01"}]},
     r"extra_capacity\[1\]: the key to is required"),
    ({"queue": "oral/dentist", "extra_capacity": [
        {"per_week": -3, "from": "2026-01-01", "to": "2026-02-01"}]},
     r"extra_capacity\[1\].per_week: -3 is not a number 0 or more"),
    ({"queue": "oral/dentist", "extra_capacity": [
        {"per_week": 3, "from": "2026-03-01", "to": "2026-02-01", "price": 3}]},
     "unknown key 'price'"),
    ({"queue": "oral/dentist", "extra_capacity": [
        {"name": "own", "per_week": 3, "from": "2026-01-01", "to": "2026-02-01"}]},
     "must be unique and not 'own'"),
])
def test_bad_scenarios_name_the_key(data, message):
    with pytest.raises(ScenarioFileError, match=message):
        parse_scenario(data, "s.yaml")


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ScenarioFileError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("queue: [oral\n", encoding="utf-8")
    with pytest.raises(ScenarioFileError, match="not valid YAML"):
        load_scenario(bad)
