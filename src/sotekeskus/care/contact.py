"""A resident opens a case at the front door: a secure **message**, a plain **e-form**, a
**call-back request** or a **prescription renewal** (chats: :mod:`sotekeskus.care.chat`;
FHIR questionnaires: :mod:`sotekeskus.care.questionnaires`).

Every one is opened through :func:`sotekeskus.care.cases.commands.open_case` inside the
caller's :class:`~sotekeskus.care.unit_of_work.UnitOfWork` (actor: the resident,
:func:`resident_actor`), so it lands in the workdesk queue of the line's unit with its
deadline from the rule book (contact → assessment by the line's service area), and its
episode row, history row and audit row commit with it. The resident is always the one of the
session (``Resident``), never a value from a form.

Channels: message → ``message``; e-form and prescription renewal → ``e_form``; call-back
request → ``phone`` with the promised window (``callback_from`` / ``callback_to``) chosen
from the windows the line offers (:func:`sotekeskus.care.contact_lines.offered_windows`).
What the resident filled in is kept as JSON in ``case_contacts.form_data`` and shown to the
professional as the case's first message.

Closing (:func:`close_contact`, the professional): ``resolved`` with a **resolution** from
:class:`~sotekeskus.domain.workflow.codes.Resolution` (advice, self-care, prescription
renewed) — the case's close reason is ``resolved`` (need met at first contact) and
``case_contacts.resolved_first_contact`` is true; ``route`` (to a service's queue) or
``refer`` record it false. A call back is recorded with :func:`record_call_back` (a
professional message: the case's ``first_reply_at``, which the call-back figure compares
with the promised window).

Bad input is :class:`~sotekeskus.care.errors.InvalidInput` naming the field and the value
(and the allowed codes); a case that is not the resident's own is
:class:`~sotekeskus.care.errors.NotFound`, worded exactly as a case that does not exist.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.care.cases import commands
from sotekeskus.care.cases.commands import Contact, _text
from sotekeskus.care.contact_lines import Line, Lines, Window, default_lines, offered_windows
from sotekeskus.care.errors import InvalidInput, NotFound
from sotekeskus.care.staff import Staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Actor, Role
from sotekeskus.domain.workflow.codes import (
    AssessedUrgency,
    CaseState,
    Channel,
    CodeError,
    ContactKind,
    Resolution,
    parse_code,
)
from sotekeskus.store.models import CareCase, CaseContact, CaseMessage

#: Channel each front-door kind lands in.
CHANNEL_OF: dict[ContactKind, Channel] = {
    ContactKind.MESSAGE: Channel.MESSAGE, ContactKind.E_FORM: Channel.E_FORM,
    ContactKind.RENEWAL: Channel.E_FORM, ContactKind.CALLBACK: Channel.PHONE,
    ContactKind.CHAT: Channel.CHAT,
}
RENEWAL_FORM = "prescription_renewal"
#: Kinds on whose case the resident may write more messages while it is open.
RESIDENT_REPLIES = frozenset({ContactKind.MESSAGE, ContactKind.E_FORM, ContactKind.RENEWAL,
                              ContactKind.CHAT})
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,24}$")


@dataclass(frozen=True, slots=True)
class Resident:
    """The signed-in resident (from the resident session; never from a form)."""

    person_pk: int
    person_id: str


def resident_actor(person_id: str) -> Actor:
    """The access-policy actor of a resident (audit name ``resident:<pseudonym>``)."""
    return Actor(f"resident:{person_id}", Role.RESIDENT, person_id=person_id)


def line_for(lines: Lines, line_id: str, kind: ContactKind) -> Line:
    try:
        return lines.line((line_id or "").strip(), kind)
    except LookupError as exc:
        raise InvalidInput(str(exc)) from None


def open_contact(uow: UnitOfWork, resident: Resident, kind: ContactKind, line: Line, subject: str,
          message: str, *, now: datetime, form_id: str | None = None,
          form_data: Mapping[str, str] | None = None,
          window: Window | None = None) -> CareCase:
    case = commands.open_case(uow, Contact(
        resident.person_pk, CHANNEL_OF[kind].value, line.unit_id, subject,
        line.service_area.value, message,
        callback_from=window.start if window else None,
        callback_to=window.end if window else None), now=now)
    uow.session.add(CaseContact(case_id=case.id, kind=kind.value, line_id=line.line_id,
                                form_id=form_id,
                                form_data=json.dumps(dict(form_data or {}),
                                                     ensure_ascii=False, sort_keys=True)))
    uow.session.flush()
    return case


def send_message(uow: UnitOfWork, resident: Resident, *, line_id: str, subject: str,
                 text: str, now: datetime, lines: Lines | None = None) -> CareCase:
    """A secure message (subject + text) to the line's queue."""
    line = line_for(lines or default_lines(), line_id, ContactKind.MESSAGE)
    subject = _text(subject, "subject", limit=300)
    text = _text(text, "text")
    return open_contact(uow, resident, ContactKind.MESSAGE, line, subject, text, now=now)


def _answers(form_fields: tuple, answers: Mapping[str, str]) -> dict[str, str]:  # type: ignore[type-arg]
    known = {f.field_id for f in form_fields}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a field of this form; fields: "
                           + ", ".join(sorted(known)))
    clean: dict[str, str] = {}
    for f in form_fields:
        value = (answers.get(f.field_id) or "").strip()
        if not value:
            if f.required:
                raise InvalidInput(f"{f.field_id}: required")
            continue
        if f.kind == "choice" and value not in f.option_ids():
            raise InvalidInput(f"{f.field_id}: unknown option {value[:40]!r}; allowed: "
                               + ", ".join(f.option_ids()))
        if f.kind == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                raise InvalidInput(f"{f.field_id}: {value[:40]!r} is not a date "
                                   "YYYY-MM-DD") from None
        clean[f.field_id] = _text(value, f.field_id, limit=2000)
    return clean


def _summary(title: str, rows: list[tuple[str, str]], message: str) -> str:
    lines = [title, *(f"{k}: {v}" for k, v in rows)]
    if message:
        lines += ["", message]
    return "\n".join(lines)


def submit_e_form(uow: UnitOfWork, resident: Resident, *, form_id: str,
                  answers: Mapping[str, str], now: datetime, message: str = "",
                  lines: Lines | None = None, lang: str = "en") -> CareCase:
    """A plain e-form: answers checked against the form (required, options, dates)."""
    all_lines = lines or default_lines()
    try:
        form = all_lines.form((form_id or "").strip())
    except LookupError as exc:
        raise InvalidInput(str(exc)) from None
    line = line_for(all_lines, form.line_id, ContactKind.E_FORM)
    clean = _answers(form.fields, answers)
    extra = _text(message, "message", required=False)
    rows = []
    for f in form.fields:
        if f.field_id in clean:
            value = clean[f.field_id]
            if f.kind == "choice":
                value = dict(f.options)[value].get(lang) or value
            rows.append((f.name(lang), value))
    return open_contact(uow, resident, ContactKind.E_FORM, line, form.name(lang)[:300],
                 _summary(form.name(lang), rows, extra), now=now, form_id=form.form_id,
                 form_data={**clean, **({"message": extra} if extra else {})})


def callback_taken(session: Session, line: Line, since: datetime) -> Counter[datetime]:
    """Open call-back requests of ``line`` per promised window start (from ``since``)."""
    rows = session.execute(
        select(CareCase.callback_from, func.count())
        .join(CaseContact, CaseContact.case_id == CareCase.id)
        .where(CaseContact.line_id == line.line_id,
               CaseContact.kind == ContactKind.CALLBACK.value,
               CareCase.state != CaseState.CLOSED.value,
               CareCase.callback_from >= since)
        .group_by(CareCase.callback_from))
    return Counter({start: n for start, n in rows if start is not None})


def callback_windows(session: Session, line: Line, now: datetime) -> list[Window]:
    """The windows the line offers now (capacity left)."""
    return offered_windows(line, now, callback_taken(session, line, now))


def _phone(value: str) -> str:
    phone = (value or "").strip()
    digits = sum(c.isdigit() for c in phone)
    if not _PHONE.match(phone) or not 7 <= digits <= 15:
        raise InvalidInput(f"phone: {phone[:30]!r} is not a phone number (7–15 digits, "
                           "e.g. +358 40 123 4567)")
    return phone


def request_callback(uow: UnitOfWork, resident: Resident, *, line_id: str, window: str,
                     phone: str, subject: str, now: datetime, text: str = "",
                     lines: Lines | None = None) -> CareCase:
    """A call-back request: ``window`` is an offered window's key (``YYYY-MM-DDTHH:MM``);
    the case's ``callback_from`` / ``callback_to`` hold the promised window."""
    line = line_for(lines or default_lines(), line_id, ContactKind.CALLBACK)
    number = _phone(phone)
    subject = _text(subject, "subject", limit=300)
    extra = _text(text, "text", required=False)
    offered = callback_windows(uow.session, line, now)
    chosen = next((w for w in offered if w.key == (window or "").strip()), None)
    if chosen is None:
        shown = ", ".join(w.key for w in offered[:6]) or "none now"
        raise InvalidInput(f"callback_window: {(window or '')[:30]!r} is not an offered "
                           f"window; offered: {shown}")
    body = _summary(subject, [("phone", number), ("window", f"{chosen.start:%Y-%m-%d %H:%M}"
                                                          f"–{chosen.end:%H:%M}")], extra)
    return open_contact(uow, resident, ContactKind.CALLBACK, line, subject, body, now=now,
                 form_data={"phone": number, **({"text": extra} if extra else {})},
                 window=chosen)


def request_renewal(uow: UnitOfWork, resident: Resident, *, medicine: str, pharmacy: str,
                    now: datetime, message: str = "", line_id: str = "",
                    lines: Lines | None = None) -> CareCase:
    """A prescription renewal: which medicine, which pharmacy, a message. Lands on the
    (first) line taking renewals unless ``line_id`` names one."""
    all_lines = lines or default_lines()
    candidates = all_lines.for_kind(ContactKind.RENEWAL)
    if not line_id and not candidates:
        raise InvalidInput("line: no line takes prescription renewals")
    line = line_for(all_lines, line_id or candidates[0].line_id, ContactKind.RENEWAL)
    med = _text(medicine, "medicine", limit=200)
    shop = _text(pharmacy, "pharmacy", limit=200)
    extra = _text(message, "message", required=False)
    subject = f"Prescription renewal: {med}"[:300]
    body = _summary("Prescription renewal", [("medicine", med), ("pharmacy", shop)], extra)
    return open_contact(uow, resident, ContactKind.RENEWAL, line, subject, body, now=now,
                 form_id=RENEWAL_FORM,
                 form_data={"medicine": med, "pharmacy": shop,
                            **({"message": extra} if extra else {})})


# ---- the resident's own cases -------------------------------------------------------------


def own_case(session: Session, resident: Resident, case_id: int) -> tuple[CareCase,
                                                                          CaseContact | None]:
    """The resident's own case; :class:`NotFound` (same words as a missing case) otherwise."""
    case = session.get(CareCase, case_id)
    if case is None or case.person_pk != resident.person_pk:
        raise NotFound(f"case: no case {case_id}")
    return case, session.get(CaseContact, case_id)


@dataclass(frozen=True, slots=True)
class Message:
    message_id: int
    at: datetime
    author_kind: str  # resident | professional
    author: str
    body: str


def messages(session: Session, case_id: int, after_id: int = 0) -> list[Message]:
    """Messages of a case with id above ``after_id``, oldest first (no authorisation here:
    callers check the resident owns the case or the professional may work it)."""
    return [Message(m.id, m.at, m.author_kind, m.author, m.body)
            for m in session.scalars(select(CaseMessage)
                                     .where(CaseMessage.case_id == case_id,
                                            CaseMessage.id > after_id)
                                     .order_by(CaseMessage.id))]


def resident_reply(uow: UnitOfWork, resident: Resident, case_id: int, text: str, *,
                   now: datetime) -> CaseMessage:
    """The resident writes on her own open message, e-form, renewal or chat case."""
    body = _text(text, "text")
    case, contact = own_case(uow.session, resident, case_id)
    if contact is None or ContactKind(contact.kind) not in RESIDENT_REPLIES:
        raise InvalidInput(f"case {case_id}: replies are not possible on this case")
    if case.state == CaseState.CLOSED:
        raise InvalidInput(f"case {case_id}: the case is closed; start a new one")
    message = CaseMessage(case_id=case.id, at=now, author_kind="resident",
                          author=resident.person_id, body=body)
    uow.session.add(message)
    uow.session.flush()
    uow.audit_change(f"case:{case.id}", "resident message",
                     subject_person_id=resident.person_id)
    return message


# ---- the professional ---------------------------------------------------------------------


def record_call_back(uow: UnitOfWork, staff: Staff, case_id: int, note: str, *,
                     now: datetime) -> None:
    """The professional called the resident back (owner only): a message on the case, so
    ``first_reply_at`` is the time of the call back (the call-back figure's definition)."""
    commands.reply(uow, staff, case_id, "Called back. " + _text(note, "note"), now=now)


CLOSE_OUTCOMES = ("resolved", "route", "refer")


@dataclass(frozen=True, slots=True)
class CloseInput:
    """How the professional closes a front-door contact (the chat panel's form).

    ``outcome``: ``resolved`` (with ``resolution``), ``route`` (to ``service_id``, or the
    rule that fires) or ``refer``. When the case is not yet assessed, ``urgency`` and
    ``need`` are the assessment (service area: the line's; group: the professional's)."""

    outcome: str
    note: str = ""
    resolution: str = ""
    urgency: str = ""
    need: str = ""
    service_id: str = ""


def close_contact(uow: UnitOfWork, staff: Staff, case_id: int, form: CloseInput, *,
                  now: datetime) -> str:
    """Assess if needed, then resolve / route / refer; records the resolution and whether the
    need was resolved at first contact. Returns the outcome."""
    outcome = (form.outcome or "").strip()
    if outcome not in CLOSE_OUTCOMES:
        raise InvalidInput(f"outcome: unknown code {outcome[:30]!r}; allowed: "
                           + ", ".join(CLOSE_OUTCOMES))
    resolution = None
    if outcome == "resolved":
        try:
            resolution = parse_code(Resolution, form.resolution.strip(), "resolution")
        except CodeError as exc:
            raise InvalidInput(str(exc)) from None
    case = uow.session.get(CareCase, case_id)
    if case is None:
        raise NotFound(f"case: no case {case_id}")
    if case.state == CaseState.CLAIMED:
        group = staff.professional_group.value if staff.professional_group else "nurse"
        urgency = form.urgency.strip() or (AssessedUrgency.NON_URGENT.value)
        commands.assess(uow, staff, case_id, commands.AssessmentInput(
            urgency, form.need or form.note, case.service_area, group), now=now)
    if outcome == "resolved":
        commands.resolve(uow, staff, case_id, form.note or (resolution.value
                                                             if resolution else ""), now=now)
    elif outcome == "route":
        commands.route(uow, staff, case_id, form.service_id or None, now=now)
    else:
        commands.refer(uow, staff, case_id, form.note, now=now)
    contact = uow.session.get(CaseContact, case_id)
    if contact is not None:
        contact.resolution = resolution.value if resolution else None
        contact.resolved_first_contact = outcome == "resolved"
        contact.closed_by = staff.username[:100]
        uow.session.flush()
    return outcome


#: The front-door kind of a case opened elsewhere (the demo's synthetic contacts), by channel.
KIND_OF_CHANNEL: dict[str, ContactKind] = {Channel.CHAT.value: ContactKind.CHAT,
                                           Channel.MESSAGE.value: ContactKind.MESSAGE}


def record_line(session: Session, case: CareCase, lines: Lines | None = None) -> str | None:
    """Attach a chat or message case opened outside the front door (e.g. the demo's
    synthetic morning) to the contact line of its unit, so it counts in that line's
    expected-wait history; returns the line id (None: no line of that unit takes it)."""
    kind = KIND_OF_CHANNEL.get(case.channel)
    if kind is None or session.get(CaseContact, case.id) is not None:
        return None
    line = next((ln for ln in (lines or default_lines()).for_kind(kind)
                 if ln.unit_id == case.unit_id), None)
    if line is None:
        return None
    session.add(CaseContact(case_id=case.id, kind=kind.value, line_id=line.line_id,
                            form_data="{}"))
    session.flush()
    return line.line_id
