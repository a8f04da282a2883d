"""Small-cell suppression for published aggregates.

Any published count below 5 (0–4) is shown as ``"<5"`` and the percentages and median
computed from it are hidden (``None``), unless the viewer may see unit-level detail.

Which figures derive from which count:
* ``visits`` → within_7d_pct, within_14d_pct, median_wait_days, assessment_coverage_pct,
  within_target_pct;
* ``over_90d``, ``legal_breaches``, ``target_misses`` are counts of their own;
* ``remote_share_pct`` is hidden when its denominator, done episodes, is below 5 (rows
  carry that count as the internal field ``_done``, which is never published).
"""

from __future__ import annotations

from typing import Any

SMALL_CELL = 5
SUPPRESSED = "<5"
COUNT_FIELDS = ("visits", "over_90d", "legal_breaches", "target_misses", "waiting",
                "past_deadline", "due_today", "due_within_7d", "contacts",
                "not_assessed_same_day", "_done")
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "visits": ("within_7d_pct", "within_14d_pct", "median_wait_days",
               "assessment_coverage_pct", "within_target_pct"),
    "_done": ("remote_share_pct",),
    "contacts": ("not_assessed_same_day_pct",),
}


def is_small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value < SMALL_CELL


def suppress_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for field in COUNT_FIELDS:
        if field in out and is_small(out[field]):
            for derived in DERIVED_FROM.get(field, ()):
                if derived in out:
                    out[derived] = None
            out[field] = SUPPRESSED
    return out


def suppress_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy of ``rows`` with small cells suppressed."""
    return [suppress_row(r) for r in rows]


def public(row: dict[str, Any]) -> dict[str, Any]:
    """The row without internal fields (names starting with ``_``)."""
    return {k: v for k, v in row.items() if not k.startswith("_")}
