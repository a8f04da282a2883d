"""``Appointment/$find``: bookable times as proposed Appointments (docs/fhir.md, "$find").

The operation of Argonaut Scheduling (``GET|POST [base]/Appointment/$find``), which Finnish
Scheduling's booking flow follows: a client asks for the times it could book and gets a
searchset Bundle of Appointments with status ``proposed``, one per free slot, which it can
post back to ``$book`` unchanged.

Parameters (query string for GET; for POST a ``Parameters`` resource with the same names):

* ``start``, ``end`` (required): a date (``end``'s whole day is included) or a date-time
  with offset; a slot is proposed when it **starts** in ``[start, end)``; at most
  :data:`MAX_DAYS` days apart;
* exactly one of ``task`` (``Task/<id>``, a case routed to a service's queue: only that
  service's slots, of the professional group its assessment asked for, and the case's
  resident as the Patient participant) or ``service-type`` (a service of the catalogue,
  ``<system>|<code>`` or the bare code);
* ``_count``: at most that many proposals (default 100, at most 1000); ``total`` counts all.

A proposal is a slot that is **free**, **in the future**, of kind **non-urgent** (urgent
slots are kept for the professionals' own booking), of the service, in a unit where **the
access policy** lets the client's role work cases (where it could book it). A case must be
one the client may work on (its unit), routed and non-urgent. Every call is audited (with
the case's resident as subject).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sotekeskus.interop.fhir import api_directory as directory
from sotekeskus.interop.fhir.api_booking import proposed_appointment
from sotekeskus.interop.fhir.resources import local_datetime
from sotekeskus.web.api.fhir_common import (
    ApiError,
    base_url,
    error,
    guard,
    int_id,
    now_of,
    refuse,
    respond,
    work,
)
from sotekeskus.web.api.fhir_query import DEFAULT_COUNT, MAX_COUNT

router = APIRouter()
PARAMS = ("start", "end", "task", "service-type", "_count")
#: The widest window one ``$find`` searches.
MAX_DAYS = 92
_NS = uuid.UUID("6f1c0f3e-3c53-4d3e-9d57-7b8f0e0c2a11")  # proposals' urn:uuid fullUrls


@dataclass(frozen=True)
class FindRequest:
    start: datetime
    end: datetime
    case_id: int | None
    service_id: str | None
    count: int


def _when(param: str, raw: str) -> datetime:
    try:
        if len(raw) == 10:
            day = datetime.strptime(raw, "%Y-%m-%d")
            return day + timedelta(days=1) if param == "end" else day
        return local_datetime(raw)
    except ValueError:
        raise ApiError(400, "value", f"{param}: {raw[:60]!r} is not a date (YYYY-MM-DD) or a "
                       "date-time with offset") from None


def _values_of_parameters(body: Any) -> list[tuple[str, str]]:
    """A POSTed ``Parameters`` resource → (name, value) pairs."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise ApiError(400, "structure", "a Parameters resource is expected")
    out = []
    for parameter in body.get("parameter") or []:
        if not isinstance(parameter, dict):
            raise ApiError(400, "structure", "Parameters.parameter: objects are expected")
        name = str(parameter.get("name") or "")
        values = [v for k, v in parameter.items() if k.startswith("value")]
        value = values[0] if values else None
        if isinstance(value, dict):  # valueReference, valueCoding
            value = value.get("reference") or (
                f"{value['system']}|{value.get('code', '')}" if value.get("system")
                else value.get("code"))
        if not isinstance(value, str | int):
            raise ApiError(400, "value", f"{name[:60]}: a value is required")
        out.append((name, str(value)))
    return out


def find_request(pairs: list[tuple[str, str]]) -> FindRequest:
    """The operation's parameters, checked; a 400 names the parameter at fault."""
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in PARAMS:
            raise ApiError(400, "not-supported", f"parameter {name[:60]!r} is not supported "
                           "by $find; supported: " + ", ".join(PARAMS))
        values.setdefault(name, []).append(value)
    for name, got in values.items():
        if len(got) > 1:
            raise ApiError(400, "value", f"{name}: give it once")
    one = {k: v[0] for k, v in values.items()}
    for name in ("start", "end"):
        if not one.get(name):
            raise ApiError(400, "required", f"{name}: required (a date or a date-time)")
    start, end = _when("start", one["start"]), _when("end", one["end"])
    if end <= start:
        raise ApiError(400, "value", "end: must be after start")
    if end - start > timedelta(days=MAX_DAYS):
        raise ApiError(400, "value", f"end: at most {MAX_DAYS} days after start")
    if ("task" in one) == ("service-type" in one):
        raise ApiError(400, "required", "task or service-type: give exactly one of them "
                       "(the case, Task/<id>, or a service code)")
    case_id = None
    if "task" in one:
        prefix, _, rid = one["task"].rpartition("/")
        case_id = int_id(rid)
        if prefix.rsplit("/", 1)[-1] not in ("", "Task") or case_id is None:
            raise ApiError(400, "value", f"task: a reference Task/<id> is expected, got "
                           f"{one['task'][:60]!r}")
    service_id = None
    if "service-type" in one:
        system, _, code = one["service-type"].rpartition("|")
        if system not in ("", directory.SYS_SERVICE):
            raise ApiError(400, "value", f"service-type: the system is "
                           f"{directory.SYS_SERVICE}, got {system[:80]!r}")
        service_id = _service(code)
    count = DEFAULT_COUNT
    if "_count" in one:
        text = one["_count"]
        if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
            raise ApiError(400, "value", f"_count: a whole number 1–{MAX_COUNT}")
        count = int(text)
    return FindRequest(start, end, case_id, service_id, count)


def _service(code: str) -> str:
    """A catalogue service id (or its FHIR id, ``-`` for ``_``); unknown → 400 listing."""
    from sotekeskus.care.catalogue import default_catalogue

    services = default_catalogue().services
    for sid in services:
        if code in (sid, directory.service_id(sid)):
            return sid
    raise ApiError(400, "value", f"service-type: unknown service {code[:60]!r}; allowed: "
                   + ", ".join(sorted(services)))


def _find(request: Request, pairs: list[tuple[str, str]]) -> Response:
    from sqlalchemy import select

    from sotekeskus.domain.access_policy import Action, may
    from sotekeskus.domain.vocabulary import Urgency
    from sotekeskus.domain.workflow.codes import CaseState, SlotKind, SlotStatus
    from sotekeskus.store.models import CareCase, Person, ScheduleSlot, User

    try:
        client = guard(request, "Appointment", "read")
        wanted = find_request(pairs)
        now = now_of(request)
        with work(request, client) as uow:
            scope = may(client.actor, Action.WORK_CASES)
            what = f"fhir:Appointment/$find?{request.url.query}"[:500]
            if not scope.allowed:
                refuse(uow, what, "the client's role may not book (work cases) in any unit")
            service_id, group, person_id = wanted.service_id, None, None
            if wanted.case_id is not None:
                case = uow.session.get(CareCase, wanted.case_id)
                if case is None:
                    raise ApiError(404, "not-found", f"task: no Task/{wanted.case_id}")
                if scope.unit_ids is not None and case.unit_id not in scope.unit_ids:
                    refuse(uow, f"fhir:Task/{case.id}", "the case's unit is not among the "
                           "client's")
                person_id = uow.session.get(Person, case.person_pk).person_id
                if case.state != CaseState.ROUTED or not case.service_id:
                    raise ApiError(422, "business-rule", f"task: Task/{case.id} is "
                                   f"{case.state}; times are found for a case routed to a "
                                   "service's queue")
                if case.urgency != Urgency.NON_URGENT:
                    raise ApiError(422, "business-rule", f"task: Task/{case.id} is "
                                   f"{case.urgency or 'not assessed'}; $find proposes "
                                   "non-urgent times only")
                service_id, group = case.service_id, case.professional_group
            stmt = select(ScheduleSlot, User.display_name).join(
                User, User.id == ScheduleSlot.user_id).where(
                ScheduleSlot.service_id == service_id,
                ScheduleSlot.status == SlotStatus.FREE,
                ScheduleSlot.kind == SlotKind.NON_URGENT,
                ScheduleSlot.start_at > now,
                ScheduleSlot.start_at >= wanted.start, ScheduleSlot.start_at < wanted.end)
            if group:
                stmt = stmt.where(ScheduleSlot.professional_group == group)
            if scope.unit_ids is not None:
                stmt = stmt.where(ScheduleSlot.unit_id.in_(sorted(scope.unit_ids)))
            rows = list(uow.session.execute(stmt.order_by(ScheduleSlot.start_at,
                                                          ScheduleSlot.id)))
            uow.audit_read(what, f"$find: {len(rows)}", subject_person_id=person_id)
        entries = []
        for slot, name in rows[:wanted.count]:
            resource = proposed_appointment(directory.slot(slot), slot.unit_id, name,
                                            wanted.case_id, person_id)
            entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(_NS, f'slot-{slot.id}')}",
                            "resource": resource, "search": {"mode": "match"}})
        body: dict[str, Any] = {
            "resourceType": "Bundle", "type": "searchset", "total": len(rows),
            "link": [{"relation": "self",
                      "url": f"{base_url(request)}/Appointment/$find"
                             + (f"?{request.url.query}" if request.url.query else "")}]}
        if entries:
            body["entry"] = entries
        return respond(body)
    except ApiError as exc:
        return error(exc)


@router.get("/Appointment/$find")
async def find_get(request: Request) -> Response:
    return await run_in_threadpool(_find, request, list(request.query_params.multi_items()))


@router.post("/Appointment/$find")
async def find_post(request: Request) -> Response:
    raw = await request.body()
    try:
        if len(raw) > 64_000:
            raise ApiError(413, "too-long", "at most 64 kB")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, "structure", f"not JSON: {exc}") from None
        pairs = _values_of_parameters(body)
    except ApiError as exc:
        return error(exc)
    return await run_in_threadpool(_find, request, pairs)
