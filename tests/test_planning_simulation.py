"""The queue simulator against queueing theory and hand-computed deterministic cases."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from sotekeskus.planning.queues import QueueId, queue_entries
from sotekeskus.planning.scenario import ExtraCapacity, estimate_scenario, without_extras
from sotekeskus.planning.simulation import (
    Calendar,
    CapacityStream,
    Scenario,
    SimulationError,
    replicate,
    simulate,
)
from sotekeskus.planning.source import PlanningSource
from tests.planning_data import episodes

START = date(2025, 1, 6)  # a Monday


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c with offered load a = λ/μ (Erlang C)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def textbook(c: int, lam: float, mu: float, weeks: int = 52) -> Scenario:
    """M/M/c: Poisson arrivals λ a day, c servers each serving μ a day, always open."""
    return Scenario(start=START, weeks=weeks, calendar=Calendar.continuous(START, 7 * weeks),
                    weekly_arrivals={"non_urgent": [lam * 7]},
                    capacity=(CapacityStream("own", [c * mu * 7], servers=c,
                                             service="exponential"),))


def waits(scenario: Scenario, replications: int, seed: int = 1) -> np.ndarray:
    out = []
    for ss in np.random.SeedSequence(seed).spawn(replications):
        run = replicate(scenario, ss)
        served = ~np.isnan(run.served_at)
        out.append(run.served_at[served] - run.arrival[served])
    return np.concatenate(out)


@pytest.mark.slow
def test_mm1_mean_wait_probability_of_waiting_and_queue_length():
    lam, mu = 8.0, 10.0  # ρ = 0.8
    w = waits(textbook(1, lam, mu), 20)
    rho = lam / mu
    assert w.mean() == pytest.approx(rho / (mu - lam), rel=0.05)  # Wq = 0.4 days
    assert (w > 0).mean() == pytest.approx(rho, abs=0.02)
    # waiting time beyond t: ρ e^{-(μ-λ)t}
    assert (w > 1.0).mean() == pytest.approx(rho * math.exp(-(mu - lam) * 1.0), abs=0.02)
    # the queue length seen at the week ends is the time average, Lq = ρ² / (1 − ρ)
    res = simulate(textbook(1, lam, mu), replications=20, seed=2)
    assert res.weeks["size_mean"].mean() == pytest.approx(rho**2 / (1 - rho), rel=0.1)


@pytest.mark.slow
@pytest.mark.parametrize(("c", "lam", "mu"), [(3, 24.0, 10.0), (5, 35.0, 8.0)])
def test_mmc_matches_erlang_c(c, lam, mu):
    w = waits(textbook(c, lam, mu), 12, seed=c)
    a = lam / mu
    p_wait = erlang_c(c, a)
    assert (w > 0).mean() == pytest.approx(p_wait, abs=0.02)
    assert w.mean() == pytest.approx(p_wait / (c * mu - lam), rel=0.06)


def test_erlang_c_helper_by_hand():
    # c = 3, a = 2.4: (13.824/6 · 3/0.6) / (1 + 2.4 + 2.88 + 11.52) = 11.52 / 17.8
    assert erlang_c(3, 2.4) == pytest.approx(11.52 / 17.8)
    assert erlang_c(1, 0.8) == pytest.approx(0.8)


def test_a_fixed_schedule_clears_a_list_by_hand():
    # 520 waiting, nobody new, 52 appointments a week: 52 fewer every week (Feb–Mar 2025
    # has no public holiday)
    start = date(2025, 2, 3)
    s = Scenario(start=start, weeks=8, calendar=Calendar.finnish(start, 56),
                 weekly_arrivals={}, capacity=(CapacityStream("own", [52], 30.0),),
                 initial_waits=[100.0 - i * 0.1 for i in range(520)], target_days=90)
    res = simulate(s, replications=2, seed=1)
    assert res.weeks["size_mean"].tolist() == pytest.approx(
        [520 - 52 * (w + 1) for w in range(8)], abs=1)
    assert res.weeks["served_mean"].tolist() == pytest.approx([52] * 8, abs=1)
    assert res.weeks["cost_mean"].tolist() == pytest.approx([52 * 30.0] * 8, abs=30)
    # first come, first served: those who waited longest go first, so the ones left after
    # a week have waited at most 100 - 52 × 0.1 days at the start
    assert res.weeks["p90_wait_mean"].iloc[0] < 100 + 7 - 5.1


def test_holidays_take_capacity_and_urgent_patients_go_first():
    # Christmas week 2025: Wed 24, Thu 25 and Fri 26 December are holidays → 2 open days
    start = date(2025, 12, 22)
    s = Scenario(start=start, weeks=1, calendar=Calendar.finnish(start, 7),
                 weekly_arrivals={"urgent": [0]}, capacity=(CapacityStream("own", [50]),),
                 initial_waits=[30.0] * 100)
    assert simulate(s, replications=2).weeks["served_mean"].iloc[0] == pytest.approx(20, abs=1)
    # urgent arrivals take the appointments before the non-urgent list: no non-urgent
    # patient is served while an urgent one is waiting
    start = date(2025, 2, 3)
    s = Scenario(start=start, weeks=2, calendar=Calendar.finnish(start, 14),
                 weekly_arrivals={"urgent": [30]}, capacity=(CapacityStream("own", [50]),),
                 initial_waits=[30.0] * 100)
    run = replicate(s, np.random.SeedSequence(4))
    urgent = run.cls == 0
    assert urgent.sum() > 40
    for t in run.served_at[~urgent & ~np.isnan(run.served_at)]:
        waiting_urgent = urgent & (run.arrival < t) & ~(run.served_at <= t)
        assert not waiting_urgent.any()
    served_urgent = ~np.isnan(run.served_at[urgent])
    assert served_urgent.mean() > 0.8  # the rest arrived after the last open hour


def test_cancellations_at_the_given_hazard():
    start = date(2025, 2, 3)
    s = Scenario(start=start, weeks=4, calendar=Calendar.finnish(start, 28),
                 weekly_arrivals={}, capacity=(CapacityStream("own", [0]),),
                 initial_waits=[10.0] * 20000, renege_per_week=0.1)
    res = simulate(s, replications=2, seed=3)
    assert res.weeks["size_mean"].tolist() == pytest.approx(
        [20000 * math.exp(-0.1 * (w + 1)) for w in range(4)], rel=0.01)


def test_same_seed_same_result_and_bands_hold_the_mean():
    s = textbook(1, 8, 10, weeks=6)
    a, b = simulate(s, 5, seed=9), simulate(s, 5, seed=9)
    assert a.weeks.equals(b.weeks)
    assert (a.weeks["size_lo"] <= a.weeks["size_mean"]).all()
    assert (a.weeks["size_mean"] <= a.weeks["size_hi"]).all()


def test_bad_scenarios_are_errors():
    cal = Calendar.continuous(START, 7)
    with pytest.raises(SimulationError, match="no capacity"):
        Scenario(start=START, weeks=1, calendar=cal, weekly_arrivals={}, capacity=())
    with pytest.raises(SimulationError, match="arrival classes"):
        Scenario(start=START, weeks=1, calendar=cal, weekly_arrivals={"vip": [1]},
                 capacity=(CapacityStream("own", [1]),))
    with pytest.raises(SimulationError, match="appointments per week must be 0 or more"):
        CapacityStream("own", [-1])
    with pytest.raises(SimulationError, match="servers"):
        CapacityStream("own", [1], servers=0)
    with pytest.raises(SimulationError, match="shorter than the scenario"):
        Scenario(start=START, weeks=2, calendar=cal, weekly_arrivals={},
                 capacity=(CapacityStream("own", [1]),))
    with pytest.raises(SimulationError, match="replications must be 2 or more"):
        simulate(textbook(1, 1, 2, weeks=1), replications=1)
    with pytest.raises(SimulationError, match="ends 2025-01-01 before"):
        ExtraCapacity("x", 1, date(2025, 2, 1), date(2025, 1, 1))


# --- a scenario estimated from a real queue -------------------------------------------------


def test_scenario_from_a_steady_queue_by_hand():
    # 10 weeks before 2025-03-30 of a steady hygienist list at U001: every weekday one new
    # patient (5 a week), served 14 days later; 12 waiting at the end
    mon = date(2025, 1, 20)
    rows = []
    for k in range(70):
        day = mon + timedelta(days=k)
        if day.weekday() < 5:
            visit = day + timedelta(days=14)
            rows.append(dict(assessed=day, visit=visit if visit <= date(2025, 3, 30) else None))
    entries = queue_entries(PlanningSource.from_arrow(episodes(rows)))
    q = QueueId.parse("oral/dental_hygienist/U001")
    s, est = estimate_scenario(entries, q, on=date(2025, 3, 30), weeks=4, history_weeks=10,
                               window_weeks=4, target_days=30,
                               extras=(ExtraCapacity("bought", 3, date(2025, 4, 7),
                                                     date(2025, 4, 13), 50.0),))
    assert est.waiting_now == 10
    assert est.arrivals_per_week["non_urgent"] == pytest.approx(5.0)
    assert est.arrivals_per_week["urgent"] == 0
    assert est.capacity_per_week == pytest.approx(5.0, rel=0.05)
    assert est.weekday_factors[5] == 0 and est.weekday_factors[0] == pytest.approx(1.4)
    assert est.min_lead_days == 14
    assert est.renege_per_week == 0
    assert s.start == date(2025, 3, 31) and sorted(s.initial_waits)[:2] == [3.0, 4.0]
    assert [c.name for c in s.capacity] == ["own", "bought"]
    assert s.capacity[1].per_week == [0.0, 3, 0.0, 0.0]  # only the week of 7–13 April
    assert without_extras(s).capacity == s.capacity[:1]


@pytest.mark.slow
def test_synthetic_hygienist_queue_relief_scenario():
    from sotekeskus.synth import generate_region

    region = generate_region(residents=20_000, start=date(2019, 1, 1),
                             end=date(2023, 6, 30), seed=2)
    entries = queue_entries(PlanningSource.from_arrow(region.episodes),
                            include_unassessed=True)
    q = QueueId.parse("oral/dental_hygienist")
    s, est = estimate_scenario(entries, q, on=date(2023, 6, 30), weeks=26, target_days=90,
                               extras=(ExtraCapacity("purchased", 30, date(2023, 8, 1),
                                                     date(2023, 12, 31), 80.0),))
    planted = [x for x in region.truth["queues"] if x["service_area"] == "oral"
               and x["professional_group"] == "dental_hygienist"]
    weeks = region.truth["weeks"]
    i = weeks.index("2023-04-03")
    served = sum(np.array(x["weekly_served"][i:i + 12]).sum() for x in planted) / 12
    # own capacity (in a normal week) close to what the planted queues served (the urgent
    # ones are few: hygienists see 2 % urgent)
    assert est.capacity_per_week == pytest.approx(served, rel=0.25)
    do_more = simulate(s, replications=4, seed=1)
    as_is = simulate(without_extras(s), replications=4, seed=1)
    assert do_more.weeks["size_mean"].iloc[-1] < as_is.weeks["size_mean"].iloc[-1]
    bought = do_more.served_by_stream["purchased"].mean()
    assert 0 < bought <= 30 * 23
    assert do_more.total_cost.mean() == pytest.approx(bought * 80.0)
