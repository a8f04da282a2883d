"""The closed-form queue statistics against NHSRwaitinglist and hand-worked cases."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sotekeskus.planning.queue_stats import (
    QueueStatsError,
    QueueStatsTypeError,
    queue_load,
    relief_capacity,
    target_capacity,
    target_mean_wait,
    target_queue_size,
    waiting_list_pressure,
)
from sotekeskus.planning.summary import SummaryError, summarise_waiting_list


# --- a literal transcription of NHSRwaitinglist's R formula functions (calc_*.R) ----------
# R: load <- demand / capacity
def r_queue_load(demand, capacity):
    return demand / capacity


# R: target_mean_wait <- target_wait / factor
def r_target_mean_wait(target_wait, factor=4):
    return target_wait / factor


# R: mean_wait <- average_wait(target_wait, factor); target_queue_length <- demand * mean_wait
def r_target_queue_size(demand, target_wait, factor=4):
    return demand * (target_wait / factor)


# R: demand + ((cv_demand**2 + cv_capacity**2) / 2) * (factor / target_wait)
def r_target_capacity(demand, target_wait, factor=4, cv_demand=1, cv_capacity=1):
    return demand + ((cv_demand**2 + cv_capacity**2) / 2) * (factor / target_wait)


# R: if (num_referrals > 0) { if (2 * demand * cv_demand / sqrt(num_referrals) < 1) {
#      demand <- demand / (1 - 2 * demand * cv_demand / sqrt(num_referrals)) } }
#    rel_cap <- demand + (queue_size - target_queue_size) / time_to_target
def r_relief_capacity(demand, queue_size, target_queue_size, time_to_target=26,
                      num_referrals=0, cv_demand=0):
    if num_referrals > 0:
        if 2 * demand * cv_demand / math.sqrt(num_referrals) < 1:
            demand = demand / (1 - 2 * demand * cv_demand / math.sqrt(num_referrals))
    return demand + (queue_size - target_queue_size) / time_to_target


# R: wait_pressure <- 2 * mean_wait / target_wait
def r_waiting_list_pressure(mean_wait, target_wait):
    return 2 * mean_wait / target_wait


# --- the white paper's running example (P4 ENT list, Fong et al. 2022) --------------------


def test_white_paper_p4_ent_example():
    demand, capacity, queue, target, mean_wait = 30, 27, 1200, 52, 63
    assert queue_load(demand, capacity) == pytest.approx(1.1111111, abs=1e-7)
    assert target_mean_wait(target) == 13
    assert target_queue_size(demand, target) == 390
    assert queue / target_queue_size(demand, target) == pytest.approx(3.0769, abs=1e-4)
    assert relief_capacity(demand, queue, 390, 26) == pytest.approx(61.153846, abs=1e-6)
    # Kingman with Poisson arrivals and removals (cv 1 and 1): 30 + 1 * 4/52.
    assert target_capacity(demand, target) == pytest.approx(30 + 4 / 52)
    assert waiting_list_pressure(mean_wait, target) == pytest.approx(2.4230769, abs=1e-7)
    # The P2 list: mean wait 24 weeks against 4 → pressure 12, ~5x the P4 list's.
    assert waiting_list_pressure(24, 4) == 12
    assert waiting_list_pressure(24, 4) / waiting_list_pressure(63, 52) == pytest.approx(
        4.952, abs=1e-3)


def test_the_packages_own_test_values():
    # tests/testthat/test-calc_*.R of NHSRwaitinglist
    assert [queue_load(d, c) for d, c in ((35, 27), (30, 25), (52, 42))] == pytest.approx(
        [1.2962963, 1.2, 1.23809524])
    assert [target_mean_wait(t, f) for t, f in ((35, 4), (30, 4), (52, 6))] == pytest.approx(
        [8.75, 7.5, 8.6666667])
    assert target_queue_size(30, 50) == 375
    assert target_queue_size(30, 50, 6) == pytest.approx(250)
    assert target_capacity(30, 52, 3, 1.1, 1.2) == pytest.approx(30.076442, abs=1e-6)
    assert [relief_capacity(d, q, t, w) for d, q, t, w in (
        (30, 1200, 390, 26), (33, 800, 200, 30), (35, 250, 100, 15))] == pytest.approx(
        [61.153846, 53, 45])
    assert [waiting_list_pressure(m, t) for m, t in ((63, 52), (42, 24), (55, 50))] == \
        pytest.approx([2.42307692, 3.5, 2.2])


def test_hand_worked_cases_in_weeks():
    # A hygienist list: 120 referrals a week, target 90 days = 90/7 weeks.
    t = Fraction(90, 7)
    assert target_mean_wait(90 / 7) == pytest.approx(float(t / 4))
    assert target_queue_size(120, 90 / 7) == pytest.approx(float(120 * t / 4))  # 385.71
    # cv_demand 1.2, cv_capacity 0.5: 120 + ((1.44 + 0.25) / 2) * (4 / (90/7)) = 120.26289
    assert target_capacity(120, 90 / 7, 4, 1.2, 0.5) == pytest.approx(
        120 + 0.845 * 28 / 90, rel=1e-12)
    # 1 800 waiting, clear to 385.71 in 40 weeks: 120 + 1414.29 / 40 = 155.357
    assert relief_capacity(120, 1800, 120 * 90 / 7 / 4, 40) == pytest.approx(
        120 + (1800 - 120 * 90 / 28) / 40)


def test_relief_capacity_adds_two_standard_errors_to_an_estimated_demand():
    # 2 * 30 * 0.5 / sqrt(3600) = 0.5 < 1 → demand 30 / 0.5 = 60
    assert relief_capacity(30, 1200, 390, 26, num_referrals=3600, cv_demand=0.5) == \
        pytest.approx(60 + 810 / 26)
    # term 2 * 30 * 1 / sqrt(100) = 6 ≥ 1 → the demand is used as it is
    assert relief_capacity(30, 1200, 390, 26, num_referrals=100, cv_demand=1) == \
        pytest.approx(30 + 810 / 26)
    # no referrals given → no adjustment whatever the cv
    assert relief_capacity(30, 1200, 390, 26, 0, 5) == pytest.approx(30 + 810 / 26)


def test_results_are_floats_and_numpy_numbers_are_accepted():
    assert isinstance(target_queue_size(30, 52), float)
    assert queue_load(np.int64(30), np.float64(27.0)) == pytest.approx(30 / 27)


# --- errors where the R package returns Inf, NaN or a negative figure -------------------

BAD = [
    (queue_load, (30, 0), "capacity must be above 0"),             # R: Inf
    (queue_load, (0, 0), "capacity must be above 0"),              # R: NaN
    (queue_load, (-1, 27), "demand must be 0 or more"),            # R: negative
    (queue_load, (30, -27), "capacity must be above 0"),
    (target_mean_wait, (52, 0), "factor must be above 0"),         # R: Inf
    (target_mean_wait, (-52,), "target_wait must be above 0"),
    (target_mean_wait, (0,), "target_wait must be above 0"),
    (target_queue_size, (30, 52, 0), "factor must be above 0"),
    (target_queue_size, (-30, 52), "demand must be 0 or more"),
    (target_capacity, (30, 0), "target_wait must be above 0"),     # R: Inf
    (target_capacity, (30, 52, 4, -1, 1), "cv_demand must be 0 or more"),
    (target_capacity, (30, 52, 4, 1, -1), "cv_capacity must be 0 or more"),
    (relief_capacity, (30, 1200, 390, 0), "time_to_target must be above 0"),  # R: Inf
    (relief_capacity, (30, -1, 390), "queue_size must be 0 or more"),
    (relief_capacity, (30, 1200, -390), "target_queue_size must be 0 or more"),
    (relief_capacity, (30, 1200, 390, 26, -4), "num_referrals must be 0 or more"),
    (relief_capacity, (30, 1200, 390, 26, 100, -1), "cv_demand must be 0 or more"),
    (relief_capacity, (1, 10, 390, 26), "no relief capacity is needed"),  # R: negative
    (waiting_list_pressure, (63, 0), "target_wait must be above 0"),  # R: Inf
    (waiting_list_pressure, (-63, 52), "mean_wait must be 0 or more"),
    (waiting_list_pressure, (float("nan"), 52), "must be finite"),
    (queue_load, (float("inf"), 27), "must be finite"),
]


@pytest.mark.parametrize(("fn", "args", "message"), BAD,
                         ids=[f"{f.__name__}{a}" for f, a, _ in BAD])
def test_invalid_values_raise_a_clear_error(fn, args, message):
    with pytest.raises(QueueStatsError, match=message) as info:
        fn(*args)
    assert fn.__name__ in str(info.value)


@pytest.mark.parametrize("value", ["30", None, True, [30], complex(30, 0), date(2025, 1, 1)])
def test_non_numbers_and_bool_raise_a_type_error(value):
    with pytest.raises(QueueStatsTypeError, match="must be a real number"):
        queue_load(value, 27)
    with pytest.raises(TypeError):
        target_capacity(30, 52, cv_demand=value)


# --- agreement with the R functions on every valid input --------------------------------

pos = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
nonneg = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
cv = st.floats(min_value=0, max_value=10, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(d=nonneg, c=pos, t=pos, f=pos, m=nonneg, cd=cv, cc=cv)
def test_agrees_with_the_r_formulas(d, c, t, f, m, cd, cc):
    assert queue_load(d, c) == r_queue_load(d, c)
    assert target_mean_wait(t, f) == r_target_mean_wait(t, f)
    assert target_queue_size(d, t, f) == r_target_queue_size(d, t, f)
    assert target_capacity(d, t, f, cd, cc) == r_target_capacity(d, t, f, cd, cc)
    assert waiting_list_pressure(m, t) == r_waiting_list_pressure(m, t)


@settings(max_examples=300, deadline=None)
@given(d=nonneg, q=nonneg, tq=nonneg, w=pos, n=nonneg, cd=cv)
def test_relief_capacity_agrees_with_r_where_r_is_not_negative(d, q, tq, w, n, cd):
    expected = r_relief_capacity(d, q, tq, w, n, cd)
    if expected < 0:
        with pytest.raises(QueueStatsError):
            relief_capacity(d, q, tq, w, n, cd)
    else:
        assert relief_capacity(d, q, tq, w, n, cd) == expected


# --- the waiting-list summary -------------------------------------------------------------


def _list():
    """Hand-made list over the 4 weeks 2025-03-03 … 2025-03-30 (28 days)."""
    d = date(2025, 3, 3)
    referrals = [d - timedelta(days=40), d - timedelta(days=10), d - timedelta(days=3),
                 d, d + timedelta(days=7), d + timedelta(days=14), d + timedelta(days=21),
                 d + timedelta(days=27)]
    removals = [d - timedelta(days=20),  # removed before the window: not counted
                d + timedelta(days=1), d + timedelta(days=8), d + timedelta(days=15),
                None, None, None, None]
    return referrals, removals, d, d + timedelta(days=27)


def test_summary_counts_only_the_window_and_keeps_units_in_weeks():
    referrals, removals, start, end = _list()
    s = summarise_waiting_list(referrals, removals, start=start, end=end, target_wait_weeks=4)
    assert s.window_weeks == 4
    assert s.referrals == 5  # days 0, 7, 14, 21, 27
    assert s.removals == 3   # days 1, 8, 15 (the one 20 days before the start is not)
    assert s.demand == 5 / 4
    assert s.throughput == 3 / 4
    # waiting at the end of 2025-03-30: the entries of days 7, 14, 21 and 27 (the
    # entries of days -10, -3 and 0 were removed on days 1, 8 and 15)
    assert s.queue_size == 4
    waits_days = [27 - 7, 27 - 14, 27 - 21, 27 - 27]
    assert s.mean_wait_weeks == pytest.approx(sum(waits_days) / 4 / 7)
    # pressure in one unit: 2 * mean wait (weeks) / target (weeks)
    assert s.pressure == pytest.approx(2 * (39 / 4 / 7) / 4)
    assert s.target_queue_size == pytest.approx(5 / 4 * 4 / 4)
    assert s.queue_too_big is True  # 4 > 2 * 1.25
    assert s.relief_capacity == pytest.approx(5 / 4 + (4 - 1.25) / 26)
    assert s.target_capacity is None
    # referrals per week of the window: 1, 1, 1, 2 → √(var / mean) = √(0.25 / 1.25)
    weekly = np.array([1, 1, 1, 2.0])
    assert s.cv_demand == pytest.approx(np.sqrt(weekly.var(ddof=1) / weekly.mean()))
    # removals per week 1, 1, 1, 0; the list ended no day empty → all four weeks count
    weekly = np.array([1, 1, 1, 0.0])
    assert s.cv_capacity == pytest.approx(np.sqrt(weekly.var(ddof=1) / weekly.mean()))


def test_summary_capacity_is_measured_while_the_list_is_not_empty():
    # Two patients in the 14-day window 2025-01-06 … 2025-01-19; the list is empty from
    # the end of day 3 to the start of day 10 (7 empty days).
    s0 = date(2025, 1, 6)
    refs = [s0, s0 + timedelta(days=1), s0 + timedelta(days=10)]
    rems = [s0 + timedelta(days=2), s0 + timedelta(days=3), s0 + timedelta(days=12)]
    s = summarise_waiting_list(refs, rems, start=s0, end=s0 + timedelta(days=13),
                               target_wait_weeks=2)
    busy = 3 + 2  # days 0, 1, 2 and 10, 11 end non-empty
    assert s.capacity == pytest.approx(3 / (busy / 7))
    assert s.throughput == pytest.approx(3 / 2)
    assert s.load == pytest.approx((3 / 2) / (3 / (busy / 7)))
    assert s.queue_size == 0 and s.mean_wait_weeks is None and s.pressure is None
    # both weeks have a day on which the list ended empty → no removal cv
    assert s.cv_capacity is None
    assert s.cv_demand == pytest.approx(np.sqrt(np.array([2, 1.0]).var(ddof=1) / 1.5))
    assert s.target_capacity == pytest.approx(target_capacity(
        1.5, 2, 4, s.cv_demand, 1.0))


def test_summary_pressure_compares_weeks_with_weeks():
    # 10 patients waiting exactly 8 weeks each on the last day, target 4 weeks
    end = date(2025, 6, 30)
    refs = [end - timedelta(days=56)] * 10
    s = summarise_waiting_list(refs, [None] * 10, start=end - timedelta(days=83), end=end,
                               target_wait_weeks=4)
    assert s.mean_wait_weeks == 8
    assert s.pressure == 4.0
    # wl_stats divides the mean wait in days (56) by the target in weeks: 7x our figure
    assert r_waiting_list_pressure(56, 4) == 7 * s.pressure


def test_poisson_arrivals_have_a_cv_near_one_whatever_the_date_granularity():
    rng = np.random.default_rng(3)
    start = date(2024, 1, 1)
    refs = []
    for week in range(104):
        for _ in range(rng.poisson(400)):  # 400 a week: many patients share a date
            refs.append(start + timedelta(days=7 * week + int(rng.integers(0, 5))))
    s = summarise_waiting_list(refs, [None] * len(refs), start=start,
                               end=start + timedelta(days=727), target_wait_weeks=13)
    assert s.cv_demand == pytest.approx(1.0, abs=0.2)
    gaps = np.diff(np.sort([(r - start).days for r in refs]))
    assert gaps.std(ddof=1) / gaps.mean() > 5  # the gaps between dates: far from 1


def test_summary_accepts_date_times_and_rejects_bad_entries():
    t0 = datetime(2025, 1, 6, 9, 30)
    s = summarise_waiting_list([t0, t0 + timedelta(hours=12)], [None, None],
                               start=date(2025, 1, 6), end=date(2025, 1, 12),
                               target_wait_weeks=1)
    assert s.referrals == 2 and s.queue_size == 2
    assert s.mean_wait_weeks == pytest.approx(6 / 7)
    with pytest.raises(SummaryError, match="2 referrals but 1 removals"):
        summarise_waiting_list([t0, t0], [None], start=t0.date(), end=t0.date(),
                               target_wait_weeks=1)
    with pytest.raises(SummaryError, match="before its referral"):
        summarise_waiting_list([date(2025, 1, 6)], [date(2025, 1, 5)], start=t0.date(),
                               end=t0.date(), target_wait_weeks=1)
    with pytest.raises(SummaryError, match="is before start"):
        summarise_waiting_list([], [], start=date(2025, 1, 6), end=date(2025, 1, 5),
                               target_wait_weeks=1)
    with pytest.raises(SummaryError, match="not a date"):
        summarise_waiting_list(["2025-01-06"], [None], start=t0.date(), end=t0.date(),
                               target_wait_weeks=1)
    with pytest.raises(QueueStatsError, match="target_wait must be above 0"):
        summarise_waiting_list([t0], [None], start=t0.date(), end=t0.date(),
                               target_wait_weeks=0)


def test_summary_removals_after_the_window_are_not_removals_of_the_window():
    start, end = date(2025, 1, 6), date(2025, 1, 19)
    refs = [date(2024, 12, 1), date(2025, 1, 7), date(2025, 1, 8)]
    rems = [date(2025, 1, 10), date(2025, 1, 20), date(2025, 2, 1)]  # two after the end
    s = summarise_waiting_list(refs, rems, start=start, end=end, target_wait_weeks=2)
    assert (s.referrals, s.removals, s.queue_size) == (2, 1, 2)
    assert s.throughput == 0.5
    assert s.mean_wait_weeks == pytest.approx((12 + 11) / 2 / 7)
