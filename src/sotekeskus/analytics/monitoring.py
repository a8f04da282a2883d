"""Monitoring indicators: the values of the region's registry, computed or hand-entered.

A registry entry is bound to a computation (an indicator of the catalogue with a fixed
filter) or to values entered by hand. Computed values are cached per data version of the
store (an import invalidates them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.domain.periods import period_bounds, periods_between
from sotekeskus.indicators.catalogue import CATALOGUE, COMPUTATIONS
from sotekeskus.store.monitoring import Indicator


def indicator_value(holder: AnalyticsHolder, ind: Indicator, period: str) -> float | None:
    """The value of an indicator for one period (computed, or entered by hand).

    Computed values are cached per data version of the store (an import invalidates them).
    """
    comp = ind.computation
    if comp == "manual":
        return ind.values.get(period)
    from sotekeskus.store.episodes import data_version

    version = data_version(holder.store())
    binding = COMPUTATIONS.get(comp)
    if binding is not None and binding.leg is not None:  # case events have their own version
        from sotekeskus.analytics.deadline_service import events_version

        version += ":" + events_version(holder.store())
    key = (version, comp, period)
    try:
        return holder.cache[key]
    except KeyError:
        pass
    value = _compute(holder, comp, period)  # outside any lock: the analytics are thread-safe
    with holder.lock:
        if len(holder.cache) > 2000:
            holder.cache.clear()
        holder.cache[key] = value
    return value


def _compute(holder: AnalyticsHolder, code: str, period: str) -> float | None:
    """Evaluate a catalogue computation for one registry period (``2025`` or ``2025-Q4``):
    a flow indicator over the period's months, a stock on the period's last day."""
    comp = COMPUTATIONS.get(code)
    if comp is None or comp.indicator is None:
        return None
    ind = CATALOGUE[comp.indicator]
    start, end = period_bounds(period)
    if comp.leg is not None:  # a deadline figure of one leg (case events)
        from sotekeskus.analytics.deadline_service import leg_value

        return leg_value(holder, comp.leg, ind.code, start, end, targets=comp.targets)
    flt = AccessFilter(service_areas=comp.service_areas,
                       professional_groups=comp.professional_groups)
    if comp.at_period_end:
        if end > date.today():
            return None
        if ind.report != "waiting":  # pragma: no cover - the catalogue test guards this
            raise ValueError(f"computation {code}: a stock needs a waiting-list indicator")
        wl = holder.get().waiting_list(end, flt)
        return float(sum(int(r.get(ind.code) or 0) for r in wl.summary))
    if ind.report != "access":  # pragma: no cover - the catalogue test guards this
        raise ValueError(f"computation {code}: indicator {ind.code} is not a period figure")
    f = replace(flt, month_from=start.strftime("%Y-%m"), month_to=end.strftime("%Y-%m"))
    rows = holder.get().access_summary(f, by="quarter" if "Q" in period else "year")
    row = next((r for r in rows if r.get("month") == period), None)
    value = None if row is None else row.get(ind.code)
    return None if value is None else float(value)


@dataclass
class IndicatorProgress:
    indicator: Indicator
    periods: list[str]
    values: dict[str, float | None]
    latest_period: str | None
    latest_value: float | None
    next_target_period: str | None
    next_target: float | None
    status: str  # "met", "on_track", "behind", "no_data"

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Per period: value and target (what the page's table and the export show)."""
        return [{"period": p, "value": self.values.get(p),
                 "target": self.indicator.targets.get(p)} for p in self.periods]


def indicator_progress(holder: AnalyticsHolder, ind: Indicator,
                       today: date | None = None) -> IndicatorProgress:
    today = today or date.today()
    anchors = sorted({*ind.targets, *ind.values}
                     | ({ind.baseline_period} if ind.baseline_period else set()))
    anchors = [p for p in anchors if (len(p) == 4) == (ind.period_kind == "year")]
    current = (str(today.year) if ind.period_kind == "year"
               else f"{today.year}-Q{(today.month + 2) // 3}")
    if not anchors or (ind.computation != "manual" and current > anchors[-1]):
        anchors = sorted({*anchors, current})
    periods = periods_between(anchors[0], anchors[-1], ind.period_kind)
    values: dict[str, float | None] = {}
    for p in periods:
        start, _ = period_bounds(p)
        values[p] = indicator_value(holder, ind, p) if start <= today else None
    known = [p for p in periods if values.get(p) is not None]
    latest = known[-1] if known else None
    latest_value = values.get(latest) if latest else None
    upcoming = [p for p in sorted(ind.targets) if latest is None or p >= latest]
    nxt = upcoming[0] if upcoming else (sorted(ind.targets)[-1] if ind.targets else None)
    target = ind.targets.get(nxt) if nxt else None
    if latest_value is None or target is None:
        status = "no_data"
    else:
        better = latest_value >= target if ind.higher_is_better else latest_value <= target
        status = "met" if better else "behind"
    return IndicatorProgress(ind, periods, values, latest, latest_value, nxt, target, status)


def warm_up(holder: AnalyticsHolder, engine: Any) -> None:
    """Open the analytics (rebuilding a stale snapshot) and compute every monitoring
    indicator once, so that the first visitor after start-up does not wait for either."""
    import logging

    from sotekeskus.store.monitoring import list_indicators

    try:
        holder.get()
        for ind in list_indicators(engine):
            indicator_progress(holder, ind)
    except Exception:  # noqa: BLE001 - a failed warm-up only costs the first visitor time
        logging.getLogger(__name__).exception("warm-up failed")
