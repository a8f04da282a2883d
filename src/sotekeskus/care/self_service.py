"""The resident's own use cases at the front door: own cases, appointments (book, cancel,
rebook) and "who has read my data".

Every function runs in a :class:`~sotekeskus.care.unit_of_work.UnitOfWork` whose actor is
the resident (``Role.RESIDENT``, ``person_id`` set) and asks the one access policy
(:func:`authorise_own`) with the person the data belongs to; the policy lets a resident act
only on their own person. Something that is not the resident's — a case, an appointment, a
slot of another service — is answered exactly like something that does not exist
(:class:`~sotekeskus.care.errors.NotFound` with the same message), so an identifier reveals
nothing. The refusal is still audited.

A resident's reads of their own data are audited (``read_person_level`` with the actor
``resident:<person_id>``) but are **not professional reads**: :func:`who_read` lists only
reads by staff (actors that are staff accounts or the CLI), with the reader's name and role,
time, what was read and the purpose.

Booking uses the workdesk's atomic booking (:func:`~sotekeskus.care.booking.appointments.
book_loaded`: ``UPDATE slots … WHERE status='free'``, one winner); cancel and rebook are
allowed until ``change_hours`` before the appointment starts (``Settings.resident_change_hours``).
Self-booking is offered only for a case **routed** to a service whose catalogue entry allows it
(``self_booking: true``), and only slots of that service (and of the professional group the
assessment asked for), free, ordinary (non-urgent) and in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, or_, select

from sotekeskus.care.booking.appointments import Booked, book_loaded, unbook_loaded
from sotekeskus.care.cases.transitions import Loaded, owner_name, precheck
from sotekeskus.care.errors import Conflict, InvalidInput, NotFound
from sotekeskus.care.staff import Staff
from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork
from sotekeskus.domain.access_policy import Action, Actor, Resource, Role, may
from sotekeskus.domain.workflow.cases import Transition
from sotekeskus.domain.workflow.codes import AppointmentStatus, CaseState, SlotKind, SlotStatus
from sotekeskus.domain.workflow.routing import Service
from sotekeskus.store import audit
from sotekeskus.store.models import (
    Appointment,
    AuditEvent,
    CareCase,
    Person,
    ScheduleSlot,
    User,
)

READ_PURPOSE = "resident: own data"
BOOK_PURPOSE = "resident: self-booking"
#: Actor-name prefix of residents in the audit log (never a professional read).
RESIDENT_PREFIX = "resident:"


@dataclass(frozen=True, slots=True)
class OwnCase:
    case_id: int
    channel: str
    state: str
    subject: str
    contact_at: datetime
    service_area: str
    service_id: str | None
    due_on: date | None
    due_leg: str | None
    closed_at: datetime | None
    close_reason: str | None
    can_book: bool

    @property
    def open(self) -> bool:
        return self.state != CaseState.CLOSED


@dataclass(frozen=True, slots=True)
class OwnAppointment:
    appointment_id: int
    case_id: int
    start: datetime
    end: datetime
    unit_id: str
    service_id: str | None
    mode: str
    professional: str
    status: str
    changeable_until: datetime
    changeable: bool


@dataclass(frozen=True, slots=True)
class FreeSlot:
    slot_id: int
    start: datetime
    end: datetime
    unit_id: str
    mode: str
    professional: str


@dataclass(frozen=True, slots=True)
class Reader:
    """One professional read of the resident's data."""

    at: datetime
    name: str
    role: str
    what: str
    purpose: str


def resident_actor(person_id: str) -> Actor:
    return Actor(RESIDENT_PREFIX + person_id, Role.RESIDENT, frozenset(), person_id)


def resident_staff(actor: Actor) -> Staff:
    """How a resident appears in a case's history (the transition's actor)."""
    return Staff(0, actor.name, actor.name, Role.RESIDENT, frozenset())


def authorise_own(uow: UnitOfWork, action: Action, person_id: str, what: str) -> None:
    """The policy's answer for the resident's ``action`` on ``person_id``'s data;
    :class:`NotFound` (audited refusal) when it is not the resident's own."""
    scope = may(uow.actor, action, Resource.person(person_id))
    if not scope.allowed:
        audit.record(uow.engine, uow.actor.name, audit.DENIED, what[:500],
                     f"{scope.reason}; purpose={uow.purpose}")
        raise NotFound(f"{what}: not found")


def _person(uow: UnitOfWork) -> Person:
    person_id = uow.actor.person_id
    if uow.actor.role is not Role.RESIDENT or not person_id:
        raise NotAllowed("only a resident has own data")
    person = uow.session.scalar(select(Person).where(Person.person_id == person_id))
    if person is None:
        raise NotFound("person: not found")
    authorise_own(uow, Action.VIEW_OWN_DATA, person.person_id, "person")
    return person


def _own_case(uow: UnitOfWork, case_id: int, action: Action) -> Loaded:
    """The case if it is the resident's (the policy decides), else NotFound."""
    what = f"case:{case_id}"
    case = uow.session.get(CareCase, case_id, populate_existing=True)
    if case is None:
        raise NotFound(f"{what}: not found")
    person = uow.session.get(Person, case.person_pk)
    assert person is not None
    authorise_own(uow, action, person.person_id, what)
    return Loaded(case, person, owner_name(uow, case.owner_user_id))


def _service(services: dict[str, Service], service_id: str | None) -> Service | None:
    return services.get(service_id) if service_id else None


def self_bookable(case: CareCase, services: dict[str, Service]) -> bool:
    """Routed to a service that lets residents book, and not booked yet."""
    service = _service(services, case.service_id)
    return (case.state == CaseState.ROUTED and service is not None and service.self_booking
            and service.bookable)


def own_cases(uow: UnitOfWork, services: dict[str, Service]) -> list[OwnCase]:
    """The resident's cases, open first (nearest deadline first), then closed (newest)."""
    person = _person(uow)
    rows = uow.session.scalars(select(CareCase).where(CareCase.person_pk == person.id)).all()
    uow.audit_read("own_cases", f"{len(rows)} cases", subject_person_id=person.person_id)
    out = [OwnCase(c.id, c.channel, c.state, c.subject, c.contact_at, c.service_area,
                   c.service_id, c.due_on if c.state != CaseState.CLOSED else None,
                   c.due_leg if c.state != CaseState.CLOSED else None, c.closed_at,
                   c.close_reason, self_bookable(c, services)) for c in rows]
    open_ = sorted((c for c in out if c.open),
                   key=lambda c: (c.due_on or date.max, c.contact_at))
    closed = sorted((c for c in out if not c.open),
                    key=lambda c: c.closed_at or c.contact_at, reverse=True)
    return open_ + closed


def own_case(uow: UnitOfWork, case_id: int, services: dict[str, Service]) -> OwnCase:
    loaded = _own_case(uow, case_id, Action.VIEW_OWN_DATA)
    c = loaded.case
    uow.audit_read(f"case:{c.id}", "own case", subject_person_id=loaded.person.person_id)
    closed = c.state == CaseState.CLOSED
    return OwnCase(c.id, c.channel, c.state, c.subject, c.contact_at, c.service_area,
                   c.service_id, None if closed else c.due_on, None if closed else c.due_leg,
                   c.closed_at, c.close_reason, self_bookable(c, services))


def _professionals(uow: UnitOfWork, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {u.id: (u.display_name or u.username) for u in uow.session.scalars(
        select(User).where(User.id.in_(user_ids)))}


def own_appointments(uow: UnitOfWork, *, now: datetime, change_hours: float,
                     include_past: bool = False) -> list[OwnAppointment]:
    """The resident's booked appointments (upcoming; with ``include_past`` also earlier and
    cancelled ones), soonest first, with whether they may still be cancelled or rebooked."""
    person = _person(uow)
    stmt = (select(Appointment, ScheduleSlot).join(ScheduleSlot,
                                                   ScheduleSlot.id == Appointment.slot_id)
            .where(Appointment.person_pk == person.id).order_by(ScheduleSlot.start_at))
    if not include_past:
        stmt = stmt.where(Appointment.status == AppointmentStatus.BOOKED,
                          ScheduleSlot.end_at > now)
    rows = uow.session.execute(stmt).all()
    names = _professionals(uow, {s.user_id for _, s in rows})
    uow.audit_read("own_appointments", f"{len(rows)} appointments",
                   subject_person_id=person.person_id)
    window = timedelta(hours=change_hours)
    return [OwnAppointment(a.id, a.case_id, s.start_at, s.end_at, s.unit_id, s.service_id,
                           s.mode, names.get(s.user_id, ""), a.status, s.start_at - window,
                           a.status == AppointmentStatus.BOOKED and now < s.start_at - window)
            for a, s in rows]


def _bookable_slots(uow: UnitOfWork, case: CareCase, now: datetime) -> Select[tuple[ScheduleSlot]]:
    stmt = select(ScheduleSlot).where(
        ScheduleSlot.service_id == case.service_id, ScheduleSlot.status == SlotStatus.FREE,
        ScheduleSlot.kind == SlotKind.NON_URGENT, ScheduleSlot.start_at > now)
    if case.professional_group:
        stmt = stmt.where(ScheduleSlot.professional_group == case.professional_group)
    return stmt


def free_slots(uow: UnitOfWork, case_id: int, services: dict[str, Service], *, now: datetime,
               limit: int = 30, for_rebooking: bool = False) -> list[FreeSlot]:
    """Free slots the resident may book for the case: only of the service the case was
    routed to (see the module docstring). ``for_rebooking``: the case is booked and the
    resident looks for another time."""
    loaded = _own_case(uow, case_id, Action.ACT_ON_OWN_CASE)
    case = loaded.case
    service = _service(services, case.service_id)
    wanted = CaseState.BOOKED if for_rebooking else CaseState.ROUTED
    if case.state != wanted or service is None or not service.self_booking:
        raise InvalidInput(f"case {case_id}: self-booking is not available for this case")
    slots = uow.session.scalars(_bookable_slots(uow, case, now)
                                .order_by(ScheduleSlot.start_at, ScheduleSlot.id)
                                .limit(limit)).all()
    names = _professionals(uow, {s.user_id for s in slots})
    uow.audit_read(f"case:{case.id}", "free slots for self-booking",
                   subject_person_id=loaded.person.person_id)
    return [FreeSlot(s.id, s.start_at, s.end_at, s.unit_id, s.mode, names.get(s.user_id, ""))
            for s in slots]


def _slot_for(uow: UnitOfWork, case: CareCase, slot_id: int, now: datetime) -> ScheduleSlot:
    """The slot if the resident may book it for ``case`` (same rules as :func:`free_slots`);
    otherwise the same NotFound as a slot that does not exist."""
    slot = uow.session.scalar(_bookable_slots(uow, case, now).where(
        ScheduleSlot.id == slot_id).execution_options(populate_existing=True))
    if slot is None:
        taken = uow.session.scalar(select(ScheduleSlot.id).where(
            ScheduleSlot.id == slot_id, ScheduleSlot.service_id == case.service_id,
            or_(ScheduleSlot.status != SlotStatus.FREE, and_(ScheduleSlot.start_at <= now))))
        if taken is not None:
            raise Conflict(f"slot {slot_id}: no longer free; choose another time")
        raise NotFound(f"slot {slot_id}: not found among the times offered for this case")
    return slot


def book_own(uow: UnitOfWork, case_id: int, slot_id: int, services: dict[str, Service], *,
             now: datetime) -> Booked:
    """Book ``slot_id`` for the resident's routed case (atomic; :class:`Conflict` when
    someone else was faster)."""
    loaded = _own_case(uow, case_id, Action.ACT_ON_OWN_CASE)
    case = loaded.case
    service = _service(services, case.service_id)
    if case.state != CaseState.ROUTED or service is None or not service.self_booking:
        raise InvalidInput(f"case {case_id}: self-booking is not available for this case")
    staff = resident_staff(uow.actor)
    precheck(staff, loaded, Transition.BOOK, check_ownership=False)
    slot = _slot_for(uow, case, slot_id, now)
    return book_loaded(uow, staff, loaded, slot, now=now, check_ownership=False)


def _own_appointment(uow: UnitOfWork, appointment_id: int, *, now: datetime,
                     change_hours: float) -> tuple[Appointment, ScheduleSlot, Loaded]:
    what = f"appointment:{appointment_id}"
    appointment = uow.session.get(Appointment, appointment_id, populate_existing=True)
    if appointment is None:
        raise NotFound(f"{what}: not found")
    loaded = _own_case(uow, appointment.case_id, Action.ACT_ON_OWN_CASE)
    if loaded.case.person_pk != appointment.person_pk:  # pragma: no cover - store invariant
        raise NotFound(f"{what}: not found")
    slot = uow.session.get(ScheduleSlot, appointment.slot_id)
    assert slot is not None
    if appointment.status != AppointmentStatus.BOOKED or loaded.case.state != CaseState.BOOKED:
        raise InvalidInput(f"{what}: is {appointment.status}, nothing to change")
    limit = slot.start_at - timedelta(hours=change_hours)
    if now >= limit:
        raise InvalidInput(f"{what}: can be changed only until {limit:%Y-%m-%d %H:%M} "
                           f"({change_hours:g} h before it starts); call the service")
    return appointment, slot, loaded


def cancel_own(uow: UnitOfWork, appointment_id: int, *, now: datetime,
               change_hours: float) -> None:
    """Cancel the resident's appointment (the slot is freed, the case goes back to its
    service's queue)."""
    _, _, loaded = _own_appointment(uow, appointment_id, now=now, change_hours=change_hours)
    unbook_loaded(uow, resident_staff(uow.actor), loaded, "cancelled by the resident",
                  now=now)


def rebook_own(uow: UnitOfWork, appointment_id: int, slot_id: int,
               services: dict[str, Service], *, now: datetime,
               change_hours: float) -> Booked:
    """Move the appointment to ``slot_id`` in one transaction: the old appointment is
    cancelled and the new slot taken atomically; when the new slot is gone (:class:`Conflict`)
    the whole transaction rolls back and the old appointment stays as it was."""
    _, _, loaded = _own_appointment(uow, appointment_id, now=now, change_hours=change_hours)
    case = loaded.case
    service = _service(services, case.service_id)
    if service is None or not service.self_booking:
        raise InvalidInput(f"case {case.id}: self-booking is not available for this case")
    new_slot = _slot_for(uow, case, slot_id, now)
    staff = resident_staff(uow.actor)
    unbook_loaded(uow, staff, loaded, "rebooked by the resident", now=now)
    return book_loaded(uow, staff, loaded, new_slot, now=now, check_ownership=False)


def who_read(uow: UnitOfWork, *, limit: int = 500) -> list[Reader]:
    """Professional reads of the resident's data, newest first (see the module docstring).
    The resident's own reads and sign-ins are not listed."""
    person = _person(uow)
    rows = uow.session.execute(
        select(AuditEvent, User).outerjoin(User, User.username == AuditEvent.actor)
        .where(AuditEvent.subject_person_id == person.person_id,
               AuditEvent.action == audit.READ_PERSONS,
               AuditEvent.actor.not_like(RESIDENT_PREFIX + "%"))
        .order_by(AuditEvent.id.desc()).limit(limit)).all()
    uow.audit_read("own_audit_trail", f"{len(rows)} reads", subject_person_id=person.person_id)
    return [Reader(e.at, (u.display_name or u.username) if u else e.actor,
                   u.role if u else ("operator" if e.actor.startswith("cli") else ""),
                   e.target, e.purpose or "") for e, u in rows]
