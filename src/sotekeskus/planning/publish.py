"""Small-cell suppression of the planning figures (same rule as every published aggregate).

A count below 5 (0–4) is published as ``"<5"`` and the figures computed from it are hidden
(``None``), unless the viewer may see unit-level detail (``--no-suppress``). Which figures
derive from which count is listed per report (``derived``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sotekeskus.analytics.suppression import SUPPRESSED, is_small


def suppress(rows: Iterable[Mapping[str, Any]], counts: Iterable[str],
             derived: Mapping[str, Iterable[str]] | None = None) -> list[dict[str, Any]]:
    """Copies of ``rows`` with each small count in ``counts`` shown as ``"<5"`` and the
    figures listed for it in ``derived`` set to ``None``."""
    count_fields = tuple(counts)
    derived = derived or {}
    out = []
    for row in rows:
        new = dict(row)
        for name in count_fields:
            value = new.get(name)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if is_small(value):
                new[name] = SUPPRESSED
                for other in derived.get(name, ()):
                    if other in new:
                        new[other] = None
        out.append(new)
    return out
