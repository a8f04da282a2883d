"""The access report (hoitoonpääsy), defined once as an Ibis expression.

Groups: month of ``visit_at`` × service area × professional group (× unit). Counts per group:

* ``done`` — done episodes (denominator of remote share);
* ``remote`` — done episodes with a remote contact mode (phone, video, chat, e_service);
* ``base`` — done, non-urgent, non-plan-based visits (denominator of coverage);
* ``visits`` — access visits: done, non-urgent, ``assessed_at`` present, not plan-based;
* ``within_7d`` / ``within_14d`` / ``over_90d`` — access visits by wait (calendar days from
  the assessment date to the visit date);
* ``median_wait_days`` — median wait of access visits (mean of the middle two when even);
* ``legal_breaches`` — access visits seen after the legal deadline of the rule in force on
  the assessment date for the age on that date;
* ``target_misses`` / ``target_visits`` — the same against the region's own targets.

Percentages are derived from the counts by :mod:`sotekeskus.domain.indicators`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sotekeskus.analytics.derived import with_derived
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.periods import period_label
from sotekeskus.domain.indicators import pct
from sotekeskus.domain.rules import Leg, RuleBook, RuleKind
from sotekeskus.domain.vocabulary import ServiceArea

if TYPE_CHECKING:  # finish_rows is used without Ibis (a report from cached SQL)
    import ibis.expr.types as ir


def access_counts(
    episodes: ir.Table,
    book: RuleBook,
    flt: AccessFilter | None = None,
    *,
    by_unit: bool = False,
    period: str = "month",
    keys: tuple[str, ...] = ("service_area", "professional_group"),
) -> ir.Table:
    """Ibis expression of the per-group counts. ``period``: ``month``, ``quarter`` or ``year``
    (the group column is still named ``month``)."""
    import ibis

    flt = flt or AccessFilter()
    e = with_derived(episodes, book)
    e = flt.apply_scope(e.filter(e.status == "done"))
    e = flt.apply_months(e, e.visit_month)
    label = e.visit_month if period == "month" else period_label(e.visit_at, period)
    e = e.mutate(
        month=label,
        _wait=ibis.cases((e.is_access, e.wait_days), else_=ibis.null().cast("int64")),
    )
    group = ["month", *keys] + (["unit_id"] if by_unit else [])
    as_int = "int64"
    return e.group_by(group).aggregate(
        done=e.count(),
        remote=e.is_remote.sum().cast(as_int),
        base=e.is_base.sum().cast(as_int),
        visits=e.is_access.sum().cast(as_int),
        within_7d=(e._wait <= 7).fill_null(False).sum().cast(as_int),
        within_14d=(e._wait <= 14).fill_null(False).sum().cast(as_int),
        over_90d=(e._wait > 90).fill_null(False).sum().cast(as_int),
        median_wait_days=e._wait.median(),  # _wait is NULL unless an access visit
        legal_breaches=e.is_breach.sum().cast(as_int),
        target_visits=e.is_target_visit.sum().cast(as_int),
        target_misses=e.is_target_miss.sum().cast(as_int),
    ).order_by(group)


def finish_rows(records: list[dict[str, Any]], book: RuleBook,
                areas: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Counts → published report rows (exact, unsuppressed).

    ``areas``: the service areas a row without a ``service_area`` key covers (a summary over
    a filter); with none of them under a rule, ``legal_breaches`` is null as for ``social``."""
    legal_areas = {a for a in ServiceArea if book.has_rules_for(a)}
    target_areas = {a for a in ServiceArea
                    if book.has_rules_for(a, RuleKind.TARGET, Leg.ASSESSMENT_TO_VISIT)}
    out = []
    for r in records:
        visits = int(r["visits"])
        covered = {r["service_area"]} if "service_area" in r else set(areas or ServiceArea)
        has_legal = bool(covered & legal_areas)
        has_target = bool(covered & target_areas)
        median = r["median_wait_days"]
        row: dict[str, Any] = {"month": r["month"]}
        for key in ("service_area", "professional_group", "unit_id"):
            if key in r:
                row[key] = r[key]
        row.update(
            visits=visits,
            within_7d_pct=pct(int(r["within_7d"]), visits),
            within_14d_pct=pct(int(r["within_14d"]), visits),
            over_90d=int(r["over_90d"]),
            median_wait_days=None if median is None or visits == 0 else float(median),
            legal_breaches=int(r["legal_breaches"]) if has_legal else None,
            assessment_coverage_pct=pct(visits, int(r["base"])),
            remote_share_pct=pct(int(r["remote"]), int(r["done"])),
            target_misses=int(r["target_misses"]) if has_target else None,
            within_target_pct=(pct(int(r["target_visits"]) - int(r["target_misses"]),
                                   int(r["target_visits"])) if has_target else None),
            _done=int(r["done"]),
            _remote=int(r["remote"]),
            _base=int(r["base"]),
            _within_7d=int(r["within_7d"]),
            _within_14d=int(r["within_14d"]),
            _target_visits=int(r["target_visits"]) if has_target else None,
            _within_target=(int(r["target_visits"]) - int(r["target_misses"])
                            if has_target else None),
        )
        out.append(row)
    return out
