"""Read and search of ``MeasureReport`` (the access indicators) for the FHIR API's table.

Aggregates, by the one access policy's ``view_aggregates``: the whole region's report for a
role that sees the whole region (leadership, analyst, administrator), a unit's report for a
role that sees that unit's figures (those, and a manager of the unit); with small-cell
suppression where the policy's scope says so (analyst, administrator). A foreign unit's
report is 403 on read and left out of a search. The reports are computed on demand from the
app's analytics (:mod:`sotekeskus.interop.fhir.api_measures`).

Search parameters:

* ``measure``: the Measure's canonical URL (``https://sotekeskus.fi/fhir/Measure/<code>``)
  or the bare indicator code; several comma-separated; default every indicator;
* ``period`` (required): ``2025-03``, ``2025-Q1`` or ``2025`` — the report of exactly that
  period (several: repeat or comma-separate), or ``ge2025-01`` / ``le2025-06`` (both) for
  the monthly reports of the months between, at most 36;
* ``subject``: ``Location/loc-<unit>`` for that unit's report; without it, the region's
  report for a whole-region role, else one report per unit of the client.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sotekeskus.domain.access_policy import Action, Resource, Scope, may
from sotekeskus.domain.periods import PeriodError, period_kind
from sotekeskus.ingest.fhir_measure_report import INDICATORS, MEASURE_BASE
from sotekeskus.interop.fhir import api_measures as measures
from sotekeskus.interop.fhir.resources import fhir_id
from sotekeskus.web.api.fhir_common import ApiError, refuse
from sotekeskus.web.api.fhir_query import Ctx, Found, Kind, Query, _not_found, _ref

MAX_MONTHS = 36


def _scope(ctx: Ctx, unit_id: str | None) -> Scope:
    return may(ctx.client.actor, Action.VIEW_AGGREGATES,
               Resource.units([unit_id]) if unit_id else Resource())


def _allowed(scope: Scope, unit_id: str | None) -> bool:
    return scope.allowed and (unit_id is not None or scope.unit_ids is None)


def _analytics(ctx: Ctx) -> Any:
    if ctx.app is None:
        raise ApiError(500, "exception", "MeasureReport needs the app's analytics")
    return ctx.app.state.analytics.get()


def _unit_of(ctx: Ctx, fid: str) -> str | None:
    from sotekeskus.store.models import Unit

    return next((u for u in ctx.uow.session.scalars(select(Unit.unit_id))
                 if fhir_id(u) == fid or fhir_id(u)[:60] == fid), None)


def read_measure_report(ctx: Ctx, rid: str) -> Found:
    parsed = measures.parse_id(rid)
    unit_id = _unit_of(ctx, parsed[2]) if parsed and parsed[2] else None
    if parsed is None or (parsed[2] is not None and unit_id is None) or \
            measures.report_id(parsed[0], parsed[1], unit_id) != rid:
        raise _not_found("MeasureReport", rid)
    indicator, period, _ = parsed
    scope = _scope(ctx, unit_id)
    if not _allowed(scope, unit_id):
        refuse(ctx.uow, f"fhir:MeasureReport/{rid}",
               scope.reason or "only a role that sees the whole region reads its report")
    found = measures.measure_reports(_analytics(ctx), [indicator], period, unit_id,
                                     suppress=scope.suppress_small_cells)
    return Found(found[0])


def _indicators(query: Query) -> list[str]:
    values = [v for raw in query.values.get("measure") or [] for v in raw.split(",") if v]
    if not values:
        return list(INDICATORS)
    out = []
    for value in values:
        code = value.removeprefix(MEASURE_BASE)
        if code not in INDICATORS:
            raise ApiError(400, "value", f"measure: {value[:100]!r} is not a measure; allowed: "
                           + ", ".join(MEASURE_BASE + c for c in INDICATORS))
        out.append(code)
    return list(dict.fromkeys(out))


def _month(text: str, raw: str) -> tuple[int, int]:
    try:
        if period_kind(text) != "month":
            raise PeriodError(text)
    except PeriodError:
        raise ApiError(400, "value", f"period: {raw[:40]!r}: ge and le take a month "
                       "YYYY-MM") from None
    return int(text[:4]), int(text[5:7])


def _periods(query: Query) -> list[str]:
    values = [v for raw in query.values.get("period") or [] for v in raw.split(",") if v]
    if not values:
        raise ApiError(400, "required", "period: required (YYYY-MM, YYYY-Qn or YYYY, or "
                       "ge<YYYY-MM> and le<YYYY-MM> for the months between)")
    bounds = {v[:2]: v for v in values if v[:2] in ("ge", "le")}
    exact = [v for v in values if v[:2] not in ("ge", "le")]
    out: list[str] = []
    for value in exact:
        try:
            period_kind(value)
        except PeriodError:
            raise ApiError(400, "value", f"period: {value[:40]!r} is not YYYY-MM, YYYY-Qn or "
                           "YYYY (or ge/le with a month)") from None
        out.append(value)
    if bounds:
        if set(bounds) != {"ge", "le"} or len([v for v in values if v[:2] in
                                               ("ge", "le")]) != 2:
            raise ApiError(400, "value", "period: give both ge<YYYY-MM> and le<YYYY-MM> once")
        first, last = _month(bounds["ge"][2:], bounds["ge"]), _month(bounds["le"][2:],
                                                                      bounds["le"])
        count = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
        if not 1 <= count <= MAX_MONTHS:
            raise ApiError(400, "value", f"period: ge … le must span 1–{MAX_MONTHS} months")
        y, m = first
        for _ in range(count):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return list(dict.fromkeys(out))


def _subjects(ctx: Ctx, query: Query) -> list[str | None]:
    """The subjects asked for that the client may see (``None``: the region)."""
    subject = query.one("subject")
    if subject is not None:
        fid = _ref(subject, "Location", "subject").removeprefix("loc-")
        unit_id = _unit_of(ctx, fid)
        return [unit_id] if unit_id and _allowed(_scope(ctx, unit_id), unit_id) else []
    scope = _scope(ctx, None)
    if not scope.allowed:
        refuse(ctx.uow, "fhir:MeasureReport", scope.reason)
    if scope.unit_ids is None:
        return [None]
    return sorted(scope.unit_ids)


def search_measure_report(ctx: Ctx, query: Query) -> list[Found]:
    indicators, periods = _indicators(query), _periods(query)
    combos = [(period, unit) for unit in _subjects(ctx, query) for period in periods]
    ctx.total = len(combos) * len(indicators)
    skip = query.offset // max(len(indicators), 1)  # whole subjects × periods before the page
    out: list[Found] = []
    for period, unit in combos[skip:]:
        if len(out) >= query.offset - skip * len(indicators) + query.count:
            break
        suppress = _scope(ctx, unit).suppress_small_cells
        found = measures.measure_reports(_analytics(ctx), indicators, period, unit,
                                         suppress=suppress)
        out.extend(Found(f) for f in found)
    first = query.offset - skip * len(indicators)
    return out[first:first + query.count]


KINDS: tuple[Kind, ...] = (
    Kind("MeasureReport", read_measure_report, search_measure_report,
         (("measure", "reference"), ("period", "date"), ("subject", "reference")),
         "search MeasureReport by period (YYYY-MM, YYYY-Qn, YYYY, or ge/le months)",
         {"measure": "the Measure URL or the indicator code",
          "period": "local: the report of exactly that period, or ge/le months for the "
                    "monthly reports between",
          "subject": "Location/loc-<unit>; none: the region (or the client's units)"}),
)
