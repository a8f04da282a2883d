"""Queues as weekly series, against hand-counted cases and the waiting-list report."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from sotekeskus.planning.queues import (
    QueueError,
    QueueId,
    known_queues,
    queue_entries,
    select_queue,
    weekly_series,
)
from sotekeskus.planning.source import PlanningSource
from tests.planning_data import episodes

MON = date(2025, 3, 3)  # a Monday


def d(days: int) -> date:
    return MON + timedelta(days=days)


ROWS = [
    # before the range: waiting since 2025-01-20 (42 days before MON), seen on day 9
    dict(assessed=d(-42), visit=d(9)),
    # week 0 arrivals: days 0, 2, 6; week 1: day 8; week 2: day 15 (cancelled)
    dict(assessed=d(0), visit=d(3)),            # served in week 0
    dict(assessed=d(2), visit=d(16)),           # served in week 2
    dict(assessed=d(6)),                        # still waiting
    dict(assessed=d(8), status="cancelled"),    # left unserved in week 1
    dict(assessed=d(15)),                       # waiting
    # another unit, same area and group
    dict(unit="U002", assessed=d(1), visit=d(20)),
    # urgent (not in the queue, counted beside it), plan-based (not at all), not assessed
    dict(assessed=d(1), visit=d(1), urgency="urgent"),
    dict(assessed=d(1), visit=d(30), plan=True),
    dict(assessed=None, contact=d(1)),
]


@pytest.fixture(scope="module")
def source():
    return PlanningSource.from_arrow(episodes(ROWS))


@pytest.fixture(scope="module")
def series(source):
    return weekly_series(queue_entries(source), MON, d(20), quantiles=True)


def test_flows_and_sizes_by_hand(series):
    u1 = select_queue(series, QueueId("oral", "dental_hygienist", "U001"))
    assert u1["week"].tolist() == [MON, d(7), d(14)]
    assert u1["arrivals"].tolist() == [3, 1, 1]
    assert u1["served"].tolist() == [1, 1, 1]
    assert u1["unserved"].tolist() == [0, 1, 0]
    assert u1["removals"].tolist() == [1, 2, 1]
    # end of week 0 (Sunday = day 6): day -42, 2 and 6 wait → 3; week 1: 2 and 6 (the
    # -42 one seen day 9) → 2; week 2: 6 and 15 → 2
    assert u1["size"].tolist() == [3, 2, 2]
    assert u1["urgent_arrivals"].tolist() == [1, 0, 0]
    assert u1["urgent_served"].tolist() == [1, 0, 0]
    # waits at the end of week 0: 48, 4, 0 days → mean 52/3, median 4, p90 0.8*44+4=39.2
    assert u1.loc[0, "mean_wait_days"] == pytest.approx(52 / 3)
    assert u1.loc[0, "median_wait_days"] == 4
    assert u1.loc[0, "p90_wait_days"] == pytest.approx(4 + 0.8 * 44)
    # week 2 (Sunday day 20): waits 14 and 5 → median 9.5 (mean of the two middle ones)
    assert u1.loc[2, "median_wait_days"] == 9.5
    bins = [c for c in u1.columns if c.startswith("waited_")]
    assert (u1[bins].sum(axis=1) == u1["size"]).all()


def test_wait_bins_by_hand(series):
    u1 = select_queue(series, QueueId("oral", "dental_hygienist", "U001"))
    # end of week 0: waits 48 (4–8 w), 4 and 0 (0–1 w)
    assert u1.loc[0, "waited_0_1w"] == 2
    assert u1.loc[0, "waited_4_8w"] == 1
    # end of week 1 (day 13): waits 11 (1–2 w) and 7 (1–2 w)
    assert u1.loc[1, "waited_1_2w"] == 2


def test_pooled_queue_is_the_sum_of_its_units(series):
    pooled = select_queue(series, QueueId.parse("oral/dental_hygienist"))
    assert pooled["unit_id"].isna().all()
    units = series[series["unit_id"].notna()].groupby("week")[["arrivals", "size"]].sum()
    assert pooled["arrivals"].tolist() == units["arrivals"].tolist() == [4, 1, 1]
    assert pooled["size"].tolist() == units["size"].tolist() == [4, 3, 2]


def test_past_the_legal_limit(source):
    # oral care, adult, assessed 2025-01-20 → deadline 6 months later: not past in March;
    # a person assessed on 2024-06-03 who still waits is past it (2024-12-03)
    rows = [dict(assessed=date(2024, 6, 3)), dict(assessed=date(2025, 1, 20))]
    s = weekly_series(queue_entries(PlanningSource.from_arrow(episodes(rows))), MON, d(6))
    u1 = select_queue(s, QueueId.parse("oral/dental_hygienist/U001"))
    assert u1["size"].tolist() == [2]
    assert u1["past_legal_limit"].tolist() == [1]


def test_week_end_sizes_equal_the_waiting_list_on_those_sundays(source):
    from sotekeskus.analytics.waiting_list import waiting_rows

    entries = queue_entries(source)
    s = weekly_series(entries, MON, d(20), pooled=False)
    for week in range(3):
        sunday = d(7 * week + 6)
        rows = waiting_rows(source.episodes(), source.rulebook, sunday).to_pyarrow()
        plan = {r["episode_id"] for r in rows.to_pylist()} & {"E00008"}
        expected = rows.num_rows - len(plan)
        assert s[s["week"] == d(7 * week)]["size"].sum() == expected


def test_only_whole_weeks(source):
    entries = queue_entries(source)
    assert weekly_series(entries, MON, d(19))["week"].max() == d(7)  # Sunday d(20) not in
    with pytest.raises(QueueError, match="holds no whole week"):
        weekly_series(entries, d(1), d(5))
    with pytest.raises(QueueError, match="is before start"):
        weekly_series(entries, d(6), d(1))


def test_queue_names_are_checked():
    assert str(QueueId.parse("oral/dental_hygienist")) == "oral/dental_hygienist/all"
    assert QueueId.parse("medical/physician/U003").unit_id == "U003"
    with pytest.raises(QueueError, match="service_area 'dental' is not one of medical"):
        QueueId.parse("dental/dental_hygienist")
    with pytest.raises(QueueError, match="professional_group 'hygienist' is not one of"):
        QueueId.parse("oral/hygienist")
    with pytest.raises(QueueError, match="write service_area/professional_group"):
        QueueId.parse("oral")


def test_unknown_queue_lists_the_known_ones(series, source):
    with pytest.raises(QueueError, match="no queue oral/dentist/all.*oral/dental_hygienist/U002"):
        select_queue(series, QueueId.parse("oral/dentist"))
    assert [str(q) for q in known_queues(queue_entries(source))] == [
        "oral/dental_hygienist/U001", "oral/dental_hygienist/U002",
        "oral/dental_hygienist/all"]


def test_synthetic_region_series_match_the_planted_arrivals():
    from sotekeskus.synth import generate_region

    region = generate_region(residents=3_000, start=date(2019, 1, 1), end=date(2019, 12, 31),
                             seed=4)
    source = PlanningSource.from_arrow(region.episodes)
    assessed = weekly_series(queue_entries(source), date(2019, 1, 7), date(2019, 12, 29))
    entries = queue_entries(source, include_unassessed=True)
    s = weekly_series(entries, date(2019, 1, 7), date(2019, 12, 29), pooled=False)
    # only part of the assessments is recorded: the assessed-only queue sees less
    assert 0.6 < assessed["arrivals"].sum() / s["arrivals"].sum() / 2 < 0.9
    weeks = region.truth["weeks"]
    planted = {}
    for q in region.truth["queues"]:
        key = (q["unit_id"], q["service_area"], q["professional_group"])
        arr = np.array(q["weekly_arrivals"])
        planted[key] = planted.get(key, 0) + arr
    # the planted arrivals are the queued episodes assessed in each week (non-urgent,
    # unplanned, not cancelled); ours also count the cancelled ones (left unserved), and
    # an unrecorded assessment enters on the contact date (a day or so earlier, at times)
    i0 = weeks.index("2019-01-07")
    total_planted = total_ours = 0
    for (unit, area, group), arr in planted.items():
        got = s[(s["unit_id"] == unit) & (s["service_area"] == area)
                & (s["professional_group"] == group)]
        ours = (got["arrivals"] - got["unserved"]).to_numpy()
        expected = arr[i0:i0 + len(got)]
        total_planted += expected.sum()
        total_ours += ours.sum()
        # a few episodes shift to the week before; the running totals stay together
        assert np.abs(np.cumsum(ours) - np.cumsum(expected)).max() <= 3
    assert abs(total_ours / total_planted - 1) < 0.01


# --- the statistics of a real queue ---------------------------------------------------------


def test_plan_queue_by_hand():
    from sotekeskus.planning.queue_plan import plan_queue

    # 4 weeks 2025-03-03 … 2025-03-30; U001 hygienists: 2 arrivals a week, 1 served a week,
    # and 6 who have waited since January (one of them past nothing: oral adult 6 months)
    rows = [dict(assessed=date(2025, 1, 6)) for _ in range(6)]
    for w in range(4):
        rows.append(dict(assessed=d(7 * w), visit=d(7 * w + 3)))
        rows.append(dict(assessed=d(7 * w + 1)))
    rows.append(dict(assessed=d(2), visit=d(2), urgency="urgent"))
    entries = queue_entries(PlanningSource.from_arrow(episodes(rows)))
    p = plan_queue(entries, QueueId.parse("oral/dental_hygienist/U001"), target_wait_days=28,
                   on=d(27), window_weeks=4, by=d(27 + 56))
    s = p.summary
    assert (s.referrals, s.removals, s.queue_size) == (8, 4, 10)
    assert s.demand == 2 and s.capacity == 1 and s.load == 2
    assert p.served_per_week == 1 and p.unserved_per_week == 0
    assert p.urgent_served_per_week == 0.25
    # waits on day 27 (2025-03-30): six since 2025-01-06 (83 days), and 26, 19, 12, 5 days
    waits = [83] * 6 + [26, 19, 12, 5]
    assert s.mean_wait_weeks == pytest.approx(np.mean(waits) / 7)
    assert p.median_wait_days == np.median(waits)
    assert p.waiting_over_target == 6
    assert s.target_queue_size == pytest.approx(2 * 4 / 4)  # 2 a week × 4 weeks ÷ 4
    assert s.queue_too_big and s.time_to_target_weeks == 8
    assert p.capacity_needed == pytest.approx(2 + (10 - 2) / 8)
    assert p.extra_per_week == pytest.approx(3 - 1)
    assert s.pressure == pytest.approx(2 * np.mean(waits) / 7 / 4)
    figures = {r["figure"]: r for r in p.rows()}
    assert figures["relief_capacity"]["unit"] == "patients/week"
    assert figures["target_wait"]["how"].startswith("= 4.000 weeks")


def test_plan_queue_rejects_bad_input(source):
    from sotekeskus.planning.queue_plan import plan_queue

    entries = queue_entries(source)
    q = QueueId.parse("oral/dental_hygienist")
    with pytest.raises(QueueError, match="give a number of days above 0"):
        plan_queue(entries, q, target_wait_days=0)
    with pytest.raises(QueueError, match="is not after the date of the list"):
        plan_queue(entries, q, target_wait_days=90, on=d(20), by=d(20))
    with pytest.raises(QueueError, match="no queue oral/dentist/all"):
        plan_queue(entries, QueueId.parse("oral/dentist"), target_wait_days=90)
