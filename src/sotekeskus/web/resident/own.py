"""The resident's own view: cases with status and next deadline, appointments (cancel,
rebook), self-booking for a routed case, and "who has read my data".

Every route depends on :func:`~sotekeskus.web.resident.deps.require_resident`; the use cases
in :mod:`sotekeskus.care.self_service` ask the access policy with the person the data belongs
to, so another resident's case, appointment or slot id answers 404 exactly like an unknown
one. POSTs carry the resident session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sotekeskus.care import self_service as ss
from sotekeskus.care.errors import Conflict, InvalidInput, NotFound
from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork
from sotekeskus.domain.workflow.routing import Service
from sotekeskus.web import i18n
from sotekeskus.web.resident import labels as RL
from sotekeskus.web.resident.deps import (
    CurrentResident,
    ResidentCsrf,
    ResidentPrincipal,
    clock,
    resident_render,
)

router = APIRouter()
T = TypeVar("T")


def services(request: Request) -> dict[str, Service]:
    """The service catalogue in force (uploaded versions when the store has them)."""
    from sotekeskus.care import catalogue

    current = getattr(catalogue, "current_catalogue", None)
    found = current(request.app.state.engine) if current else catalogue.default_catalogue()
    return dict(found.services)


def change_hours(request: Request) -> float:
    return float(request.app.state.settings.resident_change_hours)


@contextmanager
def _uow(request: Request, resident: ResidentPrincipal, purpose: str) -> Iterator[UnitOfWork]:
    with UnitOfWork(request.app.state.engine, ss.resident_actor(resident.person_id),
                    purpose) as uow:
        yield uow


def _error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, (NotFound, NotAllowed)):
        return resident_render(request, "resident_error.html", status_code=404,
                               title=i18n.N_("Not found"),
                               message=i18n.N_("There is nothing at this address."))
    status = 409 if isinstance(exc, Conflict) else 400
    title = i18n.N_("The time is no longer free") if isinstance(exc, Conflict) \
        else i18n.N_("This cannot be done")
    # A conflict names who holds the slot: another resident's pseudonym is not shown.
    return resident_render(request, "resident_error.html", status_code=status, title=title,
                           message=i18n.N_("Nothing was changed. Go back and choose again."),
                           detail=None if isinstance(exc, Conflict) else str(exc))


def _run(request: Request, resident: ResidentPrincipal, purpose: str,
         work: Callable[[UnitOfWork], T]) -> T | Response:
    try:
        with _uow(request, resident, purpose) as uow:
            return work(uow)
    except (NotFound, NotAllowed, InvalidInput, Conflict) as exc:
        return _error(request, exc)


def _ctx() -> dict[str, Any]:
    return {"RL": RL}


@router.get("/omat")
def my_cases(request: Request, resident: CurrentResident) -> Response:
    catalogue = services(request)
    result = _run(request, resident, ss.READ_PURPOSE,
                  lambda uow: ss.own_cases(uow, catalogue))
    if isinstance(result, Response):
        return result
    return resident_render(request, "resident_cases.html", resident=resident, cases=result,
                           services=catalogue, **_ctx())


@router.get("/omat/{case_id}")
def my_case(request: Request, case_id: int, resident: CurrentResident) -> Response:
    catalogue = services(request)
    now = clock(request)

    def work(uow: UnitOfWork) -> tuple[ss.OwnCase, list[ss.FreeSlot]]:
        case = ss.own_case(uow, case_id, catalogue)
        slots = ss.free_slots(uow, case_id, catalogue, now=now) if case.can_book else []
        return case, slots

    result = _run(request, resident, ss.READ_PURPOSE, work)
    if isinstance(result, Response):
        return result
    case, slots = result
    return resident_render(request, "resident_case.html", resident=resident, case=case,
                           slots=slots, services=catalogue, **_ctx())


@router.post("/omat/{case_id}/varaa", dependencies=[ResidentCsrf])
def book(request: Request, case_id: int, resident: CurrentResident,
         slot_id: int = Form(...)) -> Response:
    catalogue = services(request)
    now = clock(request)
    result = _run(request, resident, ss.BOOK_PURPOSE,
                  lambda uow: ss.book_own(uow, case_id, slot_id, catalogue, now=now))
    if isinstance(result, Response):
        return result
    return RedirectResponse(f"/asiointi/ajat?varattu={result.appointment_id}", status_code=303)


@router.get("/ajat")
def my_appointments(request: Request, resident: CurrentResident) -> Response:
    now = clock(request)
    hours = change_hours(request)
    result = _run(request, resident, ss.READ_PURPOSE,
                  lambda uow: ss.own_appointments(uow, now=now, change_hours=hours))
    if isinstance(result, Response):
        return result
    notice = None
    if request.query_params.get("varattu"):
        notice = i18n.N_("The appointment is booked.")
    elif request.query_params.get("peruttu"):
        notice = i18n.N_("The appointment is cancelled.")
    elif request.query_params.get("siirretty"):
        notice = i18n.N_("The appointment is moved.")
    return resident_render(request, "resident_appointments.html", resident=resident,
                           appointments=result, hours=hours, notice=notice,
                           services=services(request), **_ctx())


@router.post("/ajat/{appointment_id}/peru", dependencies=[ResidentCsrf])
def cancel(request: Request, appointment_id: int, resident: CurrentResident) -> Response:
    now = clock(request)
    hours = change_hours(request)
    result = _run(request, resident, ss.BOOK_PURPOSE, lambda uow: ss.cancel_own(
        uow, appointment_id, now=now, change_hours=hours))
    if isinstance(result, Response):
        return result
    return RedirectResponse("/asiointi/ajat?peruttu=1", status_code=303)


def _appointment_case(uow: UnitOfWork, appointment_id: int, now: datetime, hours: float,
                      catalogue: dict[str, Service]
                      ) -> tuple[ss.OwnAppointment, list[ss.FreeSlot]]:
    mine = [a for a in ss.own_appointments(uow, now=now, change_hours=hours)
            if a.appointment_id == appointment_id]
    if not mine:
        raise NotFound(f"appointment:{appointment_id}: not found")
    appointment = mine[0]
    if not appointment.changeable:
        raise InvalidInput(f"appointment:{appointment_id}: can be changed only until "
                           f"{appointment.changeable_until:%Y-%m-%d %H:%M}")
    return appointment, ss.free_slots(uow, appointment.case_id, catalogue, now=now,
                                      for_rebooking=True)


@router.get("/ajat/{appointment_id}/siirra")
def rebook_page(request: Request, appointment_id: int, resident: CurrentResident) -> Response:
    catalogue = services(request)
    now = clock(request)
    hours = change_hours(request)
    result = _run(request, resident, ss.READ_PURPOSE, lambda uow: _appointment_case(
        uow, appointment_id, now, hours, catalogue))
    if isinstance(result, Response):
        return result
    appointment, slots = result
    return resident_render(request, "resident_rebook.html", resident=resident,
                           appointment=appointment, slots=slots, services=catalogue, **_ctx())


@router.post("/ajat/{appointment_id}/siirra", dependencies=[ResidentCsrf])
def rebook(request: Request, appointment_id: int, resident: CurrentResident,
           slot_id: int = Form(...)) -> Response:
    catalogue = services(request)
    now = clock(request)
    hours = change_hours(request)
    result = _run(request, resident, ss.BOOK_PURPOSE, lambda uow: ss.rebook_own(
        uow, appointment_id, slot_id, catalogue, now=now, change_hours=hours))
    if isinstance(result, Response):
        return result
    return RedirectResponse("/asiointi/ajat?siirretty=1", status_code=303)


@router.get("/lukijat")
def who_read(request: Request, resident: CurrentResident) -> Response:
    result = _run(request, resident, ss.READ_PURPOSE, lambda uow: ss.who_read(uow))
    if isinstance(result, Response):
        return result
    return resident_render(request, "resident_readers.html", resident=resident,
                           readers=result, **_ctx())
