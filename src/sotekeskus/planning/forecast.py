"""Weekly demand forecasts per queue, each back-tested beside the seasonal naive baseline.

statsforecast cannot be installed here: its releases (2.1.1) and its dependency fugue
require ``pandas<3`` and the project pins pandas 3.1.1. The four models are therefore built
on statsmodels (pinned in pyproject.toml) and numpy, under statsforecast's names:

* ``SeasonalNaive`` (the baseline): the value of the same week a year (52 weeks) earlier.
  Interval: ±1.96 σ √k, σ the standard deviation of the in-sample seasonal differences and
  k the number of years ahead (1 for the first 52 weeks).
* ``AutoETS``: exponential smoothing state-space models (statsmodels ``ETSModel``),
  additive errors, no trend (A,N,N) or damped additive trend (A,Ad,N), chosen by AICc.
  A weekly season (52) is too long for ETS; statsforecast drops it too.
* ``AutoARIMA``: regression with ARIMA(p, d, 0) errors: a constant, Fourier terms of the
  year (K = 4, period 52.18 weeks) and the Finnish-holiday regressor; d by the KPSS test
  (5 %), p ∈ 0…3 by AICc of the autoregression fitted by least squares.
* ``MSTL``: statsmodels' MSTL decomposition (period 52) and AutoETS on the seasonally
  adjusted series; the forecast adds the last year's seasonal component.

**Finnish public holidays** are known future events: h_t = holidays on Monday–Friday of
week t (``holidays`` package, Finland). For AutoETS and MSTL the series is divided by
f_t = 1 − β h_t ÷ 5 before fitting and the forecast multiplied by the future f_t; β is the
mean drop of a holiday week against the mean of the weeks before and after it, per holiday
weekday (0 … 1, estimated on the training data). AutoARIMA has h_t as a regressor.

**Back-test** (rolling origin): the last ``origins`` × ``step`` weeks of the history are
forecast ``test_horizon`` weeks ahead from each origin, refitting every model on the
history before it. **MASE** = mean absolute error ÷ the in-sample mean absolute seasonal
difference (lag 52) of the training data of each origin (< 1: better than the seasonal
naive in sample). **Coverage** = share of the actual values inside the 95 % interval
(should be near 95 %).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from holidays import country_holidays

SEASON = 52
YEAR_WEEKS = 365.25 / 7
Z95 = 1.959963984540054
MODELS = ("SeasonalNaive", "AutoETS", "AutoARIMA", "MSTL")


class ForecastError(ValueError):
    """A series cannot be forecast (too short, bad values; the message says why)."""


@dataclass(frozen=True)
class Prediction:
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


@dataclass(frozen=True)
class BackTest:
    model: str
    mase: float
    coverage: float
    points: int


@dataclass
class SeriesForecast:
    """Forecasts of one series by every model, with their back-tests."""

    name: str
    weeks: list[date]
    history: np.ndarray
    horizon_weeks: list[date]
    predictions: dict[str, Prediction] = field(default_factory=dict)
    backtests: dict[str, BackTest] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def accuracy_rows(self) -> list[dict[str, object]]:
        base = self.backtests.get("SeasonalNaive")
        rows: list[dict[str, object]] = []
        for model, bt in self.backtests.items():
            rows.append({
                "series": self.name, "model": model, "mase": round(bt.mase, 3),
                "mase_vs_seasonal_naive": round(bt.mase / base.mase, 3)
                if base and base.mase > 0 else None,
                "coverage_95_pct": round(100 * bt.coverage, 1), "test_points": bt.points})
        for model, message in self.errors.items():
            rows.append({"series": self.name, "model": model, "mase": None,
                         "mase_vs_seasonal_naive": None, "coverage_95_pct": None,
                         "test_points": 0, "error": message})
        return rows

    def forecast_rows(self) -> list[dict[str, object]]:
        rows = []
        for i, week in enumerate(self.horizon_weeks):
            row: dict[str, object] = {"series": self.name, "week": week}
            for model, p in self.predictions.items():
                row[model] = round(float(p.mean[i]), 1)
                row[f"{model}_lo95"] = round(float(p.lo[i]), 1)
                row[f"{model}_hi95"] = round(float(p.hi[i]), 1)
            rows.append(row)
        return rows


# ---- calendar regressors -------------------------------------------------------------------


def holiday_weekdays(weeks: Sequence[date]) -> np.ndarray:
    """Finnish public holidays on Monday–Friday of each week (week = its Monday)."""
    years = sorted({w.year for w in weeks} | {(w + timedelta(days=6)).year for w in weeks})
    finland = country_holidays("FI", years=years)
    return np.array([sum(1 for k in range(5) if w + timedelta(days=k) in finland)
                     for w in weeks], dtype=float)


def holiday_beta(y: np.ndarray, h: np.ndarray) -> float:
    """Mean relative drop of a holiday week per holiday weekday, against the mean of the
    neighbouring weeks; 0 … 1."""
    drops = []
    for t in range(1, y.size - 1):
        if h[t] > 0 and h[t - 1] == 0 and h[t + 1] == 0:
            around = (y[t - 1] + y[t + 1]) / 2
            if around > 0:
                drops.append((1 - y[t] / around) / (h[t] / 5))
    if not drops:
        return 0.0
    return float(np.clip(np.mean(drops), 0.0, 1.0))


def _holiday_factor(h: np.ndarray, beta: float) -> np.ndarray:
    return np.maximum(1 - beta * h / 5, 0.05)


def _fourier(t: np.ndarray, k: int = 4) -> np.ndarray:
    return np.column_stack([f(2 * np.pi * j * t / YEAR_WEEKS) for j in range(1, k + 1)
                            for f in (np.sin, np.cos)])


# ---- models ---------------------------------------------------------------------------------


def seasonal_naive(y: np.ndarray, horizon: int) -> Prediction:
    if y.size < SEASON + 2:
        raise ForecastError(f"SeasonalNaive needs {SEASON + 2} weeks, got {y.size}")
    idx = np.arange(horizon)
    mean = y[y.size - SEASON + idx % SEASON]
    sigma = float(np.std(y[SEASON:] - y[:-SEASON], ddof=1))
    width = Z95 * sigma * np.sqrt(idx // SEASON + 1)
    return Prediction(mean, mean - width, mean + width)


def _ets(y: np.ndarray, horizon: int) -> Prediction:
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    best = None
    series = pd.Series(y)  # statsmodels' ETS predictions need an index
    for trend, damped in ((None, False), ("add", True)):
        try:
            fit = ETSModel(series, error="add", trend=trend, damped_trend=damped).fit(
                disp=False, maxiter=200)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.isfinite(fit.aicc) and (best is None or fit.aicc < best.aicc):
            best = fit
    if best is None:
        raise ForecastError("no ETS model could be fitted")
    frame = best.get_prediction(start=y.size, end=y.size + horizon - 1).summary_frame(
        alpha=0.05)
    return Prediction(frame["mean"].to_numpy(), frame["pi_lower"].to_numpy(),
                      frame["pi_upper"].to_numpy())


def auto_ets(y: np.ndarray, h_past: np.ndarray, h_future: np.ndarray,
             horizon: int) -> Prediction:
    beta = holiday_beta(y, h_past)
    f_past, f_future = _holiday_factor(h_past, beta), _holiday_factor(h_future, beta)
    p = _ets(y / f_past, horizon)
    return Prediction(p.mean * f_future, p.lo * f_future, p.hi * f_future)


def mstl(y: np.ndarray, h_past: np.ndarray, h_future: np.ndarray, horizon: int) -> Prediction:
    from statsmodels.tsa.seasonal import MSTL

    if y.size < 2 * SEASON:
        raise ForecastError(f"MSTL needs {2 * SEASON} weeks (two years), got {y.size}")
    beta = holiday_beta(y, h_past)
    f_past, f_future = _holiday_factor(h_past, beta), _holiday_factor(h_future, beta)
    adjusted = y / f_past
    seasonal = np.asarray(MSTL(adjusted, periods=[SEASON]).fit().seasonal).reshape(-1)
    p = _ets(adjusted - seasonal, horizon)
    idx = np.arange(horizon)
    future_season = seasonal[seasonal.size - SEASON + idx % SEASON]
    return Prediction((p.mean + future_season) * f_future, (p.lo + future_season) * f_future,
                      (p.hi + future_season) * f_future)


def _kpss_needs_difference(y: np.ndarray) -> bool:
    from statsmodels.tsa.stattools import kpss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # p-values outside the table are clipped: fine
        _, p_value, _, _ = kpss(y, regression="c", nlags="auto")
    return bool(p_value < 0.05)


def _ar_fit(u: np.ndarray, p: int) -> tuple[np.ndarray, float, float]:
    """AR(p) by least squares: coefficients, σ² and AICc (on the common sample)."""
    n = u.size - 3  # the same sample for every p ≤ 3
    target = u[3:]
    if p == 0:
        phi = np.zeros(0)
        resid = target
    else:
        lags = np.column_stack([u[3 - k:u.size - k] for k in range(1, p + 1)])
        phi, *_ = np.linalg.lstsq(lags, target, rcond=None)
        resid = target - lags @ phi
    sigma2 = float(resid @ resid / n)
    k = p + 1
    aicc = n * math.log(max(sigma2, 1e-12)) + 2 * k + 2 * k * (k + 1) / max(n - k - 1, 1)
    return phi, sigma2, aicc


def auto_arima(y: np.ndarray, h_past: np.ndarray, h_future: np.ndarray,
               horizon: int) -> Prediction:
    n = y.size
    if n < 30:
        raise ForecastError(f"AutoARIMA needs 30 weeks, got {n}")
    t_past = np.arange(n, dtype=float)
    t_future = np.arange(n, n + horizon, dtype=float)
    x_past = np.column_stack([np.ones(n), _fourier(t_past), h_past])
    x_future = np.column_stack([np.ones(horizon), _fourier(t_future), h_future])
    d = 1 if _kpss_needs_difference(y) else 0
    if d:
        target, design = np.diff(y), np.diff(x_past, axis=0)[:, 1:]  # no drift
        x_future_d = np.diff(np.vstack([x_past[-1:], x_future]), axis=0)[:, 1:]
    else:
        target, design, x_future_d = y, x_past, x_future
    beta, *_ = np.linalg.lstsq(design, target, rcond=None)
    u = target - design @ beta
    fits = [_ar_fit(u, p) for p in range(4)]
    phi, sigma2, _ = min(fits, key=lambda f: f[2])
    # forecast the AR errors, then psi weights of φ(B)(1 − B)^d for the interval
    history = list(u[-len(phi):]) if phi.size else []
    u_future = []
    for _ in range(horizon):
        value = float(sum(phi[k] * history[-1 - k] for k in range(phi.size))) if phi.size \
            else 0.0
        u_future.append(value)
        history.append(value)
    mean_d = x_future_d @ beta + np.array(u_future)
    psi = np.zeros(horizon)
    psi[0] = 1.0
    for j in range(1, horizon):
        psi[j] = sum(phi[k] * psi[j - 1 - k] for k in range(min(phi.size, j)))
    if d:
        psi = np.cumsum(psi)
        mean = y[-1] + np.cumsum(mean_d)
    else:
        mean = mean_d
    width = Z95 * np.sqrt(sigma2 * np.cumsum(psi**2))
    return Prediction(mean, mean - width, mean + width)


def _predict(model: str, y: np.ndarray, h_past: np.ndarray, h_future: np.ndarray,
             horizon: int) -> Prediction:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels convergence chatter
        if model == "SeasonalNaive":
            return seasonal_naive(y, horizon)
        if model == "AutoETS":
            return auto_ets(y, h_past, h_future, horizon)
        if model == "AutoARIMA":
            return auto_arima(y, h_past, h_future, horizon)
        if model == "MSTL":
            return mstl(y, h_past, h_future, horizon)
    raise ForecastError(f"model {model!r}: use one of {', '.join(MODELS)}")


def seasonal_scale(y: np.ndarray) -> float:
    """Mean absolute seasonal difference (lag 52): the MASE denominator."""
    if y.size <= SEASON:
        raise ForecastError(f"MASE needs more than {SEASON} weeks of training data")
    return float(np.mean(np.abs(y[SEASON:] - y[:-SEASON])))


def forecast_series(name: str, weeks: Sequence[date], y: Sequence[float], *,
                    horizon: int = 26, models: Sequence[str] = MODELS, origins: int = 3,
                    step: int = 13, test_horizon: int = 13) -> SeriesForecast:
    """Forecast ``y`` (one value per week, ``weeks`` their Mondays) ``horizon`` weeks ahead
    with each model, and back-test each model from ``origins`` rolling origins."""
    values = np.asarray(y, dtype=float)
    weeks = list(weeks)
    if len(weeks) != values.size:
        raise ForecastError(f"{len(weeks)} weeks but {values.size} values")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ForecastError(f"{name}: values must be finite and 0 or more")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ForecastError(f"model {unknown[0]!r}: use one of {', '.join(MODELS)}")
    if horizon < 1 or origins < 1 or step < 1 or test_horizon < 1:
        raise ForecastError("horizon, origins, step and test horizon must be 1 or more")
    needed = SEASON + 2 + (origins - 1) * step + test_horizon
    if values.size < needed:
        raise ForecastError(f"{name}: {values.size} weeks of history; the back-test needs "
                            f"{needed} (a year and the test weeks)")
    future = [weeks[-1] + timedelta(weeks=k + 1) for k in range(horizon)]
    h_all = holiday_weekdays(weeks + future)
    h_past, h_future = h_all[:values.size], h_all[values.size:]
    result = SeriesForecast(name, weeks, values, future)
    for model in models:
        try:
            result.predictions[model] = _predict(model, values, h_past, h_future, horizon)
            errors, scales, inside = [], [], []
            for o in range(origins):
                cut = values.size - test_horizon - (origins - 1 - o) * step
                train, test = values[:cut], values[cut:cut + test_horizon]
                p = _predict(model, train, h_all[:cut], h_all[cut:cut + test.size], test.size)
                errors.append(np.abs(test - p.mean))
                scales.append(np.full(test.size, seasonal_scale(train)))
                inside.append((test >= p.lo) & (test <= p.hi))
            e, s, ins = np.concatenate(errors), np.concatenate(scales), np.concatenate(inside)
            mase = float(np.mean(e / np.where(s > 0, s, np.nan)))
            result.backtests[model] = BackTest(model, mase, float(ins.mean()), int(e.size))
        except (ForecastError, ValueError, np.linalg.LinAlgError) as exc:
            result.predictions.pop(model, None)
            result.errors[model] = str(exc)
    return result
