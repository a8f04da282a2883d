"""Discrete-event simulation of one queue from today's waiting list (SimPy).

Time runs in days from the start of the scenario (00:00 of ``Scenario.start``), weeks are
the 7-day blocks from the start. What is modelled:

* **Today's list**: every person waiting on the start date, with the days already waited
  (and, optionally, the legal deadline each one has).
* **Arrivals** per class (``urgent`` before ``non_urgent``): a Poisson process with a rate
  per day = the class's expected arrivals in a normal week of that week × the weekday's
  share of a week × the holiday factor on a public holiday; arrivals are uniform within the
  day. ``min_lead_days``: a new patient cannot be booked sooner than this after arriving.
* **Capacity** as a weekly schedule of streams (own staff, purchased services, …): a stream
  with ``servers`` parallel servers works in the calendar's open hours and, in week w,
  completes ``per_week[w]`` appointments in a normal (holiday-free) week when it never runs
  out of patients — each appointment takes ``servers × open time of a normal week ÷
  per_week[w]`` of open time (``fixed``), or that on average (``exponential``). Hours lost to
  public holidays are lost capacity. Each completed patient costs ``cost_per_patient``.
* **Discipline**: the next free appointment goes to the waiting urgent patient who arrived
  first, else to the non-urgent one who arrived first (first come, first served); a free
  appointment with nobody waiting is lost.
* **Cancellations**: each waiting patient leaves unserved at ``renege_per_week`` (a hazard
  per person-week: the observed share of the list that cancels each week).

:func:`simulate` runs N replications (independent random streams from one seed; the same
seed gives the same result, and two scenarios run with the same seed see the same arrivals,
so their difference is not noise in the demand) and summarises every week across them: the
mean and the 2.5 % and 97.5 % points of the replications' values (the **95 % band**: 95 of
100 simulated futures fall inside it).

Per week, of the non-urgent patients waiting at the end of the week: ``size``, ``median_wait``
and ``p90_wait`` (days waited so far), ``share_over_legal`` (past their legal deadline) and
``share_over_target`` (waited more than the target); of those served in the week: ``served``
and ``served_median_wait`` (the THL measure: days from arrival to the appointment); and the
``cost`` of the week's appointments.
"""

from __future__ import annotations

import heapq
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import simpy
from holidays import country_holidays

URGENT, NON_URGENT = 0, 1
CLASSES = ("urgent", "non_urgent")
METRICS = ("size", "median_wait", "p90_wait", "share_over_legal", "share_over_target",
           "served", "served_median_wait", "cost")


class SimulationError(ValueError):
    """A scenario cannot be simulated (the message names the field and the value)."""


@dataclass(frozen=True)
class Calendar:
    """Open hours: ``open_hours`` (start, end) on open days. ``always_open`` for the
    textbook queues (M/M/c): every hour of every day."""

    start: date
    days: int
    always_open: bool = False
    open_hours: tuple[float, float] = (8.0, 16.0)
    open_days: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    holiday: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @classmethod
    def finnish(cls, start: date, days: int,
                open_hours: tuple[float, float] = (8.0, 16.0)) -> Calendar:
        """Open Monday–Friday except Finnish public holidays (``holidays`` package, with
        Christmas Eve and Midsummer Eve)."""
        dates = [start + timedelta(days=i) for i in range(days)]
        finland = country_holidays("FI", years=sorted({d.year for d in dates}))
        hol = np.array([d in finland for d in dates], dtype=bool)
        weekday = np.array([d.weekday() < 5 for d in dates], dtype=bool)
        return cls(start, days, False, open_hours, weekday & ~hol, hol)

    @classmethod
    def continuous(cls, start: date, days: int) -> Calendar:
        return cls(start, days, True, (0.0, 24.0), np.ones(days, dtype=bool),
                   np.zeros(days, dtype=bool))

    @property
    def hours_per_day(self) -> float:
        return (self.open_hours[1] - self.open_hours[0]) / 24.0

    @property
    def normal_week_open(self) -> float:
        """Open time of a week without holidays, in days."""
        return 7.0 if self.always_open else 5 * self.hours_per_day

    def next_open(self, t: float) -> float:
        """``t`` if open then, else the next opening time (inf after the horizon)."""
        if self.always_open:
            return t
        day = int(math.floor(t))
        lo, hi = self.open_hours[0] / 24.0, self.open_hours[1] / 24.0
        while day < self.days:
            if self.open_days[day]:
                if t < day + lo:
                    return day + lo
                if t < day + hi:
                    return t
            day += 1
            t = float(day)
        return math.inf

    def advance(self, t: float, work: float) -> float:
        """The time at which ``work`` days of open time, started at ``t``, are done."""
        if self.always_open:
            return t + work
        hi = self.open_hours[1] / 24.0
        while work > 1e-12:
            t = self.next_open(t)
            if math.isinf(t):
                return t
            day_end = math.floor(t) + hi
            step = min(work, day_end - t)
            t += step
            work -= step
            if work > 1e-12:
                t = day_end + 1e-9
        return t


@dataclass(frozen=True)
class CapacityStream:
    """Appointments per normal week, week by week (a missing week repeats the last)."""

    name: str
    per_week: Sequence[float]
    cost_per_patient: float = 0.0
    servers: int = 1
    service: str = "fixed"  # or "exponential"

    def __post_init__(self) -> None:
        if self.servers < 1:
            raise SimulationError(f"capacity {self.name}: servers must be 1 or more")
        if self.service not in ("fixed", "exponential"):
            raise SimulationError(f"capacity {self.name}: service {self.service!r} is not "
                                  "fixed or exponential")
        if any(not math.isfinite(k) or k < 0 for k in self.per_week):
            raise SimulationError(f"capacity {self.name}: appointments per week must be 0 "
                                  "or more")
        if self.cost_per_patient < 0:
            raise SimulationError(f"capacity {self.name}: cost per patient must be 0 or more")

    def at(self, week: int) -> float:
        if not self.per_week:
            return 0.0
        return float(self.per_week[min(week, len(self.per_week) - 1)])


@dataclass(frozen=True)
class Scenario:
    """Everything one simulation needs (see the module docstring for the model)."""

    start: date
    weeks: int
    calendar: Calendar
    #: expected arrivals in a normal week, per week: {"urgent": [...], "non_urgent": [...]}
    weekly_arrivals: dict[str, Sequence[float]]
    capacity: tuple[CapacityStream, ...]
    #: days already waited by each non-urgent person on the list at the start
    initial_waits: Sequence[float] = ()
    #: legal deadline of each of them, in days from the start (negative: already past)
    initial_deadlines: Sequence[float] | None = None
    legal_limit_days: float | None = None
    target_days: float | None = None
    renege_per_week: float = 0.0
    weekday_shares: Sequence[float] = (1 / 7,) * 7
    holiday_factor: float = 1.0
    min_lead_days: float = 0.0
    name: str = "scenario"

    def __post_init__(self) -> None:
        if self.weeks < 1:
            raise SimulationError(f"weeks must be 1 or more, got {self.weeks}")
        unknown = set(self.weekly_arrivals) - set(CLASSES)
        if unknown:
            raise SimulationError(f"arrival classes {sorted(unknown)}: use urgent, non_urgent")
        for name, rates in self.weekly_arrivals.items():
            if any(not math.isfinite(r) or r < 0 for r in rates):
                raise SimulationError(f"arrivals {name}: rates must be 0 or more")
        if len(self.weekday_shares) != 7 or abs(sum(self.weekday_shares) - 1) > 1e-6:
            raise SimulationError("weekday_shares: seven shares (Monday first) summing to 1")
        if self.renege_per_week < 0 or self.holiday_factor < 0 or self.min_lead_days < 0:
            raise SimulationError("renege_per_week, holiday_factor and min_lead_days must be "
                                  "0 or more")
        if self.initial_deadlines is not None and len(self.initial_deadlines) != len(
                self.initial_waits):
            raise SimulationError("initial_deadlines: one per person on the list")
        if not self.capacity:
            raise SimulationError("no capacity: give at least one capacity stream")
        if self.calendar.days < 7 * self.weeks:
            raise SimulationError("the calendar is shorter than the scenario")

    def rate(self, cls: str, week: int) -> float:
        rates = self.weekly_arrivals.get(cls, ())
        if not rates:
            return 0.0
        return float(rates[min(week, len(rates) - 1)])


@dataclass
class PatientRecord:
    """The patients of one replication: arrival, class (0 urgent, 1 non-urgent), legal
    deadline, time served (NaN: not served), time left unserved (NaN: did not leave) and the
    capacity stream that served them (-1: none), all in days from the start."""

    arrival: np.ndarray
    cls: np.ndarray
    deadline: np.ndarray
    served_at: np.ndarray
    reneged_at: np.ndarray
    stream: np.ndarray


def _arrivals(s: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times and classes of the new patients, sorted by time."""
    days = 7 * s.weeks
    start_dow = s.start.weekday()
    dow = (start_dow + np.arange(days)) % 7
    weight = np.asarray(s.weekday_shares, dtype=float)[dow] * 7.0
    weight = np.where(s.calendar.holiday[:days], weight * s.holiday_factor, weight)
    times, classes = [], []
    for k, cls in enumerate(CLASSES):
        per_week = np.array([s.rate(cls, w) for w in range(s.weeks)])
        lam = np.repeat(per_week / 7.0, 7) * weight
        counts = rng.poisson(lam)
        t = np.repeat(np.arange(days, dtype=float), counts) + rng.random(int(counts.sum()))
        times.append(t)
        classes.append(np.full(t.size, k, dtype=np.int8))
    t = np.concatenate(times)
    c = np.concatenate(classes)
    order = np.argsort(t, kind="stable")
    return t[order], c[order]


def replicate(s: Scenario, seed: np.random.SeedSequence) -> PatientRecord:
    """One replication: every patient's history (tests compare it with queueing theory)."""
    arrivals_seed, service_seed = seed.spawn(2)
    rng_a = np.random.default_rng(arrivals_seed)
    rng_s = np.random.default_rng(service_seed)
    horizon = 7.0 * s.weeks
    new_t, new_c = _arrivals(s, rng_a)
    n0 = len(s.initial_waits)
    arrival = np.concatenate([-np.asarray(s.initial_waits, dtype=float), new_t])
    cls = np.concatenate([np.full(n0, NON_URGENT, dtype=np.int8), new_c])
    n = arrival.size
    limit = s.legal_limit_days if s.legal_limit_days is not None else math.inf
    deadline = arrival + limit
    if s.initial_deadlines is not None:
        deadline[:n0] = np.asarray(s.initial_deadlines, dtype=float)
    theta = s.renege_per_week / 7.0
    renege_clock = (rng_s.exponential(1.0 / theta, size=n) if theta > 0
                    else np.full(n, math.inf))
    # a patient on today's list has waited already; leaving is memoryless, so the clock
    # starts now for them and at arrival for the others
    renege_time = np.where(np.arange(n) < n0, renege_clock, arrival + renege_clock)
    ready = np.maximum(arrival + s.min_lead_days, 0.0)
    served_at = np.full(n, np.nan)
    stream_of = np.full(n, -1, dtype=np.int16)
    reneged_at = np.full(n, np.nan)
    cal = s.calendar
    heap: list[tuple[int, float, int]] = []
    env = simpy.Environment()
    idle: list[simpy.Event] = []

    def wake_one() -> None:
        while idle:
            ev = idle.pop()
            if not ev.triggered:
                ev.succeed()
                return

    def arrivals_process() -> Any:
        order = np.argsort(ready, kind="stable")
        for i in order.tolist():
            t = ready[i]
            if t >= horizon:
                break
            if t > env.now:
                yield env.timeout(t - env.now)
            heapq.heappush(heap, (int(cls[i]), float(arrival[i]), i))
            wake_one()

    def pop(now: float) -> int | None:
        while heap:
            _, _, i = heapq.heappop(heap)
            if renege_time[i] <= now:
                reneged_at[i] = renege_time[i]
                continue
            return i
        return None

    def server(k: int, stream: CapacityStream) -> Any:
        while env.now < horizon:
            now = env.now
            week = int(now // 7)
            per_week = stream.at(week)
            if per_week <= 0:
                yield env.timeout((week + 1) * 7.0 - now)
                continue
            opening = cal.next_open(now)
            if opening > now:
                if opening >= horizon:
                    return
                yield env.timeout(opening - now)
                continue
            i = pop(now)
            if i is None:
                ev = env.event()
                idle.append(ev)
                yield ev
                continue
            served_at[i] = now
            stream_of[i] = k
            work = stream.servers * cal.normal_week_open / per_week
            if stream.service == "exponential":
                work = float(rng_s.exponential(work))
            done = cal.advance(now, work)
            if math.isinf(done) or done >= horizon:
                return
            yield env.timeout(done - now)

    env.process(arrivals_process())
    for k, stream in enumerate(s.capacity):
        for _ in range(stream.servers):
            env.process(server(k, stream))
    env.run(until=horizon)
    # patients still waiting who would have left before the horizon
    waiting = np.isnan(served_at) & np.isnan(reneged_at) & (renege_time < horizon)
    reneged_at[waiting] = renege_time[waiting]
    return PatientRecord(arrival, cls, deadline, served_at, reneged_at, stream_of)


def _weekly(s: Scenario, run: PatientRecord) -> dict[str, np.ndarray]:
    """The weekly figures of one replication (non-urgent patients)."""
    nu = run.cls == NON_URGENT
    a = run.arrival[nu]
    removal = np.fmin(run.served_at[nu], run.reneged_at[nu])
    removal = np.where(np.isnan(removal), np.inf, removal)
    deadline = run.deadline[nu]
    served = run.served_at[nu]
    costs = np.array([c.cost_per_patient for c in s.capacity] + [0.0])
    out = {m: np.full(s.weeks, np.nan) for m in METRICS}
    all_served = run.served_at
    cost_of = costs[np.where(run.stream >= 0, run.stream, len(s.capacity))]
    for w in range(s.weeks):
        end = 7.0 * (w + 1)
        waiting = (a <= end) & (removal > end)
        waits = end - a[waiting]
        out["size"][w] = waits.size
        if waits.size:
            out["median_wait"][w] = np.median(waits)
            out["p90_wait"][w] = np.percentile(waits, 90)
            out["share_over_legal"][w] = float((deadline[waiting] < end).mean())
            if s.target_days is not None:
                out["share_over_target"][w] = float((waits > s.target_days).mean())
        in_week = (served >= end - 7.0) & (served < end)
        out["served"][w] = int(in_week.sum())
        if in_week.any():
            out["served_median_wait"][w] = float(np.median(served[in_week] - a[in_week]))
        week_all = (all_served >= end - 7.0) & (all_served < end)
        out["cost"][w] = float(cost_of[week_all].sum())
    return out


@dataclass(frozen=True)
class SimulationResult:
    """Per-week bands over the replications, and the replications' own totals."""

    scenario: Scenario
    replications: int
    weeks: pd.DataFrame  #: week, <metric>_mean, <metric>_lo, <metric>_hi
    total_cost: np.ndarray  #: per replication
    served_by_stream: dict[str, np.ndarray]  #: per replication
    values: dict[str, np.ndarray]  #: metric → (replications × weeks)

    def first_week_below(self, metric: str, threshold: float) -> date | None:
        """The first week whose mean ``metric`` is below ``threshold`` and stays there."""
        mean = self.weeks[f"{metric}_mean"].to_numpy()
        below = mean < threshold
        for i in range(len(below)):
            if below[i:].all():
                return self.weeks["week"].iloc[i]  # type: ignore[no-any-return]
        return None


def simulate(scenario: Scenario, replications: int = 50, seed: int = 1) -> SimulationResult:
    """Run ``replications`` independent replications of ``scenario``."""
    if replications < 2:
        raise SimulationError(f"replications must be 2 or more (a band needs several), got "
                              f"{replications}")
    seeds = np.random.SeedSequence(seed).spawn(replications)
    values = {m: np.empty((replications, scenario.weeks)) for m in METRICS}
    total_cost = np.empty(replications)
    by_stream = {c.name: np.empty(replications) for c in scenario.capacity}
    for r, ss in enumerate(seeds):
        run = replicate(scenario, ss)
        weekly = _weekly(scenario, run)
        for m in METRICS:
            values[m][r] = weekly[m]
        total_cost[r] = weekly["cost"].sum()
        for k, c in enumerate(scenario.capacity):
            by_stream[c.name][r] = float((run.stream == k).sum())
    frame = {"week": [scenario.start + timedelta(days=7 * w) for w in range(scenario.weeks)]}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a metric undefined in every run
        for m in METRICS:
            v = values[m]
            frame[f"{m}_mean"] = np.nanmean(v, axis=0) if not np.isnan(v).all() else np.nan
            frame[f"{m}_lo"] = np.nanpercentile(v, 2.5, axis=0)
            frame[f"{m}_hi"] = np.nanpercentile(v, 97.5, axis=0)
    return SimulationResult(scenario, replications, pd.DataFrame(frame), total_cost,
                            by_stream, values)
