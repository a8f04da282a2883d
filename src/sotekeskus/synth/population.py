"""Residents of the synthetic region: age structure, births, deaths, home municipality, need."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sotekeskus.synth.calibration import AREAS, Calibration
from sotekeskus.synth.strings import scramble
from sotekeskus.synth.timeline import Timeline

_DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True)
class Population:
    birth_epoch: np.ndarray  # (n,) int64 epoch day of birth
    entry_day: np.ndarray  # (n,) first day index present (0, or the birth day)
    exit_day: np.ndarray  # (n,) first day index no longer present (death) or n_days
    municipality: np.ndarray  # (n,) index into the municipality list
    need: np.ndarray  # (n, areas) float32 person-level need multiplier, mean 1
    id_numbers: np.ndarray  # (n,) uint64 pseudonymous numbers (distinct)
    initial: int  # residents at the start date
    births: int
    deaths: int

    @property
    def size(self) -> int:
        return int(self.birth_epoch.shape[0])

    def age_years(
        self, epoch_day: int | np.ndarray, person: np.ndarray | None = None
    ) -> np.ndarray:
        """Approximate completed years at ``epoch_day`` (for rate bands, not for rules) of
        everyone, or of the persons indexed by ``person``."""
        birth = self.birth_epoch if person is None else self.birth_epoch[person]
        return np.floor((epoch_day - birth) / _DAYS_PER_YEAR).astype(np.int64)


def _initial_ages_days(rng: np.random.Generator, n: int, shares: tuple[float, ...]) -> np.ndarray:
    p = np.asarray(shares, dtype=np.float64)
    band = rng.choice(p.size, size=n, p=p / p.sum())
    width = np.where(band == p.size - 1, 10.0, 5.0)  # the last band is 90-99
    years = band * 5.0 + rng.random(n) * width
    return np.floor(years * _DAYS_PER_YEAR).astype(np.int64)


def generate_population(
    residents: int,
    timeline: Timeline,
    municipality_weights: np.ndarray,
    calibration: Calibration,
    rng: np.random.Generator,
) -> Population:
    if residents < 1:
        raise ValueError("residents must be at least 1")
    # Residents at the start date.
    age_days = _initial_ages_days(rng, residents, calibration.age_shares_5y)
    birth = timeline.epoch0 - age_days
    entry = np.zeros(residents, dtype=np.int64)

    # Births during the period, spread over each calendar year's days in the period.
    years = np.unique(timeline.year)
    new_births = []
    for y in years:
        days = np.flatnonzero(timeline.year == y)
        expected = residents * calibration.births_per_1000 / 1000.0 * days.size / 365.0
        count = int(rng.poisson(expected))
        new_births.append(np.sort(rng.choice(days, size=count)))
    born_day = np.concatenate(new_births) if new_births else np.zeros(0, dtype=np.int64)
    birth = np.concatenate([birth, timeline.epoch0 + born_day])
    entry = np.concatenate([entry, born_day])
    n = birth.size

    # Deaths: an annual hazard by age band, applied year by year.
    exit_day = np.full(n, timeline.n_days, dtype=np.int64)
    edges = np.asarray(calibration.mortality_age_edges)
    hazard = np.asarray(calibration.mortality)
    for y in years:
        days = np.flatnonzero(timeline.year == y)
        first, last = int(days[0]), int(days[-1])
        alive = (exit_day > first) & (entry <= last)
        age = np.floor((timeline.epoch0 + first - birth) / _DAYS_PER_YEAR)
        p = hazard[np.searchsorted(edges, np.maximum(age, 0), side="right") - 1]
        p = p * days.size / 365.0
        dies = alive & (rng.random(n) < p)
        lo = np.maximum(entry[dies], first)
        exit_day[dies] = (
            lo + np.floor(rng.random(int(dies.sum())) * (last + 1 - lo)).astype(np.int64) + 1
        )

    weights = np.asarray(municipality_weights, dtype=np.float64)
    municipality = rng.choice(weights.size, size=n, p=weights / weights.sum())

    # Need: a shared frailty times an area-specific factor (mental and substance share one).
    k1, k2 = calibration.need_shape_shared, calibration.need_shape_area
    shared = rng.gamma(k1, 1.0 / k1, size=n)
    area_factor = rng.gamma(k2, 1.0 / k2, size=(n, len(AREAS)))
    area_factor[:, AREAS.index("substance")] = area_factor[:, AREAS.index("mental")]
    need = (shared[:, None] * area_factor).astype(np.float32)

    key = int(rng.integers(0, 1 << 40))
    id_numbers = scramble(np.arange(n, dtype=np.uint64), 40, key)
    deaths = int((exit_day < timeline.n_days).sum())
    return Population(
        birth,
        entry,
        exit_day,
        municipality,
        need,
        id_numbers,
        residents,
        int(born_day.size),
        deaths,
    )
