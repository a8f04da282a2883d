"""Monitoring indicators (seurantamittarit) against their targets: page, chart, export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.analytics.monitoring import IndicatorProgress, indicator_progress
from sotekeskus.store.monitoring import get_indicator, list_indicators
from sotekeskus.store.users import Account
from sotekeskus.web import charts, i18n
from sotekeskus.web.deps import ManagementAccount, authorise, language_for
from sotekeskus.web.exports import chart_response, table_response
from sotekeskus.web.i18n import N_, gettext_
from sotekeskus.web.input_guard import Id
from sotekeskus.web.render import render
from sotekeskus.web.tables import Column, Table

router = APIRouter()


def _require_region_view(account: Account) -> None:
    """The registry's figures are region-wide: only for whole-region scopes."""
    from sotekeskus.domain.access_policy import Action
    from sotekeskus.web.errors import Forbidden

    if not authorise(account, Action.VIEW_AGGREGATES).whole_region:
        raise Forbidden("region-level monitoring is not available to unit managers")


def progress_table(p: IndicatorProgress) -> Table:
    """Values and targets of one indicator per period (under its chart)."""
    kind = "pct" if p.indicator.unit_of_measure == "%" else "num"
    return Table(f"indicator_{p.indicator.code}", N_("Values and targets"),
                 [Column("period", "period"), Column("value", kind), Column("target", kind)],
                 p.rows)


def _progress(request: Request) -> list[IndicatorProgress]:
    holder = request.app.state.analytics
    return [indicator_progress(holder, ind) for ind in list_indicators(request.app.state.engine)]


def _export_table(progress: list[IndicatorProgress], lang: str) -> Table:
    rows = []
    for p in progress:
        for period in p.periods:
            rows.append({"indicator": p.indicator.code, "name": p.indicator.name(lang),
                         "unit_of_measure": p.indicator.unit_of_measure, "period": period,
                         "value": p.values.get(period),
                         "target": p.indicator.targets.get(period)})
    return Table("monitoring", N_("Monitoring indicators"),
                 [Column("indicator"), Column("name", label=N_("Name")),
                  Column("unit_of_measure", label=N_("Unit of measure")),
                  Column("period", "period"), Column("value", "num"),
                  Column("target", "num")], rows)


@router.get("/monitoring")
def monitoring(request: Request, account: ManagementAccount) -> Response:
    _require_region_view(account)
    progress = _progress(request)
    return render(request, "monitoring.html", account=account, progress=progress,
                  tables={p.indicator.code: progress_table(p) for p in progress})


@router.get("/monitoring/export/{name}.{fmt}")
def monitoring_export(name: str, fmt: str, request: Request,
                      account: ManagementAccount) -> Response:
    _require_region_view(account)
    table = _export_table(_progress(request), language_for(request, account))
    return table_response([table], name, fmt)


@router.get("/monitoring/chart/{indicator_id}.{fmt}")
def monitoring_chart(indicator_id: Id, fmt: str, request: Request,
                     account: ManagementAccount) -> Response:
    _require_region_view(account)
    ind = get_indicator(request.app.state.engine, indicator_id)
    if ind is None:
        return Response("unknown indicator", status_code=404, media_type="text/plain")
    lang = language_for(request, account)
    token = i18n.current_language.set(lang)
    try:
        p = indicator_progress(request.app.state.analytics, ind)
        rows = [{"month": period, "value": p.values.get(period),
                 "target": ind.targets.get(period)} for period in p.periods]
        spec = charts.line_chart(
            rows, [("value", N_("Value")), ("target", N_("Target"))], title=ind.name(lang),
            y_title=gettext_(ind.unit_of_measure) if ind.unit_of_measure != "%" else "%",
            percent=ind.unit_of_measure == "%", x_title=gettext_(N_("Period")))
    finally:
        i18n.current_language.reset(token)
    return chart_response(spec, fmt, f"indicator_{ind.code}",
                          download=request.query_params.get("download") == "1")
