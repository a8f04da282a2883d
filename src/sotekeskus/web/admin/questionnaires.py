"""Questionnaires for administrators (``/admin/questionnaires``): every stored version with
its responses, and the upload of a new version (FHIR R4 Questionnaire JSON + outcome rules
YAML, checked together; a url + version that exists is refused, so old responses keep the
version they answered). Guard: the administration audience's (``require_admin``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from sotekeskus.care.catalogue import default_catalogue
from sotekeskus.care.questionnaires import store
from sotekeskus.care.questionnaires.errors import QuestionnaireError, RulesError
from sotekeskus.care.questionnaires.examples import SHIPPED_BY
from sotekeskus.store import audit
from sotekeskus.store.models import QuestionnaireVersion
from sotekeskus.web.deps import AdminAccount, require_csrf
from sotekeskus.web.input_guard import Id
from sotekeskus.web.render import render

router = APIRouter()


def _list(request: Request, account: object, *, form: dict[str, str] | None = None,
          error: str | None = None, status_code: int = 200) -> Response:
    with Session(request.app.state.engine) as session:
        rows = store.rows(session)
        counts = store.response_counts(session)
    current = {}
    for row in rows:
        if row.status == "active" and row.url not in current:
            current[row.url] = row.id
    return render(request, "admin_questionnaires.html", status_code=status_code,
                  account=account, rows=rows, counts=counts, current=current,
                  form=form or {}, error=error, shipped_by=SHIPPED_BY)


@router.get("/questionnaires")
def questionnaires(request: Request, account: AdminAccount, start_from: Id | None = None
                   ) -> Response:
    """Every version; ``start_from``: prefill the upload form with that version."""
    form = None
    if start_from is not None:
        with Session(request.app.state.engine) as session:
            row = session.get(QuestionnaireVersion, start_from)
            if row is not None:
                form = {"resource": row.resource, "rules": row.rules}
    return _list(request, account, form=form)


@router.post("/questionnaires", dependencies=[Depends(require_csrf)])
def upload(request: Request, account: AdminAccount,
           resource: Annotated[str, Form()] = "", rules: Annotated[str, Form()] = ""
           ) -> Response:
    engine = request.app.state.engine
    form = {"resource": resource, "rules": rules}
    if not resource.strip() or not rules.strip():
        return _list(request, account, form=form, status_code=400,
                     error="resource, rules: paste the Questionnaire JSON and its rules")
    try:
        with Session(engine) as session, session.begin():
            row = store.save_version(session, resource, rules, by=account.username,
                                     at=request.app.state.security.clock())
            pk, label = row.id, f"{row.url}|{row.version}"
    except (QuestionnaireError, RulesError) as exc:
        return _list(request, account, form=form, error=str(exc), status_code=400)
    audit.record(engine, account.username, audit.ADMIN_CHANGE, f"questionnaire:{label}",
                 "uploaded")
    return RedirectResponse(f"/admin/questionnaires/{pk}", status_code=303)


@router.get("/questionnaires/{pk}")
def version(request: Request, account: AdminAccount, pk: Id) -> Response:
    with Session(request.app.state.engine) as session:
        row = session.get(QuestionnaireVersion, pk)
        if row is None:
            return RedirectResponse("/admin/questionnaires", status_code=303)
        stored = store.stored(row)
        count = store.response_counts(session).get((row.url, row.version), 0)
        outcomes = store.outcome_counts(session, row.url, row.version)
    return render(request, "admin_questionnaire.html", account=account, row=row,
                  q=stored.questionnaire, rules=stored.rules, count=count, outcomes=outcomes,
                  services=default_catalogue().services)
