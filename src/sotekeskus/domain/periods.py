"""Reporting periods, one home: a month ``2025-03``, a quarter ``2025-Q4`` or a year ``2025``.

The forms are strict (``2025-3``, ``2025-Q01``, ``25-03`` and years outside 1–9999 are
refused). Every layer that names a period — the MeasureReport, the monitoring registry, the
filters — parses it here.
"""

from __future__ import annotations

import re
from datetime import date

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")
KINDS: tuple[str, ...] = ("month", "quarter", "year")


class PeriodError(ValueError):
    """Not a period of the accepted forms; the message says which forms are."""


def period_kind(period: str) -> str:
    """``month``, ``quarter`` or ``year``; :class:`PeriodError` for anything else."""
    m = _PERIOD.match(period)
    if m is None or int(m.group(1)) < 1:
        raise PeriodError(f"period: {period!r} is not YYYY-MM, YYYY-Qn or YYYY")
    return "quarter" if m.group(2) else "month" if m.group(3) else "year"


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of the period (both inclusive)."""
    kind = period_kind(period)
    year = int(period[:4])
    if kind == "year":
        first, last_month = date(year, 1, 1), 12
    elif kind == "quarter":
        q = int(period[-1])
        first, last_month = date(year, 3 * q - 2, 1), 3 * q
    else:
        month = int(period[5:7])
        first, last_month = date(year, month, 1), month
    nxt = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def periods_between(first: str, last: str, kind: str) -> list[str]:
    """Every period of ``kind`` (``year`` or ``quarter``) from ``first`` to ``last``
    inclusive; a year given for a quarter range means its first (or last) quarter."""
    if kind == "year":
        return [str(y) for y in range(int(first[:4]), int(last[:4]) + 1)]
    if kind != "quarter":
        raise PeriodError(f"kind {kind!r}: use year or quarter")
    out: list[str] = []
    y, q = int(first[:4]), int(first[-1]) if "Q" in first else 1
    ly, lq = int(last[:4]), int(last[-1]) if "Q" in last else 4
    while (y, q) <= (ly, lq):
        out.append(f"{y}-Q{q}")
        q += 1
        if q == 5:
            y, q = y + 1, 1
    return out
