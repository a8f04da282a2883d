"""The capacity-planning pages (issue 15 §6) on a small synthetic region: the numbers on the
pages and in the downloads are the planning library's (computed here straight from the
store, the CLI's way), each role sees its scope, every language is complete."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pyarrow as pa
import pytest

from sotekeskus.planning.case_queues import case_queue_entries
from sotekeskus.planning.queues import QueueId, queue_entries, rows_of, weekly_series
from sotekeskus.planning.source import PlanningSource
from tests.web.helpers import number, table_rows, visible_text
from tests.web.test_i18n import english_only, switch

Q = "oral/dental_hygienist/all"
FROM, TO = date(2025, 1, 6), date(2025, 6, 29)
PERIOD = f"from={FROM}&to={TO}"


@pytest.fixture(scope="module")
def source(region_url: str):  # type: ignore[no-untyped-def]
    src = PlanningSource.from_store(region_url)
    yield src
    src.close()


def entries(source: PlanningSource, units: list[str] | None = None) -> pa.Table:
    return pa.concat_tables([queue_entries(source, unit_ids=units, include_unassessed=True),
                             case_queue_entries(source, unit_ids=units)])


def series_rows(source: PlanningSource, queue: str, units: list[str] | None = None) -> list:
    frame = weekly_series(entries(source, units), FROM, TO, quantiles=True)
    return rows_of(frame[frame["queue_id"] == queue])


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def shown(value: object) -> object:
    return None if value is None else value if isinstance(value, str) else float(value)


# ------------------------------------------------------------------------ queues

def test_queue_series_are_the_librarys(region_client, source) -> None:  # type: ignore[no-untyped-def]
    c = region_client("leadership")
    page = c.get(f"/planning?queue={Q}&{PERIOD}")
    assert page.status_code == 200
    want = series_rows(source, Q)
    got = table_rows(page.text, "planning-series")
    assert len(got) == len(want) == 25
    for g, w in zip(got, want, strict=True):
        for key in ("arrivals", "served", "size", "median_wait_days", "past_target"):
            assert number(g[key]) == shown(w[key]), key
    export = csv_rows(c.get(f"/planning/queues/export/planning_series.csv?queue={Q}&"
                            f"{PERIOD}").text)
    assert [int(r["size"]) for r in export] == [w["size"] for w in want]
    assert [r["week"] for r in export] == [w["week"].isoformat() for w in want]
    spec = json.loads(c.get(f"/planning/queues/chart/size.json?queue={Q}&{PERIOD}").text)
    data = spec.get("data") or spec["layer"][-1]["data"]
    values = [v["value"] for v in data["values"] if v["series"] == "Jonossa viikon lopussa"]
    assert values == [float(w["size"]) for w in want]


def test_the_default_queue_is_the_longest_pooled_one(region_client, source) -> None:  # type: ignore[no-untyped-def]
    page = region_client("leadership").get(f"/planning?{PERIOD}")
    frame = weekly_series(entries(source), FROM, TO)
    last = frame[(frame["week"] == frame["week"].max()) & frame["unit_id"].isna()]
    longest = last.sort_values(["size", "queue_id"]).iloc[-1]["queue_id"]
    assert f'value="{longest}" selected' in page.text
    overview = table_rows(page.text, "planning-queues")
    assert len(overview) == len(last)


def test_manager_queues_are_their_own_units(region_client, source) -> None:  # type: ignore[no-untyped-def]
    c = region_client("manager")
    queue = "medical/nurse/all"
    page = c.get(f"/planning?queue={queue}&{PERIOD}")
    assert page.status_code == 200
    want = series_rows(source, queue, ["U001"])
    got = table_rows(page.text, "planning-series")
    assert [number(r["size"]) for r in got] == [float(w["size"]) for w in want]
    assert want != series_rows(source, queue)  # the region's pooled queue is another
    # only the own unit's queues are offered; the region's dental hygienists are not U001's
    assert f'value="{Q}"' not in page.text
    assert c.get(f"/planning?queue={Q}").status_code == 400
    units = table_rows(page.text, "planning-units")
    assert [r["queue_id"].split(" · ")[-1] for r in units] == ["U001"]
    for url in ("/planning?queue=oral/dental_hygienist/U002", "/planning?unit=U002",
                "/planning/statistics?queue=oral/dentist/U003",
                f"/planning/queues/export/planning_series.csv?queue={Q}&unit=U002",
                "/planning/forecast?queue=medical/physician/U002",
                "/planning/scenario?queue=oral/dentist/U004&run=1",
                "/planning/care-debt?unit=U005"):
        assert c.get(url).status_code == 403, url


def test_analysts_see_small_cells_suppressed(region_client, source) -> None:  # type: ignore[no-untyped-def]
    c = region_client("analyst")
    queue = "medical/nurse/all"
    page = c.get(f"/planning?queue={queue}&{PERIOD}")
    units = table_rows(page.text, "planning-units")
    assert any(r["size"] == "<5" for r in units)
    export = csv_rows(c.get(f"/planning/queues/export/planning_units.csv?queue={queue}&"
                            f"{PERIOD}").text)
    small = [r for r in export if r["size"] == "<5"]
    assert small and all(r["median_wait_days"] == "" for r in small)
    assert all(r["arrivals"] == "<5" or int(r["arrivals"]) >= 5 for r in export)
    leader = csv_rows(region_client("leadership").get(
        f"/planning/queues/export/planning_units.csv?queue={queue}&{PERIOD}").text)
    assert "<5" not in {r["size"] for r in leader}
    assert any(int(r["size"]) < 5 for r in leader)


# ------------------------------------------------------------------------ statistics

def test_queue_statistics_are_plan_queue(region_client, source) -> None:  # type: ignore[no-untyped-def]
    from sotekeskus.planning.queue_plan import plan_queue

    c = region_client("leadership")
    page = c.get(f"/planning/statistics?queue={Q}&target_wait=60&by=2025-12-31")
    assert page.status_code == 200
    plan = plan_queue(entries(source), QueueId.parse(Q), target_wait_days=60,
                      by=date(2025, 12, 31))
    want = {r["figure"]: r["value"] for r in plan.rows()}
    rows = csv_rows(c.get(f"/planning/statistics/export/planning_statistics.csv?queue={Q}&"
                          "target_wait=60&by=2025-12-31").text)
    got = {r["figure"]: r["value"] for r in rows}
    for figure in ("demand", "capacity", "load", "queue_size", "pressure", "relief_capacity",
                   "target_queue_size", "extra_per_week"):
        assert want[figure] is not None
        assert float(got[figure]) == pytest.approx(want[figure]), figure
    html = {r["figure"]: r["value"] for r in table_rows(page.text, "planning-statistics")}
    assert number(html["Kuormitus"]) == pytest.approx(round(want["load"], 2))


# ------------------------------------------------------------------------ scenario

def test_a_scenario_is_the_simulation_of_the_same_spec(region_client, source) -> None:  # type: ignore[no-untyped-def]
    from sotekeskus.planning.queue_plan import data_end
    from sotekeskus.planning.scenario import ExtraCapacity, estimate_scenario, without_extras
    from sotekeskus.planning.simulation import simulate

    c = region_client("leadership")
    query = (f"queue={Q}&run=1&weeks=20&replications=6&seed=4&target_wait=60&extra=8"
             "&extra_from=2025-07-07&extra_to=2025-09-28&extra_cost=85&own_cost=60")
    page = c.get(f"/planning/scenario?{query}")
    assert page.status_code == 200
    all_entries = entries(source)
    scenario, _ = estimate_scenario(
        all_entries, QueueId.parse(Q), on=data_end(all_entries), weeks=20, target_days=60,
        own_cost_per_patient=60, arrivals_factor=1.0,
        extras=(ExtraCapacity("extra", 8, date(2025, 7, 7), date(2025, 9, 28), 85),))
    as_is = simulate(without_extras(scenario), 6, 4)
    result = simulate(scenario, 6, 4)
    answers = {r["question"]: r for r in csv_rows(c.get(
        f"/planning/scenario/export/planning_answers.csv?{query}").text)}
    assert float(answers["size_end"]["as_is"]) == round(as_is.weeks["size_mean"].iloc[-1], 1)
    assert float(answers["size_end"]["scenario"]) == round(
        result.weeks["size_mean"].iloc[-1], 1)
    assert float(answers["cost"]["scenario"]) == round(result.total_cost.mean(), 0)
    assert float(answers["served_by:extra"]["scenario"]) > 0
    assert answers["served_by:extra"]["as_is"] == ""
    weeks = csv_rows(c.get(f"/planning/scenario/export/planning_weeks.csv?{query}").text)
    assert len(weeks) == 20
    svg = c.get(f"/planning/scenario/chart/sim_size.svg?{query}")
    assert svg.status_code == 200 and "<svg" in svg.text
    # without run=1 only the form is shown
    assert 'id="planning-answers"' not in c.get(f"/planning/scenario?queue={Q}").text


@pytest.mark.parametrize("query,field", [("weeks=1000", "weeks"),
                                         ("replications=1", "replications"),
                                         ("extra=-3", "extra"), ("extra=1e30", "extra"),
                                         ("extra_from=2025-13-01", "extra_from"),
                                         ("target_wait=abc", "target_wait"),
                                         ("extra=5&extra_from=2025-09-01&extra_to=2025-08-01",
                                          "before it starts")])
def test_bad_scenarios_are_400_pages(region_client, query: str, field: str) -> None:  # type: ignore[no-untyped-def]
    r = region_client("leadership").get(f"/planning/scenario?queue={Q}&run=1&{query}")
    assert r.status_code == 400 and field in r.text


# ------------------------------------------------------------------------ forecast

@pytest.mark.slow
def test_forecast_error_is_beside_the_forecast(region_client, source) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sotekeskus.planning.forecast import forecast_series

    queue = "medical/physician/all"
    c = region_client("leadership")
    page = c.get(f"/planning/forecast?queue={queue}&horizon=8")
    assert page.status_code == 200
    end = date(2025, 6, 30)
    frame = weekly_series(entries(source), end - timedelta(weeks=156) + timedelta(days=1), end)
    rows = frame[frame["queue_id"] == queue]
    active = (rows["arrivals"] + rows["size"] + rows["removals"]).to_numpy() > 0
    rows = rows.iloc[int(active.argmax()):]
    want = forecast_series(queue, list(rows["week"]), rows["arrivals"].to_numpy(), horizon=8)
    got = table_rows(page.text, "planning-accuracy")
    assert [r["model"] for r in got] == [r["model"] for r in want.accuracy_rows()]
    assert [number(r["mase"]) for r in got] == [round(r["mase"], 1)
                                               for r in want.accuracy_rows()]
    export = csv_rows(c.get(f"/planning/forecast/export/planning_forecast.csv?queue={queue}"
                            "&horizon=8").text)
    assert [float(r["AutoARIMA"]) for r in export] == [r["AutoARIMA"]
                                                      for r in want.forecast_rows()]


def test_a_short_history_is_a_400_page(region_client) -> None:  # type: ignore[no-untyped-def]
    r = region_client("leadership").get(f"/planning/forecast?queue={Q}&to=2019-06-30")
    assert r.status_code == 400 and "needs" in r.text
    r = region_client("leadership").get(f"/planning/forecast?queue={Q}&series=visits")
    assert r.status_code == 400 and "arrivals" in r.text


# ------------------------------------------------------------------------ care debt

def test_care_debt_is_the_librarys(region_client, source) -> None:  # type: ignore[no-untyped-def]
    from sotekeskus.planning.care_debt import backlog_debt, monthly_counts, pandemic_deficit

    c = region_client("leadership")
    query = "from=2020-03&to=2022-12&target_wait=90&clear_by=2026-06-30"
    page = c.get(f"/planning/care-debt?{query}")
    assert page.status_code == 200
    want = pandemic_deficit(monthly_counts(source, "visits"), window_from="2020-03",
                            window_to="2022-12", data_until="2025-06", skip_first_months=3)
    got = csv_rows(c.get(f"/planning/care-debt/export/care_debt.csv?{query}").text)
    assert [(r["service_area"], r["professional_group"]) for r in got] == \
        [(w["service_area"], w["professional_group"]) for w in want]
    for g, w in zip(got, want, strict=True):
        if w.get("deficit") is not None:
            assert float(g["deficit"]) == w["deficit"]
            assert float(g["deficit_lo"]) == w["deficit_lo"]
    episode_entries = queue_entries(source, include_unassessed=True)
    backlog = backlog_debt(episode_entries, on=date(2025, 6, 30), clear_by=date(2026, 6, 30),
                           target_wait_days=90)
    shown_rows = table_rows(page.text, "planning-backlog")
    assert [number(r["waiting"]) for r in shown_rows] == [float(b["waiting"]) for b in backlog]
    assert [number(r["relief_capacity_per_week"]) for r in shown_rows] == \
        [round(b["relief_capacity_per_week"], 1) for b in backlog]


def test_managers_get_the_backlog_of_their_units_only(region_client, source) -> None:  # type: ignore[no-untyped-def]
    from sotekeskus.planning.care_debt import backlog_debt

    page = region_client("manager").get("/planning/care-debt")
    assert page.status_code == 200
    assert 'id="planning-care-debt"' not in page.text  # the deficit is region-wide
    own = backlog_debt(queue_entries(source, unit_ids=["U001"], include_unassessed=True),
                       on=date(2025, 6, 30))
    rows = table_rows(page.text, "planning-backlog")
    assert [number(r["waiting"]) for r in rows] == [float(b["waiting"]) for b in own]


def test_analysts_get_suppressed_care_debt(region_client) -> None:  # type: ignore[no-untyped-def]
    rows = csv_rows(region_client("analyst").get(
        "/planning/care-debt/export/backlog.csv").text)
    small = [r for r in rows if r["past_target"] == "<5"]
    assert small and all(r["patient_weeks_past_target"] == "" for r in small)


@pytest.mark.parametrize("url,field", [("/planning?queue=bogus", "queue"),
                                       ("/planning?queue=oral/pilot", "professional_group"),
                                       ("/planning?from=2025-02-30", "from"),
                                       ("/planning?from=2025-06-01&to=2025-01-01", "to"),
                                       ("/planning/statistics?queue=oral/dentist/all&target_wait=0",
                                        "target_wait"),
                                       ("/planning/care-debt?from=2020-3", "from"),
                                       ("/planning/care-debt?measure=calls", "measure"),
                                       ("/planning/care-debt?from=2019-01&to=2019-06", "from")])
def test_bad_parameters_are_400_pages(region_client, url: str, field: str) -> None:  # type: ignore[no-untyped-def]
    r = region_client("leadership").get(url)
    assert r.status_code == 400 and field in r.text, (url, r.text[-400:])


# ------------------------------------------------------------------------ languages

@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_planning_pages_are_translated(region_client, lang: str) -> None:  # type: ignore[no-untyped-def]
    forbidden = english_only(lang) if lang != "en" else set()
    c = region_client("leadership")
    switch(c, lang)
    try:
        for path in (f"/planning?queue={Q}", f"/planning/statistics?queue={Q}",
                     f"/planning/scenario?queue={Q}&run=1&weeks=8&replications=3&extra=5",
                     "/planning/forecast", "/planning/care-debt?target_wait=90"
                     "&clear_by=2026-06-30", "/planning/statistics"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert f'<html lang="{lang}">' in r.text
            leaked = [t for t in visible_text(r.text) if t in forbidden]
            assert not leaked, (lang, path, leaked)
    finally:
        switch(c, "fi")
