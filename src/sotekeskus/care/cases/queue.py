"""What a professional sees: the one queue across channels, a case's detail (every read
audited with its purpose and the resident's pseudonym), the bookable slots, her own day.

**Queue**: open cases of the professional's units that are not yet routed (``new``,
``claimed``, ``assessed``) plus the cases routed to one of her services; ordered urgent
first, then by the nearest deadline (cases without one last), then by contact time. A
case past its deadline is flagged (``overdue``) and stays in the queue. The queue shows no
name or identity code (channel, subject, age, deadline); opening a case shows the person
and is audited per case. The queue page itself is audited as one list read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from sotekeskus.care.cases.commands import suggest
from sotekeskus.care.cases.deadlines import deadlines_of
from sotekeskus.care.cases.transitions import Loaded, load
from sotekeskus.care.catalogue import Catalogue, current_catalogue
from sotekeskus.care.errors import InvalidInput
from sotekeskus.care.staff import Staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Action
from sotekeskus.domain.calendar import age_on
from sotekeskus.domain.workflow.codes import (
    AppointmentStatus,
    CaseState,
    Channel,
    CodeError,
    SlotStatus,
    parse_code,
)
from sotekeskus.domain.workflow.deadlines import CaseDeadline
from sotekeskus.domain.workflow.routing import Routed
from sotekeskus.store.models import (
    Appointment,
    Assessment,
    CareCase,
    CaseMessage,
    CaseTransition,
    Person,
    ScheduleSlot,
    User,
)

#: Rows of one queue page: the nearest deadlines; the header counts all open cases.
QUEUE_LIMIT = 50
UNROUTED = (CaseState.NEW.value, CaseState.CLAIMED.value, CaseState.ASSESSED.value)


class DueFilter(StrEnum):
    OVERDUE = "overdue"  # past the deadline
    TODAY = "today"  # due today or already past
    WEEK = "week"  # due within 7 days (or past)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    channel: Channel | None = None
    service_id: str | None = None
    unit_id: str | None = None
    due: DueFilter | None = None
    mine: bool = False

    @classmethod
    def parse(cls, *, channel: str = "", service: str = "", unit: str = "", due: str = "",
              mine: bool = False, catalogue: Catalogue | None = None) -> QueueFilter:
        """From query-string text; :class:`InvalidInput` listing the allowed codes."""
        try:
            ch = parse_code(Channel, channel, "channel") if channel else None
            dd = parse_code(DueFilter, due, "due") if due else None
        except CodeError as exc:
            raise InvalidInput(str(exc)) from None
        if service:
            (catalogue or current_catalogue(None)).service(service)  # raises listing them
        return cls(ch, service or None, unit or None, dd, mine)


@dataclass(frozen=True, slots=True)
class QueueRow:
    case_id: int
    channel: str
    state: str
    urgency: str | None
    unit_id: str
    service_area: str
    professional_group: str | None
    service_id: str | None
    owner: str | None
    subject: str
    age: int
    contact_at: datetime
    callback_to: datetime | None
    due_on: date | None
    due_leg: str | None
    due_rule: str | None
    overdue: bool
    seconds_left: int | None  # to the end of the due day; negative when past
    version: int


def due_end(due_on: date) -> datetime:
    """The countdown runs to the end of the due day (the due day is on time)."""
    return datetime.combine(due_on + timedelta(days=1), datetime.min.time())


def queue(uow: UnitOfWork, staff: Staff, flt: QueueFilter, *, now: datetime,
          limit: int = QUEUE_LIMIT) -> list[QueueRow]:
    scope = uow.authorise(Action.WORK_CASES, [flt.unit_id] if flt.unit_id else None)
    owner = aliased(User)
    visible = or_(CareCase.state.in_(UNROUTED),
                  and_(CareCase.state == CaseState.ROUTED.value,
                       CareCase.service_id.in_(sorted(staff.services) or [""])))
    c = CareCase
    stmt = (select(c.id, c.channel, c.state, c.urgency, c.unit_id, c.service_area,
                   c.professional_group, c.service_id, owner.username, c.subject,
                   Person.birth_date, c.contact_at, c.callback_to, c.due_on, c.due_leg,
                   c.due_rule, c.version)
            .join(Person, Person.id == CareCase.person_pk)
            .outerjoin(owner, owner.id == CareCase.owner_user_id)
            .where(visible))
    if scope.unit_ids is not None:
        stmt = stmt.where(CareCase.unit_id.in_(sorted(scope.unit_ids)))
    if flt.channel:
        stmt = stmt.where(CareCase.channel == flt.channel.value)
    if flt.service_id:
        stmt = stmt.where(CareCase.service_id == flt.service_id)
    if flt.mine:
        stmt = stmt.where(CareCase.owner_user_id == staff.user_id)
    today = now.date()
    if flt.due is DueFilter.OVERDUE:
        stmt = stmt.where(CareCase.due_on < today)
    elif flt.due is DueFilter.TODAY:
        stmt = stmt.where(CareCase.due_on <= today)
    elif flt.due is DueFilter.WEEK:
        stmt = stmt.where(CareCase.due_on <= today + timedelta(days=7))
    stmt = stmt.order_by(case((CareCase.urgency == "urgent", 0), else_=1),
                         case((CareCase.due_on.is_(None), 1), else_=0), CareCase.due_on,
                         CareCase.contact_at, CareCase.id).limit(limit)
    rows = []
    for r in uow.session.execute(stmt):
        left = int((due_end(r.due_on) - now).total_seconds()) if r.due_on else None
        rows.append(QueueRow(
            r.id, r.channel, r.state, r.urgency, r.unit_id, r.service_area,
            r.professional_group, r.service_id, r.username, r.subject,
            age_on(r.birth_date, today), r.contact_at, r.callback_to, r.due_on, r.due_leg,
            r.due_rule, bool(r.due_on and r.due_on < today), left, r.version))
    uow.audit_read("workdesk:queue", f"cases={len(rows)} channel={flt.channel or ''} "
                   f"service={flt.service_id or ''} unit={flt.unit_id or ''} "
                   f"due={flt.due or ''} mine={flt.mine}")
    return rows


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: datetime
    actor: str
    transition: str
    from_state: str
    to_state: str
    owner_after: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class MessageRow:
    at: datetime
    author_kind: str
    author: str
    body: str


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    appointment_id: int
    slot_id: int
    start: datetime
    end: datetime
    professional: str
    unit_id: str
    service_id: str | None
    mode: str
    status: str


@dataclass(frozen=True)
class CaseDetail:
    case: CareCase
    person_name: str
    hetu: str
    person_id: str
    birth_date: date
    age: int
    owner: str | None
    deadlines: tuple[CaseDeadline, ...]
    history: list[HistoryRow]
    messages: list[MessageRow]
    assessments: list[Assessment]
    appointments: list[AppointmentRow]
    suggestion: Routed | None
    overdue: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def read_case(uow: UnitOfWork, staff: Staff, case_id: int, *, now: datetime) -> CaseDetail:
    """A case with its resident, history, messages, assessments, appointments and the
    routing suggestion. Audited as a read of the resident's data with the unit's purpose."""
    loaded: Loaded = load(uow, case_id)
    c, person = loaded.case, loaded.person
    s = uow.session
    history = [HistoryRow(t.at, t.actor, t.transition, t.from_state, t.to_state,
                          t.owner_after, t.reason)
               for t in s.scalars(select(CaseTransition).where(CaseTransition.case_id == c.id)
                                  .order_by(CaseTransition.id))]
    messages = [MessageRow(m.at, m.author_kind, m.author, m.body)
                for m in s.scalars(select(CaseMessage).where(CaseMessage.case_id == c.id)
                                   .order_by(CaseMessage.id))]
    assessments = list(s.scalars(select(Assessment).where(Assessment.case_id == c.id)
                                 .order_by(Assessment.id)))
    appointments = [
        AppointmentRow(a.id, sl.id, sl.start_at, sl.end_at, name, sl.unit_id, sl.service_id,
                       sl.mode, a.status)
        for a, sl, name in s.execute(
            select(Appointment, ScheduleSlot, User.username)
            .join(ScheduleSlot, ScheduleSlot.id == Appointment.slot_id)
            .join(User, User.id == ScheduleSlot.user_id)
            .where(Appointment.case_id == c.id).order_by(Appointment.id))]
    deadlines = deadlines_of(c, person, now.date())
    suggestion = (suggest(loaded, now, catalogue=current_catalogue(uow.session))
                  if c.state in (CaseState.ASSESSED, CaseState.ROUTED) else None)
    uow.audit_read(f"case:{c.id}", "workdesk case view",
                   subject_person_id=person.person_id)
    return CaseDetail(c, person.name, person.hetu, person.person_id, person.birth_date,
                      age_on(person.birth_date, now.date()), loaded.owner, deadlines,
                      history, messages, assessments, appointments, suggestion,
                      overdue=any(d.breached and d.open for d in deadlines))


@dataclass(frozen=True, slots=True)
class SlotRow:
    slot_id: int
    start: datetime
    end: datetime
    professional: str
    professional_group: str
    unit_id: str
    service_id: str | None
    mode: str
    kind: str


def bookable_slots(uow: UnitOfWork, staff: Staff, case_id: int, *, now: datetime,
                   limit: int = 30) -> list[SlotRow]:
    """Free future slots the case could be booked into (group asked for by the assessment;
    the routed service), in the professional's units, earliest first."""
    loaded = load(uow, case_id)
    c = loaded.case
    scope = uow.authorise(Action.WORK_CASES)
    stmt = (select(ScheduleSlot, User.username)
            .join(User, User.id == ScheduleSlot.user_id)
            .where(ScheduleSlot.status == SlotStatus.FREE.value, ScheduleSlot.start_at > now))
    if scope.unit_ids is not None:
        stmt = stmt.where(ScheduleSlot.unit_id.in_(sorted(scope.unit_ids)))
    if c.professional_group:
        stmt = stmt.where(ScheduleSlot.professional_group == c.professional_group)
    if c.state == CaseState.ROUTED and c.service_id:
        stmt = stmt.where(or_(ScheduleSlot.service_id == c.service_id,
                              ScheduleSlot.service_id.is_(None)))
    stmt = stmt.order_by(ScheduleSlot.start_at, ScheduleSlot.id).limit(limit)
    return [SlotRow(sl.id, sl.start_at, sl.end_at, name, sl.professional_group, sl.unit_id,
                    sl.service_id, sl.mode, sl.kind) for sl, name in uow.session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class DayRow:
    start: datetime
    end: datetime
    slot_id: int
    slot_status: str
    mode: str
    service_id: str | None
    case_id: int | None
    appointment_status: str | None
    subject: str | None
    age: int | None


def my_day(uow: UnitOfWork, staff: Staff, day: date) -> list[DayRow]:
    """The professional's slots on ``day`` with their appointments (audited list read)."""
    uow.authorise(Action.WORK_CASES)
    start = datetime.combine(day, datetime.min.time())
    live = and_(Appointment.slot_id == ScheduleSlot.id,
                Appointment.status != AppointmentStatus.CANCELLED.value)
    stmt = (select(ScheduleSlot, Appointment, CareCase.subject, Person.birth_date)
            .outerjoin(Appointment, live)
            .outerjoin(CareCase, CareCase.id == Appointment.case_id)
            .outerjoin(Person, Person.id == CareCase.person_pk)
            .where(ScheduleSlot.user_id == staff.user_id, ScheduleSlot.start_at >= start,
                   ScheduleSlot.start_at < start + timedelta(days=1))
            .order_by(ScheduleSlot.start_at))
    rows = [DayRow(sl.start_at, sl.end_at, sl.id, sl.status, sl.mode, sl.service_id,
                   a.case_id if a else None, a.status if a else None, subject,
                   age_on(birth, day) if birth else None)
            for sl, a, subject, birth in uow.session.execute(stmt)]
    uow.audit_read("workdesk:my_day", f"day={day} appointments="
                   f"{sum(1 for r in rows if r.case_id)}")
    return rows


def counts_by_state(uow: UnitOfWork, staff: Staff) -> dict[str, int]:
    """Open cases of the professional's units per state (for the queue header)."""
    scope = uow.authorise(Action.WORK_CASES)
    open_states = [s.value for s in CaseState if s is not CaseState.CLOSED]
    stmt = select(CareCase.state, func.count()).where(CareCase.state.in_(open_states))
    if scope.unit_ids is not None:
        stmt = stmt.where(CareCase.unit_id.in_(sorted(scope.unit_ids)))
    return {state: n for state, n in uow.session.execute(stmt.group_by(CareCase.state))}
