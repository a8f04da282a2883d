"""Generate a whole synthetic region: population, units, episodes and the planted truth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from sotekeskus.synth.calibration import AREAS, DEFAULT_CALIBRATION, STATUSES, Calibration
from sotekeskus.synth.case_events import generate_case_events
from sotekeskus.synth.clinical import clinical_columns
from sotekeskus.synth.demand import draw_contacts
from sotekeskus.synth.episodes import build_episode_table
from sotekeskus.synth.modes import assign_modes
from sotekeskus.synth.population import Population, generate_population
from sotekeskus.synth.queues import simulate_queues
from sotekeskus.synth.strings import hex_ids
from sotekeskus.synth.timeline import Timeline
from sotekeskus.synth.timing import (
    MINUTES_PER_DAY,
    assessment_times,
    booked_visit_times,
    contact_times,
    urgent_visit_times,
)
from sotekeskus.synth.units import (
    MUNICIPALITIES,
    UNIT_IDS,
    UNIT_SPECS,
    assign_units,
    municipality_weights,
    units_table,
)

Progress = Callable[[int, int], None]

_STREAMS = (
    "population", "units", "demand", "timing", "plans", "queues", "recording", "modes",
)  # fmt: skip


@dataclass(frozen=True)
class SyntheticRegion:
    """A generated region: ``episodes`` (episode-file columns), ``units``, ``truth`` and the
    social-welfare and specialist ``case_events`` (case-events file columns)."""

    episodes: pa.Table
    units: pa.Table
    truth: dict[str, Any]
    case_events: pa.Table | None = None
    clinical: pa.Table | None = None  # contract-v2 columns, row for row (synth/clinical.py)


def _rngs(seed: int) -> dict[str, np.random.Generator]:
    """One independent random stream per step, so that changing one step's parameters
    (e.g. capacity) leaves the draws of the others (e.g. demand) unchanged."""
    children = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    return {
        name: np.random.Generator(np.random.PCG64(s))
        for name, s in zip(_STREAMS, children, strict=True)
    }


def generate_region(
    residents: int = 126_000,
    start: date = date(2019, 1, 1),
    end: date = date(2025, 12, 31),
    seed: int = 1,
    progress: Progress | None = None,
    calibration: Calibration | None = None,
) -> SyntheticRegion:
    """Generate a synthetic region.

    About 3.1 episodes per resident-year: 126 000 residents over 2019-2025 give ~2.75
    million episodes; for 10 million rows use ~460 000 residents over the same years. The
    same seed and arguments give identical output. ``progress(done, total)`` is called after
    each step; ``calibration`` overrides the calibrated parameters (a scenario).
    """
    cal = calibration or DEFAULT_CALIBRATION
    rng = _rngs(seed)
    timeline = Timeline.build(start, end, cal)
    n_years = int(np.unique(timeline.year).size)
    total_steps = len(AREAS) * n_years + 8
    done_steps = 0

    def tick() -> None:
        nonlocal done_steps
        done_steps += 1
        if progress is not None:
            progress(done_steps, total_steps)

    intensity = timeline.contact_intensity(cal)
    population = generate_population(
        residents, timeline, municipality_weights(), cal, rng["population"]
    )
    person_unit = assign_units(population.municipality, rng["units"])
    tick()

    contacts = draw_contacts(population, person_unit, timeline, intensity, cal, rng["demand"], tick)
    n = contacts.size
    contact_t = contact_times(contacts, timeline, cal, rng["timing"])
    assessed_t = assessment_times(contacts, contact_t, timeline, cal, rng["timing"])
    tick()

    visit_t = np.full(n, -1, dtype=np.int64)
    cancelled = contacts.cancelled
    # Urgent: same day or next morning.
    idx = np.flatnonzero(contacts.urgent)
    visit_t[idx] = urgent_visit_times(assessed_t[idx], cal, rng["timing"])
    # Plan-based: the planned date.
    idx = np.flatnonzero(contacts.plan & ~cancelled)
    r = rng["plans"]
    w = np.asarray(cal.plan_interval_weights)
    interval = np.asarray(cal.plan_interval_days)[r.choice(w.size, size=idx.size, p=w / w.sum())]
    interval = interval + r.integers(-2, 3, size=idx.size)
    plan_day = timeline.roll_to_weekday(assessed_t[idx] // MINUTES_PER_DAY + interval)
    visit_t[idx] = booked_visit_times(plan_day, assessed_t[idx], timeline, r)
    tick()

    # Everything else waits in a queue (from an assessment made within the period; one due
    # after the end date has not happened yet).
    end_t = timeline.n_days * MINUTES_PER_DAY
    assessed_in_period = assessed_t < end_t
    idx = np.flatnonzero(~contacts.urgent & ~contacts.plan & ~cancelled & assessed_in_period)
    demand_factor = timeline.weekly_demand_factor(intensity)
    capacity_factor = timeline.weekly_capacity_factor(cal)
    queues = simulate_queues(
        contacts.unit[idx],
        contacts.area[idx],
        contacts.group[idx],
        contacts.soon[idx],
        assessed_t[idx],
        timeline,
        demand_factor,
        capacity_factor,
        cal,
        rng["queues"],
    )
    vday = queues.visit_day
    r = rng["queues"]
    decline = ~contacts.soon[idx] & (vday >= 0) & (r.random(idx.size) < cal.decline_first_offer)
    long_delay = r.random(idx.size) < cal.decline_long_share
    extra = np.where(
        long_delay,
        r.geometric(1.0 / cal.decline_long_mean_days, size=idx.size),
        r.geometric(1.0 / cal.decline_mean_days, size=idx.size),
    )
    vday = np.where(decline, timeline.roll_to_weekday(vday + extra), vday)
    served = vday >= 0
    visit_t[idx[served]] = booked_visit_times(vday[served], assessed_t[idx[served]], timeline, r)
    tick()

    done = ~cancelled & (visit_t >= 0) & (visit_t < end_t)
    status = np.where(
        cancelled,
        STATUSES.index("cancelled"),
        np.where(done, STATUSES.index("done"), STATUSES.index("waiting")),
    ).astype(np.int8)

    # Recording of the assessment: coverage differs between units.
    r = rng["recording"]
    lo, hi = cal.assessment_coverage
    coverage = np.round(r.uniform(lo, hi, size=len(UNIT_IDS)), 3)
    p_recorded = np.where(
        contacts.urgent,
        cal.urgent_assessed_share,
        np.where(contacts.plan, cal.plan_assessed_share, coverage[contacts.unit]),
    )
    recorded = (r.random(n) < p_recorded) & assessed_in_period
    tick()

    mode = np.zeros(n, dtype=np.int8)
    idx = np.flatnonzero(done)
    mode[idx], remote_targets = assign_modes(
        contacts.area[idx],
        contacts.group[idx],
        contacts.age[idx],
        contacts.urgent[idx],
        contacts.plan[idx],
        visit_t[idx] // MINUTES_PER_DAY,
        timeline,
        cal,
        rng["modes"],
    )
    tick()

    person_ids = hex_ids("P", population.id_numbers, 10)
    episodes = build_episode_table(
        epoch0=timeline.epoch0,
        person_ids=person_ids,
        birth_epoch=population.birth_epoch,
        person=contacts.person,
        unit=contacts.unit,
        area=contacts.area,
        group=contacts.group,
        urgent=contacts.urgent,
        contact_t=contact_t,
        assessed_t=assessed_t,
        assessed_recorded=recorded,
        visit_t=visit_t,
        mode=mode,
        status=status,
        plan=contacts.plan,
    )
    tick()

    truth = _truth(
        residents,
        start,
        end,
        seed,
        cal,
        timeline,
        population,
        coverage,
        status,
        demand_factor,
        capacity_factor,
        queues.truth,
        remote_targets,
        n,
    )
    case_events, truth["case_events"] = generate_case_events(
        population, timeline, person_ids, np.asarray(UNIT_IDS)[person_unit], seed, residents)
    clinical, truth["clinical"] = clinical_columns(episodes, seed)
    tick()
    return SyntheticRegion(episodes=episodes, units=units_table(), truth=truth,
                           case_events=case_events, clinical=clinical)


def _truth(
    residents: int,
    start: date,
    end: date,
    seed: int,
    cal: Calibration,
    timeline: Timeline,
    population: Population,
    coverage: np.ndarray,
    status: np.ndarray,
    demand_factor: np.ndarray,
    capacity_factor: np.ndarray,
    queues: list[dict[str, Any]],
    remote_targets: dict[str, float],
    n: int,
) -> dict[str, Any]:
    years = timeline.n_days / 365.25
    counts = np.bincount(status, minlength=len(STATUSES))
    age0 = population.age_years(timeline.epoch0)[: population.initial]
    age_shares = {
        label: round(float(((age0 >= lo) & (age0 < hi)).mean()), 4)
        for label, lo, hi in (("0-14", 0, 15), ("15-64", 15, 65), ("65+", 65, 200))
    }
    return {
        "generator": "sotekeskus.synth",
        "seed": seed,
        "residents": residents,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "population": {
            "residents_at_start": population.initial,
            "age_shares_at_start": age_shares,
            "births": population.births,
            "deaths": population.deaths,
            "persons_total": population.size,
            "municipalities": {m: w for m, _, w in MUNICIPALITIES},
        },
        "units": [
            {
                "unit_id": uid,
                "name": spec.name,
                "municipality": spec.municipality,
                "service_areas": list(spec.service_areas),
                "assessment_coverage": float(coverage[i]),
            }
            for i, (uid, spec) in enumerate(zip(UNIT_IDS, UNIT_SPECS, strict=True))
        ],
        "episodes": {
            "total": n,
            **{s: int(counts[i]) for i, s in enumerate(STATUSES)},
            "per_resident_year": round(n / residents / years, 3),
        },
        "weeks": timeline.week_mondays(),
        "weekly_demand_factor": {
            a: np.round(demand_factor[i], 4).tolist() for i, a in enumerate(AREAS)
        },
        "weekly_capacity_factor": {
            a: np.round(capacity_factor[i], 4).tolist() for i, a in enumerate(AREAS)
        },
        "queues": queues,
        "remote_share_target_by_month": remote_targets,
        "calibration": cal.as_dict(),
    }
