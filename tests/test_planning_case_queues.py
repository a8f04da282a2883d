"""Queues between two events of the case-events file (specialist and social-welfare)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from sotekeskus.ingest.case_events import SCHEMA
from sotekeskus.planning.case_queues import case_legs, case_queue_entries, leg_of
from sotekeskus.planning.queue_plan import plan_queue
from sotekeskus.planning.queues import QueueError, QueueId, select_queue, weekly_series
from sotekeskus.planning.source import PlanningSource
from tests.planning_data import episodes

MON = date(2025, 3, 3)


def d(days: int) -> datetime:
    return datetime.combine(MON + timedelta(days=days), datetime.min.time()).replace(hour=10)


def events(rows: list[tuple[str, str, str, datetime, str | None]]) -> pa.Table:
    """(case_id, case_type, event, at, unit) rows; adults, no urgency."""
    cols: dict[str, list] = {name: [] for name in SCHEMA.names}
    for case_id, case_type, event, at, unit in rows:
        cols["case_id"].append(case_id)
        cols["person_id"].append("P" + case_id)
        cols["birth_date"].append(date(1950, 1, 1))
        cols["unit_id"].append(unit or "U001")
        cols["case_type"].append(case_type)
        cols["event"].append(event)
        cols["at"].append(at)
        cols["urgency"].append(None)
        cols["professional_group"].append("physician")
    return pa.table(cols, schema=SCHEMA)


G = "geriatrician"
ROWS = [
    ("C1", G, "referral", d(-30), None), ("C1", G, "visit", d(3), None),      # served wk 0
    ("C2", G, "referral", d(1), None), ("C2", G, "visit", d(9), None),        # served wk 1
    ("C3", G, "referral", d(2), None), ("C3", G, "cancelled", d(8), None),    # left wk 1
    ("C4", G, "referral", d(5), None),                                        # waiting
    ("C5", G, "referral", d(6), "U002"), ("C5", G, "closed", d(20), "U002"),  # left wk 2
    ("C6", "memory_examination", "referral", d(0), None),
]


@pytest.fixture(scope="module")
def source():
    return PlanningSource.from_arrow(episodes([dict(assessed=MON)]), case_events=events(ROWS))


def test_case_queue_series_by_hand(source):
    entries = case_queue_entries(source)
    s = weekly_series(entries, MON, MON + timedelta(days=20))
    q = select_queue(s, QueueId.parse("geriatrician/referral-visit"))
    assert q["arrivals"].tolist() == [4, 0, 0]        # C2, C3, C4, C5 (C1 came before)
    assert q["served"].tolist() == [1, 1, 0]
    assert q["unserved"].tolist() == [0, 1, 1]
    # end of week 0: C2, C3, C4, C5 (C1 seen on day 3); week 1: C4, C5; week 2: C4
    assert q["size"].tolist() == [4, 2, 1]
    memory = select_queue(s, QueueId.parse("memory_examination/referral-assessed"))
    assert memory["size"].tolist() == [1, 1, 1]


def test_case_deadlines_come_from_the_rule_book(source):
    entries = case_queue_entries(source, [leg_of(QueueId.parse("geriatrician/referral-visit"))])
    rows = {r["arrival_day"]: r for r in entries.to_pylist()}
    start = (MON + timedelta(days=5) - date(1970, 1, 1)).days
    # geriatrician: a regional target, no legal limit
    assert rows[start]["legal_deadline_day"] is None
    assert rows[start]["target_deadline_day"] is not None
    assert rows[start]["target_deadline_day"] > start


def test_case_queue_names_and_legs(source):
    q = QueueId.parse("specialist_referral/assessed-treatment_started/U003")
    assert q.is_case and str(q) == "specialist_referral/assessed-treatment_started/U003"
    with pytest.raises(QueueError, match="written geriatrician/from_event-to_event"):
        QueueId.parse("geriatrician/referral")
    with pytest.raises(QueueError, match="or a case type: specialist_referral"):
        QueueId.parse("specialist/referral-visit")
    assert "geriatrician: referral → visit" in [str(x) for x in case_legs(source)]
    assert case_queue_entries(PlanningSource.from_arrow(episodes([]))).num_rows == 0


def test_plan_queue_on_a_case_queue(source):
    entries = case_queue_entries(source)
    p = plan_queue(entries, QueueId.parse("geriatrician/referral-visit"), target_wait_days=60,
                   on=(MON + timedelta(days=20)), window_weeks=3)
    assert p.summary.queue_size == 1 and p.summary.referrals == 4


@pytest.mark.slow
def test_the_planted_neuropsychiatric_queue_obeys_littles_law():
    from sotekeskus.synth import generate_region

    region = generate_region(residents=60_000, start=date(2021, 1, 1), end=date(2025, 12, 31),
                             seed=4)
    source = PlanningSource.from_arrow(region.episodes, case_events=region.case_events)
    q = QueueId.parse("neuropsychiatric_assessment/referral-assessment_started")
    entries = case_queue_entries(source, [leg_of(q)])
    p = plan_queue(entries, q, target_wait_days=180, on=date(2025, 12, 31), window_weeks=52)
    # planted: ~20 referrals a month per 126 000 residents, a log-normal wait of median 240
    # days (σ 0.35) → Little's law: size ≈ arrivals × mean wait
    per_week = 20 * 60_000 / 126_000 * 12 / 52
    mean_wait_weeks = 240 * 2.718281828 ** (0.35**2 / 2) / 7
    assert p.summary.demand == pytest.approx(per_week, rel=0.3)
    assert p.summary.queue_size == pytest.approx(per_week * mean_wait_weeks, rel=0.3)
