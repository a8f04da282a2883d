"""The planning commands end to end: a store, ``report queues`` and ``plan …``."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from sotekeskus.cli import app
from sotekeskus.synth import write_episodes
from tests.planning_data import episodes

MON = date(2025, 3, 3)


def d(days: int) -> date:
    return MON + timedelta(days=days)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from typer.testing import CliRunner

    tmp = tmp_path_factory.mktemp("plan")
    rows = [dict(assessed=date(2025, 1, 6)) for _ in range(6)]
    for w in range(4):
        for k in range(3):
            rows.append(dict(assessed=d(7 * w + k), visit=d(7 * w + k + 3)))
        rows.append(dict(assessed=d(7 * w + 1)))
        rows.append(dict(unit="U002", assessed=d(7 * w + 2), visit=d(7 * w + 9)))
    path = write_episodes(episodes(rows), tmp / "episodes.csv")
    db = str(tmp / "store.db")
    result = CliRunner().invoke(app, ["import", "episodes", str(path), "--db", db])
    assert result.exit_code == 0, result.output
    return db


def test_report_queues_json_with_and_without_suppression(runner, store):
    args = ["report", "queues", "--db", store, "--from", str(MON), "--to", str(d(27)),
            "-f", "json"]
    exact = json.loads(runner.invoke(app, [*args, "--no-suppress"]).stdout)["rows"]
    u1 = [r for r in exact if r["queue_id"] == "oral/dental_hygienist/U001"]
    assert [r["week"] for r in u1] == [str(d(7 * w)) for w in range(4)]
    assert [r["arrivals"] for r in u1] == [4, 4, 4, 4]
    assert [r["served"] for r in u1] == [3, 3, 3, 3]
    assert [r["size"] for r in u1] == [7, 8, 9, 10]
    pooled = [r for r in exact if r["queue_id"] == "oral/dental_hygienist/all"]
    assert [r["arrivals"] for r in pooled] == [5, 5, 5, 5]
    published = json.loads(runner.invoke(app, args).stdout)["rows"]
    u2 = [r for r in published if r["queue_id"] == "oral/dental_hygienist/U002"]
    assert u2[0]["arrivals"] == "<5" and u2[0]["size"] == "<5"
    assert u2[0]["median_wait_days"] is None


def test_report_queues_rejects_bad_options(runner, store):
    result = runner.invoke(app, ["report", "queues", "--db", store, "--queue", "dental/x"])
    assert result.exit_code == 2 and "service_area 'dental'" in result.output
    result = runner.invoke(app, ["report", "queues", "--db", store, "--level", "region"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["report", "queues", "--db", store, "--queue", "oral/dentist"])
    assert result.exit_code == 1 and "no such queue" in result.output
    result = runner.invoke(app, ["report", "queues", "--db", store + ".missing"])
    assert result.exit_code == 1 and "no store" in result.output


def test_plan_queue_json(runner, store):
    result = runner.invoke(app, ["plan", "queue", "--db", store, "--queue",
                                 "oral/dental_hygienist/U001", "--target-wait", "28",
                                 "--on", str(d(27)), "--window-weeks", "4", "--by",
                                 str(d(27 + 56)), "-f", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    figures = {r["figure"]: r["value"] for r in json.loads(result.stdout)["rows"]}
    assert figures["demand"] == 4.0 and figures["capacity"] == 3.0
    assert figures["queue_size"] == 10
    assert figures["target_queue_size"] == 4.0  # 4 a week × 4 weeks ÷ 4
    assert figures["relief_capacity"] == pytest.approx(4 + (10 - 4) / 8)
    assert figures["extra_per_week"] == pytest.approx(4.75 - 3)


def test_plan_queue_errors(runner, store):
    base = ["plan", "queue", "--db", store, "--queue", "oral/dental_hygienist"]
    assert runner.invoke(app, [*base, "--target-wait", "0"]).exit_code == 2
    result = runner.invoke(app, [*base, "--target-wait", "90", "--by", "2020-01-01"])
    assert result.exit_code == 1 and "is not after the date of the list" in result.output
    result = runner.invoke(app, ["plan", "queue", "--db", store, "--queue", "oral/dentist",
                                 "--target-wait", "90"])
    assert result.exit_code == 1 and "no queue oral/dentist/all" in result.output


def test_plan_simulate_json_compares_with_doing_nothing(runner, store):
    result = runner.invoke(app, [
        "plan", "simulate", "--db", store, "--queue", "oral/dental_hygienist/U001",
        "--target-wait", "28", "--on", str(d(27)), "--weeks", "6", "--replications", "3",
        "--extra", "5", "--extra-cost", "80", "-f", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["queue"] == "oral/dental_hygienist/U001" and body["start"] == str(d(28))
    estimates = {r["estimate"]: r["value"] for r in body["estimates"]}
    assert estimates["start_list"] == 10
    rows = body["rows"]
    assert len(rows) == 6 and rows[0]["week"] == str(d(28))
    assert rows[-1]["size_scenario"] <= rows[-1]["size_as_is"]
    assert rows[0]["size_as_is_lo"] <= rows[0]["size_as_is"] <= rows[0]["size_as_is_hi"]
    answers = {r["question"]: r for r in body["answers"]}
    assert answers["patients served by extra"]["as_is"] == ""
    assert "80" not in answers["cost"]["as_is"]


def test_plan_simulate_with_a_scenario_file(runner, store, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"""
queue: oral/dental_hygienist/U001
target_wait_days: 28
weeks: 3
replications: 2
on: {d(27)}
extra_capacity:
  - name: bought
    per_week: 4
    from: {d(28)}
    to: {d(41)}
    cost_per_patient: 90
""", encoding="utf-8")
    result = runner.invoke(app, ["plan", "simulate", "--db", store, "--scenario", str(path),
                                 "-f", "json"])
    assert result.exit_code == 0, result.output
    answers = {r["question"]: r for r in json.loads(result.stdout)["answers"]}
    assert "patients served by bought" in answers
    path.write_text("queue: oral/dental_hygienist\nweek: 3\n", encoding="utf-8")
    result = runner.invoke(app, ["plan", "simulate", "--db", store, "--scenario", str(path)])
    assert result.exit_code == 1 and "unknown key 'week'" in result.output
    result = runner.invoke(app, ["plan", "simulate", "--db", store, "--scenario", str(path),
                                 "--queue", "oral/dentist"])
    assert result.exit_code == 2


def test_plan_simulate_usage_errors(runner, store):
    assert runner.invoke(app, ["plan", "simulate", "--db", store]).exit_code == 2
    result = runner.invoke(app, ["plan", "simulate", "--db", store, "--queue",
                                 "oral/dental_hygienist", "--extra", "5", "--extra-from",
                                 "2026-02-01", "--extra-to", "2026-01-01"])
    assert result.exit_code == 2 and "before it starts" in result.output
    result = runner.invoke(app, ["plan", "simulate", "--db", store, "--queue",
                                 "oral/dental_hygienist", "--replications", "1"])
    assert result.exit_code == 1 and "replications must be 2 or more" in result.output


@pytest.fixture(scope="module")
def region_store(tmp_path_factory):
    """A small synthetic region 2021–2025 in a SQLite store."""
    from typer.testing import CliRunner

    tmp = tmp_path_factory.mktemp("region")
    out = tmp / "region.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--residents", "2500", "--from", "2019-01-01",
                                 "--to", "2025-12-31", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    db = str(tmp / "region.db")
    assert runner.invoke(app, ["import", "episodes", str(out), "--db", db]).exit_code == 0
    events = runner.invoke(app, ["import", "events", str(tmp / "region.events.csv"),
                                 "--db", db])
    assert events.exit_code == 0, events.output
    return db


@pytest.mark.slow
def test_plan_forecast_json_has_accuracy_beside_the_forecast(runner, region_store):
    result = runner.invoke(app, ["plan", "forecast", "--db", region_store, "--queue",
                                 "medical/physician", "--horizon", "4", "--model",
                                 "SeasonalNaive,AutoARIMA", "-f", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [r["model"] for r in body["accuracy"]] == ["SeasonalNaive", "AutoARIMA"]
    assert body["accuracy"][0]["mase_vs_seasonal_naive"] == 1.0
    assert [r["week"] for r in body["rows"]] == ["2025-12-29", "2026-01-05", "2026-01-12",
                                                "2026-01-19"]
    row = body["rows"][0]
    assert row["AutoARIMA_lo95"] <= row["AutoARIMA"] <= row["AutoARIMA_hi95"]


def test_plan_forecast_errors(runner, store):
    base = ["plan", "forecast", "--db", store, "--queue", "oral/dental_hygienist"]
    result = runner.invoke(app, base)
    assert result.exit_code == 1 and "the back-test needs" in result.output
    assert runner.invoke(app, [*base, "--model", "Prophet"]).exit_code == 2
    assert runner.invoke(app, [*base, "--series", "visits"]).exit_code == 2


@pytest.mark.slow
def test_report_care_debt_json(runner, region_store):
    result = runner.invoke(app, ["report", "care-debt", "--db", region_store, "--from",
                                 "2020-03", "--to", "2022-12", "--service-area", "oral",
                                 "--clear-by", "2026-06-30", "--target-wait", "90",
                                 "-f", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    rows = {r["professional_group"]: r for r in body["rows"]}
    assert set(rows) == {"all", "dentist", "dental_hygienist", "other"}
    total = rows["all"]
    assert {"service_area", "professional_group", "expected", "actual", "deficit",
            "deficit_lo", "deficit_hi", "catch_up", "remaining"} <= set(total)
    assert total["deficit"] == pytest.approx(total["expected"] - total["actual"], abs=0.2)
    assert total["deficit_lo"] <= total["deficit"] <= total["deficit_hi"]
    backlog = {r["professional_group"]: r for r in body["backlog"]}
    assert backlog["dentist"]["clear_by"] == "2026-06-30"
    assert backlog["dentist"]["relief_capacity_per_week"] is not None


def test_report_care_debt_errors(runner, store):
    base = ["report", "care-debt", "--db", store]
    assert runner.invoke(app, [*base, "--from", "2020-3"]).exit_code == 2
    assert runner.invoke(app, [*base, "--measure", "calls"]).exit_code == 2
    result = runner.invoke(app, [*base, "--from", "2019-01", "--to", "2019-12"])
    assert result.exit_code == 1 and "before the end of the fitted pattern" in result.output
    result = runner.invoke(app, [*base, "-f", "json"])  # 2025 data only: nothing to fit
    assert result.exit_code == 0
    assert "no months before the pandemic" in json.loads(result.stdout)["rows"][0]["note"]


@pytest.mark.slow
def test_case_event_queues_in_report_queues_and_plan_queue(runner, region_store):
    result = runner.invoke(app, ["report", "queues", "--db", region_store, "--queue",
                                 "geriatrician/referral-visit", "--from", "2025-10-01",
                                 "-f", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert {r["queue_id"] for r in rows} == {"geriatrician/referral-visit/all"}
    assert all(r["size"] > 0 for r in rows)
    result = runner.invoke(app, ["plan", "queue", "--db", region_store, "--queue",
                                 "memory_examination/referral-assessed", "--target-wait",
                                 "45", "-f", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    figures = {r["figure"]: r["value"] for r in json.loads(result.stdout)["rows"]}
    assert figures["demand"] > 0 and figures["queue_size"] > 0


def test_a_case_queue_without_case_events_is_an_error(runner, store):
    result = runner.invoke(app, ["plan", "queue", "--db", store, "--queue",
                                 "geriatrician/referral-visit", "--target-wait", "90"])
    assert result.exit_code == 1
    assert "no queue geriatrician/referral-visit/all in the data" in result.output
