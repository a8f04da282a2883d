"""Chat: a case in channel chat, first-reply wait, expected wait, who may read, the broker;
and the workdesk figures fed by what the channels record (hand-computed)."""

from __future__ import annotations

import asyncio
import threading
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care import chat, contact, figures
from sotekeskus.care.cases import commands
from sotekeskus.care.contact import CloseInput, Resident
from sotekeskus.care.errors import InvalidInput, NotFound
from sotekeskus.care.unit_of_work import NotAllowed
from sotekeskus.store.models import AuditEvent, CareCase, CaseContact
from tests.channels.conftest import NOW, Channels, at
from tests.fresh_loop import run_fresh


def _open(ch: Channels, who: Resident, minutes: float, line: str = "oral_health") -> int:
    with ch.resident_uow(who) as uow:
        return chat.open_chat(uow, who, line_id=line, text=f"Toothache ({minutes})",
                              now=at(minutes)).id


def _answer(ch: Channels, case_id: int, claim_at: float, reply_at: float) -> None:
    member = ch.hygienist
    with ch.staff_uow(member) as uow:
        commands.claim(uow, member, case_id, now=at(claim_at))
    with ch.staff_uow(member) as uow:
        chat.professional_reply(uow, member, case_id, "Hello, how can I help?",
                                now=at(reply_at))


def test_chat_is_a_queued_case_and_the_first_reply_sets_the_wait(ch: Channels) -> None:
    me = ch.residents[0]
    case_id = _open(ch, me, 0)
    with Session(ch.engine) as s:
        case = s.get(CareCase, case_id)
        assert case is not None
        assert (case.channel, case.state, case.unit_id, case.due_on) == \
            ("chat", "new", "U010", date(2025, 6, 16))
        assert case.subject == "Toothache (0)"
    _answer(ch, case_id, 2, 3)
    with ch.resident_uow(me) as uow:
        chat.resident_post(uow, me, case_id, "It hurts when I drink cold", now=at(4))
    with ch.staff_uow(ch.hygienist) as uow:
        chat.professional_reply(uow, ch.hygienist, case_id, "Come in today", now=at(9))
    with Session(ch.engine) as s:
        case = s.get(CareCase, case_id)
        assert case is not None and case.first_reply_at == at(3)  # the first reply only
        _, msgs = chat.resident_messages(s, me, case_id)
    assert [(m.author_kind, m.body) for m in msgs] == [
        ("resident", "Toothache (0)"), ("professional", "Hello, how can I help?"),
        ("resident", "It hurts when I drink cold"), ("professional", "Come in today")]
    with Session(ch.engine) as s:
        _, later = chat.resident_messages(s, me, case_id, after_id=msgs[1].message_id)
    assert [m.body for m in later] == ["It hurts when I drink cold", "Come in today"]


def test_only_the_owner_replies_and_only_after_claiming(ch: Channels) -> None:
    case_id = _open(ch, ch.residents[0], 0)
    with pytest.raises(InvalidInput, match="cannot reply a case that is new"), \
            ch.staff_uow(ch.hygienist) as uow:
        chat.professional_reply(uow, ch.hygienist, case_id, "Hi", now=at(1))


def test_another_residents_chat_is_not_found(ch: Channels) -> None:
    me, other = ch.residents[0], ch.residents[1]
    case_id = _open(ch, me, 0)
    with Session(ch.engine) as s, pytest.raises(NotFound, match=f"^case: no case {case_id}$"):
        chat.resident_messages(s, other, case_id)
    with pytest.raises(NotFound), ch.resident_uow(other) as uow:
        chat.resident_post(uow, other, case_id, "let me in", now=at(1))
    with ch.resident_uow(me) as uow:  # a message case is not a chat
        msg_id = contact.send_message(uow, me, line_id="oral_health", subject="s", text="t",
                                      now=at(1)).id
    with Session(ch.engine) as s, pytest.raises(NotFound, match=f"chat: no chat {msg_id}"):
        chat.resident_messages(s, me, msg_id)


def test_professional_read_is_audited_and_limited_to_the_policys_units(ch: Channels) -> None:
    me = ch.residents[0]
    case_id = _open(ch, me, 0)
    with ch.staff_uow(ch.hygienist, "treatment") as uow:
        _, msgs = chat.professional_messages(uow, case_id)
    assert [m.body for m in msgs] == ["Toothache (0)"]
    with Session(ch.engine) as s:
        row = s.scalar(select(AuditEvent).where(AuditEvent.action == "read_person_level",
                                                AuditEvent.target == f"case:{case_id}"))
    assert row is not None
    assert (row.actor, row.purpose, row.subject_person_id) == ("hygienist", "treatment",
                                                               me.person_id)
    with pytest.raises(NotAllowed, match="unit U010 is not among"), \
            ch.staff_uow(ch.region.nurse, "treatment") as uow:  # nurse: U001, U002
        chat.professional_messages(uow, case_id)


def test_expected_wait_default_then_from_history(any_ch: Channels) -> None:
    ch = any_ch  # SQLite and PostgreSQL
    r = ch.residents
    first = _open(ch, r[0], 0)
    # no history: the stated default 7 min × position
    with Session(ch.engine) as s:
        assert chat.expected_wait(s, "oral_health", at(0), first) == chat.ExpectedWait(
            7, 1, 7.0, 0, "default")
    second = _open(ch, r[1], 1)
    with Session(ch.engine) as s:
        assert chat.expected_wait(s, "oral_health", at(1), second).minutes == 14
        assert chat.expected_wait(s, "oral_health", at(1)).position == 3  # not yet opened
    # three answered chats: waits 4, 6 and 11 minutes -> median 6
    _answer(ch, first, 2, 4)
    _answer(ch, second, 5, 7)
    third = _open(ch, r[2], 10)
    _answer(ch, third, 12, 21)
    waiting = [_open(ch, r[0], 22), _open(ch, r[1], 23)]
    with Session(ch.engine) as s:
        got = chat.expected_wait(s, "oral_health", at(24), waiting[1])
        assert got == chat.ExpectedWait(12, 2, 6.0, 3, "history")  # 6 × 2
        assert chat.expected_wait(s, "oral_health", at(24), first).minutes == 0  # answered
        # history older than 8 hours no longer counts
        assert chat.expected_wait(s, "oral_health", at(8 * 60 + 5), waiting[0]).basis == \
            "default"
        # another line's chats do not count
        assert chat.expected_wait(s, "health_station", at(24)) == chat.ExpectedWait(
            7, 1, 7.0, 0, "default")


def test_close_records_first_contact_resolution(ch: Channels) -> None:
    case_id = _open(ch, ch.residents[0], 0)
    _answer(ch, case_id, 1, 2)
    with ch.staff_uow(ch.hygienist) as uow:
        contact.close_contact(uow, ch.hygienist, case_id, CloseInput(
            "resolved", note="Advice on sensitive teeth", resolution="advice",
            urgency="non_urgent", need="sensitive teeth"), now=at(8))
    with Session(ch.engine) as s:
        case, row = s.get(CareCase, case_id), s.get(CaseContact, case_id)
        assert case is not None and row is not None
        assert (case.state, case.close_reason, case.contact_mode) == ("closed", "resolved",
                                                                      "chat")
        assert (row.resolution, row.resolved_first_contact) == ("advice", True)
    with pytest.raises(InvalidInput, match="the case is closed"), \
            ch.resident_uow(ch.residents[0]) as uow:
        chat.resident_post(uow, ch.residents[0], case_id, "thanks!", now=at(9))


def test_broker_wakes_subscribers_from_another_thread() -> None:
    broker = chat.ChatBroker()

    async def scenario() -> bool:
        event = broker.subscribe(7)
        other = broker.subscribe(8)
        assert broker.subscribers(7) == 1
        threading.Thread(target=broker.notify, args=(7,)).start()
        await asyncio.wait_for(event.wait(), 2)
        broker.unsubscribe(7, event)
        assert broker.subscribers(7) == 0
        return other.is_set()

    assert run_fresh(scenario()) is False  # case 8's stream was not woken


def test_workdesk_figures_from_channel_records(any_ch: Channels) -> None:
    ch = any_ch  # SQLite and PostgreSQL
    """A hand-computed day. Chats answered after 2, 4, 6, 8 and 30 minutes: mean 10.0;
    p90 at position (5 − 1) × 0.9 = 3.6 of the sorted waits = 8 + 0.6 × (30 − 8) = 21.2.
    Call-backs promised 09:00–10:00: one called back at 09:40 (within), one at 10:15 (late by
    15 min), one not yet (pending): 1 of 2 within = 50.0 %, mean delay 15.0.
    First-contact resolution: of the 5 chats, 4 are assessed at close; 3 resolved, 1 routed
    -> 3 / 4 = 75.0 %."""
    r, hyg, nurse = ch.residents, ch.hygienist, ch.region.nurse
    chats = []
    for i, wait in enumerate((2, 4, 6, 8, 30)):
        case_id = _open(ch, r[i % 3], i)
        _answer(ch, case_id, i + 1, i + wait)
        chats.append(case_id)
    for case_id, outcome in zip(chats[:4], ("resolved", "resolved", "resolved", "route"),
                                strict=True):
        with ch.staff_uow(hyg) as uow:
            contact.close_contact(uow, hyg, case_id, CloseInput(
                outcome, note="done", resolution="advice", need="tooth",
                service_id="oral_dentist" if outcome == "route" else ""), now=at(40))
    calls = []
    for i in range(3):
        with ch.resident_uow(r[i]) as uow:
            calls.append(contact.request_callback(
                uow, r[i], line_id="health_station", window="2025-06-16T09:00",
                phone="040 123 4567", subject="Call me", now=at(i)).id)
    for case_id, minutes in ((calls[0], 100), (calls[1], 135)):
        with ch.staff_uow(nurse) as uow:
            commands.claim(uow, nurse, case_id, now=at(minutes - 1))
        with ch.staff_uow(nurse) as uow:
            contact.record_call_back(uow, nurse, case_id, "Discussed the results",
                                     now=at(minutes))
    with Session(ch.engine) as s:
        f = figures.compute(s, NOW.date(), at(180))
    assert f.chat == {"chats": 5, "answered": 5, "waiting": 0, "mean_min": 10.0,
                      "p90_min": 21.2}
    assert f.callback == {"requests": 3, "called_back": 2, "within_window": 1, "late": 1,
                          "pending": 1, "within_pct": 50.0, "mean_delay_min": 15.0}
    assert f.first_contact_resolution == {"assessed": 4, "resolved": 3, "pct": 75.0}


def test_a_chat_opened_elsewhere_joins_its_units_line(ch: Channels) -> None:
    """The demo's synthetic chats (opened by the operator) count in the line's history."""
    from sotekeskus.care.cases.commands import Contact, open_case
    from sotekeskus.care.unit_of_work import UnitOfWork
    from tests.care.conftest import OPERATOR

    ids = []
    for unit in ("U010", "U002"):
        with UnitOfWork(ch.engine, OPERATOR, "contact") as uow:
            case = open_case(uow, Contact(ch.residents[0].person_pk, "chat", unit, "Demo",
                                          "oral" if unit == "U010" else "medical"), now=NOW)
            ids.append((case.id, contact.record_line(uow.session, case)))
    assert [line for _, line in ids] == ["oral_health", None]  # U002 has no line
    _answer(ch, ids[0][0], 1, 5)
    with Session(ch.engine) as s:
        assert chat.line_of(s, ids[0][0]) == "oral_health"
        assert chat.expected_wait(s, "oral_health", at(6)).answered == 1


def test_stream_polls_the_store_for_another_processs_writes(ch: Channels) -> None:
    """A message stored without a broker wake-up (as by another process) still arrives:
    the stream re-reads the store every ``poll`` seconds."""
    me = ch.residents[0]
    case_id = _open(ch, me, 0)
    with Session(ch.engine) as s:
        first = chat.last_message_id(s, case_id)
    _answer_later = threading.Timer(0.3, _answer, args=(ch, case_id, 1, 2))

    def fetch(after_id: int) -> list:  # type: ignore[type-arg]
        with Session(ch.engine) as s:
            return chat.resident_messages(s, me, case_id, after_id)[1]

    async def no() -> bool:
        return False

    async def scenario() -> list[str]:
        out: list[str] = []
        stream = chat.event_stream(ch.engine, case_id, first, fetch, lambda m: m.body,
                                   is_disconnected=no, broker=chat.ChatBroker(), poll=0.1,
                                   max_seconds=5)
        _answer_later.start()
        async for event in stream:
            out.append(event)
            if "Hello, how can I help?" in event:
                break
        await stream.aclose()
        return out

    events = run_fresh(scenario())
    assert events[0] == "retry: 3000\n\n"
    assert events[-1].startswith("id: ") and events[-1].endswith(
        "event: message\ndata: Hello, how can I help?\n\n")
    _answer_later.join()
