"""Indicator definitions of the access report (``domain.md``, "Indicator definitions").

The engines (DuckDB, PostgreSQL through Ibis) compute *counts* per group; the formulas here
turn counts into the published figures, so rounding is identical on every engine.

* within_7d_pct / within_14d_pct = access visits with wait ≤ 7 / ≤ 14 days ÷ access visits
* assessment_coverage_pct = access visits ÷ done non-urgent, non-plan-based visits
* remote_share_pct = done episodes with a remote contact mode ÷ all done episodes
Percentages are in percent with one decimal, rounded half up (12.25 → 12.3); ``None`` when
the denominator is zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

#: Published fields of one access-report row, in order.
ACCESS_FIELDS: tuple[str, ...] = (
    "visits",
    "within_7d_pct",
    "within_14d_pct",
    "over_90d",
    "median_wait_days",
    "legal_breaches",
    "assessment_coverage_pct",
    "remote_share_pct",
)

#: Extra fields for regional targets (reported apart from legal breaches).
TARGET_FIELDS: tuple[str, ...] = ("target_misses", "within_target_pct")

#: Age groups used by filters: label -> (from age inclusive, below age exclusive).
AGE_GROUPS: dict[str, tuple[int, int | None]] = {
    "0-22": (0, 23),
    "23-64": (23, 65),
    "65+": (65, None),
}


def pct(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` in percent, one decimal, half up; None if no denominator."""
    if not denominator:
        return None
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return float(value)


def median(values: Sequence[int]) -> float | None:
    """Median; the mean of the two middle values when the count is even; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2
