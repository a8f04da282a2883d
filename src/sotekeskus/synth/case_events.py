"""Synthetic social-welfare and specialist-care case events with a known truth.

Every case type of the case-events file (planning.md §1) gets cases drawn from the synthetic
population: a Poisson number of new cases a month (per 126 000 residents, scaled to the
region), a person of the right age alive on the start date, then the case's events one
after the other, each after a delay drawn from a planted model:

* **on-time mixtures** for the statutory legs: with the planted share (by year of the start
  event) the delay is uniform within the limit, otherwise it exceeds it by a geometric
  number of days (or weekdays). Child and family assessments are planted against Soite's
  90-day reading: 88.6 % (2019), 90.4 % (2020), 84.6 % (2021), then 87–90 % (planning.md §6);
* **queues** for the regional services: log-normal waits around a planted median — memory
  examination 1.5 months, geriatrician 5.5 months (65–70 % of memory clients are referred
  on), adult neuropsychiatric assessment about 8 months, so that with ~20 referrals a month
  about 144–200 persons wait (Little's law, planning.md §6).

Weekday delays count Monday–Friday without Finnish holidays (the same calendar as the rules).
Events after the end date are not written: those cases are open. The recorded ``truth`` has
the planted shares and medians; the tests check that the deadline report finds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from sotekeskus.domain.calendar import add_weekdays, is_weekday
from sotekeskus.domain.vocabulary import CaseEvent, CaseType
from sotekeskus.ingest.case_events import SCHEMA
from sotekeskus.rules.calendar_fi import FINNISH_HOLIDAYS
from sotekeskus.synth.calibration import AREAS
from sotekeskus.synth.population import Population
from sotekeskus.synth.timeline import Timeline

REFERENCE_RESIDENTS = 126_000
E, C = CaseEvent, CaseType

#: Child and family assessments completed within 90 days, by year of opening (planning.md §6;
#: 2022–2025 are the demo region's own levels, below Soite's targets 90 → 100 %).
CHILD_FAMILY_WITHIN_90D = {2019: 0.886, 2020: 0.904, 2021: 0.846, 2022: 0.87, 2023: 0.88,
                           2024: 0.89, 2025: 0.90}


@dataclass(frozen=True)
class OnTime:
    """Delay within ``limit`` (days or weekdays) with probability ``share`` (by start year,
    else ``default``); late ones exceed the limit by 1 + geometric(mean ``late_mean``)."""

    limit: int
    share: float
    weekdays: bool = False
    low: int = 0
    late_mean: float = 20.0
    by_year: dict[int, float] | None = None

    def planted(self, year: int) -> float:
        return (self.by_year or {}).get(year, self.share)

    def draw(self, rng: np.random.Generator, start: date) -> date:
        if rng.random() < self.planted(start.year):
            amount = int(rng.integers(self.low, self.limit + 1))
        else:
            amount = self.limit + int(rng.geometric(1.0 / self.late_mean))
        if self.weekdays:
            return add_weekdays(start, amount, FINNISH_HOLIDAYS)
        return start + timedelta(days=amount)


@dataclass(frozen=True)
class Queue:
    """A log-normal wait in calendar days with median ``median`` and shape ``sigma``."""

    median: float
    sigma: float = 0.45

    def draw(self, rng: np.random.Generator, start: date) -> date:
        days = int(round(self.median * float(np.exp(rng.normal(0.0, self.sigma)))))
        return start + timedelta(days=max(days, 0))


Delay = OnTime | Queue


@dataclass(frozen=True)
class CaseSpec:
    """New cases a month per 126 000 residents, the age band on the start date, the group
    and the chain of (event, delay from the previous event)."""

    case_type: CaseType
    per_month: float
    ages: tuple[int, int]
    group: str
    start: CaseEvent
    steps: tuple[tuple[CaseEvent, Delay], ...]
    urgent_share: float = 0.0
    cancel_share: float = 0.02
    weekday_start: bool = True
    area: str = "social"  # whose unit (by service area of the synthetic units) owns the case


SPECS: tuple[CaseSpec, ...] = (
    CaseSpec(C.SPECIALIST_REFERRAL, 250, (18, 95), "physician", E.REFERRAL, (
        (E.ASSESSMENT_STARTED, OnTime(21, 0.92, low=2, late_mean=10)),
        (E.ASSESSED, OnTime(50, 0.90, low=3, late_mean=25)),
        (E.TREATMENT_STARTED, OnTime(150, 0.93, low=7, late_mean=40)),
    ), urgent_share=0.1, area="medical"),
    CaseSpec(C.CHILD_FAMILY_ASSESSMENT, 35, (0, 18), "social_worker", E.CASE_OPENED, (
        (E.ASSESSED, OnTime(90, 0.88, low=14, late_mean=25, by_year=CHILD_FAMILY_WITHIN_90D)),
    )),
    CaseSpec(C.OLDER_PERSON_ASSESSMENT, 60, (70, 100), "nurse", E.CONTACT, (
        (E.ASSESSMENT_STARTED, OnTime(7, 0.93, weekdays=True, late_mean=4)),
        (E.ASSESSED, Queue(14, 0.5)),
    )),
    CaseSpec(C.CHILD_WELFARE_NOTIFICATION, 90, (0, 18), "social_worker", E.NOTIFICATION, (
        (E.DECISION, OnTime(7, 0.95, weekdays=True, late_mean=3)),
    ), weekday_start=False),
    CaseSpec(C.CHILD_WELFARE_INVESTIGATION, 40, (0, 18), "social_worker", E.CASE_OPENED, (
        (E.ASSESSED, OnTime(89, 0.82, low=10, late_mean=20)),
    )),
    CaseSpec(C.ELDERLY_SERVICE, 50, (70, 100), "social_worker", E.DECISION, (
        (E.SERVICE_STARTED, OnTime(89, 0.96, low=0, late_mean=15)),
    )),
    CaseSpec(C.DISABILITY_APPLICATION, 30, (0, 65), "social_worker", E.APPLICATION, (
        (E.DECISION, OnTime(89, 0.85, low=10, late_mean=30)),
    )),
    CaseSpec(C.MEMORY_EXAMINATION, 140, (55, 100), "physician", E.REFERRAL, (
        (E.ASSESSED, Queue(45, 0.4)),
    ), cancel_share=0.01, area="medical"),
    CaseSpec(C.NEUROPSYCHIATRIC_ASSESSMENT, 20, (18, 65), "psychologist", E.REFERRAL, (
        (E.ASSESSMENT_STARTED, Queue(240, 0.35)),
        (E.ASSESSED, Queue(30, 0.4)),
    ), cancel_share=0.03, area="mental"),
    CaseSpec(C.SPEECH_THERAPY, 30, (2, 18), "therapist", E.REFERRAL, (
        (E.TREATMENT_STARTED, Queue(70, 0.5)),
    ), area="medical"),
    CaseSpec(C.OCCUPATIONAL_THERAPY, 15, (2, 18), "therapist", E.REFERRAL, (
        (E.TREATMENT_STARTED, Queue(80, 0.5)),
    ), area="medical"),
    CaseSpec(C.SOCIAL_REHABILITATION, 15, (18, 65), "social_worker", E.DECISION, (
        (E.SERVICE_STARTED, Queue(40, 0.6)),
    )),
    CaseSpec(C.PSYCHIATRIC_NURSE, 60, (18, 80), "nurse", E.REFERRAL, (
        (E.VISIT, Queue(10, 0.6)),
    ), area="mental"),
)
#: Memory clients referred on to a geriatrician, and that queue (planning.md §6).
GERIATRICIAN_SHARE = 0.675
GERIATRICIAN_WAIT = Queue(167, 0.35)


def _office_time(rng: np.random.Generator, day: date) -> datetime:
    minute = int(rng.integers(8 * 60, 16 * 60))
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60)


def _after(rng: np.random.Generator, day: date, previous: datetime) -> datetime:
    """An office time on ``day``, later than ``previous`` when that is on the same day."""
    at = _office_time(rng, day)
    if at <= previous:
        end_of_day = datetime(day.year, day.month, day.day, 23, 59)
        at = min(previous + timedelta(minutes=int(rng.integers(5, 121))), end_of_day)
    return max(at, previous)


def _next_weekday(day: date) -> date:
    while not is_weekday(day, FINNISH_HOLIDAYS):
        day += timedelta(days=1)
    return day


class _Cases:
    """Collects the rows of the events table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Any]] = {f.name: [] for f in SCHEMA}

    def add(self, case_id: str, person: str, birth: date, unit: str, case_type: CaseType,
            event: CaseEvent, at: datetime, urgency: str | None, group: str | None) -> None:
        for name, value in (("case_id", case_id), ("person_id", person), ("birth_date", birth),
                            ("unit_id", unit), ("case_type", case_type.value),
                            ("event", event.value), ("at", at), ("urgency", urgency),
                            ("professional_group", group)):
            self.rows[name].append(value)

    def table(self) -> pa.Table:
        return pa.table(self.rows, schema=SCHEMA)


def generate_case_events(
    population: Population,
    timeline: Timeline,
    person_ids: list[str] | np.ndarray,
    person_units: np.ndarray,
    seed: int,
    residents: int | None = None,
    progress: Callable[[], None] | None = None,
) -> tuple[pa.Table, dict[str, Any]]:
    """The case events of the region and their planted truth (see the module docstring).

    ``person_ids`` is indexed like the population, ``person_units`` (persons × service
    areas of :data:`~sotekeskus.synth.calibration.AREAS`) holds the unit id each resident
    uses per area; the same arguments give the same events (an own random stream,
    independent of the episode streams)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 14])))
    epoch = date(1970, 1, 1)
    first = epoch + timedelta(days=int(timeline.epoch0))
    last = first + timedelta(days=timeline.n_days - 1)
    scale = (residents or population.initial) / REFERENCE_RESIDENTS
    out = _Cases()
    truth: dict[str, Any] = {}
    months = []
    month = first.replace(day=1)
    while month <= last:
        nxt = (month + timedelta(days=32)).replace(day=1)
        months.append((max(month, first), min(nxt - timedelta(days=1), last)))
        month = nxt

    def pick(lo: int, hi: int, day_index: int) -> int | None:
        epoch_day = int(timeline.epoch0) + day_index
        for _ in range(8):
            cand = rng.integers(0, population.size, size=64)
            age = population.age_years(epoch_day, cand)
            ok = ((age >= lo) & (age < hi) & (population.entry_day[cand] <= day_index)
                  & (population.exit_day[cand] > day_index))
            hits = np.flatnonzero(ok)
            if hits.size:
                return int(cand[hits[0]])
        return None

    memory_assessed: list[tuple[int, date, str]] = []
    for spec_index, spec in enumerate(SPECS):
        counts = {"cases": 0, "events": 0}
        for lo_day, hi_day in months:
            span = (hi_day - lo_day).days + 1
            n = int(rng.poisson(spec.per_month * scale * span / 30.44))
            for _ in range(n):
                start = lo_day + timedelta(days=int(rng.integers(0, span)))
                if spec.weekday_start:
                    start = _next_weekday(start)
                if start > last:
                    continue
                person = pick(spec.ages[0], spec.ages[1], (start - first).days)
                if person is None:
                    continue
                counts["cases"] += 1
                case_id = f"K{spec_index:02d}-{counts['cases']:07d}"
                birth = epoch + timedelta(days=int(population.birth_epoch[person]))
                unit = str(person_units[person, AREAS.index(spec.area)])
                pid = str(person_ids[person])
                urgency = ("urgent" if rng.random() < spec.urgent_share else "non_urgent") \
                    if spec.urgent_share else None
                at = _office_time(rng, start) if spec.weekday_start else datetime(
                    start.year, start.month, start.day, int(rng.integers(0, 24)),
                    int(rng.integers(0, 60)))
                out.add(case_id, pid, birth, unit, spec.case_type, spec.start, at, urgency, None)
                counts["events"] += 1
                day, previous = start, at
                cancel_at = (int(rng.integers(0, len(spec.steps)))
                             if rng.random() < spec.cancel_share else -1)
                for step_no, (event, delay) in enumerate(spec.steps):
                    day = delay.draw(rng, day)
                    if step_no == cancel_at:
                        if day <= last:
                            out.add(case_id, pid, birth, unit, spec.case_type, E.CANCELLED,
                                    _after(rng, day, previous), None, None)
                            counts["events"] += 1
                        break
                    if day > last:
                        break
                    previous = _after(rng, day, previous)
                    out.add(case_id, pid, birth, unit, spec.case_type, event, previous, None,
                            spec.group)
                    counts["events"] += 1
                    if spec.case_type is C.MEMORY_EXAMINATION and event is E.ASSESSED:
                        memory_assessed.append((person, day, unit))
        truth[spec.case_type.value] = {
            **counts, "new_per_month": round(spec.per_month * scale, 2),
            "legs": _planted(spec),
        }
        if progress is not None:
            progress()
    # Geriatrician: a share of the memory clients, referred on the day the examination ends.
    counts = {"cases": 0, "events": 0}
    for person, assessed, unit in memory_assessed:
        if rng.random() >= GERIATRICIAN_SHARE:
            continue
        counts["cases"] += 1
        case_id = f"KG-{counts['cases']:07d}"
        birth = epoch + timedelta(days=int(population.birth_epoch[person]))
        pid = str(person_ids[person])
        referred = _office_time(rng, assessed)
        out.add(case_id, pid, birth, unit, C.GERIATRICIAN, E.REFERRAL, referred, None, None)
        counts["events"] += 1
        visit = GERIATRICIAN_WAIT.draw(rng, assessed)
        if visit <= last:
            out.add(case_id, pid, birth, unit, C.GERIATRICIAN, E.VISIT,
                    _after(rng, visit, referred), None, "physician")
            counts["events"] += 1
    truth[C.GERIATRICIAN.value] = {**counts, "share_of_memory_clients": GERIATRICIAN_SHARE,
                                   "legs": {"referral→visit": {
                                       "median_days": GERIATRICIAN_WAIT.median}}}
    neuro = next(s for s in SPECS if s.case_type is C.NEUROPSYCHIATRIC_ASSESSMENT)
    wait = neuro.steps[0][1]
    assert isinstance(wait, Queue)
    mean_days = wait.median * float(np.exp(wait.sigma ** 2 / 2))
    truth[C.NEUROPSYCHIATRIC_ASSESSMENT.value]["expected_waiting"] = round(
        neuro.per_month * scale * mean_days / 30.44, 1)
    return out.table(), truth


def _planted(spec: CaseSpec) -> dict[str, Any]:
    legs: dict[str, Any] = {}
    previous = spec.start
    for event, delay in spec.steps:
        key = f"{previous.value}→{event.value}"
        if isinstance(delay, OnTime):
            unit = "weekdays" if delay.weekdays else "days"
            years = sorted(delay.by_year) if delay.by_year else []
            legs[key] = {"within": f"{delay.limit} {unit}", "planted_share": delay.share,
                         **({"planted_share_by_year": {str(y): delay.by_year[y]
                                                       for y in years}}
                            if delay.by_year else {})}
        else:
            legs[key] = {"median_days": delay.median}
        previous = event
    return legs
