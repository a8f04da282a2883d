"""Waiting-list summary over a window: the NHSRwaitinglist ``wl_stats`` figures, units right.

Input: one entry per patient who joined the list, with the moment they joined
(``referrals``) and the moment they left it (``removals``; ``None`` while still waiting),
as dates or date-times. The window is ``start`` … ``end``, both days included
(``end − start + 1`` days = ``window_weeks × 7``). Every rate is **per week** and every
wait is **in weeks**, the target included, so the pressure compares like with like.

Definitions (all within the window):

* ``demand`` = referrals dated in the window ÷ window_weeks [patients/week];
* ``throughput`` = removals dated in the window ÷ window_weeks [patients/week]; removals
  dated before ``start`` are not counted, whenever the patient joined;
* ``capacity`` = removals in the window ÷ the weeks of the window on which the list was
  non-empty at the end of the day [patients/week] (a list that empties cannot show its
  capacity; equals the throughput when it never empties);
* ``cv_demand`` = √(variance ÷ mean) of the referrals per whole week of the window (the
  7-day blocks from ``start``; an incomplete last block is left out); ``cv_capacity`` the
  same for the removals, over the blocks in which the list ended no day empty (at least 2
  blocks with a positive mean, else ``None``). For a renewal process this index of
  dispersion tends to the coefficient of variation of the times between events, the
  quantity Kingman's formula takes (1 for Poisson arrivals); unlike the gaps between dates,
  which NHSRwaitinglist uses, it is not inflated when many patients share a date;
* ``queue_size`` = patients waiting at the end of ``end``: joined on or before it and not
  removed by then;
* ``mean_wait`` = mean of (end − referral) over them, in weeks;
* ``load`` = demand ÷ capacity; ``target_queue_size`` = demand × target_wait ÷ 4;
  ``queue_too_big`` = queue_size > 2 × target_queue_size;
* ``target_capacity`` (only when the queue is not too big) from demand, the target and the
  two CVs (1 where a CV cannot be estimated); ``relief_capacity`` (only when it is too big)
  to reach the target size within ``time_to_target`` weeks;
* ``pressure`` = 2 × mean_wait ÷ target_wait, both in weeks.

The peer computes the mean wait in days but divides by a target in weeks (its pressure is 7×
too low), counts removals dated before the window, and takes its removal statistics over the
whole list whatever the window: each is done right here, and tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from sotekeskus.planning.queue_stats import (
    queue_load,
    relief_capacity,
    target_capacity,
    target_queue_size,
    waiting_list_pressure,
)

DAYS_PER_WEEK = 7.0
_EPOCH = datetime(1970, 1, 1)


class SummaryError(ValueError):
    """The entries or the window cannot be summarised (the message says which and why)."""


@dataclass(frozen=True)
class WaitingListSummary:
    """Statistics of one waiting list over a window (rates per week, waits in weeks)."""

    start: date
    end: date
    window_weeks: float
    target_wait_weeks: float
    referrals: int
    removals: int
    demand: float
    throughput: float
    capacity: float | None
    load: float | None
    load_too_big: bool | None
    cv_demand: float | None
    cv_capacity: float | None
    queue_size: int
    mean_wait_weeks: float | None
    target_queue_size: float
    queue_too_big: bool
    target_capacity: float | None
    relief_capacity: float | None
    time_to_target_weeks: float
    pressure: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _days(value: date | datetime | None, what: str, index: int) -> float:
    """Days since 1970-01-01 (fractional for a date-time); NaN for None."""
    if value is None:
        return float("nan")
    if isinstance(value, datetime):
        return (value - _EPOCH).total_seconds() / 86400.0
    if isinstance(value, date):
        return float((value - _EPOCH.date()).days)
    raise SummaryError(f"{what}[{index}]: {value!r} is not a date or date-time")


def _dispersion_cv(counts: np.ndarray) -> float | None:
    """√(variance ÷ mean) of counts per period (None with < 2 periods or a zero mean)."""
    if counts.size < 2:
        return None
    mean = float(counts.mean())
    if mean <= 0:
        return None
    return float(np.sqrt(counts.var(ddof=1) / mean))


def summarise_waiting_list(
    referrals: Sequence[date | datetime],
    removals: Sequence[date | datetime | None],
    *,
    start: date,
    end: date,
    target_wait_weeks: float,
    time_to_target_weeks: float = 26,
) -> WaitingListSummary:
    """Summary of the list whose patient ``i`` joined on ``referrals[i]`` and left on
    ``removals[i]`` (``None``: still waiting), over ``start`` … ``end`` (both included)."""
    if len(referrals) != len(removals):
        raise SummaryError(f"{len(referrals)} referrals but {len(removals)} removals: "
                           "give one removal (or None) per referral")
    ref = np.array([_days(v, "referrals", i) for i, v in enumerate(referrals)], dtype=float)
    rem = np.array([_days(v, "removals", i) for i, v in enumerate(removals)], dtype=float)
    if np.isnan(ref).any():
        i = int(np.flatnonzero(np.isnan(ref))[0])
        raise SummaryError(f"referrals[{i}] is empty: every entry needs the date it joined")
    bad = np.flatnonzero(rem < np.floor(ref))
    if bad.size:
        i = int(bad[0])
        raise SummaryError(f"entry {i}: removal {removals[i]} is before its referral "
                           f"{referrals[i]}")
    return summarise_days(ref, rem, start=start, end=end, target_wait_weeks=target_wait_weeks,
                          time_to_target_weeks=time_to_target_weeks)


def summarise_days(
    ref: np.ndarray,
    rem: np.ndarray,
    *,
    start: date,
    end: date,
    target_wait_weeks: float,
    time_to_target_weeks: float = 26,
) -> WaitingListSummary:
    """:func:`summarise_waiting_list` on arrays of days since 1970-01-01 (fractional for a
    time of day; ``rem`` NaN while waiting), already checked: rem ≥ floor(ref)."""
    if end < start:
        raise SummaryError(f"end {end} is before start {start}")
    lo = _days(start, "start", 0)
    hi = _days(end, "end", 0) + 1.0  # end of the last day
    weeks = (hi - lo) / DAYS_PER_WEEK

    in_ref = ref[(ref >= lo) & (ref < hi)]
    removed = ~np.isnan(rem)
    in_rem = rem[removed & (rem >= lo) & (rem < hi)]
    demand = in_ref.size / weeks
    throughput = in_rem.size / weeks

    # Queue size at the end of every day of the window (patients joined by then, not yet
    # removed), from day counts of joins and removals.
    n_days = int(round(hi - lo))
    day_ref = np.floor(ref - lo).astype(np.int64)
    day_rem = np.where(removed, np.floor(np.where(removed, rem, 0.0) - lo), np.inf)
    before = int((day_ref < 0).sum()) - int((day_rem < 0).sum())
    joins = np.bincount(day_ref[(day_ref >= 0) & (day_ref < n_days)], minlength=n_days)
    leave_days = day_rem[(day_rem >= 0) & (day_rem < n_days)].astype(np.int64)
    leaves = np.bincount(leave_days, minlength=n_days)
    size_by_day = before + np.cumsum(joins - leaves)
    busy_days = int((size_by_day > 0).sum())
    capacity = in_rem.size / (busy_days / DAYS_PER_WEEK) if busy_days else None

    n_blocks = n_days // 7
    ref_blocks = np.floor((in_ref - lo) / DAYS_PER_WEEK).astype(np.int64)
    rem_blocks = np.floor((in_rem - lo) / DAYS_PER_WEEK).astype(np.int64)
    weekly_ref = np.bincount(ref_blocks[ref_blocks < n_blocks], minlength=n_blocks)
    weekly_rem = np.bincount(rem_blocks[rem_blocks < n_blocks], minlength=n_blocks)
    busy_block = (size_by_day[: n_blocks * 7].reshape(n_blocks, 7) > 0).all(axis=1)
    cv_demand = _dispersion_cv(weekly_ref[:n_blocks])
    cv_capacity = _dispersion_cv(weekly_rem[:n_blocks][busy_block])

    waiting = (ref < hi) & (~removed | (rem >= hi))
    queue_size = int(waiting.sum())
    end_day = _days(end, "end", 0)
    mean_wait = (float((end_day - np.floor(ref[waiting])).mean()) / DAYS_PER_WEEK
                 if queue_size else None)

    load = queue_load(demand, capacity) if capacity else None
    tqs = target_queue_size(demand, target_wait_weeks)
    too_big = queue_size > 2 * tqs
    t_cap = None if too_big else target_capacity(
        demand, target_wait_weeks, 4,
        1.0 if cv_demand is None else cv_demand, 1.0 if cv_capacity is None else cv_capacity)
    r_cap = relief_capacity(demand, queue_size, tqs, time_to_target_weeks) if too_big else None
    pressure = (waiting_list_pressure(mean_wait, target_wait_weeks)
                if mean_wait is not None else None)
    return WaitingListSummary(
        start=start, end=end, window_weeks=weeks, target_wait_weeks=float(target_wait_weeks),
        referrals=int(in_ref.size), removals=int(in_rem.size), demand=demand,
        throughput=throughput, capacity=capacity, load=load,
        load_too_big=None if load is None else load >= 1.0,
        cv_demand=cv_demand, cv_capacity=cv_capacity, queue_size=queue_size,
        mean_wait_weeks=mean_wait, target_queue_size=tqs, queue_too_big=too_big,
        target_capacity=t_cap, relief_capacity=r_cap,
        time_to_target_weeks=float(time_to_target_weeks), pressure=pressure)
