"""The access report's indicators as FHIR R4 ``MeasureReport`` for the REST API.

One MeasureReport per **indicator × period × subject**, built by the one MeasureReport
builder (:func:`sotekeskus.ingest.fhir_measure_report.build_measure_report`, the catalogue's
access indicators with ``fhir``) from the same analytics call the dashboard makes
(``access_summary`` over the period, and per service area and professional group for the
stratifiers):

* ``subject``: ``Location/loc-<unit>`` for one unit's report; none for the whole region (R4
  allows no Organization as a MeasureReport subject; ``reporter`` names this system);
* **small-cell suppression** when the access policy's scope says so (an analyst's or
  administrator's client): counts below 5 become ``"<5"`` and the figures derived from them
  are hidden (:mod:`sotekeskus.analytics.suppression`), and the builder leaves suppressed
  figures out of the resource — never published as numbers;
* id ``<indicator>.<period>`` (region) or ``<indicator>.<period>.<unit>``, with ``-`` for
  ``_`` in the indicator and the period in lower case (``within-7d-pct.2025-q1.U1``).
"""

from __future__ import annotations

import json
from typing import Any

from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.suppression import public, suppress_rows
from sotekeskus.domain.periods import period_bounds, period_kind
from sotekeskus.ingest.fhir_measure_report import (
    INDICATORS,
    MEASURE_BASE,
    build_measure_report,
    stratified_rows,
)
from sotekeskus.interop.fhir.resources import fhir_id


def report_id(indicator: str, period: str, unit_id: str | None) -> str:
    base = f"{indicator.replace('_', '-')}.{period.lower()}"
    return f"{base}.{fhir_id(unit_id)}"[:64] if unit_id else base


def parse_id(rid: str) -> tuple[str, str, str | None] | None:
    """(indicator, period, unit fhir id or None) of a MeasureReport id, or None."""
    parts = rid.split(".", 2)
    if len(parts) < 2:
        return None
    codes = {code.replace("_", "-"): code for code in INDICATORS}
    indicator = codes.get(parts[0])
    period = parts[1].upper()
    if indicator is None:
        return None
    try:
        period_kind(period)
    except ValueError:
        return None
    return indicator, period, parts[2] if len(parts) == 3 else None


def measure_url(indicator: str) -> str:
    return MEASURE_BASE + indicator


def _rows(analytics: Any, flt: AccessFilter, period: str, suppress: bool) -> dict[str, Any] | None:
    by = period_kind(period)
    rows = analytics.access_summary(flt, by=by)
    if suppress:
        rows = suppress_rows(rows)
    return next((public(r) for r in rows if r["month"] == period), None)


def measure_reports(analytics: Any, indicators: list[str], period: str,
                    unit_id: str | None, *, suppress: bool) -> list[dict[str, Any]]:
    """The reports of ``indicators`` for one period and one unit (``None``: the region),
    as R4 JSON; the analytics rows are computed once for all the indicators."""
    start, end = period_bounds(period)
    flt = AccessFilter(month_from=start.strftime("%Y-%m"), month_to=end.strftime("%Y-%m"),
                       unit_ids=(unit_id,) if unit_id else None)
    total, strata = stratified_rows(flt, lambda f: _rows(analytics, f, period, suppress))
    out = []
    for indicator in indicators:
        model = build_measure_report(indicator, period, total, strata, reporter="sotekeskus")
        resource = json.loads(model.model_dump_json(exclude_none=True))
        resource["id"] = report_id(indicator, period, unit_id)
        if unit_id:
            resource["subject"] = {"reference": f"Location/loc-{fhir_id(unit_id)[:60]}"}
        out.append(resource)
    return out
