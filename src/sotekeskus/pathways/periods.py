"""Periods and ages used by the person-level analyses."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

#: Age groups of the client analyses: label → (from age inclusive, below age exclusive).
#: 75+ is the frailty segment's threshold; 65–74 the young old.
CLIENT_AGE_GROUPS: dict[str, tuple[int, int | None]] = {
    "0-17": (0, 18),
    "18-64": (18, 65),
    "65-74": (65, 75),
    "75+": (75, None),
}


def add_months(day: date, months: int) -> date:
    """``day`` moved by calendar months, clamped to the month's last day (Jan 31 + 1 → Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def window(end: date, months: int = 12) -> tuple[date, date]:
    """The ``months`` calendar months ending on ``end`` (included): 12 months to 2025-12-31
    is 2025-01-01 – 2025-12-31; to 2025-06-15 it is 2024-06-16 – 2025-06-15."""
    return add_months(end + timedelta(days=1), -months), end


def age_sql(birth: str, on: str) -> str:
    """SQL for the age in completed years on ``on`` (a person born 2002-03-10 is 23 on
    2025-03-10)."""
    return (f"(year({on}) - year({birth}) - CASE WHEN month({on}) * 100 + day({on}) < "
            f"month({birth}) * 100 + day({birth}) THEN 1 ELSE 0 END)")


def age_group_sql(age: str) -> str:
    """SQL CASE giving the :data:`CLIENT_AGE_GROUPS` label of ``age``."""
    cases = []
    for label, (lo, hi) in CLIENT_AGE_GROUPS.items():
        cond = f"{age} >= {lo}" + (f" AND {age} < {hi}" if hi is not None else "")
        cases.append(f"WHEN {cond} THEN '{label}'")
    return "CASE " + " ".join(cases) + " END"
