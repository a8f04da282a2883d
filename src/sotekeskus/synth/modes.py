"""Contact mode of done care events, calibrated to a region-wide remote share over time.

Each event's log-odds of being remote is a monthly intercept plus offsets for service area,
professional group, age 75+, urgency and care plan. The intercept of each month is solved
(bisection, all months at once) so that the expected remote share of that month's done
events equals the calibrated target: the mix of services decides *who* is remote, the target
decides *how many*.
"""

from __future__ import annotations

import numpy as np

from sotekeskus.synth.calibration import AREAS, GROUPS, MODES, REMOTE_MODES, Calibration
from sotekeskus.synth.demand import area_group_table
from sotekeskus.synth.timeline import Timeline

_N_CELLS = len(AREAS) * len(GROUPS) * 8


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def solve_intercepts(counts: np.ndarray, offsets: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Intercept per row of ``counts`` (months x cells) giving share ``target`` per month."""
    lo = np.full(counts.shape[0], -15.0)
    hi = np.full(counts.shape[0], 15.0)
    total = np.maximum(counts.sum(axis=1), 1e-12)
    for _ in range(60):
        mid = (lo + hi) / 2
        share = (counts * _sigmoid(mid[:, None] + offsets[None, :])).sum(axis=1) / total
        too_high = share > target
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    return (lo + hi) / 2


def assign_modes(
    area: np.ndarray,
    group: np.ndarray,
    age: np.ndarray,
    urgent: np.ndarray,
    plan: np.ndarray,
    visit_day: np.ndarray,
    timeline: Timeline,
    calibration: Calibration,
    rng: np.random.Generator,
) -> tuple[np.ndarray, dict[str, float]]:
    """Index into MODES for each done event, and the monthly target used (for the truth)."""
    n = area.size
    old = age >= 75
    cell = (((area.astype(np.int64) * len(GROUPS) + group) * 2 + old) * 2 + urgent) * 2 + plan
    base = area_group_table(calibration.remote_logodds).ravel()  # (areas*groups,)
    cell_ag = np.arange(_N_CELLS) // 8
    cell_old = (np.arange(_N_CELLS) // 4) % 2
    cell_urgent = (np.arange(_N_CELLS) // 2) % 2
    cell_plan = np.arange(_N_CELLS) % 2
    offsets = (
        base[cell_ag]
        + cell_old * calibration.remote_logodds_age75
        + cell_urgent * calibration.remote_logodds_urgent
        + cell_plan * calibration.remote_logodds_plan
    )
    month_of_day = (timeline.year - timeline.year[0]) * 12 + timeline.month - 1
    month = month_of_day[visit_day]
    n_months = int(month_of_day[-1]) + 1
    counts = (
        np.bincount(month * _N_CELLS + cell, minlength=n_months * _N_CELLS)
        .reshape(n_months, _N_CELLS)
        .astype(np.float64)
    )
    # Target of a month: the profile's mean over the month's days.
    daily_target = timeline.profile(calibration.remote_share)
    target = np.bincount(month_of_day, weights=daily_target, minlength=n_months) / np.maximum(
        np.bincount(month_of_day, minlength=n_months), 1
    )
    alpha = solve_intercepts(counts, offsets, target)
    p_remote = _sigmoid(alpha[month] + offsets[cell])
    remote = rng.random(n) < p_remote

    # Which remote mode: a mix that shifts from phone to chat and e-services over time.
    mix = np.stack([timeline.profile(calibration.remote_mix[m]) for m in REMOTE_MODES], axis=1)
    mix = mix / mix.sum(axis=1, keepdims=True)
    oral_mix = mix * np.array([1.0, 0.0, 0.0, 1.0])  # oral care: phone or e-service only
    oral_mix = oral_mix / oral_mix.sum(axis=1, keepdims=True)
    rows = np.flatnonzero(remote)
    u = rng.random(n)[rows]
    r_day = visit_day[rows]
    r_oral = area[rows] == AREAS.index("oral")
    cum = np.cumsum(np.where(r_oral[:, None], oral_mix[r_day], mix[r_day]), axis=1)
    pick = np.minimum((u[:, None] > cum).sum(axis=1), len(REMOTE_MODES) - 1)
    remote_code = np.full(n, MODES.index("phone"), dtype=np.int64)
    remote_code[rows] = np.array([MODES.index(m) for m in REMOTE_MODES])[pick]

    # In person: at the unit, or a home visit (social care and the oldest).
    hv = calibration.home_visit_share
    social = area == AREAS.index("social")
    medical = area == AREAS.index("medical")
    p_home = np.where(
        social,
        np.where(old, hv["social_age75"], hv["social"]),
        np.where(old & medical, hv["age75"], hv["default"]),
    )
    home = rng.random(n) < p_home
    in_person_code = np.where(home, MODES.index("home_visit"), MODES.index("in_person"))
    mode = np.where(remote, remote_code, in_person_code).astype(np.int8)

    first = timeline.start.year
    targets = {
        f"{first + m // 12}-{m % 12 + 1:02d}": round(float(target[m]), 4) for m in range(n_months)
    }
    return mode, targets
