"""Waiting lists of the synthetic region: weekly capacity meets weekly demand, FCFS.

The queue model itself (the weekly recursion and the placing of patients) is
:mod:`sotekeskus.planning.queue_model`; this module builds its inputs from the calibration
(planned demand, capacity ratios, booking horizons, noise) and turns its output into visit
days and the planted truth.

Every non-urgent, unplanned episode joins a queue (unit x service area x professional group x
lane) on its assessment day. Each queue has a weekly capacity; a routine lane also keeps a
booking horizon (it books that many weeks of demand ahead before it serves), and starts the
period with a backlog. Per week::

    available = backlog[w-1] + arrivals[w]
    served[w] = clip(available - horizon_backlog, 0, capacity[w])
    backlog[w] = available - served[w]

The recursion runs over weeks, vectorised over all queues. Each episode's place in its queue
is its rank in assessment order (after the start backlog); the week in which cumulative
service passes that rank is its visit week (one ``searchsorted`` over all queues), and its
position within that week's service picks the weekday. So waits lengthen exactly when demand
outruns capacity, and shorten when relief capacity clears the backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sotekeskus.planning.queue_model import fluid_queues, queue_positions
from sotekeskus.synth.calibration import AREAS, GROUPS, LANES, Calibration
from sotekeskus.synth.demand import area_group_table
from sotekeskus.synth.timeline import Timeline
from sotekeskus.synth.units import UNIT_IDS


@dataclass(frozen=True)
class QueueResult:
    visit_day: np.ndarray  # per item; -1 when not served within the period
    truth: list[dict[str, Any]]


def _queue_keys(
    unit: np.ndarray, area: np.ndarray, group: np.ndarray, soon: np.ndarray
) -> np.ndarray:
    key = (unit.astype(np.int64) * len(AREAS) + area) * len(GROUPS) + group
    return key * 2 + np.where(soon, 0, 1)


def simulate_queues(
    unit: np.ndarray,
    area: np.ndarray,
    group: np.ndarray,
    soon: np.ndarray,
    entry_t: np.ndarray,
    timeline: Timeline,
    demand_factor: np.ndarray,
    capacity_factor: np.ndarray,
    calibration: Calibration,
    rng: np.random.Generator,
) -> QueueResult:
    """Visit day of each queued item (entry_t: absolute minute of the assessment)."""
    n_weeks = timeline.n_weeks
    keys = _queue_keys(unit, area, group, soon)
    qkeys, q = np.unique(keys, return_inverse=True)
    nq = qkeys.size
    lane = (qkeys % 2).astype(np.intp)  # 0 soon, 1 routine
    q_group = ((qkeys // 2) % len(GROUPS)).astype(np.intp)
    q_area = ((qkeys // 2 // len(GROUPS)) % len(AREAS)).astype(np.intp)
    q_unit = (qkeys // 2 // len(GROUPS) // len(AREAS)).astype(np.intp)

    entry_day = entry_t // 1440
    week = timeline.week_of(entry_day)
    arrivals = np.bincount(q * n_weeks + week, minlength=nq * n_weeks).reshape(nq, n_weeks)
    # Demand a manager would plan for: arrivals per normal-demand week.
    base_demand = arrivals.sum(axis=1) / np.maximum(demand_factor[q_area].sum(axis=1), 1e-9)

    ratio_table = area_group_table(calibration.capacity_ratio)
    horizon_table = area_group_table(calibration.horizon_weeks)
    unit_spread = rng.lognormal(0.0, calibration.unit_capacity_sigma, size=nq)
    horizon_spread = np.clip(rng.lognormal(0.0, 0.3, size=nq), 0.6, 1.6)
    ratio = np.where(lane == 0, calibration.soon_capacity_ratio, ratio_table[q_area, q_group])
    ratio = ratio * unit_spread
    horizon = np.where(
        lane == 0, calibration.soon_horizon_weeks, horizon_table[q_area, q_group] * horizon_spread
    )
    initial_factor = np.array([calibration.initial_backlog[a] for a in AREAS])[q_area]
    floor = base_demand * horizon
    backlog0 = np.where(lane == 0, floor, floor * initial_factor)

    noise = rng.lognormal(0.0, calibration.capacity_noise_sigma, size=(nq, n_weeks))
    capacity = (
        base_demand[:, None]
        * ratio[:, None]
        * capacity_factor[q_area]
        * noise
        * calibration.capacity_scale
    )
    # Planned capacity; the weekly recursion adds the management response (overtime,
    # purchased services) in proportion to the backlog beyond what is tolerated, so that no
    # list grows without bound.
    tolerance = np.array([calibration.backlog_tolerance_weeks[a] for a in AREAS])[q_area]
    model = fluid_queues(
        arrivals, capacity, backlog0, floor,
        response=calibration.backlog_response_per_week,
        tolerated=floor + base_demand * tolerance,
    )
    capacity, served, backlog = model.capacity, model.served, model.backlog

    # Each item's place in its queue (assessment order) against the cumulative service.
    served_week, frac = queue_positions(q, entry_t, arrivals, served, backlog0)
    ok = served_week < n_weeks
    weekday = np.floor(frac * 5).astype(np.int64)
    visit_day = timeline.week_monday(served_week) + weekday
    # Served in the week it arrived but on an earlier weekday: booked in the next few days.
    early = visit_day < entry_day
    extra = rng.choice(4, size=q.size, p=[0.35, 0.30, 0.20, 0.15])
    visit_day = np.where(early, entry_day + extra, visit_day)
    # Individual spread around the queue's wait (routine lane), mean preserved.
    sigma = calibration.wait_spread_sigma
    spread = rng.lognormal(-sigma * sigma / 2, sigma, size=q.size)
    routine = lane[q] == 1
    wait = visit_day - entry_day
    visit_day = np.where(routine, entry_day + np.rint(wait * spread).astype(np.int64), visit_day)
    visit_day = np.where(ok, timeline.roll_to_weekday(visit_day), -1)

    truth = []
    for i in range(nq):
        truth.append(
            {
                "queue_id": f"{UNIT_IDS[q_unit[i]]}/{AREAS[q_area[i]]}/{GROUPS[q_group[i]]}/"
                f"{LANES[lane[i]]}",
                "unit_id": UNIT_IDS[q_unit[i]],
                "service_area": AREAS[q_area[i]],
                "professional_group": GROUPS[q_group[i]],
                "lane": LANES[lane[i]],
                "base_weekly_demand": round(float(base_demand[i]), 3),
                "capacity_ratio": round(float(ratio[i] * calibration.capacity_scale), 4),
                "base_weekly_capacity": round(
                    float(base_demand[i] * ratio[i] * calibration.capacity_scale), 3
                ),
                "booking_horizon_weeks": round(float(horizon[i]), 3),
                "initial_backlog": round(float(backlog0[i]), 2),
                "weekly_capacity": np.round(capacity[i], 2).tolist(),
                "weekly_arrivals": arrivals[i].tolist(),
                "weekly_served": np.round(served[i], 2).tolist(),
                "backlog_end_of_week": np.round(backlog[i], 2).tolist(),
            }
        )
    return QueueResult(visit_day.astype(np.int64), truth)
