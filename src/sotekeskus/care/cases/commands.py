"""The workdesk's commands on a case: open (a contact), claim, release, hand over, assess,
route, refer, resolve, cancel, reply. Each runs inside the caller's unit of work; each
change is a conditional update (:mod:`sotekeskus.care.cases.transitions`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from sotekeskus.care.cases.deadlines import refresh_due
from sotekeskus.care.cases.transitions import (
    Loaded,
    apply,
    explain_conflict,
    load,
    precheck,
)
from sotekeskus.care.catalogue import Catalogue, current_catalogue
from sotekeskus.care.errors import InvalidInput, NotFound
from sotekeskus.care.persons import get_person
from sotekeskus.care.projection import episode_id_of, is_care_event, project, resolution_mode
from sotekeskus.care.staff import Staff, find_staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Action, Role
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea
from sotekeskus.domain.workflow.cases import Move, Transition
from sotekeskus.domain.workflow.codes import (
    AppointmentStatus,
    AssessedUrgency,
    CaseState,
    Channel,
    CloseReason,
    CodeError,
    SlotStatus,
    parse_code,
)
from sotekeskus.domain.workflow.routing import CaseFacts, Routed
from sotekeskus.store.models import (
    Appointment,
    Assessment,
    CareCase,
    CaseMessage,
    CaseTransition,
    ScheduleSlot,
)

MAX_TEXT = 4000


def _code(enum: type, value: str, field: str):  # type: ignore[no-untyped-def,type-arg]
    try:
        return parse_code(enum, value.strip(), field)
    except CodeError as exc:
        raise InvalidInput(str(exc)) from None


def _text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field}: required")
    if len(text) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters (got {len(text)})")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise InvalidInput(f"{field}: no control characters")
    return text


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact that opens a case. ``service_area``: the line it came in on."""

    person_pk: int
    channel: str
    unit_id: str
    subject: str
    service_area: str = ServiceArea.MEDICAL.value
    message: str = ""
    callback_from: datetime | None = None
    callback_to: datetime | None = None
    questionnaire_outcome: str | None = None


def open_case(uow: UnitOfWork, contact: Contact, *, now: datetime,
              contact_at: datetime | None = None) -> CareCase:
    """Open a case for a contact (a professional recording a call, the front door, the
    synthetic region). The first history row is ``open``."""
    channel = _code(Channel, contact.channel, "channel")
    area = _code(ServiceArea, contact.service_area, "service_area")
    subject = _text(contact.subject, "subject", limit=300)
    window = (contact.callback_from, contact.callback_to)
    if window[0] and window[1] and window[1] < window[0]:
        raise InvalidInput("callback_to: must not be before callback_from")
    if uow.actor.role is Role.RESIDENT:  # the front door: a resident opens their own case
        person = get_person(uow.session, contact.person_pk)
        uow.authorise(Action.ACT_ON_OWN_CASE, person_id=person.person_id)
    else:
        uow.authorise(Action.WORK_CASES, [contact.unit_id])
        person = get_person(uow.session, contact.person_pk)
    at = contact_at or now
    case = CareCase(
        person_pk=person.id, channel=channel.value, state=CaseState.NEW.value,
        unit_id=contact.unit_id, service_area=area.value, subject=subject, contact_at=at,
        callback_from=contact.callback_from, callback_to=contact.callback_to,
        questionnaire_outcome=contact.questionnaire_outcome,
        episode_id=f"new-{uuid.uuid4().hex}", version=1, updated_at=now)
    uow.session.add(case)
    uow.session.flush()
    case.episode_id = episode_id_of(case.id)
    refresh_due(case, person, now.date())
    uow.session.add(CaseTransition(
        case_id=case.id, at=at, actor=uow.actor.name[:100], transition=Transition.OPEN.value,
        from_state=CaseState.NEW.value, to_state=CaseState.NEW.value, reason=channel.value))
    if contact.message.strip():
        uow.session.add(CaseMessage(case_id=case.id, at=at, author_kind="resident",
                                    author=person.person_id,
                                    body=_text(contact.message, "message")))
    project(uow.session, case, person)
    uow.episodes_changed()
    uow.audit_change(f"case:{case.id}", f"open channel={channel.value}",
                     subject_person_id=person.person_id)
    return case


def claim(uow: UnitOfWork, staff: Staff, case_id: int, *, now: datetime,
          seen_version: int | None = None) -> Move:
    """Take an unowned open case; :class:`Conflict` naming the owner if someone has it.

    ``seen_version``: the version the professional saw in her queue; if the case has moved
    on since (claimed, assessed and booked by someone else, then let go), the claim is a
    conflict naming who changed it, not a surprise case in another state."""
    loaded = load(uow, case_id)
    if seen_version is not None and loaded.case.version != seen_version:
        raise explain_conflict(uow, case_id, Transition.CLAIM, staff.username)
    return apply(uow, staff, loaded, Transition.CLAIM, now=now, new_owner=staff.user_id,
                 new_owner_name=staff.username)


def release(uow: UnitOfWork, staff: Staff, case_id: int, *, now: datetime,
            reason: str = "") -> Move:
    loaded = load(uow, case_id)
    return apply(uow, staff, loaded, Transition.RELEASE, now=now, new_owner=None,
                 reason=_text(reason, "reason", required=False))


def hand_over(uow: UnitOfWork, staff: Staff, case_id: int, to_username: str, *,
              now: datetime, reason: str = "") -> Move:
    """Pass an owned case to another professional who works in the case's unit."""
    loaded = load(uow, case_id)
    try:
        target = find_staff(uow.session, to_username)
    except NotFound:
        raise InvalidInput(f"to: no user {to_username.strip()[:100]!r}") from None
    if target.role is not Role.PROFESSIONAL or loaded.case.unit_id not in target.units:
        raise InvalidInput(f"to: {target.username} is not a professional of unit "
                           f"{loaded.case.unit_id}")
    if target.user_id == staff.user_id:
        raise InvalidInput("to: the case is already yours")
    return apply(uow, staff, loaded, Transition.HAND_OVER, now=now, new_owner=target.user_id,
                 new_owner_name=target.username,
                 reason=_text(reason, "reason", required=False) or f"to {target.username}")


@dataclass(frozen=True, slots=True)
class AssessmentInput:
    """The care-need assessment form (codes as text; checked here)."""

    urgency: str
    need: str
    service_area: str
    professional_group: str
    reason_code: str = ""


def assess(uow: UnitOfWork, staff: Staff, case_id: int, form: AssessmentInput, *,
           now: datetime, catalogue: Catalogue | None = None) -> Routed | None:
    """Record the care-need assessment; return the routing suggestion (rule that fired)."""
    urgency = _code(AssessedUrgency, form.urgency, "urgency")
    area = _code(ServiceArea, form.service_area, "service_area")
    group = _code(ProfessionalGroup, form.professional_group, "professional_group")
    need = _text(form.need, "need")
    reason = form.reason_code.strip().upper()
    if reason and not (len(reason) <= 8 and reason[0].isalpha() and reason.isalnum()):
        raise InvalidInput(f"reason_code: {reason[:20]!r} is not an ICPC-2 code such as R05")
    loaded = load(uow, case_id)
    case = loaded.case
    values = {"urgency": urgency.value, "service_area": area.value,
              "professional_group": group.value,
              "assessed_at": case.assessed_at or now}
    apply(uow, staff, loaded, Transition.ASSESS, now=now, values=values,
          reason=f"{urgency.value}: {need[:200]}")
    uow.session.add(Assessment(case_id=case.id, at=now, assessor=staff.username,
                               urgency=urgency.value, need=need, reason_code=reason or None,
                               service_area=area.value, professional_group=group.value))
    return suggest(loaded, now, reason or None, catalogue or current_catalogue(uow.session))


def suggest(loaded: Loaded, now: datetime, reason_code: str | None = None,
            catalogue: Catalogue | None = None) -> Routed | None:
    """The routing rule that fires for the assessed case (None: route by hand)."""
    case = loaded.case
    if not case.urgency or not case.professional_group:
        return None
    if reason_code is None:
        reason_code = _latest_assessment_reason(loaded)
    facts = CaseFacts(
        urgency=AssessedUrgency(case.urgency), service_area=ServiceArea(case.service_area),
        professional_group=ProfessionalGroup(case.professional_group),
        channel=Channel(case.channel), birth_date=loaded.person.birth_date,
        on=(case.assessed_at or now).date(), reason_code=reason_code,
        questionnaire_outcome=case.questionnaire_outcome)
    if catalogue is None:
        from sqlalchemy.orm import object_session

        session = object_session(case)
        catalogue = current_catalogue(session) if session is not None else None
    return (catalogue or current_catalogue(None)).route(facts)


def _latest_assessment_reason(loaded: Loaded) -> str | None:
    from sqlalchemy.orm import object_session

    session = object_session(loaded.case)
    if session is None:
        return None
    return session.scalar(select(Assessment.reason_code)
                          .where(Assessment.case_id == loaded.case.id)
                          .order_by(Assessment.id.desc()).limit(1))


def route(uow: UnitOfWork, staff: Staff, case_id: int, service_id: str | None = None, *,
          now: datetime, catalogue: Catalogue | None = None) -> Routed | None:
    """Route the assessed case to a service's queue (the owner lets go of it).

    Without ``service_id`` the rule that fires decides (an error when none does); with one,
    the professional's choice wins and is recorded as ``manual`` unless it is the rule's."""
    cat = catalogue or current_catalogue(uow.session)
    loaded = load(uow, case_id)
    precheck(staff, loaded, Transition.ROUTE)
    suggestion = suggest(loaded, now, catalogue=cat)
    if service_id is None or not service_id.strip():
        if suggestion is None:
            raise InvalidInput("service: no routing rule matched this assessment; choose a "
                               "service")
        service, rule_text = suggestion.service, (f"{suggestion.rule.rule_id}@"
                                                  f"{suggestion.rule.version}")
    else:
        try:
            service = cat.service(service_id.strip())
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if not service.admits(loaded.person.birth_date, now.date()):
            raise InvalidInput(f"service: {service.service_id} does not admit the resident's "
                               "age")
        rule_text = (f"{suggestion.rule.rule_id}@{suggestion.rule.version}"
                     if suggestion and suggestion.service.service_id == service.service_id
                     else "manual")
    apply(uow, staff, loaded, Transition.ROUTE, now=now, new_owner=None,
          values={"service_id": service.service_id, "routing_rule": rule_text},
          reason=f"{service.service_id} ({rule_text})")
    return suggestion


def refer(uow: UnitOfWork, staff: Staff, case_id: int, reason: str, *, now: datetime) -> Move:
    loaded = load(uow, case_id)
    return apply(uow, staff, loaded, Transition.REFER, now=now, new_owner=None,
                 reason=_text(reason, "reason"))


def resolve(uow: UnitOfWork, staff: Staff, case_id: int, note: str, *, now: datetime) -> Move:
    """Close the assessed case at first contact (advice, self-care, prescription renewed).
    Unless assessed ``no_care_needed`` the contact itself is the realised care event."""
    loaded = load(uow, case_id)
    urgency = AssessedUrgency(loaded.case.urgency) if loaded.case.urgency else None
    values: dict[str, object] = {}
    if is_care_event(CloseReason.RESOLVED, urgency):
        values = {"visit_at": now, "visit_professional": staff.username,
                  "contact_mode": resolution_mode(Channel(loaded.case.channel)).value}
    return apply(uow, staff, loaded, Transition.RESOLVE, now=now, new_owner=None,
                 values=values, reason=_text(note, "note"))


def cancel(uow: UnitOfWork, staff: Staff, case_id: int, reason: str, *, now: datetime,
           transition: Transition = Transition.CANCEL) -> Move:
    """Close an open case without care (``cancel`` or ``merge``); a booked appointment is
    cancelled and its slot freed."""
    loaded = load(uow, case_id)
    step = apply(uow, staff, loaded, transition, now=now, new_owner=None,
                 reason=_text(reason, "reason"), check_ownership=False)
    free_booked_slot(uow, loaded.case.id, staff.username, now, reason)
    return step


def free_booked_slot(uow: UnitOfWork, case_id: int, by: str, now: datetime,
                     reason: str) -> Appointment | None:
    """Cancel the case's booked appointment (if any) and free a future slot."""
    from sqlalchemy import update

    appointment = uow.session.scalar(select(Appointment).where(
        Appointment.case_id == case_id, Appointment.status == AppointmentStatus.BOOKED))
    if appointment is None:
        return None
    appointment.status = AppointmentStatus.CANCELLED.value
    appointment.changed_at, appointment.changed_by = now, by
    appointment.reason = reason[:300]
    uow.session.flush()
    uow.session.execute(
        update(ScheduleSlot).where(ScheduleSlot.id == appointment.slot_id,
                                   ScheduleSlot.start_at > now)
        .values(status=SlotStatus.FREE.value).execution_options(synchronize_session=False))
    return appointment


def reply(uow: UnitOfWork, staff: Staff, case_id: int, body: str, *, now: datetime) -> Move:
    """A professional's message to the resident (chat line, secure message)."""
    text = _text(body, "message")
    loaded = load(uow, case_id)
    values = {} if loaded.case.first_reply_at else {"first_reply_at": now}
    step = apply(uow, staff, loaded, Transition.REPLY, now=now, values=values)
    uow.session.add(CaseMessage(case_id=case_id, at=now, author_kind="professional",
                                author=staff.username, body=text))
    return step
