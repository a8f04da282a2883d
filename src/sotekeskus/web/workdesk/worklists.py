"""The clinical worklists of issue 16 on the workdesk, for a professional's own units.

* ``/workdesk/follow-up`` — lapsed follow-up of long-term conditions, person level, the
  oldest gap first, each row with its reason;
* ``/workdesk/risk/{model}`` — the risk model's persons to consider on a day, each with the
  factors that raise the predicted risk, the model card's text from the stored run, the
  current justified / not-justified mark; ``POST /workdesk/risk/{model}/mark`` appends a mark.

Guard: ``Action.VIEW_CLINICAL_WORKLISTS`` (the one policy of these lists: a professional or
a manager, own units; the management web's ``/pathways/follow-up/worklist`` and
``/pathways/models/{model}/list`` ask the same action). A purpose is required before a list
is read; the library writes one audit row per person shown (purpose, ``subject_person_id``)
before the list is returned. The pages build their tables with the management web's view
functions (:func:`~sotekeskus.web.manage.pathways.worklist_view`,
:func:`~sotekeskus.web.manage.pathways_models.list_view`), which call the library
(:mod:`sotekeskus.pathways.followup`, :mod:`sotekeskus.pathways.models.person_list`) — the
same rows, reasons and audit rows on both audiences.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sotekeskus.analytics.filters import unknown_code
from sotekeskus.domain.access_policy import Action
from sotekeskus.pathways.models.cohorts import MODELS
from sotekeskus.pathways.models.stored import justified_share
from sotekeskus.store.users import Account
from sotekeskus.web.deps import authorise, require_account, require_csrf
from sotekeskus.web.manage import pathways as manage_pathways
from sotekeskus.web.manage import pathways_models as manage_models
from sotekeskus.web.workdesk.common import page, redirect

router = APIRouter()


def require_clinical_lists(request: Request) -> Account:
    """Signed in and allowed the clinical worklists of some unit (else 403, audited)."""
    account = require_account(request)
    authorise(account, Action.VIEW_CLINICAL_WORKLISTS)
    return account


ClinicalAccount = Annotated[Account, Depends(require_clinical_lists)]


def _units(request: Request, account: Account) -> list[tuple[str, str]]:
    """The account's units (the policy's scope) with their names, for the unit filter."""
    scope = authorise(account, Action.VIEW_CLINICAL_WORKLISTS)
    names = request.app.state.analytics.unit_names()
    ids = sorted(names) if scope.unit_ids is None else sorted(scope.unit_ids)
    return [(u, names.get(u, u)) for u in ids]


def _query(request: Request) -> str:
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if v])


def _model(name: str) -> str:
    if name not in MODELS:
        raise unknown_code("model", name, "a model", MODELS)
    return name


@router.get("/follow-up")
def follow_up_worklist(request: Request, account: ClinicalAccount) -> Response:
    view = manage_pathways.worklist_view(request, account)
    return page(request, "workdesk_follow_up.html", account=account, view=view,
                units=_units(request, account), purposes=manage_pathways.PURPOSES,
                query=_query(request))


@router.get("/risk/{name}")
def risk_list(name: str, request: Request, account: ClinicalAccount) -> Response:
    view = manage_models.list_view(request, account, _model(name))
    units = view["units"]
    share = justified_share(request.app.state.engine, name,
                            unit_ids=None if units is None else tuple(units))[0]
    return page(request, "workdesk_risk_list.html", account=account, view=view,
                units=_units(request, account), purposes=manage_models.PURPOSES,
                marks=manage_models.MARKS, titles=manage_models.TITLES, models=MODELS,
                share=share, query=_query(request))


@router.post("/risk/{name}/mark", dependencies=[Depends(require_csrf)])
def risk_mark(name: str, request: Request, account: ClinicalAccount,
              person_id: str = Form(""), on: str = Form(""), justified: str = Form(""),
              note: str = Form(""), purpose: str = Form("")) -> Response:
    """Append a mark on a person of the list of ``on``: the person must be on that list
    (else 400) in one of the account's units (else 403)."""
    name = _model(name)
    day = manage_models.mark_from_form(request, account, name, person_id, on, justified, note)
    back = [("on", day.isoformat())]
    if purpose in manage_models.PURPOSES:
        back.append(("purpose", purpose))
    return redirect(f"/workdesk/risk/{name}?{urlencode(back)}#p-{person_id}")
