"""Messages, e-forms, call-back requests and prescription renewals opened by a resident land
in the workdesk queue with their deadline; bad input names the field and the value."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care import contact
from sotekeskus.care.cases import commands
from sotekeskus.care.cases.queue import QueueFilter, queue
from sotekeskus.care.contact import CloseInput, Resident
from sotekeskus.care.errors import InvalidInput, NotFound
from sotekeskus.care.unit_of_work import NotAllowed
from sotekeskus.store.models import AuditEvent, CareCase, CaseContact, CaseMessage
from tests.channels.conftest import NOW, Channels, at


def _case(ch: Channels, case_id: int) -> tuple[CareCase, CaseContact]:
    with Session(ch.engine) as s:
        case, row = s.get(CareCase, case_id), s.get(CaseContact, case_id)
        assert case is not None and row is not None
        return case, row


def _queue_ids(ch: Channels, member, now: datetime = NOW) -> list[int]:  # type: ignore[no-untyped-def]
    with ch.staff_uow(member) as uow:
        return [r.case_id for r in queue(uow, member, QueueFilter(), now=now)]


def test_message_lands_in_the_queue_with_the_same_day_deadline(any_ch: Channels) -> None:
    ch = any_ch  # SQLite and PostgreSQL
    me = ch.residents[0]
    with ch.resident_uow(me) as uow:
        case_id = contact.send_message(uow, me, line_id="health_station", subject="Rash",
                                       text="A rash on my arm since Friday.", now=NOW).id
    case, row = _case(ch, case_id)
    assert (case.channel, case.state, case.unit_id, case.service_area) == \
        ("message", "new", "U001", "medical")
    # contact on Monday 2025-06-16 -> assessment the same weekday (rule book, since 2023-09-01)
    assert case.due_on == date(2025, 6, 16) and case.due_leg == "contact_to_assessment"
    assert (row.kind, row.line_id) == ("message", "health_station")
    assert case_id in _queue_ids(ch, ch.region.nurse)
    assert case_id not in _queue_ids(ch, ch.hygienist)  # U010 only
    with Session(ch.engine) as s:
        body = s.scalar(select(CaseMessage.body).where(CaseMessage.case_id == case_id))
        audit = s.scalar(select(AuditEvent).where(AuditEvent.target == f"case:{case_id}"))
    assert body == "A rash on my arm since Friday."
    assert audit is not None and audit.actor == f"resident:{me.person_id}"
    assert audit.subject_person_id == me.person_id


def test_oral_line_opens_in_the_dental_clinic(ch: Channels) -> None:
    me = ch.residents[1]
    with ch.resident_uow(me) as uow:
        case_id = contact.send_message(uow, me, line_id="oral_health", subject="Tooth",
                                       text="A filling fell out.", now=at(60)).id
    case, _ = _case(ch, case_id)
    assert (case.unit_id, case.service_area, case.due_on) == ("U010", "oral",
                                                              date(2025, 6, 16))
    assert case_id in _queue_ids(ch, ch.hygienist)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"line_id": "nowhere"}, "line: unknown line 'nowhere' for message; allowed: "
                             "health_station, oral_health, mental_health, social_counselling"),
    ({"subject": "  "}, "subject: required"),
    ({"text": "x" * 4001}, "text: at most 4000 characters (got 4001)"),
    ({"text": "bad\x07bell"}, "text: no control characters"),
])
def test_bad_message_input_names_the_field(ch: Channels, kwargs: dict[str, str],
                                           message: str) -> None:
    me = ch.residents[0]
    args = {"line_id": "health_station", "subject": "Hi", "text": "Hello", **kwargs}
    with pytest.raises(InvalidInput) as err, ch.resident_uow(me) as uow:
        contact.send_message(uow, me, now=NOW, **args)
    assert str(err.value) == message
    with Session(ch.engine) as s:
        assert s.scalar(select(CareCase.id)) is None  # nothing written


def test_e_form_answers_are_checked_and_kept(ch: Channels) -> None:
    me = ch.residents[0]
    answers = {"purpose": "driving_licence", "needed_by": "2025-07-01", "details": "C1"}
    with ch.resident_uow(me) as uow:
        case_id = contact.submit_e_form(uow, me, form_id="certificate_request",
                                        answers=answers, now=NOW).id
    case, row = _case(ch, case_id)
    assert (case.channel, row.kind, row.form_id) == ("e_form", "e_form", "certificate_request")
    assert json.loads(row.form_data) == answers
    assert case.subject == "Request for a certificate"
    with Session(ch.engine) as s:
        body = s.scalar(select(CaseMessage.body).where(CaseMessage.case_id == case_id))
    assert body is not None and "What is the certificate for: Driving licence" in body


@pytest.mark.parametrize(("answers", "message"), [
    ({"purpose": "fishing", "details": "x"},
     "purpose: unknown option 'fishing'; allowed: work, school, driving_licence, other"),
    ({"purpose": "work"}, "details: required"),
    ({"purpose": "work", "details": "x", "needed_by": "1.7.2025"},
     "needed_by: '1.7.2025' is not a date YYYY-MM-DD"),
    ({"purpose": "work", "details": "x", "shoe_size": "42"},
     "shoe_size: not a field of this form; fields: details, needed_by, purpose"),
])
def test_bad_e_form_answers(ch: Channels, answers: dict[str, str], message: str) -> None:
    me = ch.residents[0]
    with pytest.raises(InvalidInput) as err, ch.resident_uow(me) as uow:
        contact.submit_e_form(uow, me, form_id="certificate_request", answers=answers,
                              now=NOW)
    assert str(err.value) == message


def test_unknown_e_form(ch: Channels) -> None:
    me = ch.residents[0]
    with pytest.raises(InvalidInput, match="form: unknown e-form 'x'; allowed: "
                                           "certificate_request, travel_vaccination"), \
            ch.resident_uow(me) as uow:
        contact.submit_e_form(uow, me, form_id="x", answers={}, now=NOW)


def test_call_back_windows_offered_taken_and_refused(any_ch: Channels) -> None:
    ch = any_ch  # SQLite and PostgreSQL
    with Session(ch.engine) as s:
        line = contact.default_lines().line("health_station")
        windows = contact.callback_windows(s, line, NOW)
    # 08:00 + 30 min lead: the first window is 09:00-10:00; Monday 09-15 and Tuesday 08-15
    assert [w.key for w in windows][:2] == ["2025-06-16T09:00", "2025-06-16T10:00"]
    assert len(windows) == 7 + 8 and windows[-1].key == "2025-06-17T15:00"
    ids = []
    for i in range(4):  # capacity 4 per window
        who = ch.residents[i % 3]
        with ch.resident_uow(who) as uow:
            ids.append(contact.request_callback(
                uow, who, line_id="health_station", window="2025-06-16T09:00",
                phone="+358 40 123 4567", subject="Results", now=NOW).id)
    case, row = _case(ch, ids[0])
    assert (case.channel, case.callback_from, case.callback_to) == \
        ("phone", datetime(2025, 6, 16, 9), datetime(2025, 6, 16, 10))
    assert (row.kind, json.loads(row.form_data)) == ("callback", {"phone": "+358 40 123 4567"})
    assert case.due_on == date(2025, 6, 16)
    me = ch.residents[0]
    with pytest.raises(InvalidInput) as err, ch.resident_uow(me) as uow:
        contact.request_callback(uow, me, line_id="health_station", window="2025-06-16T09:00",
                                 phone="040 1234567", subject="Again", now=NOW)
    assert str(err.value).startswith("callback_window: '2025-06-16T09:00' is not an offered "
                                     "window; offered: 2025-06-16T10:00, 2025-06-16T11:00")
    with pytest.raises(InvalidInput, match=r"phone: '12ab' is not a phone number"), \
            ch.resident_uow(me) as uow:
        contact.request_callback(uow, me, line_id="health_station", window="2025-06-16T10:00",
                                 phone="12ab", subject="x", now=NOW)
    with pytest.raises(InvalidInput, match="line: unknown line 'oral' for callback"), \
            ch.resident_uow(me) as uow:
        contact.request_callback(uow, me, line_id="oral", window="2025-06-16T10:00",
                                 phone="040 1234567", subject="x", now=NOW)


def test_windows_skip_holidays_and_weekends() -> None:
    line = contact.default_lines().line("health_station")
    # Friday 2025-06-20 is Midsummer Eve, Saturday/Sunday follow: Thursday 19th at 16:00 ->
    # the next windows are on Monday 23rd and Tuesday 24th
    windows = contact.offered_windows(line, datetime(2025, 6, 19, 16, 0), {})
    assert sorted({w.start.date() for w in windows}) == [date(2025, 6, 23), date(2025, 6, 24)]


def test_prescription_renewal_is_resolved_as_prescription_renewed(any_ch: Channels) -> None:
    ch = any_ch  # SQLite and PostgreSQL
    me, nurse = ch.residents[2], ch.region.nurse
    with ch.resident_uow(me) as uow:
        case_id = contact.request_renewal(uow, me, medicine="Levothyroxine 50 µg",
                                          pharmacy="Keskusapteekki", message="Thanks",
                                          now=NOW).id
    case, row = _case(ch, case_id)
    assert (case.channel, row.kind, row.form_id) == ("e_form", "renewal",
                                                     "prescription_renewal")
    assert json.loads(row.form_data) == {"medicine": "Levothyroxine 50 µg",
                                         "pharmacy": "Keskusapteekki", "message": "Thanks"}
    assert case.subject == "Prescription renewal: Levothyroxine 50 µg"
    with ch.staff_uow(nurse) as uow:
        commands.claim(uow, nurse, case_id, now=at(10))
    with pytest.raises(InvalidInput, match="resolution: unknown code 'renewed'; allowed: "
                                           "advice, self_care, prescription_renewed"), \
            ch.staff_uow(nurse) as uow:
        contact.close_contact(uow, nurse, case_id, CloseInput("resolved", resolution="renewed"),
                              now=at(12))
    with ch.staff_uow(nurse) as uow:
        contact.close_contact(uow, nurse, case_id, CloseInput(
            "resolved", note="Renewed for a year", resolution="prescription_renewed",
            urgency="non_urgent", need="renewal"), now=at(12))
    case, row = _case(ch, case_id)
    assert (case.state, case.close_reason, case.assessed_at, case.closed_at) == \
        ("closed", "resolved", at(12), at(12))
    assert (row.resolution, row.resolved_first_contact, row.closed_by) == \
        ("prescription_renewed", True, "nurse")


@pytest.mark.parametrize("renewal", [{"medicine": ""}, {"pharmacy": " "}])
def test_renewal_needs_medicine_and_pharmacy(ch: Channels, renewal: dict[str, str]) -> None:
    me = ch.residents[0]
    args = {"medicine": "Ibuprofen", "pharmacy": "Apteekki", **renewal}
    field = next(iter(renewal))
    with pytest.raises(InvalidInput, match=f"^{field}: required$"), \
            ch.resident_uow(me) as uow:
        contact.request_renewal(uow, me, now=NOW, **args)


def test_resident_replies_only_on_own_open_case(ch: Channels) -> None:
    me, other = ch.residents[0], ch.residents[1]
    with ch.resident_uow(me) as uow:
        case_id = contact.send_message(uow, me, line_id="health_station", subject="Q",
                                       text="Question", now=NOW).id
    with ch.resident_uow(me) as uow:
        contact.resident_reply(uow, me, case_id, "One more thing", now=at(5))
    with pytest.raises(NotFound) as foreign, ch.resident_uow(other) as uow:
        contact.resident_reply(uow, other, case_id, "Not mine", now=at(6))
    with pytest.raises(NotFound) as missing, ch.resident_uow(other) as uow:
        contact.resident_reply(uow, other, 999_999, "Nothing", now=at(6))
    # the refusal says no more about a foreign case than about a missing one
    assert str(foreign.value) == f"case: no case {case_id}"
    assert str(missing.value) == "case: no case 999999"
    with Session(ch.engine) as s:
        bodies = list(s.scalars(select(CaseMessage.body).where(CaseMessage.case_id == case_id)
                                .order_by(CaseMessage.id)))
    assert bodies == ["Question", "One more thing"]


def test_a_resident_cannot_open_a_case_for_someone_else(ch: Channels) -> None:
    me, other = ch.residents[0], ch.residents[1]
    impostor = Resident(other.person_pk, me.person_id)  # my session, someone else's row
    with pytest.raises(NotAllowed, match="own data"), ch.resident_uow(impostor) as uow:
        contact.send_message(uow, impostor, line_id="health_station", subject="x", text="y",
                             now=NOW)
    with Session(ch.engine) as s:
        assert s.scalar(select(CareCase.id)) is None


def test_professional_route_records_not_resolved_at_first_contact(ch: Channels) -> None:
    me, nurse = ch.residents[0], ch.region.nurse
    with ch.resident_uow(me) as uow:
        case_id = contact.send_message(uow, me, line_id="health_station", subject="Cough",
                                       text="Cough for 3 weeks", now=NOW).id
    with ch.staff_uow(nurse) as uow:
        commands.claim(uow, nurse, case_id, now=at(5))
    with pytest.raises(InvalidInput, match="outcome: unknown code 'x'; allowed: resolved, "
                                           "route, refer"), ch.staff_uow(nurse) as uow:
        contact.close_contact(uow, nurse, case_id, CloseInput("x"), now=at(6))
    with ch.staff_uow(nurse) as uow:
        contact.close_contact(uow, nurse, case_id, CloseInput(
            "route", need="Long cough, needs a physician", service_id="remote_physician"),
            now=at(6))
    case, row = _case(ch, case_id)
    assert (case.state, case.service_id, row.resolved_first_contact, row.resolution) == \
        ("routed", "remote_physician", False, None)
