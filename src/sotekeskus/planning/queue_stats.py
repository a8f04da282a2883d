"""Closed-form waiting-list statistics (NHS waiting-list management, Fong et al. 2022).

Every rate is in **one time unit**: if ``target_wait`` is in weeks, ``demand`` and
``capacity`` are patients per week and ``time_to_target`` is in weeks. The definitions
(``shared/docs/planning.md`` §3) are those of the public reference implementation,
NHSRwaitinglist's ``calc_*`` functions (R, MIT), and agree with it on every valid input:

* ``queue_load(demand, capacity)`` = demand / capacity [ratio; ≥ 1: the list grows]
* ``target_mean_wait(target_wait, factor=4)`` = target_wait / factor [target's unit]
* ``target_queue_size(demand, target_wait, factor=4)`` = demand × target_wait / factor
  [patients] (Little's law with the mean wait at target / factor)
* ``target_capacity(demand, target_wait, factor=4, cv_demand=1, cv_capacity=1)`` =
  demand + ((cv_demand² + cv_capacity²) / 2) × (factor / target_wait) [patients per unit]
  (Kingman / Marchal)
* ``relief_capacity(demand, queue_size, target_queue_size, time_to_target=26,
  num_referrals=0, cv_demand=0)`` = d + (queue_size − target_queue_size) / time_to_target,
  d = demand / (1 − 2 × demand × cv_demand / √num_referrals) when num_referrals > 0 and
  that term is below 1, else d = demand [patients per unit]
* ``waiting_list_pressure(mean_wait, target_wait)`` = 2 × mean_wait / target_wait [ratio;
  > 1: the list will most likely miss its target]

Where the R package silently returns ``Inf``, ``NaN`` or a negative figure (a zero
denominator, a negative input, a non-number), these functions raise
:class:`QueueStatsError` (or :class:`QueueStatsTypeError` for a value that is not a real
number; ``bool`` is not a number here). Every function returns a ``float``.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = [
    "QueueStatsError",
    "QueueStatsTypeError",
    "queue_load",
    "relief_capacity",
    "target_capacity",
    "target_mean_wait",
    "target_queue_size",
    "waiting_list_pressure",
]


class QueueStatsError(ValueError):
    """An argument of a queue statistic is outside its domain (the message names it)."""


class QueueStatsTypeError(QueueStatsError, TypeError):
    """An argument of a queue statistic is not a real number."""


def _number(function: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise QueueStatsTypeError(
            f"{function}: {name} must be a real number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise QueueStatsError(f"{function}: {name} must be finite, got {value!r}")
    return number


def _non_negative(function: str, name: str, value: object) -> float:
    number = _number(function, name, value)
    if number < 0:
        raise QueueStatsError(f"{function}: {name} must be 0 or more, got {value!r}")
    return number


def _positive(function: str, name: str, value: object, why: str) -> float:
    number = _number(function, name, value)
    if number <= 0:
        raise QueueStatsError(f"{function}: {name} must be above 0 ({why}), got {value!r}")
    return number


def queue_load(demand: float, capacity: float) -> float:
    """Arrivals per removal: ``demand / capacity`` (same unit, e.g. patients per week).

    Below 1 the list is stable and the load is the share of time it is non-empty; 1 or
    more and it grows without bound. 30 referrals and 27 removals a week: 1.111.
    """
    d = _non_negative("queue_load", "demand", demand)
    c = _positive("queue_load", "capacity", capacity, "a list with no removals has no load")
    return d / c


def target_mean_wait(target_wait: float, factor: float = 4) -> float:
    """Mean wait that meets ``target_wait`` nearly always: ``target_wait / factor``.

    Factor 4 (a quarter of the target) gives about 1.8 % of patients over the target,
    factor 6 about 0.2 %. Same unit as ``target_wait``; 52 weeks → 13 weeks.
    """
    t = _positive("target_mean_wait", "target_wait", target_wait, "a wait target is a duration")
    f = _positive("target_mean_wait", "factor", factor, "the target is divided by it")
    return t / f


def target_queue_size(demand: float, target_wait: float, factor: float = 4) -> float:
    """Queue size at which the target is met (Little's law): demand × target_wait / factor.

    ``demand`` per unit of ``target_wait``; the result is in patients. 30 a week with a
    52-week target: 390 patients. Meaningful only when capacity exceeds demand.
    """
    d = _non_negative("target_queue_size", "demand", demand)
    t = _positive("target_queue_size", "target_wait", target_wait,
                  "a wait target is a duration")
    f = _positive("target_queue_size", "factor", factor, "the target is divided by it")
    return d * (t / f)


def target_capacity(demand: float, target_wait: float, factor: float = 4,
                    cv_demand: float = 1, cv_capacity: float = 1) -> float:
    """Capacity that keeps the mean wait at target_wait / factor (Kingman / Marchal):

    demand + ((cv_demand² + cv_capacity²) / 2) × (factor / target_wait), in patients per
    unit of ``target_wait``. ``cv_demand`` is the coefficient of variation of the times
    between arrivals, ``cv_capacity`` that of the times between removals (1 and 1: Poisson
    arrivals and removals). 30 a week, 52-week target: 30.077.
    """
    d = _non_negative("target_capacity", "demand", demand)
    t = _positive("target_capacity", "target_wait", target_wait,
                  "it divides the variability term")
    f = _positive("target_capacity", "factor", factor, "a mean-wait factor is a divisor")
    cd = _non_negative("target_capacity", "cv_demand", cv_demand)
    cc = _non_negative("target_capacity", "cv_capacity", cv_capacity)
    return d + ((cd**2 + cc**2) / 2) * (f / t)


def relief_capacity(demand: float, queue_size: float, target_queue_size: float,
                    time_to_target: float = 26, num_referrals: float = 0,
                    cv_demand: float = 0) -> float:
    """Capacity that brings the queue to its target size within ``time_to_target``:

    d + (queue_size − target_queue_size) / time_to_target, in patients per time unit.
    When the demand is estimated from ``num_referrals`` referrals with coefficient of
    variation ``cv_demand``, two standard errors are added to it:
    d = demand / (1 − 2 × demand × cv_demand / √num_referrals) if num_referrals > 0 and
    that term is below 1, else d = demand. 30 a week, 1 200 waiting, target 390 in 26
    weeks: 61.15.

    Raises :class:`QueueStatsError` when the queue is so far below its target that the
    result would be negative (the R package returns the negative number): then no relief
    capacity is needed at all.
    """
    fn = "relief_capacity"
    d = _non_negative(fn, "demand", demand)
    q = _non_negative(fn, "queue_size", queue_size)
    tq = _non_negative(fn, "target_queue_size", target_queue_size)
    weeks = _positive(fn, "time_to_target", time_to_target, "it is the time to clear the excess")
    n = _non_negative(fn, "num_referrals", num_referrals)
    cv = _non_negative(fn, "cv_demand", cv_demand)
    if n > 0:
        term = 2 * d * cv / math.sqrt(n)
        if term < 1:
            d = d / (1 - term)
    result = d + (q - tq) / weeks
    if result < 0:
        raise QueueStatsError(
            f"{fn}: queue_size {queue_size!r} is so far below target_queue_size "
            f"{target_queue_size!r} that the capacity would be negative ({result:.4g}); "
            "no relief capacity is needed")
    return result


def waiting_list_pressure(mean_wait: float, target_wait: float) -> float:
    """2 × mean_wait / target_wait, both in the same unit (e.g. weeks).

    Below 1 the list should meet its target; above 1 it most likely misses it. Mean wait
    63 weeks against a 52-week target: 2.42.
    """
    m = _non_negative("waiting_list_pressure", "mean_wait", mean_wait)
    t = _positive("waiting_list_pressure", "target_wait", target_wait,
                  "a wait target is a duration")
    return 2 * m / t
