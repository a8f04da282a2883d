"""Administration: the staff profiles of professionals and schedulers — professional group,
title, the units they work in and the services of the catalogue they serve
(:func:`sotekeskus.care.staff.set_staff`).

A bad value is refused with a 400 page naming it and listing the allowed codes (groups,
the store's units, the services of the catalogue in force); nothing is written then. A change
is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.catalogue import current_catalogue
from sotekeskus.care.errors import CareError
from sotekeskus.care.staff import StaffRow, list_staff, set_staff
from sotekeskus.domain.vocabulary import ProfessionalGroup
from sotekeskus.store import audit
from sotekeskus.store.models import Unit
from sotekeskus.store.users import Account
from sotekeskus.web.deps import AdminAccount, require_csrf
from sotekeskus.web.render import render

router = APIRouter()


def _units(request: Request) -> list[tuple[str, str]]:
    with Session(request.app.state.engine) as session:
        return [(u, n or u) for u, n in session.execute(
            select(Unit.unit_id, Unit.name).order_by(Unit.unit_id))]


def _find(request: Request, user_id: str) -> StaffRow | None:
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 10):
        return None
    return next((r for r in list_staff(request.app.state.engine)
                 if r.user_id == int(user_id)), None)


@router.get("/staff")
def staff_list(request: Request, account: AdminAccount) -> Response:
    catalogue = current_catalogue(request.app.state.engine)
    return render(request, "admin_staff.html", account=account,
                  rows=list_staff(request.app.state.engine), services=catalogue.services)


def _form(request: Request, account: Account, row: StaffRow, *, error: str | None = None,
          values: dict[str, object] | None = None, status_code: int = 200) -> Response:
    catalogue = current_catalogue(request.app.state.engine)
    v = values or {"professional_group": row.professional_group or "", "title": row.title,
                   "units": list(row.units), "services": list(row.services)}
    return render(request, "admin_staff_form.html", status_code=status_code, account=account,
                  row=row, v=v, error=error, groups=[g.value for g in ProfessionalGroup],
                  units=_units(request), services=sorted(
                      catalogue.services.values(), key=lambda s: s.service_id))


@router.get("/staff/{user_id}")
def staff_form(user_id: str, request: Request, account: AdminAccount) -> Response:
    row = _find(request, user_id)
    if row is None:
        return render(request, "admin_staff.html", status_code=404, account=account,
                      rows=list_staff(request.app.state.engine),
                      services=current_catalogue(request.app.state.engine).services,
                      error=f"staff: no professional or scheduler with id {user_id[:20]!r}")
    return _form(request, account, row)


@router.post("/staff/{user_id}", dependencies=[Depends(require_csrf)])
def staff_save(
    user_id: str,
    request: Request,
    account: AdminAccount,
    professional_group: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    units: Annotated[list[str] | None, Form()] = None,
    services: Annotated[list[str] | None, Form()] = None,
) -> Response:
    row = _find(request, user_id)
    if row is None:
        return staff_form(user_id, request, account)
    engine = request.app.state.engine
    values = {"professional_group": professional_group, "title": title,
              "units": units or [], "services": services or []}
    try:
        saved = set_staff(engine, row.user_id, professional_group=professional_group,
                          title=title, units=units or (), services=services or (),
                          known_services=current_catalogue(engine).services)
    except CareError as exc:
        return _form(request, account, row, error=str(exc), values=values, status_code=400)
    audit.record(engine, account.username, audit.ADMIN_CHANGE, f"user:{saved.username}",
                 f"staff profile group={saved.professional_group} "
                 f"units={','.join(saved.units)} services={','.join(saved.services)}")
    return RedirectResponse("/admin/staff", status_code=303)
