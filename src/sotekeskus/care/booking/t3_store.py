"""T3 from the product's own schedules (the same pure computation as the slot export).

The slots of day D are read **as they were at the start of D**: a slot that is booked now
counts as free on D if its appointment was booked on D or later, and a slot whose
appointment was cancelled counts as booked on the days between the booking and the
cancellation; a slot booked without an appointment of the workdesk (booked before, in
another system) stays booked. So the daily series can be computed afterwards for past days
too (blocked slots have no history and stay blocked). Measured professionals: every
professional with a slot on D or later within the 182-day window, or with a weekly
template in force on D.
The professional's id in the result is her user name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sotekeskus.domain.vocabulary import ProfessionalGroup
from sotekeskus.domain.workflow.codes import AppointmentStatus, SlotKind, SlotStatus
from sotekeskus.domain.workflow.t3 import T3_CAP_DAYS, Slot, T3Result, compute_t3
from sotekeskus.store.models import (
    Appointment,
    ScheduleSlot,
    ScheduleTemplate,
    StaffProfile,
    User,
)


def slots_as_of(session: Session, on: date, units: Iterable[str] | None = None) -> list[Slot]:
    start = datetime.combine(on, datetime.min.time())
    window_end = start + timedelta(days=T3_CAP_DAYS + 1)
    unit_list = sorted(units) if units is not None else None
    stmt = (select(ScheduleSlot, User.username)
            .join(User, User.id == ScheduleSlot.user_id)
            .where(ScheduleSlot.start_at >= start, ScheduleSlot.start_at < window_end))
    if unit_list is not None:
        stmt = stmt.where(ScheduleSlot.unit_id.in_(unit_list))
    rows = list(session.execute(stmt))
    held_then = {slot_id for (slot_id,) in session.execute(
        select(Appointment.slot_id).join(ScheduleSlot, ScheduleSlot.id == Appointment.slot_id)
        .where(ScheduleSlot.start_at >= start, ScheduleSlot.start_at < window_end,
               Appointment.booked_at < start,
               or_(Appointment.status != AppointmentStatus.CANCELLED.value,
                   and_(Appointment.changed_at.is_not(None), Appointment.changed_at >= start))))}
    ever_held = {slot_id for (slot_id,) in session.execute(
        select(Appointment.slot_id).join(ScheduleSlot, ScheduleSlot.id == Appointment.slot_id)
        .where(ScheduleSlot.start_at >= start, ScheduleSlot.start_at < window_end))}
    out = []
    for slot, username in rows:
        if slot.status == SlotStatus.BLOCKED:
            status = SlotStatus.BLOCKED
        elif slot.status == SlotStatus.BOOKED and slot.id not in ever_held:
            status = SlotStatus.BOOKED  # booked outside the workdesk: no history to replay
        else:
            status = SlotStatus.BOOKED if slot.id in held_then else SlotStatus.FREE
        out.append(Slot(username, slot.unit_id, ProfessionalGroup(slot.professional_group),
                        slot.start_at, slot.end_at, SlotKind(slot.kind), status))
    # professionals with a template in force on D but no slot in the window: measured (182)
    seen = {(s.professional_id, s.unit_id) for s in out}
    templates = (select(User.username, ScheduleTemplate.unit_id,
                        StaffProfile.professional_group)
                 .join(User, User.id == ScheduleTemplate.user_id)
                 .join(StaffProfile, StaffProfile.user_id == ScheduleTemplate.user_id)
                 .where(ScheduleTemplate.valid_from <= on,
                        or_(ScheduleTemplate.valid_to.is_(None),
                            ScheduleTemplate.valid_to >= on)))
    if unit_list is not None:
        templates = templates.where(ScheduleTemplate.unit_id.in_(unit_list))
    for username, unit_id, group in session.execute(templates.distinct()):
        if (username, unit_id) not in seen:
            seen.add((username, unit_id))
            # a placeholder slot that never counts: it only makes the professional measured
            out.append(Slot(username, unit_id, ProfessionalGroup(group), start,
                            start + timedelta(minutes=1), SlotKind.OTHER, SlotStatus.BLOCKED))
    return out


def t3_from_store(session: Session, on: date, units: Iterable[str] | None = None) -> T3Result:
    return compute_t3(slots_as_of(session, on, units), on)


def t3_series(session: Session, days: Iterable[date],
              units: Iterable[str] | None = None) -> list[tuple[date, T3Result]]:
    unit_list = sorted(units) if units is not None else None
    return [(d, t3_from_store(session, d, unit_list)) for d in days]
