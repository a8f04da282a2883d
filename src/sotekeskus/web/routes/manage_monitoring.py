"""Monitoring indicators (seurantamittarit) against their targets; admin registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sotekeskus.store import audit
from sotekeskus.store.monitoring import (
    COMPUTATIONS,
    PERIOD_KINDS,
    MonitoringError,
    delete_indicator,
    get_indicator,
    list_indicators,
    parse_targets,
    save_indicator,
    set_value,
)
from sotekeskus.store.users import Account
from sotekeskus.web import charts, i18n
from sotekeskus.web.app import render
from sotekeskus.web.deps import AdminAccount, CurrentAccount, language_for, require_csrf
from sotekeskus.web.exports import chart_response, table_response
from sotekeskus.web.i18n import N_, gettext_
from sotekeskus.web.services import Forbidden, IndicatorProgress, indicator_progress
from sotekeskus.web.tables import Column, Table

router = APIRouter()


def _require_region_view(account: Account) -> None:
    if not account.all_units:
        raise Forbidden("region-level monitoring is not available to unit managers")


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
def monitoring(request: Request, account: CurrentAccount) -> Response:
    _require_region_view(account)
    return render(request, "monitoring.html", account=account, progress=_progress(request))


@router.get("/monitoring/export/{name}.{fmt}")
def monitoring_export(name: str, fmt: str, request: Request,
                      account: CurrentAccount) -> Response:
    _require_region_view(account)
    table = _export_table(_progress(request), language_for(request, account))
    return table_response([table], name, fmt)


@router.get("/monitoring/chart/{indicator_id}.{fmt}")
def monitoring_chart(indicator_id: int, fmt: str, request: Request,
                     account: CurrentAccount) -> Response:
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


# ------------------------------------------------------------------ admin: the registry

@router.get("/admin/indicators")
def registry(request: Request, account: AdminAccount) -> Response:
    return render(request, "admin_indicators.html", account=account,
                  indicators=list_indicators(request.app.state.engine))


def _form_page(request: Request, account: Account, ind: object, error: str | None = None,
               form: dict | None = None, status_code: int = 200) -> Response:
    return render(request, "admin_indicator_form.html", status_code=status_code,
                  account=account, ind=ind, error=error, form=form or {},
                  computations=list(COMPUTATIONS), period_kinds=PERIOD_KINDS)


@router.get("/admin/indicators/new")
def new_indicator(request: Request, account: AdminAccount) -> Response:
    return _form_page(request, account, None)


@router.get("/admin/indicators/{indicator_id}")
def edit_indicator(indicator_id: int, request: Request,
                   account: AdminAccount) -> Response:
    ind = get_indicator(request.app.state.engine, indicator_id)
    if ind is None:
        return RedirectResponse("/admin/indicators", status_code=303)
    return _form_page(request, account, ind)


def _float(text: str, field: str) -> float | None:
    text = text.strip().replace(",", ".").rstrip("%").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise MonitoringError(f"{field}: {text!r} is not a number") from exc


@router.post("/admin/indicators/save", dependencies=[Depends(require_csrf)])
def save(
    request: Request,
    account: AdminAccount,
    indicator_id: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    name_fi: Annotated[str, Form()] = "",
    name_sv: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    definition: Annotated[str, Form()] = "",
    unit_of_measure: Annotated[str, Form()] = "%",
    computation: Annotated[str, Form()] = "manual",
    period_kind: Annotated[str, Form()] = "year",
    baseline_value: Annotated[str, Form()] = "",
    baseline_period: Annotated[str, Form()] = "",
    higher_is_better: Annotated[str, Form()] = "",
    targets: Annotated[str, Form()] = "",
) -> Response:
    engine = request.app.state.engine
    ind_id = int(indicator_id) if indicator_id.strip().isdigit() else None
    form = dict(code=code, name_fi=name_fi, name_sv=name_sv, name_en=name_en,
                definition=definition, unit_of_measure=unit_of_measure,
                computation=computation, period_kind=period_kind,
                baseline_value=baseline_value, baseline_period=baseline_period,
                higher_is_better=higher_is_better, targets=targets)
    try:
        saved = save_indicator(
            engine, code=code, name_fi=name_fi, name_sv=name_sv, name_en=name_en,
            definition=definition, unit_of_measure=unit_of_measure, computation=computation,
            period_kind=period_kind, baseline_value=_float(baseline_value, "baseline_value"),
            baseline_period=baseline_period.strip() or None,
            higher_is_better=bool(higher_is_better),
            targets=parse_targets(targets, period_kind), indicator_id=ind_id)
    except MonitoringError as exc:
        ind = get_indicator(engine, ind_id) if ind_id else None
        return _form_page(request, account, ind, error=str(exc), form=form, status_code=400)
    audit.record(engine, account.username, audit.ADMIN_CHANGE, f"indicator:{saved.code}",
                 "created" if ind_id is None else "updated")
    return RedirectResponse(f"/admin/indicators/{saved.id}", status_code=303)


@router.post("/admin/indicators/{indicator_id}/value", dependencies=[Depends(require_csrf)])
def enter_value(
    indicator_id: int,
    request: Request,
    account: AdminAccount,
    period: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
) -> Response:
    engine = request.app.state.engine
    ind = get_indicator(engine, indicator_id)
    if ind is None:
        return RedirectResponse("/admin/indicators", status_code=303)
    try:
        set_value(engine, indicator_id, period, _float(value, "value"), account.username)
    except MonitoringError as exc:
        return _form_page(request, account, ind, error=str(exc), status_code=400)
    audit.record(engine, account.username, audit.ADMIN_CHANGE, f"indicator:{ind.code}",
                 f"value {period}={value}")
    return RedirectResponse(f"/admin/indicators/{indicator_id}", status_code=303)


@router.post("/admin/indicators/{indicator_id}/delete", dependencies=[Depends(require_csrf)])
def remove(indicator_id: int, request: Request,
           account: AdminAccount) -> Response:
    engine = request.app.state.engine
    ind = get_indicator(engine, indicator_id)
    if ind is not None:
        delete_indicator(engine, indicator_id)
        audit.record(engine, account.username, audit.ADMIN_CHANGE, f"indicator:{ind.code}",
                     "deleted")
    return RedirectResponse("/admin/indicators", status_code=303)
