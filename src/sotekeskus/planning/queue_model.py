"""Fluid weekly queue model: weekly capacity meets weekly demand, first come first served.

Used by the synthetic-region generator (``sotekeskus.synth.queues`` builds the inputs from
its calibration and calls it) and usable on its own for quick what-if arithmetic. Units:
patients and weeks; capacity and backlog are fluid (fractional patients).

Per queue ``i`` and week ``w`` (vectorised over all queues)::

    capacity'[i, w] = capacity[i, w] + response × max(level[i] − tolerated[i], 0)
    available       = level[i] + arrivals[i, w]
    served[i, w]    = clip(available − horizon_backlog[i], 0, capacity'[i, w])
    level[i]        = backlog[i, w] = available − served[i, w]

starting from ``level = backlog0``. ``horizon_backlog`` is the booking horizon: the number
of patients a routine list keeps booked ahead before it serves. ``response`` (per week) is
the management response: extra capacity (overtime, purchased services) in proportion to the
backlog beyond ``tolerated``, so that no list grows without bound (0: none).

:func:`queue_positions` then places individual patients: each patient's place in its queue
is its rank in arrival order after the start backlog; the week in which the queue's
cumulative service passes that place is the week the patient is served, and the position
within that week's service (0 … 1) tells how far into the week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class QueueModelError(ValueError):
    """Inputs of the queue model have inconsistent shapes or impossible values."""


@dataclass(frozen=True)
class FluidQueues:
    """Weekly series per queue (rows) and week (columns)."""

    capacity: np.ndarray  #: effective capacity, including the management response
    served: np.ndarray
    backlog: np.ndarray  #: at the end of each week


def fluid_queues(
    arrivals: np.ndarray,
    capacity: np.ndarray,
    backlog0: np.ndarray,
    horizon_backlog: np.ndarray,
    *,
    response: float = 0.0,
    tolerated: np.ndarray | None = None,
) -> FluidQueues:
    """Run the weekly recursion. ``arrivals`` and ``capacity`` are (queues × weeks);
    ``backlog0``, ``horizon_backlog`` and ``tolerated`` have one value per queue."""
    arrivals = np.asarray(arrivals)
    cap = np.array(capacity, dtype=np.float64)  # a copy: the response is added to it
    if arrivals.ndim != 2 or cap.shape != arrivals.shape:
        raise QueueModelError(f"arrivals {arrivals.shape} and capacity {cap.shape} must both "
                              "be (queues × weeks)")
    nq, n_weeks = arrivals.shape
    for name, values in (("backlog0", backlog0), ("horizon_backlog", horizon_backlog),
                         ("tolerated", tolerated)):
        if values is not None and np.shape(values) != (nq,):
            raise QueueModelError(f"{name} has shape {np.shape(values)}; expected ({nq},)")
    if (arrivals < 0).any() or (cap < 0).any():
        raise QueueModelError("arrivals and capacity must be 0 or more")
    if response < 0:
        raise QueueModelError(f"response must be 0 or more, got {response}")
    tol = np.zeros(nq) if tolerated is None else tolerated
    served = np.empty((nq, n_weeks))
    backlog = np.empty((nq, n_weeks))
    level = np.array(backlog0, dtype=np.float64)
    for w in range(n_weeks):
        cap[:, w] += response * np.maximum(level - tol, 0.0)
        available = level + arrivals[:, w]
        s = np.clip(available - horizon_backlog, 0.0, cap[:, w])
        level = available - s
        served[:, w] = s
        backlog[:, w] = level
    return FluidQueues(cap, served, backlog)


def queue_positions(
    queue: np.ndarray,
    arrival_time: np.ndarray,
    arrivals: np.ndarray,
    served: np.ndarray,
    backlog0: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Week of service and position within that week's service of each patient.

    ``queue[k]`` is patient k's queue (row index), ``arrival_time[k]`` any non-negative
    integer time that orders arrivals (ties keep input order). Returns ``(week, fraction)``:
    ``week[k] ≥ n_weeks`` when the patient is not served within the modelled weeks;
    ``fraction`` in [0, 1) is how far into the week's service the patient comes.
    """
    nq, n_weeks = served.shape
    cum_served = np.cumsum(served, axis=1)
    q = queue
    span = int(arrival_time.max()) + 1 if arrival_time.size else 1
    order = np.argsort(q.astype(np.int64) * span + arrival_time, kind="stable")
    starts = np.searchsorted(q[order], np.arange(nq))
    rank = np.empty(q.size, dtype=np.float64)
    rank[order] = np.arange(q.size) - starts[q[order]]

    # One searchsorted over all queues: each queue's cumulative service is shifted into
    # its own block, larger than anything the queue can hold.
    block = backlog0 + arrivals.sum(axis=1) + 1.0
    offset = np.concatenate([[0.0], np.cumsum(block)[:-1]])
    flat = (cum_served + offset[:, None]).ravel()
    target = offset[q] + backlog0[q] + rank + 0.5
    idx = np.searchsorted(flat, target, side="right")
    week = idx - q * n_weeks
    idx_ok = np.minimum(idx, flat.size - 1)
    prev = np.where(week > 0, flat[np.maximum(idx_ok - 1, 0)], offset[q])
    width = np.maximum(flat[idx_ok] - prev, 1e-9)
    fraction = np.clip((target - prev) / width, 0.0, 0.999999)
    return week, fraction
