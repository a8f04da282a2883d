"""Booking and cancelling Appointments through the FHIR API (docs/fhir.md, "Booking").

Both go through the workdesk's own atomic use cases (:func:`sotekeskus.care.booking.
appointments.book` and :func:`~sotekeskus.care.booking.appointments.unbook`) in one unit of
work of the client: the conditional ``UPDATE slots … WHERE status='free'`` gives a slot to
exactly one of any number of concurrent bookers; every other gets **409** with an
OperationOutcome naming the slot and who booked it.

**Who may book (the access policy).** The client needs the scope
``system/Appointment.write`` *and* a role the policy lets work cases (``professional``) in
the case's unit and in the slot's unit — a booking system acting for the professionals of
its units. It books only a case that is **routed to a service's queue and unowned** (a
case somebody holds is booked by its owner in the workdesk: 409 naming the holder), on a
**free future slot of the service the case was routed to** (422 otherwise). The booking is
recorded as by ``api:<client>`` (history, audit, ``booked_by``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sotekeskus.interop.fhir.api_booking import (
    BookingRequestError,
    appointment_of,
    booking_request,
    cancellation_reason,
)
from sotekeskus.interop.fhir.clients import Client
from sotekeskus.interop.fhir.validate import R4ValidationError, validate_r4
from sotekeskus.web.api.fhir_common import (
    ApiError,
    base_url,
    error,
    guard,
    int_id,
    now_of,
    respond,
    work,
)
from sotekeskus.web.api.fhir_search import appointment_of as appointment_resource

router = APIRouter()
MAX_BODY = 64_000


def _as_staff(client: Client) -> Any:
    """The client as the actor of the booking use cases (no user account: ``user_id`` 0)."""
    from sotekeskus.care.staff import Staff

    return Staff(0, client.actor.name, client.name, client.role, client.units)


def _json(body: bytes) -> Any:
    if len(body) > MAX_BODY:
        raise ApiError(413, "too-long", f"at most {MAX_BODY // 1000} kB")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "structure", f"not JSON: {exc}") from None


def _checked(resource: Any) -> dict[str, Any]:
    try:
        validate_r4(resource, exact=False)
    except R4ValidationError as exc:
        raise ApiError(400, "structure", str(exc)) from None
    return resource  # type: ignore[no-any-return]


def _book(request: Request, raw: bytes) -> Response:
    """Runs in the thread pool (the database work must not block the event loop)."""
    from sotekeskus.care.booking.appointments import book
    from sotekeskus.store.models import Appointment, CareCase, Person, ScheduleSlot, User

    try:
        client = guard(request, "Appointment", "write")
        body = _json(raw)
        try:
            if isinstance(body, dict) and body.get("resourceType") == "Parameters":
                _checked(body)
            wanted = booking_request(_checked(appointment_of(body)))
        except BookingRequestError as exc:
            raise ApiError(exc.status, exc.code, str(exc)) from None
        now = now_of(request)
        with work(request, client) as uow:
            case = uow.session.get(CareCase, wanted.case_id)
            if case is None:
                raise ApiError(422, "not-found", f"supportingInformation: no "
                               f"Task/{wanted.case_id}")
            person = uow.session.get(Person, case.person_pk)
            if wanted.patient_id is not None and wanted.patient_id != person.person_id:
                raise ApiError(422, "business-rule", f"participant: Patient/"
                               f"{wanted.patient_id} is not the resident of "
                               f"Task/{case.id}")
            slot = uow.session.get(ScheduleSlot, wanted.slot_id)
            if slot is None:
                raise ApiError(422, "not-found", f"slot: no Slot/{wanted.slot_id}")
            uow.authorise(_work_cases(), [case.unit_id, slot.unit_id])
            if case.state != "routed":
                raise ApiError(409, "conflict", f"Task/{case.id} is {case.state}; the API "
                               "books a case routed to a service's queue")
            if case.owner_user_id is not None:
                holder = uow.session.scalar(_username(User, case.owner_user_id))
                raise ApiError(409, "conflict", f"Task/{case.id} is held by {holder}; its "
                               "owner books it in the workdesk")
            if slot.service_id != case.service_id:
                raise ApiError(422, "business-rule", f"slot: Slot/{slot.id} belongs to "
                               f"service {slot.service_id or '(none)'}; Task/{case.id} is "
                               f"routed to {case.service_id}")
            try:
                booked = book(uow, _as_staff(client), case.id, slot.id, now=now,
                              check_ownership=False)
            except ValueError as exc:
                _reraise(exc)
            appointment = uow.session.get(Appointment, booked.appointment_id)
            resource = appointment_resource(uow, appointment)
        return respond(resource, 201, headers={
            "Location": f"{base_url(request)}/Appointment/{booked.appointment_id}"})
    except ApiError as exc:
        return error(exc)


def _work_cases() -> Any:
    from sotekeskus.domain.access_policy import Action

    return Action.WORK_CASES


def _username(user: Any, user_id: int) -> Any:
    from sqlalchemy import select

    return select(user.username).where(user.id == user_id)


def _reraise(exc: ValueError) -> None:
    """The booking use case's refusals: a lost race is 409, a rule broken 422."""
    from sotekeskus.care.errors import Conflict, InvalidInput, NotFound

    if isinstance(exc, Conflict):
        raise ApiError(409, "conflict", str(exc)) from None
    if isinstance(exc, NotFound):
        raise ApiError(422, "not-found", str(exc)) from None
    if isinstance(exc, InvalidInput):
        raise ApiError(422, "business-rule", str(exc)) from None
    raise exc


@router.post("/Appointment")
async def create_appointment(request: Request) -> Response:
    return await run_in_threadpool(_book, request, await request.body())


@router.post("/Appointment/$book")
async def book_operation(request: Request) -> Response:
    return await run_in_threadpool(_book, request, await request.body())


def _cancel(aid: str, request: Request, raw: bytes, patch: bool) -> Response:
    from sotekeskus.care.booking.appointments import unbook
    from sotekeskus.store.models import Appointment, ScheduleSlot

    try:
        client = guard(request, "Appointment", "write")
        body = _json(raw)
        try:
            if not patch:
                _checked(body)
            reason = cancellation_reason(body, patch=patch)
        except BookingRequestError as exc:
            raise ApiError(exc.status, exc.code, str(exc)) from None
        now = now_of(request)
        number = int_id(aid)
        with work(request, client) as uow:
            appointment = uow.session.get(Appointment, number) if number is not None else None
            if appointment is None:
                raise ApiError(404, "not-found", f"no Appointment/{aid}")
            slot = uow.session.get(ScheduleSlot, appointment.slot_id)
            uow.authorise(_work_cases(), [slot.unit_id])
            if appointment.status != "booked":
                raise ApiError(409, "conflict", f"Appointment/{aid} is {appointment.status}; "
                               "only a booked appointment is cancelled")
            if slot.start_at <= now:
                raise ApiError(422, "business-rule", f"Appointment/{aid} has already "
                               "started")
            try:
                unbook(uow, _as_staff(client), appointment.case_id, reason, now=now)
            except ValueError as exc:
                _reraise(exc)
            uow.session.refresh(appointment)
            resource = appointment_resource(uow, appointment)
        return respond(resource)
    except ApiError as exc:
        return error(exc)


@router.put("/Appointment/{aid}")
async def update_appointment(aid: str, request: Request) -> Response:
    return await run_in_threadpool(_cancel, aid, request, await request.body(), False)


@router.patch("/Appointment/{aid}")
async def patch_appointment(aid: str, request: Request) -> Response:
    return await run_in_threadpool(_cancel, aid, request, await request.body(), True)
