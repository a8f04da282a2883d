"""Small-cell suppression for published aggregates.

Any published count below 5 (0–4) is shown as ``"<5"`` and the percentages and median
computed from it are hidden (``None``), unless the viewer may see unit-level detail.

Which figures derive from which count is the catalogue's ``disclosed_with``
(:mod:`sotekeskus.indicators.catalogue`): e.g. ``visits`` hides the shares and the median
of access visits; ``remote_share_pct`` is hidden when its denominator, done episodes, is
below 5 (rows carry that count as the internal field ``_done``, never published). Other
reports add their own count fields with :func:`suppress_rows`'s ``counts`` argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sotekeskus.indicators.catalogue import SMALL_CELL, disclosed_counts, disclosure_map

SUPPRESSED = f"<{SMALL_CELL}"
COUNT_FIELDS: tuple[str, ...] = disclosed_counts()
DERIVED_FROM: dict[str, tuple[str, ...]] = disclosure_map()


def is_small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value < SMALL_CELL


def suppress_row(row: dict[str, Any],
                 counts: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """Copy of ``row`` with small counts shown as ``"<5"`` and the figures derived from them
    hidden; ``counts`` adds count fields (→ their derived figures) of other reports."""
    out = dict(row)
    rules = {**{f: DERIVED_FROM.get(f, ()) for f in COUNT_FIELDS}, **(counts or {})}
    for field, derived_fields in rules.items():
        if field in out and is_small(out[field]):
            for derived in derived_fields:
                if derived in out:
                    out[derived] = None
            out[field] = SUPPRESSED
    return out


def suppress_rows(rows: list[dict[str, Any]],
                  counts: Mapping[str, tuple[str, ...]] | None = None) -> list[dict[str, Any]]:
    """Copy of ``rows`` with small cells suppressed (see :func:`suppress_row`)."""
    return [suppress_row(r, counts) for r in rows]


def public(row: dict[str, Any]) -> dict[str, Any]:
    """The row without internal fields (names starting with ``_``)."""
    return {k: v for k, v in row.items() if not k.startswith("_")}
