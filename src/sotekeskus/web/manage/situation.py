"""Situation picture (tilannekuva): today's queue, deadlines, channels; polled by htmx."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.analytics.filters import FilterError
from sotekeskus.store import audit
from sotekeskus.store.users import Account
from sotekeskus.web.deps import ManagementAccount
from sotekeskus.web.exports import table_response
from sotekeskus.web.manage.filters import default_situation_day, parse_filter
from sotekeskus.web.manage.views import situation_view, visible_units, waiting_list_table
from sotekeskus.web.render import render

router = APIRouter()


def _day(request: Request) -> date:
    raw = request.query_params.get("on")
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise FilterError(f"on: {raw!r} is not a date YYYY-MM-DD") from exc
    return default_situation_day(request.app.state.analytics)


def _context(request: Request, account: Account) -> dict:
    holder = request.app.state.analytics
    flt = parse_filter(request.query_params)
    on = _day(request)
    view = situation_view(holder, account, on, flt)
    return {"view": view, "on": on, "units": visible_units(holder, account),
            "selected_units": list(flt.unit_ids or ()), "query": request.url.query}


@router.get("/situation")
def situation(request: Request, account: ManagementAccount) -> Response:
    return render(request, "situation.html", account=account, **_context(request, account))


@router.get("/situation/panel")
def situation_panel(request: Request,
                    account: ManagementAccount) -> Response:
    return render(request, "_situation_panel.html", account=account,
                  **_context(request, account))


@router.get("/situation/waiting-list")
def waiting_list(request: Request, account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    flt = parse_filter(request.query_params)
    on = _day(request)
    table = waiting_list_table(holder, account, on, flt)
    audit.record(request.app.state.engine, account.username, audit.READ_PERSONS,
                 "waiting_list",
                 f"on={on.isoformat()} units={','.join(flt.unit_ids or account.units)} "
                 f"persons={len(table.rows)}")
    return render(request, "waiting_list.html", account=account, table=table, on=on,
                  units=visible_units(holder, account),
                  selected_units=list(flt.unit_ids or ()), query=request.url.query)


@router.get("/situation/export/{name}.{fmt}")
def export(name: str, fmt: str, request: Request,
           account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    flt = parse_filter(request.query_params)
    on = _day(request)
    if name == "waiting_list":
        table = waiting_list_table(holder, account, on, flt)
        audit.record(request.app.state.engine, account.username, audit.EXPORT_PERSONS,
                     f"waiting_list.{fmt}",
                     f"on={on.isoformat()} units={','.join(flt.unit_ids or account.units)} "
                     f"persons={len(table.rows)}")
        return table_response([table], name, fmt, f"waiting_list_{on.isoformat()}")
    view = situation_view(holder, account, on, flt)
    return table_response([view.waiting, view.channels, view.not_same_day], name, fmt,
                          f"{name}_{on.isoformat()}")
