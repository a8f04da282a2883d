"""The resident contacts the centre (``/asiointi/yhteydenotto``): a secure message, a plain
e-form, a call-back request (a window chosen from those offered) or a prescription renewal;
each lands in the workdesk queue (``care/contact.py``). The resident then follows the case
and writes more on it (``/asiointi/yhteydenotto/asiat/<id>``); any id that is not her own
case is the same 404. Forms post and redirect, so everything works without JavaScript.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from sotekeskus.care import contact
from sotekeskus.care.contact_lines import default_lines
from sotekeskus.care.errors import CareError, NotFound
from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork
from sotekeskus.domain.workflow.codes import ContactKind
from sotekeskus.web.resident.chat import _int_id, now_of, resident_of
from sotekeskus.web.resident.deps import (
    CurrentResident,
    ResidentCsrf,
    ResidentNotFound,
    ResidentPrincipal,
    resident_render,
)
from sotekeskus.web.resident.post_limit import too_many_posts

router = APIRouter()
BASE = "/asiointi/yhteydenotto"
KIND_PATHS = {"viesti": ContactKind.MESSAGE, "soittopyynto": ContactKind.CALLBACK,
              "resepti": ContactKind.RENEWAL}


@router.get("/yhteydenotto")
def menu(request: Request, principal: CurrentResident) -> Response:
    return resident_render(request, "resident_contact.html", resident=principal,
                           forms=list(default_lines().e_forms.values()))


def _form_page(request: Request, principal: ResidentPrincipal, kind: ContactKind, *,
               status: int = 200, error: str | None = None, form: dict[str, Any] | None = None,
               e_form: Any = None) -> Response:
    lines = default_lines()
    values = form or {}
    windows = []
    chosen_line = values.get("line") or ""
    if kind is ContactKind.CALLBACK and chosen_line in lines.lines:
        with Session(request.app.state.engine) as s:
            windows = contact.callback_windows(s, lines.lines[chosen_line], now_of(request))
    return resident_render(request, "resident_contact_form.html", status_code=status,
                           resident=principal, kind=kind.value,
                           lines=lines.for_kind(kind), windows=windows, error=error,
                           form=values, e_form=e_form)


@router.get("/yhteydenotto/lomake/{form_id}")
def e_form_page(request: Request, principal: CurrentResident, form_id: str) -> Response:
    try:
        e_form = default_lines().form(form_id)
    except LookupError:
        raise ResidentNotFound() from None
    return _form_page(request, principal, ContactKind.E_FORM, e_form=e_form)


@router.post("/yhteydenotto/lomake/{form_id}", dependencies=[ResidentCsrf])
async def e_form_submit(request: Request, principal: CurrentResident,
                        form_id: str) -> Response:
    import asyncio

    try:
        e_form = default_lines().form(form_id)
    except LookupError:
        raise ResidentNotFound() from None
    data = await request.form()
    answers = {k[2:]: str(v) for k, v in data.items() if k.startswith("f_")}
    message = str(data.get("message") or "")

    def work(uow: UnitOfWork) -> int:
        from sotekeskus.web.resident.deps import resident_language

        return contact.submit_e_form(uow, resident_of(principal), form_id=form_id,
                                     answers=answers, message=message, now=now_of(request),
                                     lang=resident_language(request, principal)).id

    return await asyncio.to_thread(
        _submit, request, principal, ContactKind.E_FORM, work,
        {"message": message, **{f"f_{k}": v for k, v in answers.items()}}, e_form)


@router.get("/yhteydenotto/{kind_path}")
def form_page(request: Request, principal: CurrentResident, kind_path: str,
              line: str = "") -> Response:
    kind = KIND_PATHS.get(kind_path)
    if kind is None:
        raise ResidentNotFound()
    return _form_page(request, principal, kind, form={"line": line})


def _submit(request: Request, principal: ResidentPrincipal, kind: ContactKind, work: Any,
            form: dict[str, Any], e_form: Any = None) -> Response:
    if (slow := too_many_posts(request, principal)) is not None:  # 429, nothing written
        return slow
    try:
        with UnitOfWork(request.app.state.engine, principal.actor, "contact") as uow:
            case_id = work(uow)
    except (CareError, NotAllowed) as exc:
        return _form_page(request, principal, kind, status=400, error=str(exc), form=form,
                          e_form=e_form)
    return RedirectResponse(f"{BASE}/asiat/{case_id}?sent=1", status_code=303)


@router.post("/yhteydenotto/viesti", dependencies=[ResidentCsrf])
def message_submit(request: Request, principal: CurrentResident,
                   line: Annotated[str, Form()] = "", subject: Annotated[str, Form()] = "",
                   text: Annotated[str, Form()] = "") -> Response:
    return _submit(request, principal, ContactKind.MESSAGE,
                   lambda uow: contact.send_message(
                       uow, resident_of(principal), line_id=line, subject=subject, text=text,
                       now=now_of(request)).id,
                   {"line": line, "subject": subject, "text": text})


@router.post("/yhteydenotto/soittopyynto", dependencies=[ResidentCsrf])
def callback_submit(request: Request, principal: CurrentResident,
                    line: Annotated[str, Form()] = "", window: Annotated[str, Form()] = "",
                    phone: Annotated[str, Form()] = "", subject: Annotated[str, Form()] = "",
                    text: Annotated[str, Form()] = "") -> Response:
    return _submit(request, principal, ContactKind.CALLBACK,
                   lambda uow: contact.request_callback(
                       uow, resident_of(principal), line_id=line, window=window,
                       phone=phone, subject=subject, text=text, now=now_of(request)).id,
                   {"line": line, "window": window, "phone": phone, "subject": subject,
                    "text": text})


@router.post("/yhteydenotto/resepti", dependencies=[ResidentCsrf])
def renewal_submit(request: Request, principal: CurrentResident,
                   medicine: Annotated[str, Form()] = "",
                   pharmacy: Annotated[str, Form()] = "",
                   message: Annotated[str, Form()] = "") -> Response:
    return _submit(request, principal, ContactKind.RENEWAL,
                   lambda uow: contact.request_renewal(
                       uow, resident_of(principal), medicine=medicine, pharmacy=pharmacy,
                       message=message, now=now_of(request)).id,
                   {"medicine": medicine, "pharmacy": pharmacy, "message": message})


def _thread(request: Request, principal: ResidentPrincipal, case_id: int):  # type: ignore[no-untyped-def]
    with Session(request.app.state.engine) as s:
        try:
            case, row = contact.own_case(s, resident_of(principal), case_id)
        except NotFound:
            raise ResidentNotFound() from None
        return case, row, contact.messages(s, case_id)


@router.get("/yhteydenotto/asiat/{case_id}")
def case_page(request: Request, principal: CurrentResident, case_id: str,
              sent: str = "", error: str | None = None) -> Response:
    cid = _int_id(case_id)
    case, row, msgs = _thread(request, principal, cid)
    if case.channel == "chat":
        return RedirectResponse(f"/asiointi/chat/{cid}", status_code=303)
    can_reply = (row is not None and ContactKind(row.kind) in contact.RESIDENT_REPLIES
                 and case.state != "closed")
    return resident_render(request, "resident_contact_case.html", resident=principal,
                           case=case, contact=row, messages=msgs, sent=sent == "1",
                           can_reply=can_reply, error=None)


@router.post("/yhteydenotto/asiat/{case_id}/vastaa", dependencies=[ResidentCsrf])
def reply(request: Request, principal: CurrentResident, case_id: str,
          text: Annotated[str, Form()] = "") -> Response:
    if (slow := too_many_posts(request, principal)) is not None:  # 429, nothing written
        return slow
    cid = _int_id(case_id)
    try:
        with UnitOfWork(request.app.state.engine, principal.actor, "contact") as uow:
            contact.resident_reply(uow, resident_of(principal), cid, text,
                                   now=now_of(request))
    except NotFound:
        raise ResidentNotFound() from None
    except CareError as exc:
        case, row, msgs = _thread(request, principal, cid)
        return resident_render(request, "resident_contact_case.html", status_code=exc.status,
                               resident=principal, case=case, contact=row, messages=msgs,
                               sent=False, can_reply=case.state != "closed", error=str(exc))
    from sotekeskus.care.chat import BROKER

    BROKER.notify(cid)
    return RedirectResponse(f"{BASE}/asiat/{cid}?sent=1", status_code=303)
