"""The professional's chat panel (``/workdesk/chat/<case id>``): a chat (or another front-door
contact) case's messages live, reply, and close with the resolution (resolved at first
contact with advice / self-care / prescription renewed, routed to a service, referred).

Guard: ``require_professional`` (``WORK_CASES``) and, per case, the access policy on the
case's unit (``care.chat.professional_messages`` → ``load``). Every read of the messages —
the page, the fragment and each batch a live stream delivers — is audited with the purpose
chosen on the page and the resident's pseudonym. Replying is the owner's (claim first).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from sotekeskus.care import chat, contact
from sotekeskus.care.cases import commands
from sotekeskus.care.cases.transitions import load
from sotekeskus.care.catalogue import default_catalogue
from sotekeskus.care.contact import CloseInput, Message
from sotekeskus.care.contact_lines import default_lines
from sotekeskus.care.errors import CareError
from sotekeskus.care.staff import load_staff
from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork
from sotekeskus.domain.access_policy import Action
from sotekeskus.domain.workflow.codes import AssessedUrgency, Resolution
from sotekeskus.store import sessions as store_sessions
from sotekeskus.store.models import CaseContact
from sotekeskus.web import i18n
from sotekeskus.web.deps import authorise, language_for, require_csrf
from sotekeskus.web.errors import Forbidden
from sotekeskus.web.i18n import N_
from sotekeskus.web.security import SESSION_TOKEN, web_security
from sotekeskus.web.workdesk.common import (
    ProfessionalAccount,
    error_page,
    flash,
    now,
    page,
    purpose_of,
    redirect,
    staff_of,
    take_flash,
    unit_of_work,
)
from sotekeskus.web.workdesk.labels import PURPOSES

router = APIRouter()
#: Labels of the resolutions (msgids).
RESOLUTIONS = {"advice": N_("Advice"), "self_care": N_("Self-care"),
               "prescription_renewed": N_("Prescription renewed")}
CSRF = [Depends(require_csrf)]
#: The stream's last (``end``) event when the session or the access is gone (msgid).
ENDED = N_("The session has ended. Sign in again to continue.")


def _url(case_id: int, purpose: str = "assessment") -> str:
    return f"/workdesk/chat/{case_id}?purpose={purpose}"


def render_message(request: Request, m: Message) -> str:
    return str(request.app.state.templates.get_template("workdesk_chat_message.html")
               .render(m=m))


#: Labels (msgids) of the fields the channels keep (e-form fields carry their own names).
FIELDS = {"medicine": N_("Medicine (name and strength)"), "pharmacy": N_("Pharmacy"),
          "phone": N_("Phone number"), "message": N_("Message"), "text": N_("Message")}


def _form_rows(row: CaseContact | None) -> list[tuple[str, object, object]]:
    """What the resident filled in as (how to label, label, value) rows: ``names`` (an
    e-form field's fi/sv/en names; a choice's value is its option's names) or ``msgid``."""
    if row is None:
        return []
    data = json.loads(row.form_data or "{}")
    form = default_lines().e_forms.get(row.form_id or "")
    rows: list[tuple[str, object, object]] = []
    for key, value in data.items():
        field = next((f for f in form.fields if f.field_id == key), None) if form else None
        if field is not None:  # a choice's value shows as the option's names
            option = dict(field.options).get(value) if field.kind == "choice" else None
            rows.append(("names", field.names, option if option is not None else value))
        else:
            rows.append(("msgid", FIELDS.get(key, key), value))
    return rows


@router.get("/chat/{case_id}")
def panel(request: Request, account: ProfessionalAccount, case_id: int,
          purpose: str = "") -> Response:
    member = staff_of(request, account)
    why = purpose_of(purpose)
    try:
        with unit_of_work(request, member, why) as uow:
            case, msgs = chat.professional_messages(uow, case_id, what="chat panel")
            row = uow.session.get(CaseContact, case_id)
            owner = load(uow, case_id).owner
    except CareError as exc:
        return error_page(request, account, exc, "/workdesk")
    line = default_lines().lines.get(row.line_id) if row else None
    form_rows = _form_rows(row)
    return page(request, "workdesk_chat.html", account=account, member=member, c=case,
                contact=row, line=line, form_rows=form_rows, messages=msgs, owner=owner,
                purpose=why, purposes=PURPOSES, flash=take_flash(request),
                last_id=max((m.message_id for m in msgs), default=0),
                resolutions=list(Resolution), resolution_labels=RESOLUTIONS,
                urgencies=list(AssessedUrgency),
                services=sorted(default_catalogue().services.values(),
                                key=lambda s: s.service_id))


@router.get("/chat/{case_id}/messages")
def messages_fragment(request: Request, account: ProfessionalAccount, case_id: int,
                      after: int = 0, purpose: str = "") -> Response:
    member = staff_of(request, account)
    with unit_of_work(request, member, purpose_of(purpose)) as uow:
        try:
            _, msgs = chat.professional_messages(uow, case_id, max(0, after))
        except CareError as exc:
            return Response(str(exc), status_code=exc.status)
    return Response("".join(render_message(request, m) for m in msgs),
                    media_type="text/html; charset=utf-8")


@router.post("/chat/{case_id}/claim", dependencies=CSRF)
def claim(request: Request, account: ProfessionalAccount, case_id: int) -> Response:
    member = staff_of(request, account)
    try:
        with unit_of_work(request, member, "assessment") as uow:
            commands.claim(uow, member, case_id, now=now(request))
    except CareError as exc:
        return error_page(request, account, exc, _url(case_id), case_id=case_id)
    flash(request, "claimed")
    return redirect(_url(case_id))


@router.post("/chat/{case_id}/reply", dependencies=CSRF)
def reply(request: Request, account: ProfessionalAccount, case_id: int,
          body: Annotated[str, Form()] = "") -> Response:
    member = staff_of(request, account)
    try:
        with unit_of_work(request, member, "treatment") as uow:
            chat.professional_reply(uow, member, case_id, body, now=now(request))
    except CareError as exc:
        if request.headers.get("hx-request"):
            return Response(str(exc), status_code=exc.status)
        return error_page(request, account, exc, _url(case_id), case_id=case_id)
    chat.BROKER.notify(case_id)
    if request.headers.get("hx-request"):
        return Response(status_code=204)
    return redirect(_url(case_id, "treatment"))


@router.post("/chat/{case_id}/close", dependencies=CSRF)
def close(request: Request, account: ProfessionalAccount, case_id: int,
          outcome: Annotated[str, Form()] = "", resolution: Annotated[str, Form()] = "",
          urgency: Annotated[str, Form()] = "", need: Annotated[str, Form()] = "",
          note: Annotated[str, Form()] = "", service: Annotated[str, Form()] = "") -> Response:
    member = staff_of(request, account)
    form = CloseInput(outcome, note, resolution, urgency, need, service)
    try:
        with unit_of_work(request, member, "assessment") as uow:
            done = contact.close_contact(uow, member, case_id, form, now=now(request))
    except CareError as exc:
        return error_page(request, account, exc, _url(case_id), case_id=case_id)
    chat.BROKER.notify(case_id)
    flash(request, {"resolved": "resolved", "route": "routed", "refer": "referred"}[done])
    return redirect("/workdesk")


@router.get("/chat/{case_id}/events")
async def events(request: Request, account: ProfessionalAccount, case_id: int,
                 after: int = 0, purpose: str = "") -> Response:
    """Server-sent ``message`` events of the case; 403/404 before any stream starts. Each
    delivered batch is an audited read (purpose, resident)."""
    import asyncio

    member = staff_of(request, account)
    why = purpose_of(purpose)
    engine = request.app.state.engine

    def check() -> None:
        with UnitOfWork(engine, member.actor, why) as uow:
            load(uow, case_id)

    try:
        await asyncio.to_thread(check)
    except NotAllowed as exc:
        raise Forbidden(str(exc)) from None
    except CareError as exc:
        return Response(str(exc), status_code=exc.status)
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isascii() and last.isdigit() and len(last) < 12 else after

    def fetch(after_id: int) -> list[Message]:
        with UnitOfWork(engine, member.actor, why) as uow:
            return chat.professional_messages(uow, case_id, after_id, what="live messages")[1]

    token, sec = request.session.get(SESSION_TOKEN), web_security(request)

    def still_allowed() -> bool:  # signed out, expired, deactivated, access withdrawn
        now_account = store_sessions.resolve(engine, token, sec.lifetimes, sec.clock(),
                                             touch=False)
        if now_account is None or now_account.id != account.id:
            return False
        try:
            with Session(engine) as s:
                now_member = load_staff(s, now_account.id)
            authorise(now_account, Action.WORK_CASES)
            with UnitOfWork(engine, now_member.actor, why) as uow:
                load(uow, case_id)
        except (CareError, NotAllowed, Forbidden):
            return False
        return True

    lang = i18n.current_language.set(language_for(request, account))
    try:
        ended = i18n.gettext_(ENDED)
    finally:
        i18n.current_language.reset(lang)
    stream = chat.event_stream(engine, case_id, max(0, start), fetch,
                               lambda m: render_message(request, m),
                               is_disconnected=request.is_disconnected,
                               still_allowed=still_allowed, ended=ended)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store",
                                      "X-Accel-Buffering": "no"})

