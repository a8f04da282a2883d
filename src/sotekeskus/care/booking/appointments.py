"""Appointments: booking a slot for a case, cancelling, the visit and the no-show.

**Booking is atomic**: ``UPDATE slots SET status='booked' WHERE id=:slot AND
status='free'`` matches a row for exactly one of any number of concurrent bookers; the
others get :class:`~sotekeskus.care.errors.Conflict` naming who booked it. A partial
unique index (``appointments(slot_id) WHERE status='booked'``) refuses a second live
appointment of one slot even if some code path skipped the update. No check-then-insert.

A booking writes two messages to the notification outbox (a confirmation now and a reminder
24 hours before, when that is still ahead); the SMS / e-mail gateway sends from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from sotekeskus.care.cases.commands import free_booked_slot
from sotekeskus.care.cases.transitions import Loaded, apply, load, precheck
from sotekeskus.care.errors import Conflict, InvalidInput, NotFound
from sotekeskus.care.staff import Staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Action
from sotekeskus.domain.vocabulary import ContactMode
from sotekeskus.domain.workflow.cases import Move, Transition
from sotekeskus.domain.workflow.codes import (
    AppointmentStatus,
    CaseState,
    CodeError,
    ServiceMode,
    SlotStatus,
    parse_code,
)
from sotekeskus.store.models import Appointment, NotificationOutbox, ScheduleSlot, User

REMINDER_BEFORE = timedelta(hours=24)
#: The contact mode a visit gets by default, by slot mode.
DEFAULT_VISIT_MODE = {ServiceMode.IN_PERSON: ContactMode.IN_PERSON,
                      ServiceMode.REMOTE: ContactMode.PHONE}


@dataclass(frozen=True, slots=True)
class Booked:
    appointment_id: int
    slot_id: int
    start: datetime
    professional: str


def _slot_label(slot: ScheduleSlot, professional: str) -> str:
    return f"slot {slot.id} ({slot.start_at:%Y-%m-%d %H:%M}, {professional})"


def _notify(uow: UnitOfWork, kind: str, person_pk: int, appointment: Appointment,
            slot: ScheduleSlot, send_after: datetime, now: datetime) -> None:
    payload = {"kind": kind, "appointment_id": appointment.id,
               "start": slot.start_at.isoformat(timespec="minutes"), "unit_id": slot.unit_id,
               "service_id": slot.service_id, "mode": slot.mode}
    uow.session.add(NotificationOutbox(created_at=now, kind=kind, person_pk=person_pk,
                                       appointment_id=appointment.id, send_after=send_after,
                                       payload=json.dumps(payload), attempts=0))


def book(uow: UnitOfWork, staff: Staff, case_id: int, slot_id: int, *,
         now: datetime, check_ownership: bool = True) -> Booked:
    """Book ``slot_id`` for the case (its owner does). The slot must be free, in the future,
    of the professional group the assessment asked for and — for a routed case — of the
    service it was routed to. ``check_ownership=False``: a booking system (the FHIR API)
    books an unowned case from its service's queue; the access policy still decides."""
    loaded = load(uow, case_id)
    case = loaded.case
    precheck(staff, loaded, Transition.BOOK, check_ownership=check_ownership)
    slot = uow.session.get(ScheduleSlot, slot_id, populate_existing=True)
    if slot is None:
        raise NotFound(f"slot: no slot {slot_id}")
    uow.authorise(Action.WORK_CASES, [case.unit_id, slot.unit_id])
    return book_loaded(uow, staff, loaded, slot, now=now, check_ownership=check_ownership)


def book_loaded(uow: UnitOfWork, staff: Staff, loaded: Loaded, slot: ScheduleSlot, *,
                now: datetime, check_ownership: bool = True) -> Booked:
    """The atomic booking of an authorised case and slot (:func:`book`; the resident's
    self-booking in :mod:`sotekeskus.care.self_service` uses it too)."""
    case = loaded.case
    slot_id = slot.id
    professional = uow.session.scalar(select(User.username).where(User.id == slot.user_id))
    label = _slot_label(slot, professional or "?")
    if slot.start_at <= now:
        raise InvalidInput(f"{label}: already started")
    if case.professional_group and slot.professional_group != case.professional_group:
        raise InvalidInput(f"{label}: is a {slot.professional_group} slot; the assessment "
                           f"asked for {case.professional_group}")
    if (case.state == CaseState.ROUTED and case.service_id and slot.service_id
            and slot.service_id != case.service_id):
        raise InvalidInput(f"{label}: belongs to service {slot.service_id}; the case is "
                           f"routed to {case.service_id}")
    taken = uow.session.execute(
        update(ScheduleSlot).where(ScheduleSlot.id == slot_id,
                                   ScheduleSlot.status == SlotStatus.FREE)
        .values(status=SlotStatus.BOOKED.value).execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        holder = uow.session.scalar(
            select(Appointment.booked_by).where(Appointment.slot_id == slot_id,
                                                Appointment.status == AppointmentStatus.BOOKED))
        if holder:
            raise Conflict(f"{label} is already booked by {holder}", holder)
        raise Conflict(f"{label} is not free (blocked)")
    apply(uow, staff, loaded, Transition.BOOK, now=now, new_owner=None,
          values={"unit_id": slot.unit_id, "professional_group": slot.professional_group,
                  "service_id": slot.service_id or case.service_id},
          reason=label, check_ownership=check_ownership)
    appointment = Appointment(slot_id=slot_id, case_id=case.id, person_pk=case.person_pk,
                              status=AppointmentStatus.BOOKED.value, booked_at=now,
                              booked_by=staff.username, reason="")
    uow.session.add(appointment)
    uow.session.flush()
    _notify(uow, "booking_confirmation", case.person_pk, appointment, slot, now, now)
    if slot.start_at - REMINDER_BEFORE > now:
        _notify(uow, "appointment_reminder", case.person_pk, appointment, slot,
                slot.start_at - REMINDER_BEFORE, now)
    return Booked(appointment.id, slot_id, slot.start_at, professional or "")


def _booked_appointment(uow: UnitOfWork, case_id: int) -> tuple[Appointment, ScheduleSlot]:
    appointment = uow.session.scalar(select(Appointment).where(
        Appointment.case_id == case_id, Appointment.status == AppointmentStatus.BOOKED))
    if appointment is None:
        raise InvalidInput(f"case {case_id}: has no booked appointment")
    slot = uow.session.get(ScheduleSlot, appointment.slot_id)
    assert slot is not None
    return appointment, slot


def unbook(uow: UnitOfWork, staff: Staff, case_id: int, reason: str, *,
           now: datetime) -> Move:
    """Cancel the case's appointment (the slot is freed) and return the case to its
    service's queue."""
    return unbook_loaded(uow, staff, load(uow, case_id), reason, now=now)


def unbook_loaded(uow: UnitOfWork, staff: Staff, loaded: Loaded, reason: str, *,
                  now: datetime) -> Move:
    """:func:`unbook` of an authorised case (the resident's cancel uses it too)."""
    case_id = loaded.case.id
    appointment, slot = _booked_appointment(uow, case_id)
    step = apply(uow, staff, loaded, Transition.UNBOOK, now=now, check_ownership=False,
                 reason=reason.strip()[:300] or "appointment cancelled")
    free_booked_slot(uow, case_id, staff.username, now, reason)
    _notify(uow, "appointment_cancelled", appointment.person_pk, appointment, slot, now, now)
    return step


def record_visit(uow: UnitOfWork, staff: Staff, case_id: int, *, now: datetime,
                 contact_mode: str | None = None) -> Move:
    """The appointment took place: the case closes as visited (the first care event at the
    slot's start). Only the professional of the appointment records it."""
    loaded = load(uow, case_id)
    appointment, slot = _booked_appointment(uow, case_id)
    if slot.user_id != staff.user_id:
        raise InvalidInput(f"case {case_id}: only the professional of the appointment "
                           "records the visit")
    if contact_mode:
        try:
            mode = parse_code(ContactMode, contact_mode.strip(), "contact_mode")
        except CodeError as exc:
            raise InvalidInput(str(exc)) from None
    else:
        mode = DEFAULT_VISIT_MODE[ServiceMode(slot.mode)]
    visit_at = min(slot.start_at, now)
    step = apply(uow, staff, loaded, Transition.VISIT, now=now, check_ownership=False,
                 new_owner=None, values={"visit_at": visit_at, "contact_mode": mode.value,
                                         "visit_professional": staff.username})
    appointment.status = AppointmentStatus.DONE.value
    appointment.changed_at, appointment.changed_by = now, staff.username
    return step


def record_no_show(uow: UnitOfWork, staff: Staff, case_id: int, *, now: datetime) -> Move:
    """The resident did not come (booking status 9 in Avohilmo): the case closes as a
    no-show; the slot stays booked (its time is gone)."""
    loaded = load(uow, case_id)
    appointment, slot = _booked_appointment(uow, case_id)
    if slot.user_id != staff.user_id:
        raise InvalidInput(f"case {case_id}: only the professional of the appointment "
                           "records a no-show")
    if slot.start_at > now:
        raise InvalidInput(f"case {case_id}: the appointment has not started yet")
    step = apply(uow, staff, loaded, Transition.NO_SHOW, now=now, check_ownership=False,
                 new_owner=None)
    appointment.status = AppointmentStatus.NO_SHOW.value
    appointment.changed_at, appointment.changed_by = now, staff.username
    return step
