"""Questionnaires in the FHIR R4 API (docs/questionnaires.md, docs/fhir.md).

* ``GET /fhir/Questionnaire/{id}``: the current (newest active) version of the questionnaire
  whose ``Questionnaire.id`` is ``id``;
* ``GET /fhir/Questionnaire?url=…&version=…&_id=…``: every stored version that matches (a
  searchset; each entry's ``meta.versionId`` is the stored row, its fullUrl
  ``…/Questionnaire/<id>/_history/<versionId>``);
* ``POST /fhir/QuestionnaireResponse`` of a **known** questionnaire (``questionnaire`` is
  ``<url>|<version>`` or ``<url>`` for the current version): the answers are checked
  against that version (errors name the linkIds), its outcome rules run and the response is
  stored exactly as a resident's would be (:func:`sotekeskus.care.questionnaires.submit.submit`):
  201 with the opened case as a Task, or — for an emergency outcome — 201 with an
  OperationOutcome warning (stored, no case: the resident must call 112). An unknown
  questionnaire keeps the generic path of ``web/api/fhir.py``.

The questionnaires carry translation extensions on primitive elements, which the fhirclient
R4 models ignore: a returned Questionnaire is checked as
:func:`sotekeskus.care.questionnaires.parse.load` checks an upload (R4 model, exact, with
the translations set aside and checked on their own).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.questionnaires import store
from sotekeskus.care.questionnaires.answers import check_complete
from sotekeskus.care.questionnaires.enable import effective
from sotekeskus.care.questionnaires.errors import AnswerError, UnknownQuestionnaire
from sotekeskus.care.questionnaires.response import answers_of
from sotekeskus.care.questionnaires.submit import submit
from sotekeskus.care.questionnaires.translations import (
    check_primitive_extensions,
    strip_primitive_extensions,
)
from sotekeskus.interop.fhir import api_resources as api
from sotekeskus.interop.fhir.validate import validate_r4
from sotekeskus.store.models import Person, QuestionnaireVersion
from sotekeskus.web.api.fhir_common import FHIR_JSON, ApiError, base_url, guard, work
from sotekeskus.web.api.fhir_common import error as _error

router = APIRouter()
#: The CapabilityStatement's entry (type, interactions, search parameters, notes).
CAPABILITY = ("Questionnaire", ["read", "search-type"],
              [("url", "uri"), ("version", "token"), ("_id", "token")],
              {"_id": "the Questionnaire.id; read returns its current version"})
SEARCH = {"url", "version", "_id", "_count", "_format"}


def _resource(row: QuestionnaireVersion) -> dict[str, Any]:
    resource = json.loads(row.resource)
    resource["meta"] = {"versionId": str(row.id)}
    return resource


def _respond(body: dict[str, Any], status: int = 200,
             headers: dict[str, str] | None = None) -> Response:
    check_primitive_extensions(body)
    validate_r4(strip_primitive_extensions(body), exact=True)
    return Response(json.dumps(body, ensure_ascii=False), status_code=status,
                    media_type=FHIR_JSON, headers=headers)


@router.get("/Questionnaire/{rid}")
def read_questionnaire(rid: str, request: Request) -> Response:
    try:
        guard(request, "Questionnaire", "read")
        with Session(request.app.state.engine) as session:
            row = session.scalar(
                select(QuestionnaireVersion)
                .where(QuestionnaireVersion.fhir_id == rid[:64],
                       QuestionnaireVersion.status == "active")
                .order_by(QuestionnaireVersion.id.desc()).limit(1))
            if row is None:
                raise ApiError(404, "not-found", f"no Questionnaire/{rid[:64]}")
            return _respond(_resource(row))
    except ApiError as exc:
        return _error(exc)


@router.get("/Questionnaire")
def search_questionnaire(request: Request) -> Response:
    try:
        guard(request, "Questionnaire", "read")
        params = dict(request.query_params)
        unknown = sorted(set(request.query_params) - SEARCH)
        if unknown:
            raise ApiError(400, "not-supported", f"search parameter {unknown[0][:60]!r} is not "
                           "supported for Questionnaire; supported: _count, _id, url, version")
        with Session(request.app.state.engine) as session:
            rows = store.rows(session, params.get("url"), params.get("version"))
        if params.get("_id"):
            rows = [r for r in rows if r.fhir_id == params["_id"]]
        base = base_url(request)
        body = api.bundle([], base)
        if rows:
            body["total"] = len(rows)
            body["entry"] = [{"fullUrl": f"{base}/Questionnaire/{r.fhir_id}/_history/{r.id}",
                              "resource": _resource(r), "search": {"mode": "match"}}
                             for r in rows]
        return _respond(body)
    except ApiError as exc:
        return _error(exc)


def known(request: Request, resource: dict[str, Any]) -> bool:
    """Whether the response names a questionnaire (url, any version) of this store."""
    url = str(resource.get("questionnaire") or "").split("|", 1)[0]
    if not url:
        return False
    with Session(request.app.state.engine) as session:
        return bool(store.rows(session, url))


def create_response(request: Request, resource: dict[str, Any]) -> Response:
    """``POST QuestionnaireResponse`` of a known questionnaire (see the module docstring);
    the resource has been checked as R4 and as completed by the caller."""
    from sotekeskus.web.api.fhir_search import task_of

    client = guard(request, "QuestionnaireResponse", "write")
    url, _, version = str(resource["questionnaire"]).partition("|")
    subject = str((resource.get("subject") or {}).get("reference") or "")
    if not subject.startswith("Patient/"):
        raise ApiError(422, "required", "subject: a reference Patient/<id> is required")
    author = str((resource.get("author") or {}).get("reference") or "")
    unit = author[len("Organization/"):] if author.startswith("Organization/") else None
    with Session(request.app.state.engine) as session:
        try:
            stored = (store.version_of(session, url, version) if version
                      else store.current(session, url=url))
        except UnknownQuestionnaire:
            have = ", ".join(r.version for r in store.rows(session, url))
            raise ApiError(422, "not-found", f"questionnaire: no version {version!r} of "
                           f"{url}; stored versions: {have}") from None
    q = stored.questionnaire
    try:
        answers = effective(q, answers_of(q, resource))
        if stored.rules.emergency(answers) is None:  # a red flag needs nothing more
            check_complete(q, answers)
    except AnswerError as exc:
        raise ApiError(422, "invalid", f"item: {exc}") from None
    with work(request, client) as uow:
        person = uow.session.scalar(select(Person).where(Person.person_id == subject[8:]))
        if person is None:
            raise ApiError(422, "not-found", f"subject: no {subject}")
        lang = str(resource.get("language") or "fi")
        result = submit(uow, stored, person.id, answers,
                        now=datetime.now().replace(microsecond=0),
                        lang=lang if lang in ("fi", "sv", "en") else "fi", unit_id=unit)
        if result.case_id is None:
            body = api.outcome("business-rule", f"outcome emergency (rule {result.rule.rule_id}"
                               f" of {stored.questionnaire.canonical}): the resident must call "
                               f"112 now; the response is stored, no case was opened",
                               severity="warning")
            return _respond(body, 201)
        from sotekeskus.store.models import CareCase

        case = uow.session.get(CareCase, result.case_id)
        body_out = task_of(uow, case)
    return _respond(body_out, 201,
                    headers={"Location": f"{base_url(request)}/Task/{result.case_id}"})

