"""The FHIR API's resource table: for each resource type how to **read** one and how to
**search** (which parameters), and who may see what (docs/fhir.md). ``web/api/fhir.py``
serves every entry through one read path and one search path (scope check, unit of work,
audit of every read with the resident as subject, R4 validation).

Visibility, by the one access policy for the client's role and units:

* Patient, Task, Appointment, Communication (a resident's data): units where the role may
  work cases or see persons (a professional or manager of a unit where the resident has
  the case);
* Practitioner, PractitionerRole, Schedule, Slot (staff directory and calendars): units
  where the role may work cases, keep schedules, see persons or see figures (the whole
  region for leadership, analysts and administrators);
* HealthcareService (the public service catalogue): every client with the scope;
* AuditEvent: administrators only (the policy's ``view_audit``);
* Organization, Location, EpisodeOfCare, Encounter: ``fhir_search_care``; MeasureReport:
  ``fhir_search_measures`` (their own docstrings say who sees what).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sotekeskus.domain.access_policy import Action, may
from sotekeskus.interop.fhir import api_directory as directory
from sotekeskus.interop.fhir import api_records as records
from sotekeskus.interop.fhir import api_resources as api
from sotekeskus.web.api import fhir_search_care as care
from sotekeskus.web.api import fhir_search_measures as measures
from sotekeskus.web.api.fhir_common import (
    ApiError,
    directory_units,
    in_directory,
    int_id,
    person_units,
    person_visible,
    refuse,
)
from sotekeskus.web.api.fhir_query import (  # noqa: F401 (the table's types, re-exported)
    DEFAULT_COUNT,
    MAX_COUNT,
    Ctx,
    Found,
    Kind,
    Query,
    _date_filter,
    _not_found,
    _page,
    _ref,
)


# ---- Patient -------------------------------------------------------------------------------
def _person(ctx: Ctx, *, person_id: str | None = None, hetu: str | None = None) -> Any:
    from sotekeskus.store.models import Person

    stmt = select(Person)
    stmt = (stmt.where(Person.person_id == person_id) if person_id is not None
            else stmt.where(Person.hetu == hetu))
    return ctx.uow.session.scalar(stmt)


def read_patient(ctx: Ctx, pid: str) -> Found:
    person = _person(ctx, person_id=pid)
    if person is None:
        raise _not_found("Patient", pid)
    if not person_visible(ctx.uow, ctx.client, person):
        refuse(ctx.uow, f"fhir:Patient/{pid}")
    return Found(api.patient(person), person.person_id)


def search_patient(ctx: Ctx, query: Query) -> list[Found]:
    identifier, pid = query.one("identifier"), query.one("_id")
    hetu = None
    if identifier is not None:
        system, _, value = identifier.rpartition("|")
        if system != api.SYS_HETU or not value:
            raise ApiError(400, "value", f"identifier: use {api.SYS_HETU}|<HETU>")
        hetu = value.upper()
    if pid is not None and "," in pid:  # _id=a,b,c: any of them (FHIR's OR), by pseudonym
        from sotekeskus.store.models import Person

        wanted = sorted({p for p in pid.split(",") if p})[:MAX_COUNT]
        people = ctx.uow.session.scalars(select(Person).where(
            Person.person_id.in_(wanted)).order_by(Person.person_id))
        return [Found(api.patient(p), p.person_id) for p in people
                if (hetu is None or p.hetu == hetu) and person_visible(ctx.uow, ctx.client, p)]
    person = _person(ctx, person_id=pid) if pid is not None else _person(ctx, hetu=hetu)
    if person is not None and hetu is not None and person.hetu != hetu:
        person = None
    if person is None or not person_visible(ctx.uow, ctx.client, person):
        return []
    return [Found(api.patient(person), person.person_id)]


# ---- Task (a workdesk case) ----------------------------------------------------------------
def task_of(uow: Any, case: Any) -> dict[str, Any]:
    from sotekeskus.store.models import Person, User

    person = uow.session.get(Person, case.person_pk)
    owner = (uow.session.scalar(select(User.username).where(User.id == case.owner_user_id))
             if case.owner_user_id else None)
    return api.task(case, person.person_id, owner)


def _pseudonym(ctx: Ctx, person_pk: int) -> str:
    from sotekeskus.store.models import Person

    return str(ctx.uow.session.get(Person, person_pk).person_id)


def read_task(ctx: Ctx, tid: str) -> Found:
    from sotekeskus.store.models import CareCase

    number = int_id(tid)
    case = ctx.uow.session.get(CareCase, number) if number is not None else None
    if case is None:
        raise _not_found("Task", tid)
    if not person_units(ctx.client, {case.unit_id}):
        refuse(ctx.uow, f"fhir:Task/{tid}")
    return Found(task_of(ctx.uow, case), _pseudonym(ctx, case.person_pk))


def search_task(ctx: Ctx, query: Query) -> list[Found]:
    from sotekeskus.store.models import CareCase

    person = _person(ctx, person_id=_ref(query.one("patient") or "", "Patient", "patient"))
    if person is None:
        return []
    cases = list(ctx.uow.session.scalars(select(CareCase).where(
        CareCase.person_pk == person.id).order_by(CareCase.id)))
    allowed = person_units(ctx.client, {c.unit_id for c in cases})
    return [Found(task_of(ctx.uow, c), person.person_id) for c in cases
            if c.unit_id in allowed]


# ---- Appointment (a booking) ---------------------------------------------------------------
def appointment_of(uow: Any, appt: Any) -> dict[str, Any]:
    from sotekeskus.interop.codes import load_maps
    from sotekeskus.store.models import Person, ScheduleSlot, User

    slot = uow.session.get(ScheduleSlot, appt.slot_id)
    person = uow.session.get(Person, appt.person_pk)
    professional = uow.session.scalar(select(User.username).where(User.id == slot.user_id))
    table = load_maps()["booking_status"]
    labels = {code: table.rows[code]["label"] for code in table.codes}
    return api.appointment(appt, slot, person.person_id, professional, labels)


def read_appointment(ctx: Ctx, aid: str) -> Found:
    from sotekeskus.store.models import Appointment, ScheduleSlot

    number = int_id(aid)
    appt = ctx.uow.session.get(Appointment, number) if number is not None else None
    if appt is None:
        raise _not_found("Appointment", aid)
    slot = ctx.uow.session.get(ScheduleSlot, appt.slot_id)
    if not person_units(ctx.client, {slot.unit_id}):
        refuse(ctx.uow, f"fhir:Appointment/{aid}")
    return Found(appointment_of(ctx.uow, appt), _pseudonym(ctx, appt.person_pk))


def search_appointment(ctx: Ctx, query: Query) -> list[Found]:
    from sotekeskus.store.models import Appointment, ScheduleSlot

    person = _person(ctx, person_id=_ref(query.one("patient") or "", "Patient", "patient"))
    if person is None:
        return []
    rows = list(ctx.uow.session.execute(
        select(Appointment, ScheduleSlot.unit_id)
        .join(ScheduleSlot, ScheduleSlot.id == Appointment.slot_id)
        .where(Appointment.person_pk == person.id).order_by(Appointment.id)))
    allowed = person_units(ctx.client, {unit for _, unit in rows})
    return [Found(appointment_of(ctx.uow, a), person.person_id) for a, unit in rows
            if unit in allowed]


# ---- Communication (a message on a case) ---------------------------------------------------
def read_communication(ctx: Ctx, mid: str) -> Found:
    from sotekeskus.store.models import CareCase, CaseMessage

    number = int_id(mid)
    message = ctx.uow.session.get(CaseMessage, number) if number is not None else None
    if message is None:
        raise _not_found("Communication", mid)
    case = ctx.uow.session.get(CareCase, message.case_id)
    if not person_units(ctx.client, {case.unit_id}):
        refuse(ctx.uow, f"fhir:Communication/{mid}")
    person_id = _pseudonym(ctx, case.person_pk)
    return Found(records.communication(message, case.id, person_id), person_id)


def search_communication(ctx: Ctx, query: Query) -> list[Found]:
    from sotekeskus.store.models import CareCase, CaseMessage

    stmt = select(CaseMessage, CareCase).join(CareCase, CareCase.id == CaseMessage.case_id)
    patient, about = query.one("patient"), query.one("about")
    if patient is not None:
        person = _person(ctx, person_id=_ref(patient, "Patient", "patient"))
        if person is None:
            return []
        stmt = stmt.where(CareCase.person_pk == person.id)
    if about is not None:
        case_id = int_id(_ref(about, "Task", "about"))
        if case_id is None:
            return []
        stmt = stmt.where(CareCase.id == case_id)
    rows = list(ctx.uow.session.execute(stmt.order_by(CaseMessage.at, CaseMessage.id)))
    allowed = person_units(ctx.client, {case.unit_id for _, case in rows})
    out = []
    for message, case in rows:
        if case.unit_id in allowed:
            person_id = _pseudonym(ctx, case.person_pk)
            out.append(Found(records.communication(message, case.id, person_id), person_id))
    return out


# ---- HealthcareService (the service catalogue) ---------------------------------------------
def _catalogue() -> Any:
    from sotekeskus.care.catalogue import default_catalogue

    return default_catalogue()


def read_service(ctx: Ctx, sid: str) -> Found:
    service = next((s for s in _catalogue().services.values()
                    if directory.service_id(s.service_id) == sid), None)
    if service is None:
        raise _not_found("HealthcareService", sid)
    return Found(directory.healthcare_service(service))


def search_service(ctx: Ctx, query: Query) -> list[Found]:
    sid, location = query.one("_id"), query.one("location")
    out = []
    for service in sorted(_catalogue().services.values(), key=lambda s: s.service_id):
        if sid is not None and directory.service_id(service.service_id) != sid:
            continue
        if location is not None and directory.location_ref(
                _unit_of_location(location))["reference"] not in {
                directory.location_ref(u)["reference"] for u in service.units}:
            continue
        out.append(Found(directory.healthcare_service(service)))
    return out


def _unit_of_location(value: str) -> str:
    rid = _ref(value, "Location", "location")
    return rid.removeprefix("loc-")


# ---- Practitioner, PractitionerRole (staff with a professional profile) --------------------
def _staff_rows(ctx: Ctx, user_id: int | None = None) -> list[tuple[Any, Any, set[str],
                                                                      set[str]]]:
    """(user, profile, units, services) of professionals, optionally one."""
    from sotekeskus.store.models import StaffProfile, StaffService, User, UserUnit

    stmt = select(User, StaffProfile).join(StaffProfile, StaffProfile.user_id == User.id)
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    rows = list(ctx.uow.session.execute(stmt.order_by(User.id)))
    ids = [u.id for u, _ in rows]
    units: dict[int, set[str]] = {i: set() for i in ids}
    services: dict[int, set[str]] = {i: set() for i in ids}
    if ids:
        for uid, unit in ctx.uow.session.execute(select(UserUnit.user_id, UserUnit.unit_id)
                                                 .where(UserUnit.user_id.in_(ids))):
            units[uid].add(unit)
        for uid, sid in ctx.uow.session.execute(select(
                StaffService.user_id, StaffService.service_id).where(
                StaffService.user_id.in_(ids))):
            services[uid].add(sid)
    return [(u, p, units[u.id], services[u.id]) for u, p in rows]


def _visible_units(ctx: Ctx, units: set[str]) -> set[str]:
    scope = directory_units(ctx.client)
    return set(units) if scope is None else set(units) & scope


def read_practitioner(ctx: Ctx, rid: str) -> Found:
    number = int_id(rid)
    rows = _staff_rows(ctx, number) if number is not None else []
    if not rows:
        raise _not_found("Practitioner", rid)
    user, _, units, _ = rows[0]
    if not in_directory(ctx.client, units):
        refuse(ctx.uow, f"fhir:Practitioner/{rid}", "no unit of this professional is among "
               "the client's")
    return Found(directory.practitioner(user.id, user.display_name or "-", user.active))


def search_practitioner(ctx: Ctx, query: Query) -> list[Found]:
    rid, name = query.one("_id"), query.one("name")
    number = int_id(rid) if rid is not None else None
    if rid is not None and number is None:
        return []
    return [Found(directory.practitioner(u.id, u.display_name or "-", u.active))
            for u, _, units, _ in _staff_rows(ctx, number)
            if in_directory(ctx.client, units)
            and (name is None or name.casefold() in (u.display_name or "").casefold())]


def _roles(ctx: Ctx, user_id: int | None = None) -> list[Found]:
    catalogue = _catalogue().services
    out = []
    for user, profile, units, services in _staff_rows(ctx, user_id):
        for unit in sorted(_visible_units(ctx, units)):
            offered = [s for s in services if s in catalogue and unit in catalogue[s].units]
            out.append(Found(directory.practitioner_role(
                user.id, unit, profile.professional_group, profile.title or "", offered,
                user.active)))
    return out


def read_role(ctx: Ctx, rid: str) -> Found:
    user_id = int_id(rid.split("-", 1)[0])
    found = [f for f in _roles(ctx, user_id) if f.resource["id"] == rid] if user_id else []
    if not found:
        if user_id is not None and _staff_rows(ctx, user_id):
            refuse(ctx.uow, f"fhir:PractitionerRole/{rid}", "not a role in the client's "
                   "units")
        raise _not_found("PractitionerRole", rid)
    return found[0]


def search_role(ctx: Ctx, query: Query) -> list[Found]:
    from sotekeskus.domain.vocabulary import ProfessionalGroup

    practitioner, role, service = (query.one("practitioner"), query.one("role"),
                                   query.one("service"))
    organization = query.one("organization")
    user_id = None
    if practitioner is not None:
        user_id = int_id(_ref(practitioner, "Practitioner", "practitioner"))
        if user_id is None:
            return []
    if role is not None:
        code = role.rpartition("|")[2]
        if code not in {g.value for g in ProfessionalGroup}:
            raise ApiError(400, "value", f"role: unknown professional group {code[:60]!r}; "
                           "allowed: " + ", ".join(g.value for g in ProfessionalGroup))
        role = code
    out = []
    for found in _roles(ctx, user_id):
        res = found.resource
        if role is not None and res["code"][0]["coding"][0]["code"] != role:
            continue
        if organization is not None and res["organization"]["reference"] != \
                f"Organization/{_ref(organization, 'Organization', 'organization')}":
            continue
        if service is not None and "HealthcareService/" + _ref(
                service, "HealthcareService", "service") not in {
                s["reference"] for s in res.get("healthcareService", [])}:
            continue
        out.append(found)
    return out


# ---- Schedule, Slot ------------------------------------------------------------------------
def _schedule_services(ctx: Ctx, user_id: int, unit: str) -> list[str]:
    from sotekeskus.store.models import ScheduleSlot

    return [s for s in ctx.uow.session.scalars(
        select(ScheduleSlot.service_id).where(ScheduleSlot.user_id == user_id,
                                              ScheduleSlot.unit_id == unit,
                                              ScheduleSlot.service_id.is_not(None))
        .distinct()) if s]


def _schedules(ctx: Ctx, user_id: int | None = None) -> list[Found]:
    from sotekeskus.store.models import ScheduleSlot

    stmt = select(ScheduleSlot.user_id, ScheduleSlot.unit_id).distinct()
    if user_id is not None:
        stmt = stmt.where(ScheduleSlot.user_id == user_id)
    pairs = sorted(set(ctx.uow.session.execute(stmt).tuples()))
    visible = directory_units(ctx.client)
    return [Found(directory.schedule(uid, unit, _schedule_services(ctx, uid, unit)))
            for uid, unit in pairs if visible is None or unit in visible]


def _schedule_key(ctx: Ctx, rid: str) -> tuple[int, str] | None:
    """A Schedule id ``<user id>-<unit>`` → (user id, unit) when such slots exist."""
    from sotekeskus.store.models import ScheduleSlot

    user_id = int_id(rid.split("-", 1)[0])
    if user_id is None:
        return None
    units = ctx.uow.session.scalars(select(ScheduleSlot.unit_id).where(
        ScheduleSlot.user_id == user_id).distinct())
    return next(((user_id, u) for u in units if directory.role_id(user_id, u) == rid), None)


def read_schedule(ctx: Ctx, rid: str) -> Found:
    key = _schedule_key(ctx, rid)
    if key is None:
        raise _not_found("Schedule", rid)
    if not in_directory(ctx.client, {key[1]}):
        refuse(ctx.uow, f"fhir:Schedule/{rid}", "the schedule's unit is not among the "
               "client's")
    return Found(directory.schedule(key[0], key[1], _schedule_services(ctx, *key)))


def search_schedule(ctx: Ctx, query: Query) -> list[Found]:
    actor, service_type = query.one("actor"), query.one("service-type")
    user_id = None
    if actor is not None:
        user_id = int_id(_ref(actor, "Practitioner", "actor"))
        if user_id is None:
            return []
    out = _schedules(ctx, user_id)
    if service_type is not None:
        code = service_type.rpartition("|")[2]
        out = [f for f in out if code in {t["coding"][0]["code"]
                                          for t in f.resource.get("serviceType", [])}]
    return out


def read_slot(ctx: Ctx, rid: str) -> Found:
    from sotekeskus.store.models import ScheduleSlot

    number = int_id(rid)
    slot = ctx.uow.session.get(ScheduleSlot, number) if number is not None else None
    if slot is None:
        raise _not_found("Slot", rid)
    if not in_directory(ctx.client, {slot.unit_id}):
        refuse(ctx.uow, f"fhir:Slot/{rid}", "the slot's unit is not among the client's")
    return Found(directory.slot(slot))


def search_slot(ctx: Ctx, query: Query) -> list[Found]:
    from sotekeskus.store.models import ScheduleSlot

    stmt = select(ScheduleSlot)
    visible = directory_units(ctx.client)
    if visible is not None:
        stmt = stmt.where(ScheduleSlot.unit_id.in_(sorted(visible)))
    schedule = query.one("schedule")
    if schedule is not None:
        key = _schedule_key(ctx, _ref(schedule, "Schedule", "schedule"))
        if key is None:
            return []
        stmt = stmt.where(ScheduleSlot.user_id == key[0], ScheduleSlot.unit_id == key[1])
    statuses = query.values.get("status") or []
    if statuses:
        wanted = [s for v in statuses for s in v.split(",")]
        bad = [s for s in wanted if s not in directory.SLOT_STATUS_BACK]
        if bad:
            raise ApiError(400, "value", f"status: {bad[0][:40]!r} is not a slot status; "
                           "allowed: " + ", ".join(directory.SLOT_STATUS_BACK))
        stmt = stmt.where(ScheduleSlot.status.in_([directory.SLOT_STATUS_BACK[s]
                                                   for s in wanted]))
    service_type = query.one("service-type")
    if service_type is not None:
        stmt = stmt.where(ScheduleSlot.service_id == service_type.rpartition("|")[2])
    conditions = _date_filter(ScheduleSlot.start_at, query.values.get("start") or [],
                              "start")
    if conditions:
        stmt = stmt.where(*conditions)
    rows = _page(ctx, query, stmt.order_by(ScheduleSlot.start_at, ScheduleSlot.id))
    return [Found(directory.slot(s)) for s in rows]


# ---- AuditEvent (the audit log; administrators only) ---------------------------------------
def _audit_allowed(ctx: Ctx, what: str) -> None:
    if not may(ctx.client.actor, Action.VIEW_AUDIT).allowed:
        refuse(ctx.uow, what, "only an administrator's client reads the audit log")


def read_audit(ctx: Ctx, rid: str) -> Found:
    from sotekeskus.store.models import AuditEvent

    _audit_allowed(ctx, f"fhir:AuditEvent/{rid}")
    number = int_id(rid)
    row = ctx.uow.session.get(AuditEvent, number) if number is not None else None
    if row is None:
        raise _not_found("AuditEvent", rid)
    return Found(records.audit_event(row))


def search_audit(ctx: Ctx, query: Query) -> list[Found]:
    from sotekeskus.store.models import AuditEvent

    _audit_allowed(ctx, "fhir:AuditEvent")
    # A paged walk is pinned to the rows there were at its first page (its own reads add
    # newer rows, which would shift the newest-first pages).
    ctx.snapshot = query.snapshot if query.snapshot is not None else int(
        ctx.uow.session.scalar(select(func.max(AuditEvent.id))) or 0)
    stmt = select(AuditEvent).where(AuditEvent.id <= ctx.snapshot)
    patient, agent = query.one("patient"), query.one("agent-name")
    if patient is not None:
        stmt = stmt.where(AuditEvent.subject_person_id == _ref(patient, "Patient", "patient"))
    if agent is not None:
        stmt = stmt.where(AuditEvent.actor == agent)
    conditions = _date_filter(AuditEvent.at, query.values.get("date") or [], "date")
    if conditions:
        stmt = stmt.where(*conditions)
    rows = _page(ctx, query, stmt.order_by(AuditEvent.id.desc()))
    return [Found(records.audit_event(r)) for r in rows]


KINDS: tuple[Kind, ...] = (
    Kind("Patient", read_patient, search_patient, (("identifier", "token"), ("_id", "token")),
         f"search Patient by identifier ({api.SYS_HETU}|<HETU>) or _id"),
    Kind("Task", read_task, search_task, (("patient", "reference"),),
         "search Task by patient (Patient/<id>)"),
    Kind("Appointment", read_appointment, search_appointment, (("patient", "reference"),),
         "search Appointment by patient (Patient/<id>)"),
    Kind("Communication", read_communication, search_communication,
         (("patient", "reference"), ("about", "reference")),
         "search Communication by patient (Patient/<id>) or about (Task/<id>)",
         {"about": "local: the Task (case) the message is about"}),
    Kind("Practitioner", read_practitioner, search_practitioner,
         (("_id", "token"), ("name", "string"))),
    Kind("PractitionerRole", read_role, search_role,
         (("practitioner", "reference"), ("organization", "reference"), ("role", "token"),
          ("service", "reference"))),
    Kind("HealthcareService", read_service, search_service,
         (("_id", "token"), ("location", "reference"))),
    Kind("Schedule", read_schedule, search_schedule,
         (("actor", "reference"), ("service-type", "token"))),
    Kind("Slot", read_slot, search_slot,
         (("schedule", "reference"), ("status", "token"), ("start", "date"),
          ("service-type", "token")),
         "search Slot by schedule, status, start (ge/le) or service-type"),
    Kind("AuditEvent", read_audit, search_audit,
         (("date", "date"), ("patient", "reference"), ("agent-name", "string"))),
    *care.KINDS,
    *measures.KINDS,
)
BY_NAME = {k.name: k for k in KINDS}
