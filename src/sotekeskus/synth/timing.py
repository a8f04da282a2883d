"""Times of day: contact, care-need assessment, and the clock time of visits.

Times are absolute minutes from the start date's midnight (``day * 1440 + minute``).
"""

from __future__ import annotations

import numpy as np

from sotekeskus.synth.calibration import Calibration
from sotekeskus.synth.demand import Contacts
from sotekeskus.synth.timeline import Timeline

MINUTES_PER_DAY = 1440
#: Phone-line contacts by hour 7..15 (morning peak when lines open).
_OFFICE_HOUR_WEIGHTS = np.array([0.5, 2.6, 2.0, 1.5, 1.1, 1.0, 0.9, 0.7, 0.4])
_OFFICE_OPEN, _OFFICE_LAST, _OFFICE_CLOSE = 7 * 60, 15 * 60 + 45, 16 * 60 + 30


def _office_minutes(rng: np.random.Generator, n: int) -> np.ndarray:
    p = _OFFICE_HOUR_WEIGHTS / _OFFICE_HOUR_WEIGHTS.sum()
    hour = 7 + rng.choice(p.size, size=n, p=p)
    return hour * 60 + rng.integers(0, 60, size=n)


def slot_minutes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Appointment slots 08:00-15:45 in quarter hours."""
    return 8 * 60 + 15 * rng.integers(0, 32, size=n)


def contact_times(
    contacts: Contacts, timeline: Timeline, calibration: Calibration, rng: np.random.Generator
) -> np.ndarray:
    """Absolute minute of each contact."""
    n = contacts.size
    day = contacts.day
    open_day = (timeline.dow[day] < 5) & ~timeline.holiday[day]
    digital = ~open_day | (rng.random(n) < timeline.profile(calibration.digital_contact_share)[day])
    digital &= ~contacts.plan  # plan-based episodes are booked by the professional
    minute = np.where(digital, rng.integers(6 * 60, 23 * 60, size=n), _office_minutes(rng, n))
    return day * MINUTES_PER_DAY + minute


def assessment_times(
    contacts: Contacts,
    contact_t: np.ndarray,
    timeline: Timeline,
    calibration: Calibration,
    rng: np.random.Generator,
) -> np.ndarray:
    """Absolute minute of the care-need assessment (made for every episode; recording of it
    is decided separately)."""
    n = contacts.size
    day = contact_t // MINUTES_PER_DAY
    minute = contact_t % MINUTES_PER_DAY
    weekday = timeline.weekday_of(day) < 5
    # Same day during office hours.
    same_day = weekday & (minute >= _OFFICE_OPEN) & (minute <= _OFFICE_LAST)
    delay = 1 + np.floor(rng.exponential(35.0, size=n)).astype(np.int64)
    same_t = np.minimum(contact_t + delay, day * MINUTES_PER_DAY + _OFFICE_CLOSE)
    # Evening, night or weekend: the next weekday morning (or this morning if before 07:00).
    early = weekday & (minute < _OFFICE_OPEN)
    next_day = np.where(early, day, timeline.add_weekdays(day, np.ones(n, dtype=np.int64)))
    morning = 8 * 60 + np.minimum(np.floor(rng.exponential(60.0, size=n)), 420).astype(np.int64)
    next_t = next_day * MINUTES_PER_DAY + morning
    t = np.where(same_day, same_t, next_t)
    # Some assessments are made a few weekdays later (commoner under the 3-weekday rule).
    p_late = timeline.profile(calibration.late_assessment)[day]
    late = rng.random(n) < p_late
    k = 1 + rng.choice(3, size=n, p=[0.55, 0.30, 0.15])
    late_t = timeline.add_weekdays(day, k) * MINUTES_PER_DAY + 8 * 60 + rng.integers(0, 450, n)
    t = np.where(late, np.maximum(late_t, contact_t + 1), t)
    # Urgent: triaged within minutes at any hour; plan-based: noted at the booking.
    urgent_t = contact_t + 1 + np.floor(rng.exponential(10.0, size=n)).astype(np.int64)
    plan_t = contact_t + rng.integers(0, 6, size=n)
    t = np.where(contacts.urgent, urgent_t, np.where(contacts.plan, plan_t, t))
    return t


def urgent_visit_times(
    assessed_t: np.ndarray, calibration: Calibration, rng: np.random.Generator
) -> np.ndarray:
    """Same day (within hours) or next morning."""
    n = assessed_t.size
    same = assessed_t + 20 + np.floor(rng.exponential(90.0, size=n)).astype(np.int64)
    day = assessed_t // MINUTES_PER_DAY
    late = (same // MINUTES_PER_DAY > day) | (same % MINUTES_PER_DAY >= 21 * 60)
    nxt = rng.random(n) < calibration.urgent_next_day
    next_t = (day + 1) * MINUTES_PER_DAY + 8 * 60 + rng.integers(0, 240, size=n)
    return np.where(late | nxt, next_t, same)


def booked_visit_times(
    visit_day: np.ndarray,
    assessed_t: np.ndarray,
    timeline: Timeline,
    rng: np.random.Generator,
) -> np.ndarray:
    """Clock time of a booked (non-urgent) visit on ``visit_day`` that is never before the
    assessment: a same-day visit is at least 30 minutes later, else the next weekday."""
    n = visit_day.size
    t = visit_day * MINUTES_PER_DAY + slot_minutes(rng, n)
    earliest = -(-(assessed_t + 30) // 15) * 15  # round up to a quarter hour
    same_day = visit_day == assessed_t // MINUTES_PER_DAY
    t = np.where(same_day, np.maximum(t, earliest), t)
    too_late = same_day & (t % MINUTES_PER_DAY > 19 * 60 + 45)
    too_late |= t < assessed_t
    if too_late.any():
        day = assessed_t[too_late] // MINUTES_PER_DAY
        nxt = timeline.add_weekdays(day, np.ones(day.size, dtype=np.int64))
        t[too_late] = nxt * MINUTES_PER_DAY + slot_minutes(rng, int(too_late.sum()))
    return t
