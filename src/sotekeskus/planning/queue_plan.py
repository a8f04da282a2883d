"""The queue statistics of one real queue, estimated from its entries and explained.

``plan_queue(entries, queue, target_wait_days=90, by=date(2025, 12, 31))`` answers: how
big is the list, how fast does it fill and empty, what are its load and pressure, how big
should it be for the target, and what capacity keeps it there or brings it there by a date.

Estimation (every rate per week, every wait in weeks; :mod:`.summary` has the
definitions): the **window** is the ``window_weeks`` × 7 days ending on ``on`` (default: the
last date in the data). Demand = non-urgent entries that joined the queue in the window ÷
window weeks; capacity = removals in the window ÷ the weeks the list was non-empty; the
coefficients of variation from the dispersion of the weekly arrivals and removals. The
queue size and the waits are those on ``on``. The target wait is given in days and used in
weeks (days ÷ 7); ``by`` sets the time to target (weeks from ``on`` to ``by``), default 26
weeks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sotekeskus.planning.queues import QueueError, QueueId, day_number, from_day_number
from sotekeskus.planning.summary import WaitingListSummary, summarise_days

DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class QueuePlan:
    queue: QueueId
    on: date
    target_wait_days: float
    by: date | None
    summary: WaitingListSummary
    served_per_week: float
    unserved_per_week: float
    urgent_served_per_week: float
    median_wait_days: float | None
    waiting_over_target: int
    waiting_past_legal_limit: int
    capacity_needed: float | None
    extra_per_week: float | None
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """``figure, value, unit, how`` rows for a report."""
        s = self.summary
        t_weeks = self.target_wait_days / DAYS_PER_WEEK

        def row(figure: str, value: Any, unit: str, how: str) -> dict[str, Any]:
            if isinstance(value, float):
                value = round(value, 3)
            return {"figure": figure, "value": value, "unit": unit, "how": how}

        window = f"{s.start} … {s.end}, {s.window_weeks:g} weeks"
        return [
            row("queue", str(self.queue), "", "service area / professional group / unit"),
            row("on", self.on, "date", "waiting list at the end of this day"),
            row("target_wait", self.target_wait_days, "days",
                f"= {t_weeks:.3f} weeks; every wait below is in weeks too"),
            row("demand", s.demand, "patients/week",
                f"{s.referrals} non-urgent entries in the window ({window})"),
            row("capacity", s.capacity, "patients/week",
                f"{s.removals} removals in the window ÷ the weeks the list was non-empty"),
            row("served", self.served_per_week, "patients/week", "first care events"),
            row("left_unserved", self.unserved_per_week, "patients/week",
                "cancelled (counted in the week of the assessment)"),
            row("urgent_served", self.urgent_served_per_week, "patients/week",
                "urgent patients seen by the same group, beside the list"),
            row("load", s.load, "ratio", "demand ÷ capacity; 1 or more: the list grows"),
            row("cv_demand", s.cv_demand, "ratio",
                "√(variance ÷ mean) of the weekly arrivals (1: as random as Poisson)"),
            row("cv_capacity", s.cv_capacity, "ratio",
                "√(variance ÷ mean) of the weekly removals, weeks the list never emptied"),
            row("queue_size", s.queue_size, "patients", f"waiting at the end of {self.on}"),
            row("mean_wait", s.mean_wait_weeks, "weeks", "of those waiting, on that day"),
            row("median_wait", self.median_wait_days, "days", "of those waiting, on that day"),
            row("waiting_over_target", self.waiting_over_target, "patients",
                f"waited more than {self.target_wait_days:g} days"),
            row("waiting_past_legal_limit", self.waiting_past_legal_limit, "patients",
                "past the legal deadline of the rule in force on the assessment date"),
            row("target_mean_wait", t_weeks / 4, "weeks", "target ÷ 4"),
            row("target_queue_size", s.target_queue_size, "patients",
                "demand × target ÷ 4 (Little's law)"),
            row("queue_too_big", s.queue_too_big, "", "queue size > 2 × target queue size"),
            row("pressure", s.pressure, "ratio", "2 × mean wait ÷ target (both in weeks); "
                "above 1 the target will most likely be missed"),
            row("target_capacity", s.target_capacity, "patients/week",
                "demand + ((cv_demand² + cv_capacity²) ÷ 2) × (4 ÷ target), when the queue "
                "is not too big"),
            row("relief_capacity", s.relief_capacity, "patients/week",
                f"demand + (queue size − target queue size) ÷ {s.time_to_target_weeks:.2f} "
                "weeks, when the queue is too big"),
            row("capacity_needed", self.capacity_needed, "patients/week",
                "relief capacity when the queue is too big, else target capacity"),
            row("extra_per_week", self.extra_per_week, "patients/week",
                "capacity needed − capacity now (negative: capacity to spare)"),
        ]


def data_end(entries: pa.Table) -> date:
    """The last arrival or removal date in the entries."""
    if entries.num_rows == 0:
        raise QueueError("no queue entries: import episodes first")
    last = max(pc.max(entries["arrival_day"]).as_py(), pc.max(entries["removal_day"]).as_py()
               or 0)
    return from_day_number(last)


def _of_queue(entries: pa.Table, queue: QueueId) -> pa.Table:
    mask = pc.and_(pc.equal(entries["service_area"], queue.service_area),
                   pc.equal(entries["professional_group"], queue.professional_group))
    if queue.unit_id is not None:
        mask = pc.and_(mask, pc.equal(entries["unit_id"], queue.unit_id))
    rows = entries.filter(mask)
    if rows.num_rows == 0:
        raise QueueError(f"no queue {queue} in the data (no entries for it)")
    return rows


def plan_queue(entries: pa.Table, queue: QueueId, *, target_wait_days: float,
               on: date | None = None, by: date | None = None,
               window_weeks: int = 26) -> QueuePlan:
    """Statistics of ``queue`` on ``on`` (see the module docstring)."""
    if isinstance(target_wait_days, bool) or not isinstance(target_wait_days, int | float) \
            or not target_wait_days > 0:
        raise QueueError(f"target wait {target_wait_days!r}: give a number of days above 0")
    if window_weeks < 2:
        raise QueueError(f"window of {window_weeks} weeks: use at least 2 weeks")
    on = on or data_end(entries)
    rows = _of_queue(entries, queue)
    if by is not None and by <= on:
        raise QueueError(f"--by {by} is not after the date of the list ({on})")
    weeks_to_target = (by - on).days / DAYS_PER_WEEK if by else 26.0
    start = on - timedelta(days=7 * window_weeks - 1)

    urgent = rows["urgent"].fill_null(False).to_numpy(zero_copy_only=False)
    ref_all = rows["arrival_day"].to_numpy().astype(np.float64)
    rem_all = rows["removal_day"].to_numpy(zero_copy_only=False).astype(np.float64)
    served_all = rows["served"].fill_null(False).to_numpy(zero_copy_only=False)
    ref, rem, served = ref_all[~urgent], rem_all[~urgent], served_all[~urgent]
    summary = summarise_days(ref, rem, start=start, end=on,
                             target_wait_weeks=target_wait_days / DAYS_PER_WEEK,
                             time_to_target_weeks=weeks_to_target)
    lo, hi = day_number(start), day_number(on) + 1
    in_window = ~np.isnan(rem) & (rem >= lo) & (rem < hi)
    weeks = summary.window_weeks
    u_rem = rem_all[urgent]
    urgent_served = float((~np.isnan(u_rem) & (u_rem >= lo) & (u_rem < hi)).sum()) / weeks
    waiting = (ref < hi) & (np.isnan(rem) | (rem >= hi))
    waited = day_number(on) - ref[waiting]
    legal = rows["legal_deadline_day"].to_numpy(zero_copy_only=False)[~urgent][waiting]
    legal = np.asarray(legal, dtype=np.float64)
    past_legal = int((~np.isnan(legal) & (legal < day_number(on))).sum())
    needed = summary.relief_capacity if summary.queue_too_big else summary.target_capacity
    extra = needed - summary.capacity if needed is not None and summary.capacity else None
    notes = []
    if summary.capacity is None:
        notes.append("no removals in the window: capacity, load and extra capacity unknown")
    if summary.load is not None and summary.load >= 1:
        notes.append("load ≥ 1: the list grows unless capacity rises")
    return QueuePlan(
        queue=queue, on=on, target_wait_days=float(target_wait_days), by=by, summary=summary,
        served_per_week=float((in_window & served).sum()) / weeks,
        unserved_per_week=float((in_window & ~served).sum()) / weeks,
        urgent_served_per_week=urgent_served,
        median_wait_days=float(np.median(waited)) if waited.size else None,
        waiting_over_target=int((waited > target_wait_days).sum()),
        waiting_past_legal_limit=past_legal, capacity_needed=needed, extra_per_week=extra,
        notes=notes)
