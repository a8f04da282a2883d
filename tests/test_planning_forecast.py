"""Forecasts and their back-tests on hand-made series and on the synthetic region."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from sotekeskus.planning.forecast import (
    ForecastError,
    auto_arima,
    forecast_series,
    holiday_beta,
    holiday_weekdays,
    seasonal_naive,
    seasonal_scale,
)

MON = date(2022, 1, 3)


def weeks(n: int) -> list[date]:
    return [MON + timedelta(weeks=k) for k in range(n)]


def test_finnish_holiday_weekdays_by_week():
    h = holiday_weekdays([date(2025, 12, 22), date(2025, 4, 14), date(2025, 4, 21),
                          date(2025, 6, 16), date(2025, 3, 3)])
    # Christmas Eve, Christmas Day, St Stephen's Day; Good Friday; Easter Monday;
    # Midsummer Eve (Friday; Midsummer Day is a Saturday); nothing in early March
    assert h.tolist() == [3, 1, 1, 1, 0]


def test_holiday_beta_by_hand():
    y = np.full(20, 100.0)
    h = np.zeros(20)
    h[5], h[12] = 1, 2
    y[5], y[12] = 90.0, 80.0  # one holiday weekday: -10 %; two: -20 % → β = 0.5
    assert holiday_beta(y, h) == pytest.approx(0.5)


def test_seasonal_naive_by_hand():
    y = np.arange(60, dtype=float)
    p = seasonal_naive(y, 10)
    assert p.mean.tolist() == list(range(8, 18))
    # seasonal differences are all 52 → σ = 0 → no width
    assert (p.hi - p.lo).tolist() == [0.0] * 10
    assert seasonal_scale(y) == 52


def test_a_perfectly_seasonal_series_is_forecast_exactly_by_the_baseline():
    pattern = 100 + 20 * np.sin(2 * np.pi * np.arange(52) / 52)
    y = np.tile(pattern, 3)
    y[3] += 5.0  # one odd week in the first year: the seasonal differences are not all 0
    f = forecast_series("toy", weeks(156), y, horizon=8, models=["SeasonalNaive"])
    bt = f.backtests["SeasonalNaive"]
    assert bt.mase == pytest.approx(0.0, abs=1e-9) and bt.coverage == 1.0
    assert bt.points == 39
    assert f.predictions["SeasonalNaive"].mean.tolist() == pytest.approx(y[-52:-44].tolist())


def test_auto_arima_recovers_a_level_and_holidays():
    rng = np.random.default_rng(1)
    n = 156
    h = holiday_weekdays(weeks(n + 13))
    y = 200 - 30 * h[:n] + rng.normal(0, 2, n)
    p = auto_arima(y, h[:n], h[n:], 13)
    expected = 200 - 30 * h[n:]
    assert np.abs(p.mean - expected).max() < 5
    assert ((expected >= p.lo) & (expected <= p.hi)).all()


@pytest.mark.slow
def test_every_model_runs_and_reports_mase_and_coverage():
    rng = np.random.default_rng(2)
    t = np.arange(160)
    y = 300 + 40 * np.cos(2 * np.pi * t / 52.18) + rng.normal(0, 10, t.size)
    f = forecast_series("toy", weeks(160), y, horizon=26)
    assert set(f.predictions) == {"SeasonalNaive", "AutoETS", "AutoARIMA", "MSTL"}
    for bt in f.backtests.values():
        assert bt.mase > 0 and 0 <= bt.coverage <= 1 and bt.points == 39
    rows = f.accuracy_rows()
    assert rows[0]["model"] == "SeasonalNaive" and rows[0]["mase_vs_seasonal_naive"] == 1.0
    assert len(f.forecast_rows()) == 26
    # ARIMA with the Fourier terms of the year beats repeating last year's noise here
    assert f.backtests["AutoARIMA"].mase < f.backtests["SeasonalNaive"].mase


def test_bad_series_are_errors():
    with pytest.raises(ForecastError, match="the back-test needs 93"):
        forecast_series("short", weeks(60), np.ones(60))
    with pytest.raises(ForecastError, match="finite and 0 or more"):
        forecast_series("neg", weeks(200), -np.ones(200))
    with pytest.raises(ForecastError, match="model 'Prophet'"):
        forecast_series("x", weeks(200), np.ones(200), models=["Prophet"])
    with pytest.raises(ForecastError, match="3 weeks but 2 values"):
        forecast_series("x", weeks(3), [1.0, 2.0])


@pytest.mark.slow
def test_back_test_on_the_synthetic_region_prints_mase_against_seasonal_naive(capsys):
    from sotekeskus.planning.queues import queue_entries, weekly_series
    from sotekeskus.planning.source import PlanningSource
    from sotekeskus.synth import generate_region

    region = generate_region(residents=15_000, start=date(2022, 1, 1), end=date(2025, 12, 31),
                             seed=3)
    entries = queue_entries(PlanningSource.from_arrow(region.episodes),
                            service_areas=["medical"], professional_groups=["physician"],
                            include_unassessed=True)
    series = weekly_series(entries, date(2022, 1, 3), date(2025, 12, 28), units=False)
    f = forecast_series("medical/physician/all", list(series["week"]),
                        series["arrivals"].to_numpy(), horizon=13)
    with capsys.disabled():
        for row in f.accuracy_rows():
            print(f"\n  {row['model']:14} MASE {row['mase']:.3f}  vs SeasonalNaive "
                  f"{row['mase_vs_seasonal_naive']:.2f}  coverage {row['coverage_95_pct']} %")
    assert all(np.isfinite(bt.mase) for bt in f.backtests.values())
