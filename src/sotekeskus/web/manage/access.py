"""Care-guarantee dashboard (hoitotakuu): the access report over time, with drill-down."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.ingest.fhir_measure_report import (
    INDICATORS,
    MeasureReportError,
    build_measure_report,
    period_range,
    stratified_rows,
    to_json,
)
from sotekeskus.store.users import Account
from sotekeskus.web import charts, i18n
from sotekeskus.web.deps import ManagementAccount, language_for
from sotekeskus.web.exports import attachment, chart_response, table_response
from sotekeskus.web.i18n import N_, gettext_
from sotekeskus.web.labels import column_label
from sotekeskus.web.manage.filters import (
    AGE_GROUP_CODES,
    PROFESSIONAL_GROUP_CODES,
    SERVICE_AREA_CODES,
    parse_filter,
    with_default_months,
)
from sotekeskus.web.manage.views import (
    AccessView,
    access_summary_rows,
    access_view,
    publish,
    scoped,
    visible_units,
)
from sotekeskus.web.render import render
from sotekeskus.web.tables import Column, Table

router = APIRouter()

#: Charts of the dashboard: name → (indicator codes of the catalogue, title, y axis title,
#: bars, percent). Series labels come from the catalogue.
CHARTS: dict[str, tuple[list[str], str, str, bool, bool]] = {
    "within": (["within_7d_pct", "within_14d_pct", "within_target_pct"],
               N_("Share of access visits seen within 7 and 14 days"), "%", False, True),
    "median": (["median_wait_days"],
               N_("Median wait from assessment to visit"), N_("days"), False, False),
    "breaches": (["legal_breaches"],
                 N_("Visits after the legal deadline (law)"), N_("visits"), True, False),
    "targets": (["target_misses"],
                N_("Visits after the regional target (not a breach of law)"), N_("visits"),
                True, False),
    "channels": (["remote_share_pct", "assessment_coverage_pct"],
                 N_("Remote share and assessment coverage"), "%", False, True),
}


def _chart_spec(request: Request, account: Account, name: str) -> dict:
    codes, title, y_title, bars, percent = CHARTS[name]
    series = [(code, column_label(code)) for code in codes]
    holder = request.app.state.analytics
    f, rows = access_summary_rows(holder, account,
                                  with_default_months(holder, parse_filter(request.query_params)))
    book = holder.get().rulebook
    changes = charts.law_changes(book, [r["month"] for r in rows], f.service_areas)
    return charts.line_chart(rows, series, title=gettext_(title), y_title=gettext_(y_title),
                             changes=changes, bars=bars, percent=percent)


def drill_url(params: list[tuple[str, str]], key: str, value: str) -> str:
    """The dashboard URL with ``key`` set to ``value`` (drill-down), other filters kept."""
    kept = [(k, v) for k, v in params if k != key and v]
    return "/access?" + urlencode([*kept, (key, value)])


def chart_tables(view: AccessView) -> list[tuple[str, Table]]:
    """Per chart, the table under it: the same rows, the chart's fields."""
    out = []
    for name, (series, title, _y, _bars, _pct) in CHARTS.items():
        kinds = {c.key: c for c in view.summary.columns}
        cols = [Column("month", "period"), *(kinds[key] for key in series)]
        out.append((name, Table(f"chart_{name}", title, cols, view.summary.rows,
                                view.summary.caption_note)))
    return out


@router.get("/access")
def access(request: Request, account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    flt = with_default_months(holder, parse_filter(request.query_params))
    view = access_view(holder, account, flt, last_month_tables=True)
    months = [r["month"] for r in view.summary.rows]
    # On the page the group and unit tables show the period's last month (all: the export).
    unit_month = months[-1] if months else None
    page_by_unit = view.by_unit
    changes = charts.law_changes(holder.get().rulebook, months, view.filter.service_areas)
    params = [(k, v) for k, v in request.query_params.multi_items() if v]
    if not request.query_params.get("month_from") and not request.query_params.get("month_to"):
        params += [("month_from", flt.month_from or ""), ("month_to", flt.month_to or "")]
    drill = {"unit_id": partial(drill_url, params, "unit"),
             "service_area": partial(drill_url, params, "service_area"),
             "professional_group": partial(drill_url, params, "professional_group")}
    partial_swap = (request.headers.get("hx-request") == "true"
                    and not request.headers.get("hx-history-restore-request"))
    template = "_access_body.html" if partial_swap else "access.html"
    return render(request, template, account=account, view=view, flt=flt,
                  query=urlencode(params), by_unit=page_by_unit, unit_month=unit_month,
                  chart_tables=chart_tables(view), changes=changes,
                  drill=drill, filter_fields=params, default_period=months[-1] if months else "",
                  units=visible_units(holder, account), service_areas=SERVICE_AREA_CODES,
                  professional_groups=PROFESSIONAL_GROUP_CODES, age_groups=AGE_GROUP_CODES,
                  indicators=list(INDICATORS), headers={"Vary": "HX-Request"})


@router.get("/access/chart/{name}.{fmt}")
def access_chart(name: str, fmt: str, request: Request,
                 account: ManagementAccount) -> Response:
    if name not in CHARTS:
        return Response("unknown chart", status_code=404, media_type="text/plain")
    token = i18n.current_language.set(language_for(request, account))
    try:
        spec = _chart_spec(request, account, name)
    finally:
        i18n.current_language.reset(token)
    return chart_response(spec, fmt, f"access_{name}",
                          download=request.query_params.get("download") == "1")


@router.get("/access/export/{name}.{fmt}")
def access_export(name: str, fmt: str, request: Request,
                  account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    view = access_view(holder, account,
                       with_default_months(holder, parse_filter(request.query_params)))
    return table_response([view.summary, view.by_group, view.by_unit], name, fmt)


@router.get("/access/measure-report.json")
def measure_report(request: Request, account: ManagementAccount,
                   indicator: str = "within_7d_pct", period: str = "") -> Response:
    """FHIR R4 MeasureReport of one indicator and period, stratified by service area and
    professional group, within the account's scope and suppression."""
    holder = request.app.state.analytics
    flt = scoped(account, parse_filter(request.query_params))
    try:
        if not period:
            raise MeasureReportError("period: required (YYYY-MM, YYYY-Qn or YYYY)")
        start, end = period_range(period)
        if indicator not in INDICATORS:
            raise MeasureReportError(f"indicator: {indicator!r} is unknown")
    except MeasureReportError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain")
    f = replace(flt, month_from=start.strftime("%Y-%m"), month_to=end.strftime("%Y-%m"))
    by = "year" if len(period) == 4 else ("quarter" if "-Q" in period else "month")

    def total_of(sub) -> dict | None:  # type: ignore[no-untyped-def]
        rows = holder.get().access_summary(sub, by=by)
        rows = publish(account, rows)
        return next((r for r in rows if r["month"] == period), None)

    total, strata = stratified_rows(f, total_of)
    report = build_measure_report(
        indicator, period, total, strata, reporter="sotekeskus",
        filter_text=request.url.query)
    return Response(to_json(report), media_type="application/fhir+json",
                    headers=attachment(f"measure-report_{indicator}_{period}.json"))


