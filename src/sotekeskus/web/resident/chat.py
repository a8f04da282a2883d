"""The resident's chat (``/asiointi/chat``): choose a line, write the first message, see the
expected wait and talk with the professional live (server-sent events through the htmx
``sse`` extension; without JavaScript the page works by posting and reloading).

Only the case's own resident reaches a chat: any other id — another person's chat, a
message case, a missing one — is the same 404 (``ResidentNotFound``), before any stream
starts. A resident's read of their own chat is not a professional read and is not listed
in "who has read my data". docs/chat.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from sotekeskus.care import chat
from sotekeskus.care.contact import Message, Resident
from sotekeskus.care.contact_lines import default_lines
from sotekeskus.care.errors import CareError, NotFound
from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork
from sotekeskus.domain.workflow.codes import ContactKind
from sotekeskus.store import resident_sessions
from sotekeskus.web.i18n import N_
from sotekeskus.web.resident.deps import (
    RESIDENT_COOKIE,
    CurrentResident,
    ResidentCsrf,
    ResidentNotFound,
    ResidentPrincipal,
    lifetimes,
    resident_render,
)
from sotekeskus.web.resident.post_limit import too_many_posts
from sotekeskus.web.security import web_security

router = APIRouter()
BASE = "/asiointi/chat"


def now_of(request: Request) -> datetime:
    """The clock of the operational pages (``app.state.workdesk_now`` in tests and demo)."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "workdesk_now", None)
    return clock() if clock else datetime.now().replace(microsecond=0)


def resident_of(principal: ResidentPrincipal) -> Resident:
    return Resident(principal.person_pk, principal.person_id)


def _int_id(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) < 12):
        raise ResidentNotFound()
    return int(value)


def render_message(request: Request, m: Message) -> str:
    template = request.app.state.templates.get_template("resident_chat_message.html")
    from sotekeskus.web import i18n
    from sotekeskus.web.resident.deps import resident_language

    token = i18n.current_language.set(resident_language(request))
    try:
        return str(template.render(m=m))
    finally:
        i18n.current_language.reset(token)


#: The ``end`` event's text when the session is no longer valid (msgid).
ENDED = N_("The session has ended. Sign in again to continue.")


def _translated(request: Request, msgid: str) -> str:
    from sotekeskus.web import i18n
    from sotekeskus.web.resident.deps import resident_language

    token = i18n.current_language.set(resident_language(request))
    try:
        return i18n.gettext_(msgid)
    finally:
        i18n.current_language.reset(token)


def _wait_text(request: Request, wait: chat.ExpectedWait) -> str:
    template = request.app.state.templates.get_template("resident_chat_wait.html")
    from sotekeskus.web import i18n
    from sotekeskus.web.resident.deps import resident_language

    token = i18n.current_language.set(resident_language(request))
    try:
        return str(template.render(wait=wait))
    finally:
        i18n.current_language.reset(token)


@router.get("/chat")
def start_page(request: Request, principal: CurrentResident, line: str = "") -> Response:
    lines = default_lines().for_kind(ContactKind.CHAT)
    engine = request.app.state.engine
    with Session(engine) as s:
        waits = {ln.line_id: chat.expected_wait(s, ln, now_of(request)) for ln in lines}
    return resident_render(request, "resident_chat_start.html", resident=principal,
                           lines=lines, waits=waits, chosen=line, error=None, text="")


@router.post("/chat", dependencies=[ResidentCsrf])
def open_chat(request: Request, principal: CurrentResident,
              line: Annotated[str, Form()] = "", text: Annotated[str, Form()] = "") -> Response:
    if (slow := too_many_posts(request, principal)) is not None:  # 429, nothing written
        return slow
    me = resident_of(principal)
    try:
        with UnitOfWork(request.app.state.engine, principal.actor, "contact") as uow:
            case_id = chat.open_chat(uow, me, line_id=line, text=text, now=now_of(request)).id
    except (CareError, NotAllowed) as exc:
        lines = default_lines().for_kind(ContactKind.CHAT)
        with Session(request.app.state.engine) as s:
            waits = {ln.line_id: chat.expected_wait(s, ln, now_of(request)) for ln in lines}
        return resident_render(request, "resident_chat_start.html", status_code=400,
                               resident=principal, lines=lines, waits=waits, chosen=line,
                               error=str(exc), text=text)
    return RedirectResponse(f"{BASE}/{case_id}", status_code=303)


def _own_chat(request: Request, principal: ResidentPrincipal, case_id: int, after: int = 0):  # type: ignore[no-untyped-def]
    with Session(request.app.state.engine) as s:
        try:
            case, msgs = chat.resident_messages(s, resident_of(principal), case_id, after)
        except NotFound:
            raise ResidentNotFound() from None
        line_id = chat.line_of(s, case_id)
        wait = chat.expected_wait(s, line_id or "", now_of(request), case_id)
    return case, msgs, line_id, wait


@router.get("/chat/{chat_id}")
def chat_page(request: Request, principal: CurrentResident, chat_id: str,
              sent: str = "") -> Response:
    case_id = _int_id(chat_id)
    case, msgs, line_id, wait = _own_chat(request, principal, case_id)
    line = default_lines().lines.get(line_id or "")
    return resident_render(request, "resident_chat.html", resident=principal, case=case,
                           messages=msgs, line=line, wait=wait, error=None,
                           last_id=max((m.message_id for m in msgs), default=0),
                           sent=sent == "1")


@router.get("/chat/{chat_id}/viestit")
def messages_fragment(request: Request, principal: CurrentResident, chat_id: str,
                      after: int = 0) -> Response:
    """The messages after ``after`` as list items (the polling fallback)."""
    case_id = _int_id(chat_id)
    _, msgs, _, _ = _own_chat(request, principal, case_id, max(0, after))
    return Response("".join(render_message(request, m) for m in msgs),
                    media_type="text/html; charset=utf-8")


@router.post("/chat/{chat_id}/viesti", dependencies=[ResidentCsrf])
def post_message(request: Request, principal: CurrentResident, chat_id: str,
                 text: Annotated[str, Form()] = "") -> Response:
    if (slow := too_many_posts(request, principal)) is not None:  # 429, nothing written
        return slow
    case_id = _int_id(chat_id)
    try:
        with UnitOfWork(request.app.state.engine, principal.actor, "contact") as uow:
            chat.resident_post(uow, resident_of(principal), case_id, text,
                               now=now_of(request))
    except NotFound:
        raise ResidentNotFound() from None
    except CareError as exc:
        if request.headers.get("hx-request"):
            return Response(str(exc), status_code=exc.status)
        case, msgs, line_id, wait = _own_chat(request, principal, case_id)
        return resident_render(request, "resident_chat.html", status_code=exc.status,
                               resident=principal, case=case, messages=msgs,
                               line=default_lines().lines.get(line_id or ""), wait=wait,
                               error=str(exc), sent=False,
                               last_id=max((m.message_id for m in msgs), default=0))
    chat.BROKER.notify(case_id)
    if request.headers.get("hx-request"):
        return Response(status_code=204)
    return RedirectResponse(f"{BASE}/{case_id}?sent=1", status_code=303)


@router.get("/chat/{chat_id}/tapahtumat")
async def events(request: Request, principal: CurrentResident, chat_id: str,
                 after: int = 0) -> Response:
    """Server-sent events of the resident's own chat: ``message`` (a list item per new
    message), ``wait`` (the expected wait). Someone else's chat: 404, no stream."""
    import asyncio

    case_id = _int_id(chat_id)
    await asyncio.to_thread(_own_chat, request, principal, case_id)  # 404 before streaming
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isascii() and last.isdigit() and len(last) < 12 else after
    engine = request.app.state.engine
    me = resident_of(principal)
    shown = {"wait": ""}

    def fetch(after_id: int) -> list[Message]:
        with Session(engine) as s:
            return chat.resident_messages(s, me, case_id, after_id)[1]

    def extra() -> list[tuple[str, str]]:
        with Session(engine) as s:
            line_id = chat.line_of(s, case_id)
            html = _wait_text(request, chat.expected_wait(s, line_id or "", now_of(request),
                                                          case_id))
        if html == shown["wait"]:
            return []
        shown["wait"] = html
        return [("wait", html)]

    token = request.cookies.get(RESIDENT_COOKIE)
    life, clock = lifetimes(request), web_security(request).clock

    def still_allowed() -> bool:  # signed out, idle, expired: the stream ends
        found = resident_sessions.resolve(engine, token, life, clock(), touch=False)
        return found is not None and found.person_pk == principal.person_pk

    ended = _translated(request, ENDED)
    stream = chat.event_stream(engine, case_id, max(0, start), fetch,
                               lambda m: render_message(request, m),
                               is_disconnected=request.is_disconnected, extra=extra,
                               still_allowed=still_allowed, ended=ended)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store",
                                      "X-Accel-Buffering": "no"})
