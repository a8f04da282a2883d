"""Who contacts which service when: episode counts, contact days and episode attributes.

Each resident's expected number of new episodes per area and year is
``rate(age band) x need multiplier x exposure``, where exposure is the share of a normal
year's contact intensity (weekday x season x pandemic) that falls on the days the resident
lived in the region that year. Counts are Poisson; contact days are drawn from the same
intensity by inverse-CDF sampling, so weekday and seasonal rhythm and the pandemic dip all
come from one profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sotekeskus.synth.calibration import AREAS, GROUPS, Calibration, lookup
from sotekeskus.synth.population import Population
from sotekeskus.synth.timeline import Timeline


@dataclass
class Contacts:
    """One row per episode, in generation order (numpy arrays of equal length)."""

    person: np.ndarray  # int64 index into the population
    area: np.ndarray  # int8 index into AREAS
    day: np.ndarray  # int64 contact day index
    age: np.ndarray  # int16 completed years at contact (approximate)
    unit: np.ndarray  # int16 index into UNIT_IDS
    group: np.ndarray  # int8 index into GROUPS
    urgent: np.ndarray  # bool
    plan: np.ndarray  # bool
    soon: np.ndarray  # bool: non-urgent, unplanned episode in the short-notice lane
    cancelled: np.ndarray  # bool

    @property
    def size(self) -> int:
        return int(self.person.shape[0])


def area_group_table(table: dict[str, dict[str, float]]) -> np.ndarray:
    """(areas, groups) array of a per-area table with defaults."""
    return np.array([[lookup(table, a, g) for g in GROUPS] for a in AREAS], dtype=np.float64)


def draw_contacts(
    population: Population,
    person_unit: np.ndarray,
    timeline: Timeline,
    intensity: np.ndarray,
    calibration: Calibration,
    rng: np.random.Generator,
    tick: Callable[[], None] = lambda: None,
) -> Contacts:
    years = np.unique(timeline.year)
    edges = np.asarray(calibration.rate_age_edges)
    rates = np.array([calibration.episode_rates[a] for a in AREAS], dtype=np.float64)
    persons, areas, days = [], [], []
    for a in range(len(AREAS)):
        cum = np.concatenate([[0.0], np.cumsum(intensity[a])])
        for y in years:
            year_days = np.flatnonzero(timeline.year == y)
            first, stop = int(year_days[0]), int(year_days[-1]) + 1
            lo = np.clip(population.entry_day, first, stop)
            hi = np.clip(population.exit_day, first, stop)
            exposure = cum[hi] - cum[lo]
            mid = timeline.epoch0 + (first + stop) // 2
            band = np.searchsorted(edges, np.maximum(population.age_years(mid), 0), "right") - 1
            lam = rates[a][band] * population.need[:, a] * exposure
            counts = rng.poisson(lam)
            who = np.flatnonzero(counts)
            person = np.repeat(who, counts[who])
            lo_p, hi_p = lo[person], hi[person]
            u = cum[lo_p] + rng.random(person.size) * (cum[hi_p] - cum[lo_p])
            day = np.searchsorted(cum, u, side="right") - 1
            day = np.clip(day, lo_p, hi_p - 1)
            persons.append(person)
            areas.append(np.full(person.size, a, dtype=np.int8))
            days.append(day)
            tick()
    person = np.concatenate(persons) if persons else np.zeros(0, dtype=np.int64)
    area = np.concatenate(areas) if areas else np.zeros(0, dtype=np.int8)
    day = np.concatenate(days) if days else np.zeros(0, dtype=np.int64)
    del persons, areas, days
    size = person.size

    age = population.age_years(timeline.epoch0 + day, person)
    age = np.clip(age, 0, 120).astype(np.int16)
    unit = person_unit[person, area.astype(np.intp)]

    # Professional group: a categorical draw per area (children's oral care separately).
    group = np.zeros(size, dtype=np.int8)
    u = rng.random(size)
    for a, area_name in enumerate(AREAS):
        mix_sets: list[tuple[dict[str, float], bool | None]] = [
            (calibration.group_mix[area_name], None)
        ]
        if area_name == "oral":
            mix_sets = [
                (calibration.group_mix[area_name], False),
                (calibration.oral_child_groups, True),
            ]
        for mix, child in mix_sets:
            rows = area == a
            if child is not None:
                rows &= (age < 18) if child else (age >= 18)
            idx = np.flatnonzero(rows)
            codes = np.array([GROUPS.index(g) for g in mix], dtype=np.int8)
            cum = np.cumsum([mix[g] for g in mix])
            pick = np.searchsorted(cum / cum[-1], u[idx], side="right")
            group[idx] = codes[np.minimum(pick, codes.size - 1)]

    area_i, group_i = area.astype(np.intp), group.astype(np.intp)
    urgent = rng.random(size) < area_group_table(calibration.urgent_share)[area_i, group_i]
    plan = ~urgent & (rng.random(size) < area_group_table(calibration.plan_share)[area_i, group_i])
    # A care-plan visit is booked by the professional: on a working day.
    booked = plan & (timeline.dow[day] < 5) & ~timeline.holiday[day]
    moved = np.minimum(timeline.roll_to_weekday(day + timeline.holiday[day]), timeline.n_days - 1)
    day = np.where(plan & ~booked, moved, day)
    soon = (
        ~urgent
        & ~plan
        & (rng.random(size) < area_group_table(calibration.soon_share)[area_i, group_i])
    )
    p_cancel = np.empty(size)
    for a, area_name in enumerate(AREAS):
        rows = area == a
        knots = calibration.cancel_share.get(area_name, calibration.cancel_share["default"])
        p_cancel[rows] = timeline.profile(knots)[day[rows]]
    p_cancel = np.where(plan, 0.7 * p_cancel, p_cancel)
    cancelled = ~urgent & (rng.random(size) < p_cancel)
    return Contacts(person, area, day, age, unit, group, urgent, plan, soon, cancelled)
