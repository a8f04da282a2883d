"""Care debt (hoito-, kuntoutus- ja palveluvelka): the pandemic deficit and the backlog.

**Pandemic deficit** per service area × professional group (× age group): how many visits
(or contacts) did not happen in a window against the pre-pandemic pattern, and how much of
that was made up afterwards.

* Monthly counts: *visits* = done episodes by the month of ``visit_at``; *contacts* =
  all episodes by the month of ``contact_at``. Age = completed years on the contact date.
* The pre-pandemic pattern is fitted on the months before ``fit_until`` (default 2020-03):
  log(count ÷ working days) = a + b × month index + Fourier terms of the calendar year
  (K pairs, K ≤ 5, chosen by AICc among those leaving at least 4 residual degrees of
  freedom), least squares. Working days = Monday–Friday that are not Finnish public
  holidays (``holidays`` package). **Expected** for a month = exp(prediction + σ²/2) ×
  its working days, σ² the residual variance (the mean of a log-normal).
* **Deficit** over the window = Σ expected − Σ actual (positive: visits that did not
  happen). **Catch-up** = Σ (actual − expected) over the months after the window up to the
  last whole month of the data (positive: made up); **remaining** = deficit − catch-up.
* **Uncertainty band** (95 %): 2 000 draws of the coefficients from their estimated normal
  distribution and of each month's log-normal noise; the 2.5 % and 97.5 % points of the
  drawn deficits (and catch-ups). A short pre-pandemic history gives a wide band: the
  trend is extrapolated over years.

**Backlog debt** on a date per service area × professional group: persons waiting, those
past the regional target and the legal limit, the patient-weeks beyond each (Σ days past
the deadline ÷ 7), and the relief capacity that brings the list to its target size by a
date (:func:`~sotekeskus.planning.queue_stats.relief_capacity`, demand from the last 26
weeks; in patients per week).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
from holidays import country_holidays

from sotekeskus.domain.indicators import AGE_GROUPS
from sotekeskus.planning.queue_stats import (
    QueueStatsError,
    relief_capacity,
    target_queue_size,
)
from sotekeskus.planning.source import PlanningSource

MEASURES = ("visits", "contacts")
PANDEMIC_START = "2020-03"
DRAWS = 2000
ALL = "all"


class CareDebtError(ValueError):
    """Bad input to the care-debt analysis (the message names the option and value)."""


def _month_index(month: str) -> int:
    year, mon = (int(p) for p in month.split("-"))
    return year * 12 + mon - 1


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(value: str, option: str) -> str:
    try:
        year, mon = value.split("-")
        if len(year) != 4 or len(mon) != 2 or not 1 <= int(mon) <= 12:
            raise ValueError
        int(year)
    except ValueError:
        raise CareDebtError(f"{option} {value!r}: not a month YYYY-MM") from None
    return value


def working_days(months: Sequence[int]) -> np.ndarray:
    """Monday–Friday that are not Finnish public holidays, per month index."""
    years = sorted({m // 12 for m in months})
    finland = country_holidays("FI", years=years)
    out = []
    for m in months:
        day = date(m // 12, m % 12 + 1, 1)
        count = 0
        while day.month == m % 12 + 1:
            if day.weekday() < 5 and day not in finland:
                count += 1
            day += timedelta(days=1)
        out.append(count)
    return np.array(out, dtype=float)


def monthly_counts(source: PlanningSource, measure: str = "visits", *,
                   by_age: bool = False, service_areas: Sequence[str] | None = None,
                   professional_groups: Sequence[str] | None = None) -> pa.Table:
    """``service_area, professional_group[, age_group], month, count``."""
    if measure not in MEASURES:
        raise CareDebtError(f"--measure {measure!r}: use one of {', '.join(MEASURES)}")
    e = source.episodes()
    if service_areas:
        e = e.filter(e.service_area.isin(list(service_areas)))
    if professional_groups:
        e = e.filter(e.professional_group.isin(list(professional_groups)))
    if measure == "visits":
        e = e.filter(e.status == "done", e.visit_at.notnull())
        month = e.visit_at.strftime("%Y-%m")
    else:
        month = e.contact_at.strftime("%Y-%m")
    keys = {"service_area": e.service_area, "professional_group": e.professional_group,
            "month": month}
    if by_age:
        contact = e.contact_at.date()
        cases = []
        for label, (lo, hi) in AGE_GROUPS.items():
            cond = e.birth_date + ibis.interval(years=lo) <= contact
            if hi is not None:
                cond = cond & (e.birth_date + ibis.interval(years=hi) > contact)
            cases.append((cond, label))
        keys["age_group"] = ibis.cases(*cases, else_=ibis.null("string"))
    grouped = e.mutate(**keys).group_by(list(keys)).aggregate(count=ibis._.count())
    return grouped.to_pyarrow()


@dataclass(frozen=True)
class Fit:
    """The pre-pandemic model of one series."""

    beta: np.ndarray
    cov: np.ndarray
    sigma2: float
    k: int
    n: int
    origin: int  #: month index of the first fitted month
    trend: bool = True

    def design(self, months: np.ndarray) -> np.ndarray:
        t = (months - self.origin).astype(float)
        columns = [np.ones(months.size)] + ([t] if self.trend else [])
        for j in range(1, self.k + 1):
            angle = 2 * np.pi * j * (months % 12) / 12
            columns += [np.sin(angle), np.cos(angle)]
        return np.column_stack(columns)


def fit_pattern(months: np.ndarray, counts: np.ndarray, workdays: np.ndarray,
                trend: bool | None = None) -> Fit:
    """Log-linear level (+ trend) + Fourier season on count per working day (module
    docstring). ``trend`` None: a trend only with 24 months or more (with less, a trend
    cannot be told from the season)."""
    keep = (counts > 0) & (workdays > 0)
    months, y = months[keep], np.log(counts[keep] / workdays[keep])
    n = months.size
    if n < 8:
        raise CareDebtError(f"the pre-pandemic pattern needs 8 months with visits, got {n}")
    with_trend = n >= 24 if trend is None else trend
    origin = int(months.min())
    best: Fit | None = None
    best_aicc = math.inf
    for k in range(0, 6):
        p = 1 + int(with_trend) + 2 * k
        if n - p < 4:
            break
        probe = Fit(np.zeros(p), np.eye(p), 0.0, k, n, origin, with_trend)
        x = probe.design(months)
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ beta
        sigma2 = float(resid @ resid / (n - p))
        aicc = n * math.log(max(float(resid @ resid) / n, 1e-12)) + 2 * p + \
            2 * p * (p + 1) / (n - p - 1)
        if aicc < best_aicc:
            xtx_inv = np.linalg.pinv(x.T @ x)
            best = Fit(beta, sigma2 * xtx_inv, sigma2, k, n, origin, with_trend)
            best_aicc = aicc
    assert best is not None
    return best


@dataclass(frozen=True)
class DebtEstimate:
    expected: float
    actual: int
    deficit: float
    deficit_lo: float
    deficit_hi: float
    catch_up: float | None
    catch_up_lo: float | None
    catch_up_hi: float | None
    months_after: int


def _draws(fit: Fit, months: np.ndarray, workdays: np.ndarray,
           rng: np.random.Generator) -> np.ndarray:
    """(DRAWS × months) simulated expected counts."""
    x = fit.design(months)
    beta = rng.multivariate_normal(fit.beta, fit.cov, size=DRAWS, method="eigh")
    noise = rng.normal(0.0, math.sqrt(fit.sigma2), size=(DRAWS, months.size))
    result: np.ndarray = np.exp(beta @ x.T + noise) * workdays
    return result


def estimate_debt(fit: Fit, months: np.ndarray, counts: np.ndarray, window: tuple[int, int],
                  after_until: int | None, seed: int = 1) -> DebtEstimate:
    """Deficit over ``window`` (month indices, inclusive) and catch-up after it."""
    rng = np.random.default_rng(seed)
    lo, hi = window
    wmonths = np.arange(lo, hi + 1)
    actual_by_month = dict(zip(months.tolist(), counts.tolist(), strict=True))
    actual = np.array([actual_by_month.get(m, 0) for m in wmonths], dtype=float)
    wd = working_days(wmonths.tolist())
    x = fit.design(wmonths)
    expected = float((np.exp(x @ fit.beta + fit.sigma2 / 2) * wd).sum())
    draws = _draws(fit, wmonths, wd, rng).sum(axis=1) - actual.sum()
    catch, c_lo, c_hi, n_after = None, None, None, 0
    if after_until is not None and after_until > hi:
        amonths = np.arange(hi + 1, after_until + 1)
        a_actual = np.array([actual_by_month.get(m, 0) for m in amonths], dtype=float)
        awd = working_days(amonths.tolist())
        a_expected = float((np.exp(fit.design(amonths) @ fit.beta + fit.sigma2 / 2)
                            * awd).sum())
        catch = float(a_actual.sum() - a_expected)
        c_draws = a_actual.sum() - _draws(fit, amonths, awd, rng).sum(axis=1)
        c_lo, c_hi = float(np.percentile(c_draws, 2.5)), float(np.percentile(c_draws, 97.5))
        n_after = int(amonths.size)
    return DebtEstimate(
        expected=expected, actual=int(actual.sum()), deficit=expected - float(actual.sum()),
        deficit_lo=float(np.percentile(draws, 2.5)), deficit_hi=float(np.percentile(draws, 97.5)),
        catch_up=catch, catch_up_lo=c_lo, catch_up_hi=c_hi, months_after=n_after)


def pandemic_deficit(counts: pa.Table, *, window_from: str, window_to: str,
                     fit_until: str = PANDEMIC_START, data_until: str | None = None,
                     totals: bool = True, skip_first_months: int = 0,
                     seed: int = 1) -> list[dict[str, Any]]:
    """One row per series of :func:`monthly_counts` (see the module docstring), and with
    ``totals`` one per service area over its professional groups (``professional_group``
    ``all``, fitted on the area's own total).

    ``data_until``: the last whole month of the data (catch-up runs to it).
    ``skip_first_months``: months at the start of each series left out of the fit (visits
    of episodes that began before the data are missing there: use 3 for visits)."""
    lo, hi = _month_index(window_from), _month_index(window_to)
    if hi < lo:
        raise CareDebtError(f"--to {window_to} is before --from {window_from}")
    cut = _month_index(fit_until)
    if lo < cut:
        raise CareDebtError(f"--from {window_from} is before the end of the fitted pattern "
                            f"({fit_until}): the window must come after the months fitted")
    until = _month_index(data_until) if data_until else None
    keys = [c for c in ("service_area", "professional_group", "age_group")
            if c in counts.column_names]
    data = counts.to_pylist()
    series: dict[tuple[str, ...], dict[int, int]] = {}
    for row in data:
        if any(row[k] is None for k in keys):
            continue
        key = tuple(row[k] for k in keys)
        month = _month_index(row["month"])
        series.setdefault(key, {})[month] = int(row["count"])
        if totals:
            total = series.setdefault((key[0], ALL, *key[2:]), {})
            total[month] = total.get(month, 0) + int(row["count"])
    rows = []
    for key in sorted(series):
        by_month = series[key]
        first = min(by_month) + skip_first_months
        pre = np.arange(first, cut)
        out: dict[str, Any] = dict(zip(keys, key, strict=True))
        out.update(window_from=window_from, window_to=window_to)
        if pre.size == 0:
            out["note"] = "no months before the pandemic"
            rows.append(out)
            continue
        pre_counts = np.array([by_month.get(m, 0) for m in pre], dtype=float)
        try:
            fit = fit_pattern(pre, pre_counts, working_days(pre.tolist()))
        except CareDebtError as exc:
            out["note"] = str(exc)
            rows.append(out)
            continue
        months = np.array(sorted(by_month))
        counts_arr = np.array([by_month[m] for m in months], dtype=float)
        est = estimate_debt(fit, months, counts_arr, (lo, hi), until, seed)
        out.update(
            expected=round(est.expected, 1), actual=est.actual, deficit=round(est.deficit, 1),
            deficit_lo=round(est.deficit_lo, 1), deficit_hi=round(est.deficit_hi, 1),
            deficit_pct=round(100 * est.deficit / est.expected, 1) if est.expected else None,
            catch_up=None if est.catch_up is None else round(est.catch_up, 1),
            catch_up_lo=None if est.catch_up_lo is None else round(est.catch_up_lo, 1),
            catch_up_hi=None if est.catch_up_hi is None else round(est.catch_up_hi, 1),
            catch_up_until=_month_label(until) if est.months_after else None,
            remaining=None if est.catch_up is None else round(est.deficit - est.catch_up, 1),
            fitted_months=fit.n, fitted_from=_month_label(fit.origin),
            fourier_terms=fit.k)
        rows.append(out)
    return rows


# ---- backlog debt ---------------------------------------------------------------------------


def backlog_debt(entries: pa.Table, *, on: date, clear_by: date | None = None,
                 target_wait_days: float | None = None,
                 demand_weeks: int = 26) -> list[dict[str, Any]]:
    """Per service area × professional group (pooled over units), the non-urgent list at
    the end of ``on`` (see the module docstring). With ``target_wait_days`` the target is
    that wait for everyone; else each person's regional-target deadline (if any)."""
    from sotekeskus.planning.queues import day_number

    if clear_by is not None and clear_by <= on:
        raise CareDebtError(f"--clear-by {clear_by} is not after {on}")
    end = day_number(on)
    urgent = entries["urgent"].fill_null(False).to_numpy(zero_copy_only=False)
    a = entries["arrival_day"].to_numpy().astype(float)
    r = entries["removal_day"].to_numpy(zero_copy_only=False).astype(float)
    legal = entries["legal_deadline_day"].to_numpy(zero_copy_only=False).astype(float)
    target = entries["target_deadline_day"].to_numpy(zero_copy_only=False).astype(float)
    if target_wait_days is not None:
        target = a + target_wait_days
    area = np.array(entries["service_area"].to_pylist(), dtype=object)
    group = np.array(entries["professional_group"].to_pylist(), dtype=object)
    waiting = ~urgent & (a <= end) & (np.isnan(r) | (r > end))
    recent = ~urgent & (a > end - 7 * demand_weeks) & (a <= end)
    rows = []
    for key in sorted(set(zip(area[waiting | recent], group[waiting | recent], strict=True))):
        sel = (area == key[0]) & (group == key[1])
        w = sel & waiting
        past_legal = w & ~np.isnan(legal) & (legal < end)
        past_target = w & ~np.isnan(target) & (target < end)
        demand = float((sel & recent).sum()) / demand_weeks
        row: dict[str, Any] = {
            "service_area": key[0], "professional_group": key[1], "on": on,
            "waiting": int(w.sum()), "past_target": int(past_target.sum()),
            "past_legal_limit": int(past_legal.sum()),
            "patient_weeks_past_target": round(float((end - target[past_target]).sum()) / 7, 1),
            "patient_weeks_past_legal_limit": round(float((end - legal[past_legal]).sum()) / 7,
                                                    1),
            "demand_per_week": round(demand, 2), "relief_capacity_per_week": None,
            "clear_by": clear_by,
        }
        if clear_by is not None and target_wait_days is not None:
            tqs = target_queue_size(demand, target_wait_days / 7)
            try:
                row["relief_capacity_per_week"] = round(relief_capacity(
                    demand, int(w.sum()), tqs, (clear_by - on).days / 7), 2)
            except QueueStatsError:
                row["relief_capacity_per_week"] = round(demand, 2)  # already below target
            row["target_queue_size"] = round(tqs, 1)
        rows.append(row)
    return rows
