"""The FHIR R4 REST API (``/fhir/…``), docs/fhir.md.

Its own guard: a bearer token of an API client (:mod:`sotekeskus.interop.fhir.clients`: a
static scoped token, or a short-lived token from the OAuth2 client-credentials endpoint,
``web/api/fhir_token.py``), never the web session. Every request is decided twice: the
client's **scopes** say which resource types and modes the API lets it touch, and **the one
access policy** (:func:`sotekeskus.domain.access_policy.may`) decides, for the client's role
and units, what data it may see — the same answer a staff account with that role would get.
Every read is audited (``UnitOfWork.audit_read``, in the same transaction, purpose
``fhir-api``) with the resident as subject when it is a resident's data; refusals are
audited too. Every resource returned is validated against FHIR R4
(:func:`~sotekeskus.interop.fhir.validate.validate_r4`).

Read and search of every resource type go through **one path** driven by the table
:data:`sotekeskus.web.api.fhir_search.KINDS` (Patient, Task, Appointment, Communication,
Practitioner, PractitionerRole, HealthcareService, Schedule, Slot, AuditEvent, Organization,
Location, EpisodeOfCare, Encounter, MeasureReport). Besides:
``GET /fhir/metadata``; every search paged (``_count``, ``_offset``; ``Bundle.link`` self,
next, previous); bookable times (``Appointment/$find``, ``web/api/fhir_find.py``); booking
(``POST Appointment``, ``$book``) and cancelling (``PUT`` /
``PATCH``) through the workdesk's atomic booking (``web/api/fhir_booking.py``);
``POST QuestionnaireResponse`` (opens a case in the workdesk, channel questionnaire); the
bulk ``$export`` (kick-off, status, files); the token endpoint and the SMART configuration.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from sotekeskus.domain.access_policy import Action, may
from sotekeskus.interop.fhir import api_resources as api
from sotekeskus.interop.fhir.clients import Client
from sotekeskus.interop.fhir.validate import R4ValidationError, validate_r4
from sotekeskus.web.api import fhir_booking, fhir_find, fhir_questionnaires, fhir_token
from sotekeskus.web.api.fhir_common import (
    FHIR_JSON,
    PURPOSE,
    ApiError,
    base_url,
    guard,
    work,
)
from sotekeskus.web.api.fhir_common import error as _error
from sotekeskus.web.api.fhir_common import respond as _respond
from sotekeskus.web.api.fhir_query import MAX_OFFSET, page_of
from sotekeskus.web.api.fhir_search import (
    BY_NAME,
    DEFAULT_COUNT,
    KINDS,
    MAX_COUNT,
    Ctx,
    Kind,
    Query,
    task_of,
)

__all__ = ["FHIR_JSON", "router"]

router = APIRouter(prefix="/fhir")
router.include_router(fhir_token.router)
router.include_router(fhir_booking.router)
router.include_router(fhir_find.router)  # Appointment/$find (before Appointment/{id})
router.include_router(fhir_questionnaires.router)  # Questionnaire read/search
_JOB = re.compile(r"[a-f0-9]{32}")
#: Query parameters every search accepts besides its own.
_COMMON = ("_count", "_offset", "_snapshot", "_format")

_base = base_url
_client = guard
_work = work


# ---- capability ----------------------------------------------------------------------------
@router.get("/metadata")
def metadata(request: Request) -> Response:
    resources = [(k.name, ["read", "search-type"], list(k.params), k.notes) for k in KINDS]
    for entry in resources:
        if entry[0] == "Appointment":
            entry[1].extend(["create", "update", "patch"])
    resources.append(("QuestionnaireResponse", ["create"], [], {}))
    resources.append(fhir_questionnaires.CAPABILITY)
    return _respond(api.capability_statement(_base(request), resources,
                                             fhir_token.token_url(request)))


# ---- read and search: one path for every resource type of the table -----------------------
def _query(request: Request, kind: Kind) -> Query:
    allowed = {name for name, _ in kind.params}
    values: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed and name not in _COMMON:
            raise ApiError(400, "not-supported", f"search parameter {name[:60]!r} is not "
                           f"supported for {kind.name}; supported: "
                           + ", ".join(sorted(allowed | {"_count"})))
        values.setdefault(name, []).append(value)
    count = DEFAULT_COUNT
    if "_count" in values:
        text = values.pop("_count")[-1]
        if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
            raise ApiError(400, "value", f"_count: a whole number 1–{MAX_COUNT}")
        count = int(text)
    offset = _whole(values, "_offset", MAX_OFFSET) or 0
    snapshot = _whole(values, "_snapshot", 2**62)
    values.pop("_format", None)
    if kind.needs_param and not values:
        raise ApiError(400, "required", kind.needs_param)
    return Query(values, count, offset, snapshot)


def _whole(values: dict[str, list[str]], name: str, most: int) -> int | None:
    """A paging parameter given once as a whole number 0–``most``, else a 400 naming it."""
    got = values.pop(name, None)
    if got is None:
        return None
    if len(got) != 1 or not got[0].isdigit() or len(got[0]) > 19 or int(got[0]) > most:
        raise ApiError(400, "value", f"{name}: give it once, a whole number 0–{most}; got "
                       f"{', '.join(got)[:40]!r}")
    return int(got[0])


def _links(request: Request, kind: Kind, query: Query, ctx: Ctx) -> list[tuple[str, str]]:
    """The searchset's ``self``, ``next`` and ``previous`` links: the request's own
    parameters with ``_count``, ``_offset`` (and ``_snapshot``) of that page."""
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in request.query_params.multi_items()
            if k not in ("_count", "_offset", "_snapshot")]

    def url(offset: int) -> str:
        paging = [("_count", str(query.count)), ("_offset", str(offset))]
        if ctx.snapshot is not None:
            paging.append(("_snapshot", str(ctx.snapshot)))
        return f"{_base(request)}/{kind.name}?{urlencode(kept + paging)}"

    out = [("self", url(query.offset))]
    total = ctx.total or 0
    if query.offset + query.count < total and query.offset + query.count <= MAX_OFFSET:
        out.append(("next", url(query.offset + query.count)))
    if query.offset > 0:
        out.append(("previous", url(max(0, min(query.offset - query.count,
                                                total - query.count)))))
    return out


def _read(kind: Kind, rid: str, request: Request) -> Response:
    try:
        client = _client(request, kind.name, "read")
        with _work(request, client) as uow:
            found = kind.read(Ctx(uow, client, app=request.app), rid)
            uow.audit_read(f"fhir:{kind.name}/{rid}", "read", subject_person_id=found.subject)
        return _respond(found.resource)
    except ApiError as exc:
        return _error(exc)


def _search(kind: Kind, request: Request) -> Response:
    try:
        client = _client(request, kind.name, "read")
        query = _query(request, kind)
        with _work(request, client) as uow:
            ctx = Ctx(uow, client, app=request.app)
            found = page_of(ctx, query, kind.search(ctx, query))
            target = f"fhir:{kind.name}?{request.url.query}"[:500]
            subjects = sorted({f.subject for f in found if f.subject})
            for subject in subjects:
                n = sum(1 for f in found if f.subject == subject)
                uow.audit_read(target, f"search: {n}", subject_person_id=subject)
            if not subjects:
                uow.audit_read(target, f"search: {len(found)}")
        body = api.bundle([f.resource for f in found], _base(request),
                          _links(request, kind, query, ctx))
        body["total"] = ctx.total
        return _respond(body)
    except ApiError as exc:
        return _error(exc)


def _register(kind: Kind) -> None:
    def read(rid: str, request: Request) -> Response:
        return _read(kind, rid, request)

    def search(request: Request) -> Response:
        return _search(kind, request)

    read.__name__, search.__name__ = f"read_{kind.name}", f"search_{kind.name}"
    router.add_api_route(f"/{kind.name}/{{rid}}", read, methods=["GET"])
    router.add_api_route(f"/{kind.name}", search, methods=["GET"])


for _kind in KINDS:
    _register(_kind)
assert set(BY_NAME) == {k.name for k in KINDS}


# ---- QuestionnaireResponse → a case in the workdesk ---------------------------------------
@router.post("/QuestionnaireResponse")
async def create_questionnaire_response(request: Request) -> Response:
    from sqlalchemy import select

    from sotekeskus.care.cases.commands import Contact, open_case
    from sotekeskus.store.models import Person

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
        if fhir_questionnaires.known(request, resource):  # its outcome rules apply
            return fhir_questionnaires.create_response(request, resource)
        unit = _unit_of(resource, client)
        subject = str((resource.get("subject") or {}).get("reference") or "")
        if not subject.startswith("Patient/"):
            raise ApiError(422, "required", "subject: a reference Patient/<id> is required")
        with _work(request, client) as uow:
            person = uow.session.scalar(select(Person).where(
                Person.person_id == subject[8:]))
            if person is None:
                raise ApiError(422, "not-found", f"subject: no {subject}")
            questionnaire = str(resource.get("questionnaire") or "questionnaire")
            case = open_case(uow, Contact(
                person.id, "questionnaire", unit, f"Questionnaire {questionnaire}"[:300],
                message=_answers_text(resource)), now=datetime.now().replace(microsecond=0))
            body_out = task_of(uow, case)
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
