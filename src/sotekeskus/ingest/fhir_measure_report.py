"""The access report as FHIR R4 MeasureReport resources (one per indicator and period).

A MeasureReport of ``type = summary`` carries, for one indicator of the access report and
one period (month ``2025-03``, quarter ``2025-Q4`` or year ``2025``):

* ``group[0].population``: ``initial-population`` = done non-urgent, non-plan-based visits
  (when known), ``denominator`` = access visits, ``numerator`` = the visits counted by the
  indicator (e.g. seen within 7 days) when the engine gives that count;
* ``group[0].measureScore``: the published figure (UCUM ``%`` for shares, ``d`` for days,
  ``1`` for counts);
* ``group[0].stratifier``: one stratifier per dimension (e.g. service area), one stratum
  per value with its own score.

Suppressed figures (``"<5"`` or hidden percentages) are left out, never published as
numbers. The JSON validates against ``fhir.resources`` (its R4B model: MeasureReport did
not change between R4 and R4B).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.measurereport import MeasureReport

from sotekeskus.domain.periods import PeriodError, period_bounds
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea
from sotekeskus.indicators.catalogue import Indicator, by_report

MEASURE_BASE = "https://sotekeskus.fi/fhir/Measure/"
INDICATOR_SYSTEM = "https://sotekeskus.fi/fhir/CodeSystem/access-indicator"
STRATIFIER_SYSTEM = "https://sotekeskus.fi/fhir/CodeSystem/stratifier"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
UCUM = "http://unitsofmeasure.org"


#: The indicators offered as MeasureReports: the catalogue's access indicators with ``fhir``.
INDICATORS: dict[str, Indicator] = {i.code: i for i in by_report("access") if i.fhir}


class MeasureReportError(ValueError):
    pass


def period_range(period: str) -> tuple[date, date]:
    """First and last day of a month ``2025-03``, quarter ``2025-Q4`` or year ``2025``
    (strictly these forms; see :mod:`sotekeskus.domain.periods`)."""
    try:
        return period_bounds(period)
    except PeriodError as exc:
        raise MeasureReportError(str(exc)) from exc


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    return value if isinstance(value, int) else float(value)


def _score(spec: Indicator, value: Any) -> dict[str, Any] | None:
    num = _number(value)
    if num is None:
        return None
    return {"value": num, "unit": spec.unit, "system": UCUM, "code": spec.unit}


def _populations(spec: Indicator, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    pops: list[dict[str, Any]] = []
    # The catalogue's denominator; counts of access visits are reported over access visits.
    denominator = _number(row.get(spec.denominator or "visits"))
    if denominator is not None:
        pops.append({"code": {"coding": [{"system": POPULATION_SYSTEM, "code": "denominator"}]},
                     "count": int(denominator)})
    if spec.numerator and _number(row.get(spec.numerator)) is not None:
        pops.append({"code": {"coding": [{"system": POPULATION_SYSTEM, "code": "numerator"}]},
                     "count": int(row[spec.numerator])})
    return pops


def build_measure_report(
    indicator: str,
    period: str,
    total: Mapping[str, Any] | None,
    strata: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]] | None = None,
    *,
    reporter: str = "",
    filter_text: str = "",
    generated: datetime | None = None,
) -> MeasureReport:
    """One MeasureReport; ``total`` is the access-summary row of the period (None = no data),
    ``strata`` maps a dimension (e.g. ``service_area``) to ``(value, row)`` pairs."""
    spec = INDICATORS.get(indicator)
    if spec is None:
        raise MeasureReportError(
            f"indicator: {indicator!r} is not one of {', '.join(INDICATORS)}")
    start, end = period_range(period)
    group: dict[str, Any] = {
        "code": {"coding": [{"system": INDICATOR_SYSTEM, "code": spec.code,
                             "display": spec.label.en}], "text": spec.label.en},
    }
    if total is not None:
        pops = _populations(spec, total)
        if pops:
            group["population"] = pops
        score = _score(spec, total.get(indicator))
        if score:
            group["measureScore"] = score
    stratifiers = []
    for dimension, pairs in (strata or {}).items():
        strata_out = []
        for value, row in pairs:
            stratum: dict[str, Any] = {"value": {"coding": [
                {"system": f"https://sotekeskus.fi/fhir/CodeSystem/{dimension}",
                 "code": str(value)}], "text": str(value)}}
            pops = _populations(spec, row)
            if pops:
                stratum["population"] = pops
            score = _score(spec, row.get(indicator))
            if score:
                stratum["measureScore"] = score
            strata_out.append(stratum)
        if strata_out:
            stratifiers.append({
                "code": [{"coding": [{"system": STRATIFIER_SYSTEM, "code": dimension}],
                          "text": dimension}],
                "stratum": strata_out,
            })
    if stratifiers:
        group["stratifier"] = stratifiers
    now = (generated or datetime.now()).replace(microsecond=0)
    resource: dict[str, Any] = {
        "resourceType": "MeasureReport",
        "id": f"access-{indicator.replace('_', '-')}-{period}".lower(),
        "status": "complete",
        "type": "summary",
        "measure": MEASURE_BASE + spec.code,
        "date": now.astimezone().isoformat(),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "improvementNotation": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/measure-improvement-notation",
            "code": spec.improvement}]},
        "group": [group],
    }
    if reporter:
        resource["reporter"] = {"display": reporter}
    if filter_text:
        resource["extension"] = [{
            "url": "https://sotekeskus.fi/fhir/StructureDefinition/report-filter",
            "valueString": filter_text}]
    return MeasureReport.model_validate(resource)


#: The stratifiers of every MeasureReport: dimension, the filter field that narrows to one
#: code, and the codes (the vocabulary's service areas and professional groups).
STRATA: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("service_area", "service_areas", tuple(a.value for a in ServiceArea)),
    ("professional_group", "professional_groups", tuple(g.value for g in ProfessionalGroup)),
)


def stratified_rows(base: Any, row_of: Callable[[Any], dict[str, Any] | None]
                    ) -> tuple[dict[str, Any] | None,
                               dict[str, list[tuple[str, dict[str, Any]]]]]:
    """The rows a MeasureReport is built from: ``row_of(base)`` for the whole population and,
    per stratifier, ``row_of`` of ``base`` narrowed to each code (the codes ``base`` already
    chose, else all of them); codes without a row are left out. ``base`` is an access filter
    (a dataclass with ``service_areas`` and ``professional_groups``)."""
    strata: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for dimension, field, codes in STRATA:
        pairs = []
        for code in getattr(base, field) or codes:
            row = row_of(replace(base, **{field: (code,)}))
            if row is not None:
                pairs.append((code, row))
        strata[dimension] = pairs
    return row_of(base), strata


def to_json(report: MeasureReport) -> str:
    return json.dumps(json.loads(report.model_dump_json(exclude_none=True)),
                      ensure_ascii=False, indent=2)
