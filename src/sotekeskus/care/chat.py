"""Chat on a contact line: a case in channel ``chat``, queued like any case, its messages
stored on the case (``case_messages``), live through a small broker (docs/chat.md).

* **Opening** (:func:`open_chat`): a case through ``commands.open_case`` (via
  :mod:`sotekeskus.care.contact`) in the line's unit with the line's service area, so it
  has its deadline and its place in the workdesk queue; the resident's first message is
  its first message.
* **First-reply wait**: the first professional message sets the case's ``first_reply_at``
  (``commands.reply``); the wait is ``first_reply_at − contact_at`` in minutes, which the
  workdesk figures average (mean, 90th percentile) per day.
* **First-contact resolution** is recorded when the professional closes the chat
  (:func:`sotekeskus.care.contact.close_contact`).
* **Expected wait** (:func:`expected_wait`), shown to the resident: ``median × position``
  minutes, where *median* is the median first-reply wait (minutes) of the line's chats
  answered in the last :data:`HISTORY_HOURS` hours before now (at least
  :data:`MIN_HISTORY` of them; otherwise the stated default :data:`DEFAULT_WAIT_MIN`) and
  *position* is the chat's place among the line's open, unanswered chats ordered by contact
  time (1 = next; a chat not yet opened counts as the last + 1). Rounded up to whole
  minutes, never below 1. Once a professional has replied the expected wait is 0.
* **Who may read**: the resident of the case (:func:`resident_messages`; not audited —
  a resident's read of their own data is not a professional read) and professionals whom
  the access policy lets work cases of the case's unit (:func:`professional_messages`,
  audited with the unit of work's purpose and the resident's pseudonym, so "who read my
  data" lists it).

**Live delivery** (:class:`ChatBroker`): an in-process broker keyed by case id wakes the
server-sent event streams of that case when a message is stored (``notify`` is safe from
worker threads). The stream then reads the new messages **from the store** (ids above the
last one sent), and it also re-reads every ``poll`` seconds without a wake-up: with several
server processes a message written by another process arrives within the poll interval.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.cases import commands
from sotekeskus.care.cases.commands import _text
from sotekeskus.care.cases.transitions import load
from sotekeskus.care.contact import (
    Message,
    Resident,
    line_for,
    messages,
    open_contact,
    own_case,
    resident_reply,
)
from sotekeskus.care.contact_lines import Line, Lines, default_lines
from sotekeskus.care.errors import NotFound
from sotekeskus.care.staff import Staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.workflow.codes import CaseState, Channel, ContactKind
from sotekeskus.store.models import CareCase, CaseContact, CaseMessage

#: Hours of history behind the expected wait.
HISTORY_HOURS = 8
#: Answered chats needed before the history is used.
MIN_HISTORY = 3
#: Stated default first-reply wait (minutes) when the line has too little history
#: (Digiklinikka's reported mean wait, operations.md).
DEFAULT_WAIT_MIN = 7.0


def open_chat(uow: UnitOfWork, resident: Resident, *, line_id: str, text: str,
              now: datetime, lines: Lines | None = None) -> CareCase:
    """Open a chat on ``line_id`` with the resident's first message."""
    line = line_for(lines or default_lines(), line_id, ContactKind.CHAT)
    body = _text(text, "text")
    subject = " ".join(body.split())[:80]
    return open_contact(uow, resident, ContactKind.CHAT, line, subject, body, now=now)


def _chat(session: Session, case_id: int) -> CareCase:
    case = session.get(CareCase, case_id)
    if case is None or case.channel != Channel.CHAT:
        raise NotFound(f"chat: no chat {case_id}")
    return case


def resident_post(uow: UnitOfWork, resident: Resident, case_id: int, text: str, *,
                  now: datetime) -> CaseMessage:
    """The resident writes on her own open chat (:class:`NotFound` for anyone else's)."""
    case, _ = own_case(uow.session, resident, case_id)
    if case.channel != Channel.CHAT:
        raise NotFound(f"chat: no chat {case_id}")
    return resident_reply(uow, resident, case_id, text, now=now)


def professional_reply(uow: UnitOfWork, staff: Staff, case_id: int, text: str, *,
                       now: datetime) -> CaseMessage:
    """The owner's reply; the first one sets ``first_reply_at`` (the first-reply wait)."""
    _chat(uow.session, case_id)
    commands.reply(uow, staff, case_id, text, now=now)
    message = uow.session.scalar(select(CaseMessage).where(CaseMessage.case_id == case_id)
                                 .order_by(CaseMessage.id.desc()).limit(1))
    assert message is not None
    return message


def resident_messages(session: Session, resident: Resident, case_id: int,
                      after_id: int = 0) -> tuple[CareCase, list[Message]]:
    """The resident's own chat and its messages after ``after_id``."""
    case, _ = own_case(session, resident, case_id)
    if case.channel != Channel.CHAT:
        raise NotFound(f"chat: no chat {case_id}")
    return case, messages(session, case_id, after_id)


def professional_messages(uow: UnitOfWork, case_id: int, after_id: int = 0, *,
                          what: str = "chat messages") -> tuple[CareCase, list[Message]]:
    """A professional's read of a case's messages: authorised by the access policy
    (``WORK_CASES`` on the case's unit) and audited with the purpose and the resident."""
    loaded = load(uow, case_id)
    found = messages(uow.session, case_id, after_id)
    uow.audit_read(f"case:{case_id}", f"{what}: {len(found)} after {after_id}",
                   subject_person_id=loaded.person.person_id)
    return loaded.case, found


# ---- expected wait ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpectedWait:
    """``minutes`` = ceil(``median_min`` × ``position``) (module docstring); ``basis``:
    ``history`` (``answered`` chats of the line in the last ``hours``) or ``default``."""

    minutes: int
    position: int
    median_min: float
    answered: int
    basis: str
    hours: int = HISTORY_HOURS
    closed: bool = False


def line_of(session: Session, case_id: int) -> str | None:
    return session.scalar(select(CaseContact.line_id).where(CaseContact.case_id == case_id))


def expected_wait(session: Session, line: Line | str, now: datetime,
                  case_id: int | None = None) -> ExpectedWait:
    """The expected wait to the first professional reply (module docstring)."""
    line_id = line if isinstance(line, str) else line.line_id
    since = now - timedelta(hours=HISTORY_HOURS)
    chats = (select(CareCase).join(CaseContact, CaseContact.case_id == CareCase.id)
             .where(CaseContact.line_id == line_id, CareCase.channel == Channel.CHAT.value))
    waits = [(c.first_reply_at - c.contact_at).total_seconds() / 60.0
             for c in session.scalars(chats.where(CareCase.first_reply_at >= since,
                                                  CareCase.first_reply_at <= now))
             if c.first_reply_at is not None]
    if len(waits) >= MIN_HISTORY:
        med, basis = float(median(waits)), "history"
    else:
        med, basis = DEFAULT_WAIT_MIN, "default"
    waiting = list(session.execute(
        chats.with_only_columns(CareCase.id, CareCase.first_reply_at, CareCase.state)
        .where(CareCase.state != CaseState.CLOSED.value, CareCase.first_reply_at.is_(None))
        .order_by(CareCase.contact_at, CareCase.id)))
    ids = [row.id for row in waiting]
    if case_id is not None:
        own = session.get(CareCase, case_id)
        if own is None:
            raise NotFound(f"chat: no chat {case_id}")
        if own.first_reply_at is not None or own.state == CaseState.CLOSED:
            return ExpectedWait(0, 0, round(med, 1), len(waits), basis,
                                closed=own.state == CaseState.CLOSED)
        position = ids.index(case_id) + 1 if case_id in ids else len(ids) + 1
    else:
        position = len(ids) + 1
    minutes = max(1, math.ceil(round(med * position, 6)))
    return ExpectedWait(minutes, position, round(med, 1), len(waits), basis)


# ---- live delivery ------------------------------------------------------------------------


class ChatBroker:
    """Wakes the event streams of a case when one of its messages is stored.

    ``subscribe`` (in the event loop) returns an :class:`asyncio.Event` for the case;
    ``notify`` (from any thread) sets every subscriber's event through its loop. The event
    carries no data: a woken stream reads the new messages from the store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = \
            defaultdict(set)

    def subscribe(self, case_id: int) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._subs[case_id].add((asyncio.get_running_loop(), event))
        return event

    def unsubscribe(self, case_id: int, event: asyncio.Event) -> None:
        with self._lock:
            subs = self._subs.get(case_id)
            if subs is None:
                return
            for entry in [e for e in subs if e[1] is event]:
                subs.discard(entry)
            if not subs:
                del self._subs[case_id]

    def subscribers(self, case_id: int) -> int:
        with self._lock:
            return len(self._subs.get(case_id, ()))

    def notify(self, case_id: int) -> None:
        with self._lock:
            targets = list(self._subs.get(case_id, ()))
        for loop, event in targets:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop has closed: the stream is gone
                self.unsubscribe(case_id, event)


#: The process's broker (the web app's streams and handlers share it).
BROKER = ChatBroker()



def last_message_id(session: Session, case_id: int) -> int:
    """The id of the case's newest message (0 when none): the streams' cheap change test."""
    from sqlalchemy import func

    return int(session.scalar(select(func.max(CaseMessage.id))
                              .where(CaseMessage.case_id == case_id)) or 0)


def sse(event: str, data: str, event_id: int | None = None) -> str:
    """One server-sent event; every line of ``data`` gets its own ``data:`` field."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = "".join(f"data: {line}\n" for line in (data.splitlines() or [""]))
    return f"{head}event: {event}\n{body}\n"


POLL_SECONDS = 2.0
STREAM_SECONDS = 300.0


async def event_stream(engine, case_id: int, after_id: int, fetch, render,  # type: ignore[no-untyped-def]
                       *, is_disconnected, extra=None, broker: ChatBroker = BROKER,
                       poll: float | None = None, max_seconds: float | None = None,
                       still_allowed=None, ended: str = ""):
    """The server-sent events of one case: ``message`` events (id = message id) for every
    message above ``after_id``, woken by ``broker`` or every ``poll`` seconds (another
    process's writes); ``extra()`` may return further events (e.g. the expected wait).
    ``fetch(after_id)`` reads (and, for a professional, audits) the new messages; it is
    called only when the cheap :func:`last_message_id` test says there are some.
    ``still_allowed()`` is asked on every wake-up (broker or poll) before anything is read:
    once it says no (signed out, session expired, account deactivated, access withdrawn)
    the stream sends one ``end`` event (data ``ended``) and closes."""
    poll = POLL_SECONDS if poll is None else poll
    max_seconds = STREAM_SECONDS if max_seconds is None else max_seconds
    event = broker.subscribe(case_id)
    try:
        yield "retry: 3000\n\n"
        last = after_id
        waited = 0.0
        while waited < max_seconds:
            if still_allowed is not None and not await asyncio.to_thread(still_allowed):
                yield sse("end", ended)
                return

            def newest() -> int:
                with Session(engine) as s:
                    return last_message_id(s, case_id)
            if await asyncio.to_thread(newest) > last:
                for m in await asyncio.to_thread(fetch, last):
                    last = max(last, m.message_id)
                    yield sse("message", render(m), m.message_id)
            if extra is not None:
                for name, data in await asyncio.to_thread(extra):
                    yield sse(name, data)
            if await is_disconnected():
                break
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), poll)
            except TimeoutError:
                pass
            waited += poll
    finally:
        broker.unsubscribe(case_id, event)
