"""Care debt: the pre-pandemic pattern, deficit and catch-up, the backlog — by hand and
against the synthetic region's planted truth."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from sotekeskus.planning.care_debt import (
    CareDebtError,
    backlog_debt,
    fit_pattern,
    monthly_counts,
    pandemic_deficit,
    parse_month,
    working_days,
)
from sotekeskus.planning.queues import queue_entries
from sotekeskus.planning.source import PlanningSource
from tests.planning_data import episodes


def m(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def test_working_days_skip_weekends_and_finnish_holidays():
    # December 2025: 23 weekdays, Christmas Eve, Christmas Day and St Stephen's Day fall on
    # Wednesday–Friday → 20; June 2025: 21 weekdays, Midsummer Eve on Friday → 20
    assert working_days([m("2025-12"), m("2025-06"), m("2025-02")]).tolist() == [20, 20, 20]


def _table(series: dict[str, int], area="oral", group="dentist") -> pa.Table:
    return pa.table({"service_area": [area] * len(series),
                     "professional_group": [group] * len(series),
                     "month": list(series), "count": list(series.values())})


def _months(first: str, last: str) -> list[str]:
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(m(first), m(last) + 1)]


def test_deficit_and_catch_up_by_hand():
    # 100 visits per working day before the pandemic, 80 in the window (a 20 % deficit),
    # 110 after it (a 10 % catch-up)
    months = _months("2017-01", "2022-12")
    wd = dict(zip(months, working_days([m(x) for x in months]).tolist(), strict=True))
    per_day = {x: 100 if x < "2020-03" else 80 if x <= "2020-12" else 110 for x in months}
    table = _table({x: int(per_day[x] * wd[x]) for x in months})
    (total, row) = pandemic_deficit(table, window_from="2020-03", window_to="2020-12",
                                    data_until="2021-12")
    assert (row["professional_group"], total["professional_group"]) == ("dentist", "all")
    window = [x for x in months if "2020-03" <= x <= "2020-12"]
    after = [x for x in months if "2021-01" <= x <= "2021-12"]
    assert row["expected"] == pytest.approx(100 * sum(wd[x] for x in window), rel=1e-6)
    assert row["actual"] == 80 * sum(wd[x] for x in window)
    assert row["deficit"] == pytest.approx(20 * sum(wd[x] for x in window), rel=1e-4)
    assert row["deficit_pct"] == pytest.approx(20.0, abs=0.05)
    assert row["catch_up"] == pytest.approx(10 * sum(wd[x] for x in after), rel=1e-4)
    assert row["remaining"] == pytest.approx(row["deficit"] - row["catch_up"], abs=0.2)
    assert row["deficit_lo"] == pytest.approx(row["deficit"], abs=1)  # no noise: no band
    assert row["catch_up_until"] == "2021-12" and row["fitted_from"] == "2017-01"
    assert total["deficit"] == pytest.approx(row["deficit"], rel=1e-4)


def test_a_season_and_a_trend_are_learnt_from_three_years():
    months = _months("2017-01", "2020-02")
    idx = np.array([m(x) for x in months])
    wd = working_days(idx.tolist())
    rate = 50 * np.exp(0.01 * (idx - idx[0]) + 0.2 * np.cos(2 * np.pi * (idx % 12) / 12))
    fit = fit_pattern(idx, rate * wd, wd)
    assert fit.trend and fit.k == 1
    assert fit.beta[1] == pytest.approx(0.01, abs=1e-9)
    # with less than two years a trend cannot be told from the season: level only
    assert not fit_pattern(idx[-14:], (rate * wd)[-14:], wd[-14:]).trend


def test_bad_windows_and_months():
    table = _table({x: 1000 for x in _months("2018-01", "2021-12")})
    with pytest.raises(CareDebtError, match="before the end of the fitted pattern"):
        pandemic_deficit(table, window_from="2019-03", window_to="2020-12")
    with pytest.raises(CareDebtError, match="--to 2020-01 is before --from 2020-03"):
        pandemic_deficit(table, window_from="2020-03", window_to="2020-01")
    with pytest.raises(CareDebtError, match="not a month YYYY-MM"):
        parse_month("2020-13", "--from")
    short = pandemic_deficit(_table({x: 1000 for x in _months("2019-10", "2021-12")}),
                             window_from="2020-03", window_to="2020-12")
    assert "needs 8 months" in short[0]["note"]


def test_monthly_counts_of_visits_and_contacts_and_by_age():
    rows = [dict(assessed=date(2025, 1, 6), visit=date(2025, 2, 3)),
            dict(assessed=date(2025, 1, 7), visit=date(2025, 1, 9), birth=date(2010, 1, 1)),
            dict(assessed=date(2025, 1, 8), status="cancelled")]
    source = PlanningSource.from_arrow(episodes(rows))
    visits = sorted(monthly_counts(source, "visits").to_pylist(), key=lambda r: r["month"])
    assert [(r["month"], r["count"]) for r in visits] == [("2025-01", 1), ("2025-02", 1)]
    contacts = monthly_counts(source, "contacts").to_pylist()
    assert [(r["month"], r["count"]) for r in contacts] == [("2025-01", 3)]
    ages = {(r["month"], r["age_group"]): r["count"]
            for r in monthly_counts(source, "visits", by_age=True).to_pylist()}
    assert ages == {("2025-01", "0-22"): 1, ("2025-02", "23-64"): 1}
    with pytest.raises(CareDebtError, match="--measure 'calls'"):
        monthly_counts(source, "calls")


def test_backlog_by_hand():
    on = date(2025, 6, 30)
    rows = [dict(assessed=date(2024, 11, 1)),   # 241 days: past the legal limit
            dict(assessed=date(2025, 3, 1)),    # 121 days
            dict(assessed=date(2025, 6, 2)),    # 28 days
            dict(assessed=date(2025, 6, 20), visit=date(2025, 7, 3))]  # waiting on 30 June
    entries = queue_entries(PlanningSource.from_arrow(episodes(rows)))
    (row,) = backlog_debt(entries, on=on, clear_by=date(2025, 12, 29), target_wait_days=90)
    assert (row["waiting"], row["past_target"], row["past_legal_limit"]) == (4, 2, 1)
    # past the 90-day target by 241 − 90 and 121 − 90 days
    assert row["patient_weeks_past_target"] == pytest.approx(((241 - 90) + (121 - 90)) / 7,
                                                             abs=0.05)
    # oral care from 2024-11-01: 3 months → deadline 2025-02-01, 149 days past on 30 June
    # (the one assessed on 2025-03-01, aged 23+, has 6 months: not past)
    assert row["patient_weeks_past_legal_limit"] == pytest.approx(149 / 7, abs=0.05)
    demand = 3 / 26  # three arrivals in the last 26 weeks
    assert row["demand_per_week"] == pytest.approx(demand, abs=0.005)
    tqs = demand * 90 / 7 / 4
    assert row["relief_capacity_per_week"] == pytest.approx(demand + (4 - tqs) / 26, abs=0.01)
    with pytest.raises(CareDebtError, match="--clear-by"):
        backlog_debt(entries, on=on, clear_by=on)


@pytest.mark.slow
def test_pandemic_contact_deficit_matches_the_planted_truth():
    from sotekeskus.synth import generate_region

    region = generate_region(residents=30_000, start=date(2019, 1, 1),
                             end=date(2025, 12, 31), seed=5)
    source = PlanningSource.from_arrow(region.episodes)
    rows = pandemic_deficit(monthly_counts(source, "contacts"), window_from="2020-03",
                            window_to="2022-12", data_until="2025-12")
    totals = {r["service_area"]: r for r in rows if r["professional_group"] == "all"}
    # planted: expected contacts = actual ÷ the week's demand factor (relative to normal)
    truth = region.truth
    weeks = np.array(truth["weeks"], dtype="datetime64[D]")
    contact = region.episodes["contact_at"].to_numpy().astype("datetime64[D]")
    area = np.array(region.episodes["service_area"].to_pylist())
    week = (contact - weeks[0]).astype(np.int64) // 7
    window = (weeks >= np.datetime64("2020-03-02")) & (weeks <= np.datetime64("2022-12-26"))
    for name in ("medical", "oral", "social", "mental"):
        counts = np.bincount(week[area == name], minlength=weeks.size)[:weeks.size]
        factor = np.array(truth["weekly_demand_factor"][name])
        planted = float((counts[window] / factor[window]).sum() - counts[window].sum())
        row = totals[name]
        assert row["deficit_lo"] <= planted <= row["deficit_hi"], (name, planted, row)
    # the dip is real where it was planted, and mental health's demand grew instead
    assert totals["oral"]["deficit_lo"] > 0 and totals["medical"]["deficit"] > 0
    assert totals["mental"]["deficit"] < 0
