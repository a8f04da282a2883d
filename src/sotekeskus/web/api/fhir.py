"""The FHIR R4 REST API (``/fhir/…``), docs/fhir.md.

Its own guard: a bearer token of an API client (:mod:`sotekeskus.interop.fhir.clients`),
never the web session. Every request is decided twice: the client's **scopes** say which
resource types and modes the API lets it touch, and **the one access policy**
(:func:`sotekeskus.domain.access_policy.may`) decides, for the client's role and units, what
data it may see — the same answer a staff account with that role would get. Every read of
a person's data is audited (``UnitOfWork.audit_read``, in the same transaction) with the
resident as subject; refusals are audited too. Every resource returned is validated against
FHIR R4 (:func:`~sotekeskus.interop.fhir.validate.validate_r4`).

Implemented: ``GET /fhir/metadata``; ``Patient`` read and search (``identifier``, ``_id``);
``Task`` (a workdesk case) read and search (``patient``); ``Appointment`` (a booking, with
the Finnish Scheduling booking-status extension) read and search (``patient``);
``POST QuestionnaireResponse`` (opens a case in the workdesk, channel questionnaire); the
bulk ``$export`` (kick-off, status, files). Not implemented (not in the
CapabilityStatement): booking an Appointment, Schedule / Slot, Practitioner, Communication,
AuditEvent.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import select

from sotekeskus.domain.access_policy import Action, Resource, may
from sotekeskus.interop.fhir import api_resources as api
from sotekeskus.interop.fhir.clients import Client, authenticate
from sotekeskus.interop.fhir.validate import R4ValidationError, validate_r4

router = APIRouter(prefix="/fhir")
FHIR_JSON = "application/fhir+json"
PURPOSE = "fhir-api"
_JOB = re.compile(r"[a-f0-9]{32}")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _respond(resource: dict[str, Any], status: int = 200,
             headers: dict[str, str] | None = None) -> Response:
    validate_r4(resource)
    return Response(json.dumps(resource, ensure_ascii=False), status_code=status,
                    media_type=FHIR_JSON, headers=headers)


def _error(exc: ApiError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="fhir"'} if exc.status == 401 else None
    return Response(json.dumps(api.outcome(exc.code, str(exc))), status_code=exc.status,
                    media_type=FHIR_JSON, headers=headers)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _client(request: Request, resource_type: str, mode: str) -> Client:
    """The guard: a valid bearer token whose scopes allow ``mode`` on ``resource_type``."""
    from sotekeskus.store import audit

    engine = request.app.state.engine
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    client = authenticate(engine, token) if token else None
    if client is None:
        raise ApiError(401, "login", "a valid bearer token of an API client is required")
    if not client.allows(resource_type, mode):
        audit.record(engine, client.actor.name, audit.DENIED, f"fhir:{resource_type}",
                     f"scope system/{resource_type}.{mode} not granted")
        raise ApiError(403, "forbidden", f"the client's scopes do not include "
                                         f"system/{resource_type}.{mode}")
    return client


@contextmanager
def _work(request: Request, client: Client) -> Iterator[Any]:
    from sotekeskus.care.errors import InvalidInput, NotFound
    from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork

    try:
        with UnitOfWork(request.app.state.engine, client.actor, PURPOSE) as uow:
            yield uow
    except NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except NotFound as exc:
        raise ApiError(404, "not-found", str(exc)) from None
    except InvalidInput as exc:
        raise ApiError(400, "invalid", str(exc)) from None


def _allowed_units(client: Client, units: set[str]) -> set[str]:
    """The units among ``units`` whose person-level data the client's role may see (the
    workdesk's or a manager's person-level view)."""
    out = set()
    for unit in units:
        for action in (Action.WORK_CASES, Action.VIEW_PERSONS):
            if may(client.actor, action, Resource.units([unit])).allowed:
                out.add(unit)
                break
    return out


def _visible(uow: Any, client: Client, person: Any) -> bool:
    from sotekeskus.store.models import CareCase

    units = set(uow.session.scalars(select(CareCase.unit_id).where(
        CareCase.person_pk == person.id)))
    return bool(_allowed_units(client, units))


def _refuse(uow: Any, what: str) -> None:
    """Audit the refusal in its own transaction (the unit of work rolls back) and raise."""
    from sotekeskus.store import audit

    audit.record(uow.engine, uow.actor.name, audit.DENIED, what,
                 f"no unit of this resident is among the client's; purpose={PURPOSE}")
    raise ApiError(403, "forbidden", "the access policy does not let this client see this "
                                     "resident (no case in the client's units)")


# ---- capability ----------------------------------------------------------------------------
@router.get("/metadata")
def metadata(request: Request) -> Response:
    return _respond(api.capability_statement(_base(request)))


# ---- Patient -------------------------------------------------------------------------------
def _person_by(uow: Any, *, person_id: str | None = None, hetu: str | None = None) -> Any:
    from sotekeskus.store.models import Person

    query = select(Person)
    query = (query.where(Person.person_id == person_id) if person_id is not None
             else query.where(Person.hetu == hetu))
    return uow.session.scalar(query)


@router.get("/Patient/{pid}")
def read_patient(pid: str, request: Request) -> Response:
    try:
        client = _client(request, "Patient", "read")
        with _work(request, client) as uow:
            person = _person_by(uow, person_id=pid)
            if person is None:
                raise ApiError(404, "not-found", f"no Patient/{pid}")
            if not _visible(uow, client, person):
                _refuse(uow, f"fhir:Patient/{pid}")
            uow.audit_read(f"fhir:Patient/{pid}", "read", subject_person_id=person.person_id)
            body = api.patient(person)
        return _respond(body)
    except ApiError as exc:
        return _error(exc)


@router.get("/Patient")
def search_patient(request: Request, identifier: str | None = None,
                   _id: str | None = None) -> Response:
    try:
        client = _client(request, "Patient", "read")
        if identifier is None and _id is None:
            raise ApiError(400, "required", "search Patient by identifier "
                           f"({api.SYS_HETU}|<HETU>) or _id")
        hetu = None
        if identifier is not None:
            system, _, value = identifier.rpartition("|")
            if system != api.SYS_HETU or not value:
                raise ApiError(400, "value", f"identifier: use {api.SYS_HETU}|<HETU>")
            hetu = value.upper()
        entries = []
        with _work(request, client) as uow:
            person = _person_by(uow, person_id=_id) if _id is not None else _person_by(
                uow, hetu=hetu)
            if person is not None and hetu is not None and _id is not None and \
                    person.hetu != hetu:
                person = None
            if person is not None and _visible(uow, client, person):
                uow.audit_read(f"fhir:Patient/{person.person_id}", "search",
                               subject_person_id=person.person_id)
                entries.append(api.patient(person))
            else:
                uow.audit_read("fhir:Patient", "search: no match visible to the client")
        return _respond(api.bundle(entries, _base(request)))
    except ApiError as exc:
        return _error(exc)


# ---- Task (workdesk case) -----------------------------------------------------------------
def _task(uow: Any, case: Any) -> dict[str, Any]:
    from sotekeskus.store.models import Person, User

    person = uow.session.get(Person, case.person_pk)
    owner = (uow.session.scalar(select(User.username).where(User.id == case.owner_user_id))
             if case.owner_user_id else None)
    return api.task(case, person.person_id, owner)


@router.get("/Task/{tid}")
def read_task(tid: str, request: Request) -> Response:
    from sotekeskus.store.models import CareCase, Person

    try:
        client = _client(request, "Task", "read")
        with _work(request, client) as uow:
            case = uow.session.get(CareCase, int(tid)) if tid.isdigit() and len(tid) < 12 \
                else None
            if case is None:
                raise ApiError(404, "not-found", f"no Task/{tid}")
            person = uow.session.get(Person, case.person_pk)
            if not _allowed_units(client, {case.unit_id}):
                _refuse(uow, f"fhir:Task/{tid}")
            uow.audit_read(f"fhir:Task/{tid}", "read", subject_person_id=person.person_id)
            body = _task(uow, case)
        return _respond(body)
    except ApiError as exc:
        return _error(exc)


@router.get("/Task")
def search_task(request: Request, patient: str | None = None) -> Response:
    from sotekeskus.store.models import CareCase

    try:
        client = _client(request, "Task", "read")
        if not patient:
            raise ApiError(400, "required", "search Task by patient (Patient/<id>)")
        pid = patient.removeprefix("Patient/")
        entries = []
        with _work(request, client) as uow:
            person = _person_by(uow, person_id=pid)
            if person is not None:
                cases = list(uow.session.scalars(select(CareCase).where(
                    CareCase.person_pk == person.id).order_by(CareCase.id)))
                allowed = _allowed_units(client, {c.unit_id for c in cases})
                entries = [_task(uow, c) for c in cases if c.unit_id in allowed]
                if entries:
                    uow.audit_read(f"fhir:Task?patient={pid}", f"search: {len(entries)}",
                                   subject_person_id=person.person_id)
        return _respond(api.bundle(entries, _base(request)))
    except ApiError as exc:
        return _error(exc)


# ---- Appointment (a booking) ---------------------------------------------------------------
def _appointment(uow: Any, appt: Any) -> dict[str, Any]:
    from sotekeskus.interop.codes import load_maps
    from sotekeskus.store.models import Person, ScheduleSlot, User

    slot = uow.session.get(ScheduleSlot, appt.slot_id)
    person = uow.session.get(Person, appt.person_pk)
    professional = uow.session.scalar(select(User.username).where(User.id == slot.user_id))
    table = load_maps()["booking_status"]
    labels = {code: table.rows[code]["label"] for code in table.codes}
    return api.appointment(appt, slot, person.person_id, professional, labels)


@router.get("/Appointment/{aid}")
def read_appointment(aid: str, request: Request) -> Response:
    from sotekeskus.store.models import Appointment, Person, ScheduleSlot

    try:
        client = _client(request, "Appointment", "read")
        with _work(request, client) as uow:
            appt = (uow.session.get(Appointment, int(aid))
                    if aid.isdigit() and len(aid) < 12 else None)
            if appt is None:
                raise ApiError(404, "not-found", f"no Appointment/{aid}")
            slot = uow.session.get(ScheduleSlot, appt.slot_id)
            if not _allowed_units(client, {slot.unit_id}):
                _refuse(uow, f"fhir:Appointment/{aid}")
            person = uow.session.get(Person, appt.person_pk)
            uow.audit_read(f"fhir:Appointment/{aid}", "read",
                           subject_person_id=person.person_id)
            body = _appointment(uow, appt)
        return _respond(body)
    except ApiError as exc:
        return _error(exc)


@router.get("/Appointment")
def search_appointment(request: Request, patient: str | None = None) -> Response:
    from sotekeskus.store.models import Appointment, ScheduleSlot

    try:
        client = _client(request, "Appointment", "read")
        if not patient:
            raise ApiError(400, "required", "search Appointment by patient (Patient/<id>)")
        pid = patient.removeprefix("Patient/")
        entries = []
        with _work(request, client) as uow:
            person = _person_by(uow, person_id=pid)
            if person is not None:
                rows = list(uow.session.execute(
                    select(Appointment, ScheduleSlot.unit_id)
                    .join(ScheduleSlot, ScheduleSlot.id == Appointment.slot_id)
                    .where(Appointment.person_pk == person.id).order_by(Appointment.id)))
                allowed = _allowed_units(client, {unit for _, unit in rows})
                entries = [_appointment(uow, a) for a, unit in rows if unit in allowed]
                if entries:
                    uow.audit_read(f"fhir:Appointment?patient={pid}",
                                   f"search: {len(entries)}",
                                   subject_person_id=person.person_id)
        return _respond(api.bundle(entries, _base(request)))
    except ApiError as exc:
        return _error(exc)


# ---- QuestionnaireResponse → a case in the workdesk ---------------------------------------
@router.post("/QuestionnaireResponse")
async def create_questionnaire_response(request: Request) -> Response:
    from sotekeskus.care.cases.commands import Contact, open_case

    try:
        client = _client(request, "QuestionnaireResponse", "write")
        body = await request.body()
        if len(body) > 256_000:
            raise ApiError(413, "too-long", "at most 256 kB")
        try:
            resource = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ApiError(400, "structure", f"not JSON: {exc.msg}") from None
        if not isinstance(resource, dict) or resource.get("resourceType") != \
                "QuestionnaireResponse":
            raise ApiError(400, "structure", "a QuestionnaireResponse is expected")
        try:
            validate_r4(resource, exact=False)
        except R4ValidationError as exc:
            raise ApiError(400, "structure", str(exc)) from None
        if resource.get("status") != "completed":
            raise ApiError(422, "business-rule", "status: only a completed "
                           "QuestionnaireResponse opens a case")
        unit = _unit_of(resource, client)
        subject = str((resource.get("subject") or {}).get("reference") or "")
        if not subject.startswith("Patient/"):
            raise ApiError(422, "required", "subject: a reference Patient/<id> is required")
        with _work(request, client) as uow:
            person = _person_by(uow, person_id=subject[8:])
            if person is None:
                raise ApiError(422, "not-found", f"subject: no {subject}")
            questionnaire = str(resource.get("questionnaire") or "questionnaire")
            case = open_case(uow, Contact(
                person.id, "questionnaire", unit, f"Questionnaire {questionnaire}"[:300],
                message=_answers_text(resource)), now=datetime.now().replace(microsecond=0))
            body_out = _task(uow, case)
        base = _base(request)
        return _respond(body_out, 201, headers={"Location": f"{base}/Task/{case.id}"})
    except ApiError as exc:
        return _error(exc)


def _unit_of(resource: dict[str, Any], client: Client) -> str:
    author = str((resource.get("author") or {}).get("reference") or "")
    if author.startswith("Organization/"):
        return author[len("Organization/"):]
    if len(client.units) == 1:
        return next(iter(client.units))
    raise ApiError(422, "required", "author: a reference Organization/<unit id> is required "
                   "(the client has several units)")


def _answers_text(resource: dict[str, Any]) -> str:
    lines: list[str] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items or []:
            values = []
            for answer in item.get("answer") or []:
                for key, value in answer.items():
                    if key.startswith("value"):
                        values.append(str(value.get("display") or value.get("code"))
                                      if isinstance(value, dict) else str(value))
                walk(answer.get("item") or [])
            label = item.get("text") or item.get("linkId")
            if values:
                lines.append(f"{label}: {', '.join(values)}")
            walk(item.get("item") or [])

    walk(resource.get("item") or [])
    return "\n".join(lines)[:4000]


# ---- bulk $export ---------------------------------------------------------------------------
def _jobs(request: Request) -> Path:
    return Path(request.app.state.settings.analytics_dir) / "fhir-export"


def _export_allowed(client: Client) -> bool:
    """Record-level (pseudonymised) episodes of the whole region: a role that sees the whole
    region without small-cell suppression (leadership)."""
    scope = may(client.actor, Action.VIEW_AGGREGATES)
    return scope.whole_region and not scope.suppress_small_cells


@router.get("/$export")
def export_kickoff(request: Request) -> Response:
    from sotekeskus.interop.fhir.bulk_export import export_fhir
    from sotekeskus.store import audit

    try:
        client = _client(request, "*", "read")
        if "respond-async" not in request.headers.get("prefer", ""):
            raise ApiError(400, "required", "$export needs the header Prefer: respond-async")
        if not _export_allowed(client):
            audit.record(request.app.state.engine, client.actor.name, audit.DENIED,
                         "fhir:$export", "role may not read record-level data of the region")
            raise ApiError(403, "forbidden", "the access policy does not let this client's "
                           "role export record-level data of the whole region")
        job = secrets.token_hex(16)
        folder = _jobs(request) / job
        export_fhir(request.app.state.engine, folder)
        (folder / "owner").write_text(client.name, encoding="utf-8")
        audit.record(request.app.state.engine, client.actor.name, audit.READ_PERSONS,
                     "fhir:$export", f"job={job}; purpose={PURPOSE}")
        return Response(status_code=202, headers={
            "Content-Location": f"{_base(request)}/$export-status/{job}"})
    except ApiError as exc:
        return _error(exc)


def _job_folder(request: Request, client: Client, job: str) -> Path:
    folder = _jobs(request) / job
    if not _JOB.fullmatch(job) or not (folder / "owner").exists() or \
            (folder / "owner").read_text(encoding="utf-8") != client.name:
        raise ApiError(404, "not-found", f"no export job {job} of this client")
    return folder


@router.get("/$export-status/{job}")
def export_status(job: str, request: Request) -> Response:
    try:
        client = _client(request, "*", "read")
        folder = _job_folder(request, client, job)
        manifest = json.loads((folder / "export.json").read_text(encoding="utf-8"))
        base = _base(request)
        return JSONResponse({
            "transactionTime": manifest["transactionTime"],
            "request": f"{base}/$export", "requiresAccessToken": True,
            "output": [{"type": o["type"], "url": f"{base}/$export-file/{job}/{o['url']}",
                        "count": o["count"]} for o in manifest["output"]],
            "error": []})
    except ApiError as exc:
        return _error(exc)


@router.get("/$export-file/{job}/{name}")
def export_file(job: str, name: str, request: Request) -> Response:
    from sotekeskus.interop.fhir.bulk_export import FILES

    try:
        client = _client(request, "*", "read")
        folder = _job_folder(request, client, job)
        if name not in {f"{k}.ndjson" for k in FILES}:
            raise ApiError(404, "not-found", f"no file {name}")
        return FileResponse(folder / name, media_type="application/fhir+ndjson")
    except ApiError as exc:
        return _error(exc)


@router.delete("/$export-status/{job}")
def export_delete(job: str, request: Request) -> Response:
    try:
        client = _client(request, "*", "read")
        shutil.rmtree(_job_folder(request, client, job), ignore_errors=True)
        return Response(status_code=202)
    except ApiError as exc:
        return _error(exc)
