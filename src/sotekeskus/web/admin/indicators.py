"""The monitoring-indicator registry: administrators define indicators and enter values."""

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
from sotekeskus.web.deps import AdminAccount, require_csrf
from sotekeskus.web.input_guard import Id
from sotekeskus.web.render import render

router = APIRouter()

@router.get("/indicators")
def registry(request: Request, account: AdminAccount) -> Response:
    return render(request, "admin_indicators.html", account=account,
                  indicators=list_indicators(request.app.state.engine))


def _form_page(request: Request, account: Account, ind: object, error: str | None = None,
               form: dict | None = None, status_code: int = 200) -> Response:
    return render(request, "admin_indicator_form.html", status_code=status_code,
                  account=account, ind=ind, error=error, form=form or {},
                  computations=list(COMPUTATIONS), period_kinds=PERIOD_KINDS)


@router.get("/indicators/new")
def new_indicator(request: Request, account: AdminAccount) -> Response:
    return _form_page(request, account, None)


@router.get("/indicators/{indicator_id}")
def edit_indicator(indicator_id: Id, request: Request,
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


@router.post("/indicators/save", dependencies=[Depends(require_csrf)])
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


@router.post("/indicators/{indicator_id}/value", dependencies=[Depends(require_csrf)])
def enter_value(
    indicator_id: Id,
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


@router.post("/indicators/{indicator_id}/delete", dependencies=[Depends(require_csrf)])
def remove(indicator_id: Id, request: Request,
           account: AdminAccount) -> Response:
    engine = request.app.state.engine
    ind = get_indicator(engine, indicator_id)
    if ind is not None:
        delete_indicator(engine, indicator_id)
        audit.record(engine, account.username, audit.ADMIN_CHANGE, f"indicator:{ind.code}",
                     "deleted")
    return RedirectResponse("/admin/indicators", status_code=303)
