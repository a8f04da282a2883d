"""Synthetic case events (synth/case_events.py): importable, deterministic, and the deadline
report finds the planted truth (planning.md §6 figures)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sotekeskus.analytics.case_legs import leg_instances
from sotekeskus.analytics.deadline_report import DeadlineFilter, deadline_rows, open_legs
from sotekeskus.domain.vocabulary import EVENT_CASE_TYPES, CaseType
from sotekeskus.ingest.case_events import check_leg_order, read_case_event_file
from sotekeskus.rules import load_rulebook
from sotekeskus.synth import write_episodes
from sotekeskus.synth.calibration import DEFAULT_CALIBRATION
from sotekeskus.synth.case_events import GERIATRICIAN_SHARE, generate_case_events
from sotekeskus.synth.population import generate_population
from sotekeskus.synth.strings import hex_ids
from sotekeskus.synth.timeline import Timeline
from sotekeskus.synth.units import UNIT_IDS, assign_units, municipality_weights

END = date(2025, 12, 31)


@pytest.fixture(autouse=True)
def _no_region_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOTEKESKUS_RULES_DIR", raising=False)


def make(residents: int, start: date = date(2019, 1, 1), end: date = END, seed: int = 3):
    timeline = Timeline.build(start, end, DEFAULT_CALIBRATION)
    population = generate_population(residents, timeline, municipality_weights(),
                                     DEFAULT_CALIBRATION, np.random.default_rng(seed))
    units = np.asarray(UNIT_IDS)[assign_units(population.municipality,
                                              np.random.default_rng(seed + 1))]
    ids = hex_ids("P", population.id_numbers, 10)
    return generate_case_events(population, timeline, ids, units, seed, residents)


@pytest.fixture(scope="module")
def region():
    return make(60_000)


@pytest.fixture(scope="module")
def book():
    return load_rulebook()


def test_small_region_is_deterministic_and_importable(tmp_path: Path, book) -> None:
    first, truth = make(3_000, date(2024, 1, 1), date(2025, 6, 30), seed=5)
    again, _ = make(3_000, date(2024, 1, 1), date(2025, 6, 30), seed=5)
    other, _ = make(3_000, date(2024, 1, 1), date(2025, 6, 30), seed=6)
    assert first.equals(again) and not first.equals(other)
    path = write_episodes(first, tmp_path / "events.csv")
    batch = read_case_event_file(path)  # the file obeys the case-events contract
    check_leg_order(batch, None, book.legs())
    assert batch.rows == first.num_rows
    assert max(batch.events().column("at").to_pylist()).date() <= date(2025, 6, 30)
    assert set(truth) >= {c.value for c in EVENT_CASE_TYPES}


def test_every_case_type_is_in_the_region(region) -> None:
    events, truth = region
    assert set(events.column("case_type").to_pylist()) == {c.value for c in EVENT_CASE_TYPES}
    for case_type in EVENT_CASE_TYPES:
        assert truth[case_type.value]["cases"] > 0, case_type


def test_child_and_family_assessments_within_90_days(region, book) -> None:
    events, truth = region
    flt = DeadlineFilter(case_types=(CaseType.CHILD_FAMILY_ASSESSMENT,))
    target = deadline_rows(events, book, flt, targets=True)
    law = deadline_rows(events, book, flt)
    within = sum(r["within_limit"] for r in target) / sum(r["completed"] for r in target)
    assert 0.84 <= within <= 0.92  # planted 84.6-90.4 % a year
    law_within = sum(r["within_limit"] for r in law) / sum(r["completed"] for r in law)
    assert law_within >= within  # 3 calendar months are 89-92 days
    planted = truth["child_family_assessment"]["legs"]["case_opened→assessed"]
    assert planted["planted_share_by_year"]["2021"] == 0.846


def test_older_persons_75_plus_within_7_weekdays(region, book) -> None:
    events, _ = region
    rows = deadline_rows(events, book, DeadlineFilter(
        case_types=(CaseType.OLDER_PERSON_ASSESSMENT,)))
    share = sum(r["within_limit"] for r in rows) / sum(r["completed"] for r in rows)
    assert 0.89 <= share <= 0.97  # planted 93 %
    legs = leg_instances(events, book, case_types=[CaseType.OLDER_PERSON_ASSESSMENT])
    scoped = [r for r in legs.to_pylist() if r["from_event"] == "contact"]
    out_of_scope = [r for r in scoped if r["rule_id"] is None]
    assert out_of_scope and len(out_of_scope) < len(scoped)  # 70-74-year-olds are not judged


def test_memory_and_geriatrician_queues(region, book) -> None:
    events, truth = region
    legs = leg_instances(events, book, case_types=[CaseType.MEMORY_EXAMINATION,
                                                   CaseType.GERIATRICIAN]).to_pylist()
    memory = [r["days"] for r in legs if r["case_type"] == "memory_examination"
              and r["days"] is not None]
    geri = [r["days"] for r in legs if r["case_type"] == "geriatrician"
            and r["days"] is not None]
    assert 38 <= statistics.median(memory) <= 52  # about 1.5 months
    assert 150 <= statistics.median(geri) <= 185  # about 5.5 months
    share = truth["geriatrician"]["cases"] / len(memory)
    assert abs(share - GERIATRICIAN_SHARE) < 0.06
    per_month = defaultdict(int)
    for r in legs:
        if r["case_type"] == "memory_examination":
            per_month[r["start_date"].strftime("%Y-%m")] += 1
    mean = sum(per_month.values()) / len(per_month)
    assert abs(mean - truth["memory_examination"]["new_per_month"]) < 0.15 * mean


def test_neuropsychiatric_queue_size(region, book) -> None:
    events, truth = region
    waiting = open_legs(events, book, END, DeadlineFilter(
        case_types=(CaseType.NEUROPSYCHIATRIC_ASSESSMENT,)))
    first_leg = [r for r in waiting.rows if r["to_event"] == "assessment_started"]
    expected = truth["neuropsychiatric_assessment"]["expected_waiting"]
    assert abs(len(first_leg) - expected) < 0.35 * expected  # 126 000 residents: ~144-200
