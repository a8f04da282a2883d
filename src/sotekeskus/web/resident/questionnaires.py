"""Questionnaires at the front door (``/asiointi/kyselyt``): list, answer page by page,
result.

Server-side rendering throughout; each top-level group of the questionnaire is one page.
Submitting a page (a plain form POST, works without JavaScript):

1. the answers so far (earlier pages travel as hidden fields) are read and typed;
2. **red flags first**: if they match an emergency rule, the response is stored and the
   resident is sent to the result page that says *call 112 now* — nothing else is asked;
3. questions that the page's answers have just enabled (``enableWhen``) but that were not on
   the page yet: the page is shown again with them (no JavaScript needed);
4. errors (bad values, required answers missing) re-render the page with each message
   linked to its field (``aria-describedby``, and a summary at the top);
5. otherwise the next page, or on the last one the response is stored and its case opened.

With htmx, a change in the form asks ``…/paivita`` for the conditional items of the page
(out-of-band swaps: the control in use is never replaced) and for the 112 alert as soon as a
red-flag answer is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.catalogue import default_catalogue
from sotekeskus.care.errors import CareError
from sotekeskus.care.questionnaires import store
from sotekeskus.care.questionnaires.answers import from_form, missing_required
from sotekeskus.care.questionnaires.enable import effective, enabled_ids
from sotekeskus.care.questionnaires.errors import AnswerError, Problem, UnknownQuestionnaire
from sotekeskus.care.questionnaires.model import Item, Questionnaire, Value
from sotekeskus.care.questionnaires.store import Stored
from sotekeskus.care.questionnaires.submit import Result, bookable_now, submit
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Action
from sotekeskus.store.models import Person, QuestionnaireResponseRow
from sotekeskus.web.i18n import N_
from sotekeskus.web.input_guard import Id
from sotekeskus.web.resident.deps import (
    PREFIX,
    CurrentResident,
    ResidentCsrf,
    ResidentNotFound,
    ResidentPrincipal,
    authorise_resident,
    clock,
    resident_language,
    resident_render,
)

router = APIRouter()
BASE = f"{PREFIX}/kyselyt"
#: The resident's own case page, where a routed case's free times are offered (web/resident/own).
BOOKING_PATH = PREFIX + "/omat/{case_id}#book"
SHOWN = "_shown"
#: What each recommendation means to the resident.
OUTCOMES = {"emergency": N_("Call 112 now"), "urgent": N_("Contact today"),
            "non_urgent": N_("An appointment is recommended"),
            "self_care": N_("Self-care is enough for now")}


def _stored(request: Request, pk: int) -> Stored:
    with Session(request.app.state.engine) as session:
        try:
            return store.by_pk(session, pk)
        except UnknownQuestionnaire:
            raise ResidentNotFound() from None


def _raw(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _answerable(items: Iterable[Item]) -> list[str]:
    return [i.link_id for top in items for i in top.walk() if i.answerable]


def _conditional_roots(items: Iterable[Item]) -> list[Item]:
    """Items of a page with their own enableWhen whose page ancestors have none (each is
    re-rendered as one block when answers change)."""
    out: list[Item] = []

    def visit(item: Item) -> None:
        if item.enable_when:
            out.append(item)
            return
        for child in item.items:
            visit(child)

    for item in items:
        visit(item)
    return out


class _Form:
    """One submitted page: raw values, typed answers so far, problems."""

    def __init__(self, stored: Stored, page: int, form: Mapping[str, Sequence[str]]) -> None:
        q = stored.questionnaire
        pages = q.pages()
        if not 1 <= page <= len(pages):
            raise ResidentNotFound()
        self.stored, self.page, self.pages = stored, page, pages
        self.items = pages[page - 1]
        self.before = _answerable(i for p in pages[:page - 1] for i in p)
        self.here = _answerable(self.items)
        self.raw = {k: [v for v in form.get(k, ()) if v.strip()] for k in self.before + self.here}
        answers, problems = from_form(q, self.raw, self.before + self.here)
        self.answers = effective(q, answers)
        self.problems = problems
        self.shown = set(form.get(SHOWN, ()))

    @property
    def questionnaire(self) -> Questionnaire:
        return self.stored.questionnaire


def _form_data(request_form: Any) -> dict[str, list[str]]:
    return {k: [str(v) for v in request_form.getlist(k)] for k in request_form.keys()}


def _page(request: Request, resident: ResidentPrincipal, stored: Stored, page: int, *,
          answers: Mapping[str, tuple[Value, ...]], raw: Mapping[str, list[str]],
          problems: Sequence[Problem] = (), appeared: bool = False,
          status_code: int = 200) -> Response:
    q = stored.questionnaire
    pages = q.pages()
    before = _answerable(i for p in pages[:page - 1] for i in p)
    hidden = [(k, _raw(v)) for k in before for v in answers.get(k, ())]
    return resident_render(
        request, "resident_questionnaire_form.html", status_code=status_code,
        resident=resident, q=q, stored=stored, page=page, pages=len(pages),
        items=pages[page - 1], enabled=enabled_ids(q, answers), raw=raw,
        errors={p.link_id: p for p in problems}, problems=problems, hidden=hidden,
        appeared=appeared, action=f"{BASE}/v/{stored.pk}/sivu/{page}")


@router.get("/kyselyt")
def questionnaire_list(request: Request, resident: CurrentResident) -> Response:
    with Session(request.app.state.engine) as session:
        current = store.current_all(session)
        mine = list(session.scalars(
            select(QuestionnaireResponseRow)
            .where(QuestionnaireResponseRow.person_pk == resident.person_pk)
            .order_by(QuestionnaireResponseRow.id.desc()).limit(50)))
        titles = {(s.questionnaire.url, s.questionnaire.version): s.questionnaire.title
                  for s in (store.stored(r) for r in store.rows(session))}
    return resident_render(request, "resident_questionnaires.html", resident=resident,
                           current=current, mine=mine, titles=titles, OUTCOMES=OUTCOMES)


@router.get("/kyselyt/{fhir_id}")
def start(request: Request, resident: CurrentResident, fhir_id: str) -> Response:
    with Session(request.app.state.engine) as session:
        try:
            stored = store.current(session, fhir_id=fhir_id[:64])
        except UnknownQuestionnaire:
            raise ResidentNotFound() from None
    return _page(request, resident, stored, 1, answers={}, raw={})


@router.post("/kyselyt/v/{pk}/sivu/{page}", dependencies=[ResidentCsrf])
async def answer_page(request: Request, resident: CurrentResident, pk: Id,
                      page: Id) -> Response:
    stored = _stored(request, pk)
    form = _Form(stored, page, _form_data(await request.form()))
    q = stored.questionnaire
    if stored.rules.emergency(form.answers) is not None:
        return _finish(request, resident, stored, form.answers)
    on = enabled_ids(q, form.answers)
    appeared = [i for i in form.here if i in on and i not in form.shown]
    problems = [p for p in form.problems if p.link_id not in appeared]
    if appeared:
        return _page(request, resident, stored, page, answers=form.answers, raw=form.raw,
                     problems=problems, appeared=True)
    problems += missing_required(q, form.answers, form.here)
    if problems:
        return _page(request, resident, stored, page, answers=form.answers, raw=form.raw,
                     problems=problems, status_code=400)
    if page < len(form.pages):
        return _page(request, resident, stored, page + 1, answers=form.answers,
                     raw={k: [_raw(v) for v in vs] for k, vs in form.answers.items()})
    return _finish(request, resident, stored, form.answers)


@router.post("/kyselyt/v/{pk}/sivu/{page}/paivita", dependencies=[ResidentCsrf])
async def refresh(request: Request, resident: CurrentResident, pk: Id, page: Id) -> Response:
    """htmx: the page's conditional items (and the 112 alert) for the answers so far."""
    stored = _stored(request, pk)
    form = _Form(stored, page, _form_data(await request.form()))
    emergency = stored.rules.emergency(form.answers)
    return resident_render(
        request, "resident_questionnaire_refresh.html", resident=resident,
        q=stored.questionnaire, blocks=_conditional_roots(form.items),
        enabled=enabled_ids(stored.questionnaire, form.answers), raw=form.raw, errors={},
        emergency=emergency)


def _finish(request: Request, resident: ResidentPrincipal, stored: Stored,
            answers: Mapping[str, tuple[Value, ...]]) -> Response:
    lang = resident_language(request, resident)
    authorise_resident(request, resident, Action.ACT_ON_OWN_CASE, resident.person_id,
                       "questionnaire")
    try:
        with UnitOfWork(request.app.state.engine, resident.actor, "questionnaire") as uow:
            result: Result = submit(uow, stored, resident.person_pk, answers,
                                    now=clock(request), lang=lang)
    except AnswerError as exc:  # a tampered hidden field of an earlier page
        return _page(request, resident, stored, 1, answers=answers,
                     raw={k: [_raw(v) for v in vs] for k, vs in answers.items()},
                     problems=exc.problems, status_code=400)
    except CareError as exc:
        return resident_render(request, "resident_questionnaire_result.html",
                               status_code=exc.status, resident=resident, error=str(exc),
                               row=None, q=stored.questionnaire)
    return RedirectResponse(f"{BASE}/vastaus/{result.response_id}", status_code=303)


@router.get("/kyselyt/vastaus/{response_id}")
def result_page(request: Request, resident: CurrentResident, response_id: Id) -> Response:
    with Session(request.app.state.engine) as session:
        row = session.get(QuestionnaireResponseRow, response_id)
        owner = session.get(Person, row.person_pk) if row else None
        if row is None or owner is None:
            raise ResidentNotFound()
        authorise_resident(request, resident, Action.VIEW_OWN_DATA, owner.person_id,
                           f"questionnaire_response:{response_id}")
        stored = store.version_of(session, row.questionnaire_url, row.questionnaire_version)
    rule = stored.rules.rule(row.rule_id)
    catalogue = default_catalogue()
    service = catalogue.services.get(row.service_id) if row.service_id else None
    booking = (BOOKING_PATH.format(case_id=row.case_id)
               if rule is not None and service is not None and row.case_id
               and bookable_now(rule, service) else None)
    return resident_render(request, "resident_questionnaire_result.html", resident=resident,
                           row=row, q=stored.questionnaire, rule=rule, service=service,
                           booking=booking, error=None, OUTCOMES=OUTCOMES)
