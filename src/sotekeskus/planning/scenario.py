"""A simulation scenario for a real queue, estimated from its history, and what-ifs on it.

:func:`estimate_scenario` builds a :class:`~sotekeskus.planning.simulation.Scenario` that
starts the day after ``on`` from the list waiting at the end of ``on``. Every figure comes
from the queue's entries (:mod:`.queues`), over the ``history_weeks`` before ``on`` unless
said otherwise; each is reported in :class:`Estimates` with how it was obtained:

* **Daily arrival model** per class (non-urgent, urgent): expected arrivals on a day =
  level × month factor × weekday factor × (holiday factor on a Finnish public holiday).
  Weekday factors: mean arrivals on non-holiday days of each weekday ÷ their mean. Month
  factors by classical decomposition (three years of history or more): the mean of
  (arrivals ÷ weekday factor) over the non-holiday days of each month of the history,
  divided by its centred 2×12-month moving average (the trend), averaged per calendar
  month; with one to three years, the last 12 months ÷ their mean; with less, 1.
  Holiday factor: arrivals on holidays ÷ what the weekday and month factors expect on them
  (relative to the same ratio on normal days). Level: from the last ``window_weeks`` (arrivals ÷ the
  sum of the factors of those days). The scenario's weekly rates are these summed over a
  normal week of each week's month (holidays are applied day by day in the simulation).
* **Own capacity**: patients served (non-urgent and urgent) per open day in the last
  ``window_weeks`` × 5 = appointments per normal week, divided by the mean month factor of
  capacity of those weeks and multiplied, week by week, by the month factor of the week
  (capacity month factors: served per open day by month, decomposed the same way — the
  summer dip). What a list serves is its capacity only while it never runs empty; the
  estimate is low for a list that does.
* **Cancellations**: patients who left unserved in the last ``window_weeks`` ÷ the
  person-weeks waited in them (the sum of the week-end sizes) = the hazard per person-week.
* **Lead time**: the 5th percentile of the days from arrival to the appointment of the
  patients served in the last ``window_weeks`` (nobody is booked sooner).
* **Legal limit** of new arrivals: the median of (legal deadline − arrival date + 1) over
  the recent arrivals; for today's list, each person's own legal deadline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from holidays import country_holidays

from sotekeskus.planning.queues import QueueError, QueueId, day_number, from_day_number
from sotekeskus.planning.simulation import Calendar, CapacityStream, Scenario, SimulationError


@dataclass(frozen=True)
class ExtraCapacity:
    """Capacity added from ``start`` to ``end`` (both included; whole weeks from the
    scenario's start that overlap the period get it)."""

    name: str
    per_week: float
    start: date
    end: date
    cost_per_patient: float = 0.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.per_week) or self.per_week < 0:
            raise SimulationError(f"extra capacity {self.name}: per_week {self.per_week!r} "
                                  "must be 0 or more")
        if self.end < self.start:
            raise SimulationError(f"extra capacity {self.name}: ends {self.end} before it "
                                  f"starts {self.start}")
        if self.cost_per_patient < 0:
            raise SimulationError(f"extra capacity {self.name}: cost per patient must be 0 "
                                  "or more")


@dataclass(frozen=True)
class Estimates:
    """What the scenario was estimated from (for the report)."""

    queue: QueueId
    on: date
    history: tuple[date, date]
    window: tuple[date, date]
    waiting_now: int
    arrivals_per_week: dict[str, float]
    weekday_factors: list[float]
    month_factors: list[float]
    holiday_factor: float
    capacity_per_week: float
    capacity_month_factors: list[float]
    renege_per_week: float
    min_lead_days: float
    legal_limit_days: float | None
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        def r(name: str, value: Any, how: str) -> dict[str, Any]:
            if isinstance(value, float):
                value = round(value, 3)
            return {"estimate": name, "value": value, "how": how}

        h0, h1 = self.history
        w0, w1 = self.window
        return [
            r("queue", str(self.queue), "service area / professional group / unit"),
            r("start_list", self.waiting_now, f"non-urgent patients waiting at the end of "
              f"{self.on}, each with the days already waited"),
            r("arrivals_per_week", self.arrivals_per_week["non_urgent"],
              f"non-urgent, a normal week at the level of {w0} … {w1}, before month factors"),
            r("urgent_per_week", self.arrivals_per_week["urgent"],
              "urgent patients of the same group (served first), same basis"),
            r("weekday_factors", " ".join(f"{v:.2f}" for v in self.weekday_factors),
              f"Mon…Sun, mean arrivals per non-holiday weekday {h0} … {h1}"),
            r("month_factors", " ".join(f"{v:.2f}" for v in self.month_factors),
              "Jan…Dec, weekday-adjusted arrivals by month ÷ the 2×12 moving average"),
            r("holiday_factor", self.holiday_factor,
              "arrivals on Finnish public holidays ÷ expected on such a weekday"),
            r("capacity_per_week", self.capacity_per_week,
              f"served per open day {w0} … {w1} × 5, before month factors"),
            r("capacity_month_factors",
              " ".join(f"{v:.2f}" for v in self.capacity_month_factors),
              "Jan…Dec, served per open day by month ÷ the 2×12 moving average"),
            r("cancellations_per_person_week", self.renege_per_week,
              "left unserved ÷ person-weeks waited in the window"),
            r("min_lead_days", self.min_lead_days,
              "5th percentile of arrival → appointment of those served in the window"),
            r("legal_limit_days", self.legal_limit_days,
              "median legal deadline − arrival + 1 of recent arrivals"),
        ]


def _daily(days: np.ndarray, first: int, n: int) -> np.ndarray:
    keep = (days >= first) & (days < first + n)
    return np.bincount((days[keep] - first).astype(np.int64), minlength=n).astype(float)


def _month_factors(values: np.ndarray, dates: list[date], use: np.ndarray) -> np.ndarray:
    """Month-of-year factors (12, mean 1) of a daily series.

    With 36 months of history or more, by classical decomposition: the mean per used day
    of each month, divided by its centred 2×12-month moving average (the trend), averaged
    per calendar month. With 12–35 months: the last 12 months' means ÷ their mean (a trend
    within that year is read as season). With less: all 1."""
    keys = np.array([d.year * 12 + d.month - 1 for d in dates])
    months = np.unique(keys)
    means = np.array([values[use & (keys == k)].mean() if (use & (keys == k)).any()
                      else np.nan for k in months])
    if months.size < 12 or np.isnan(means[-12:]).any() or (means[-12:] <= 0).any():
        return np.ones(12)
    if months.size < 36 or np.isnan(means).any() or (means <= 0).any():
        last = means[-12:]
        factors = np.empty(12)
        factors[months[-12:] % 12] = last / last.mean()
        return factors
    weights = np.r_[0.5, np.ones(11), 0.5] / 12
    trend = np.convolve(means, weights, mode="valid")  # centred on months 6 … n-7
    ratio = means[6:months.size - 6] / trend
    of = months[6:months.size - 6] % 12
    factors = np.array([ratio[of == m].mean() if (of == m).any() else 1.0 for m in range(12)])
    result: np.ndarray = factors / factors.mean()
    return result


def _factors(counts: np.ndarray, dates: list[date],
             holiday: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Weekday factors (7, mean 1), month factors (12, mean 1) and the holiday factor of
    daily arrival counts."""
    dow = np.array([d.weekday() for d in dates])
    month = np.array([d.month - 1 for d in dates])
    normal = ~holiday
    weekday = np.array([counts[normal & (dow == k)].mean() if (normal & (dow == k)).any()
                        else 0.0 for k in range(7)])
    weekday = weekday / weekday.mean() if weekday.mean() > 0 else np.ones(7)
    active = normal & (weekday[dow] > 0)
    adjusted = np.divide(counts, weekday[dow], out=np.zeros_like(counts),
                         where=weekday[dow] > 0)
    months = _month_factors(adjusted, dates, active)
    expected = weekday[dow] * months[month]
    on_holiday = holiday & (expected > 0)
    h = 1.0
    if on_holiday.any() and counts[normal].sum() > 0 and expected[on_holiday].sum() > 0:
        # observed ÷ expected on holidays, relative to the same ratio on normal days
        normal_ratio = counts[normal].sum() / expected[normal].sum()
        h = counts[on_holiday].sum() / expected[on_holiday].sum() / normal_ratio
    return weekday, months, float(h)


def estimate_scenario(
    entries: pa.Table,
    queue: QueueId,
    *,
    on: date,
    weeks: int = 52,
    target_days: float | None = None,
    history_weeks: int = 156,
    window_weeks: int = 13,
    own_cost_per_patient: float = 0.0,
    extras: tuple[ExtraCapacity, ...] = (),
    arrivals_factor: float = 1.0,
    own_capacity_per_week: float | None = None,
) -> tuple[Scenario, Estimates]:
    """The scenario of ``queue`` from the list at the end of ``on`` (module docstring)."""
    if weeks < 1:
        raise SimulationError(f"weeks must be 1 or more, got {weeks}")
    if window_weeks < 2 or history_weeks < window_weeks:
        raise SimulationError("window_weeks must be 2 or more and history_weeks at least that")
    if not math.isfinite(arrivals_factor) or arrivals_factor < 0:
        raise SimulationError(f"arrivals factor {arrivals_factor!r} must be 0 or more")
    mask = pc.and_(pc.equal(entries["service_area"], queue.service_area),
                   pc.equal(entries["professional_group"], queue.professional_group))
    if queue.unit_id is not None:
        mask = pc.and_(mask, pc.equal(entries["unit_id"], queue.unit_id))
    rows = entries.filter(mask)
    if rows.num_rows == 0:
        raise QueueError(f"no queue {queue} in the data (no entries for it)")
    urgent = rows["urgent"].fill_null(False).to_numpy(zero_copy_only=False)
    a = rows["arrival_day"].to_numpy().astype(np.int64)
    r = rows["removal_day"].to_numpy(zero_copy_only=False).astype(np.float64)
    served = rows["served"].fill_null(False).to_numpy(zero_copy_only=False) & ~np.isnan(r)
    legal = rows["legal_deadline_day"].to_numpy(zero_copy_only=False).astype(np.float64)
    end = day_number(on)
    # the history: history_weeks before `on`, but not before the queue's first entry
    first = max(end - 7 * history_weeks + 1, int(a.min()))
    first = min(first, end - 7 * window_weeks + 1)
    n_days = end - first + 1
    dates = [from_day_number(first + i) for i in range(n_days)]
    finland = country_holidays("FI", years=sorted({d.year for d in dates}))
    holiday = np.array([d in finland for d in dates], dtype=bool)
    w_first = end - 7 * window_weeks + 1
    in_window = np.arange(first, end + 1) >= w_first
    notes: list[str] = []

    arrivals_per_week: dict[str, float] = {}
    weekday = months = None
    h_factor = 1.0
    weekly_rates: dict[str, list[float]] = {}
    start = on + timedelta(days=1)
    week_months = [(start + timedelta(days=7 * w + 3)).month - 1 for w in range(weeks)]
    for cls, sel in (("non_urgent", ~urgent), ("urgent", urgent)):
        counts = _daily(a[sel], first, n_days)
        wd, mo, h = _factors(counts, dates, holiday)
        dow = np.array([d.weekday() for d in dates])
        mon = np.array([d.month - 1 for d in dates])
        expected = wd[dow] * mo[mon] * np.where(holiday, h, 1.0)
        denom = expected[in_window].sum()
        level = counts[in_window].sum() / denom if denom > 0 else 0.0  # per day, factor 1
        per_week = level * wd.sum()  # a normal week at month factor 1
        arrivals_per_week[cls] = per_week * arrivals_factor
        weekly_rates[cls] = [per_week * mo[m] * arrivals_factor for m in week_months]
        if cls == "non_urgent":
            weekday, months, h_factor = wd, mo, h
    assert weekday is not None and months is not None
    shares = weekday / weekday.sum() if weekday.sum() > 0 else np.full(7, 1 / 7)

    # own capacity from what was served per open day
    served_days = r[served].astype(np.int64)
    s_counts = _daily(served_days, first, n_days)
    open_day = np.array([d.weekday() < 5 for d in dates]) & ~holiday
    mon = np.array([d.month - 1 for d in dates])
    cap_months = _month_factors(s_counts, dates, open_day)
    window_open = open_day & in_window
    if own_capacity_per_week is None:
        base = (s_counts[window_open].sum() / max(window_open.sum(), 1)) * 5
        base /= float(cap_months[mon[window_open]].mean()) if window_open.any() else 1.0
    else:
        base = float(own_capacity_per_week)
        notes.append("own capacity given, not estimated")
    own = [base * cap_months[m] for m in week_months]

    # today's list (non-urgent, arrived by the end of `on`, not removed by then)
    nu = ~urgent
    waiting = nu & (a <= end) & (np.isnan(r) | (r > end))
    waits = (end + 1 - a[waiting]).astype(float)  # days waited by the start (00:00)
    deadline_days = legal[waiting] - (end + 1) + 1  # end of the deadline day, from start
    deadline_days = np.where(np.isnan(deadline_days), np.inf, deadline_days)

    # cancellations per person-week in the window
    left = nu & ~np.isnan(r) & ~served & (r >= w_first) & (r <= end)
    week_ends = np.arange(w_first + 6, end + 1, 7)
    person_weeks = sum(int((nu & (a <= e) & (np.isnan(r) | (r > e))).sum()) for e in week_ends)
    renege = float(left.sum()) / person_weeks if person_weeks else 0.0
    recent_served = nu & served & (r >= w_first) & (r <= end)
    lead = float(np.percentile(r[recent_served] - a[recent_served], 5)) \
        if recent_served.any() else 0.0
    recent = nu & (a >= w_first) & (a <= end) & ~np.isnan(legal)
    limit = float(np.median(legal[recent] - a[recent] + 1)) if recent.any() else None

    capacity = [CapacityStream("own", own, own_cost_per_patient)]
    for extra in extras:
        per_week = []
        for w in range(weeks):
            w0 = start + timedelta(days=7 * w)
            w1 = w0 + timedelta(days=6)
            per_week.append(extra.per_week if (w0 <= extra.end and w1 >= extra.start) else 0.0)
        capacity.append(CapacityStream(extra.name, per_week, extra.cost_per_patient))
    scenario = Scenario(
        start=start, weeks=weeks, calendar=Calendar.finnish(start, 7 * weeks),
        weekly_arrivals=weekly_rates, capacity=tuple(capacity),
        initial_waits=waits.tolist(), initial_deadlines=deadline_days.tolist(),
        legal_limit_days=limit, target_days=target_days, renege_per_week=renege,
        weekday_shares=tuple(float(x) for x in shares), holiday_factor=h_factor,
        min_lead_days=max(lead, 0.0), name=str(queue))
    estimates = Estimates(
        queue=queue, on=on, history=(from_day_number(first), on),
        window=(from_day_number(w_first), on), waiting_now=int(waiting.sum()),
        arrivals_per_week=arrivals_per_week, weekday_factors=weekday.tolist(),
        month_factors=months.tolist(), holiday_factor=h_factor, capacity_per_week=base,
        capacity_month_factors=cap_months.tolist(), renege_per_week=renege,
        min_lead_days=max(lead, 0.0), legal_limit_days=limit, notes=notes)
    return scenario, estimates


def without_extras(scenario: Scenario) -> Scenario:
    """The same scenario with only the first (own) capacity stream: doing nothing."""
    return replace(scenario, capacity=scenario.capacity[:1], name=f"{scenario.name} (as is)")
