"""A case through the workdesk on the store: every step a transition row, an audit row and
the episode projection; conflicts and refusals name why."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from sotekeskus.care.booking.appointments import book, record_no_show, record_visit, unbook
from sotekeskus.care.cases.commands import (
    AssessmentInput,
    Contact,
    assess,
    cancel,
    claim,
    hand_over,
    open_case,
    release,
    reply,
    resolve,
    route,
)
from sotekeskus.care.cases.queue import QueueFilter, bookable_slots, my_day, queue, read_case
from sotekeskus.care.errors import Conflict, InvalidInput
from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork
from sotekeskus.store.models import (
    AuditEvent,
    CareCase,
    CaseTransition,
    Episode,
    Meta,
    NotificationOutbox,
)
from tests.care.conftest import NOW, OPERATOR, Region, add_slots


def open_one(region: Region, *, channel: str = "phone", person: int = 0,
             at: datetime = NOW) -> int:
    with UnitOfWork(region.engine, OPERATOR, "contact") as uow:
        case = open_case(uow, Contact(region.persons[person], channel, "U001",
                                      "Yskä ja kuume 3 päivää", message="Kuumetta 38,5"),
                         now=at)
        return case.id


def work(region: Region, who, purpose: str = "care of the resident"):  # type: ignore[no-untyped-def]
    return UnitOfWork(region.engine, who.actor, purpose)


def episode(region: Region, case_id: int) -> Episode:
    with UnitOfWork(region.engine, OPERATOR, "check") as uow:
        row = uow.session.get(Episode, f"W-{case_id}")
        assert row is not None
        return row


def test_open_claim_assess_route_book_visit(region: Region) -> None:
    case_id = open_one(region, channel="chat")
    ep = episode(region, case_id)
    assert (ep.status, ep.assessed_at, ep.urgency, ep.professional_group) == (
        "waiting", None, "non_urgent", "nurse")
    with work(region, region.nurse) as uow:
        assert claim(uow, region.nurse, case_id, now=NOW).to_state == "claimed"
    with work(region, region.nurse) as uow:
        reply(uow, region.nurse, case_id, "Hei, katson asiasi nyt.", now=NOW + timedelta(
            minutes=4))
        suggestion = assess(uow, region.nurse, case_id, AssessmentInput(
            "non_urgent", "Flunssa, ei hälytysmerkkejä", "medical", "physician", "r05"),
            now=NOW + timedelta(minutes=10))
    assert suggestion is not None
    assert (suggestion.rule.rule_id, suggestion.service.service_id) == (
        "physician-digital-channel", "remote_physician")
    with work(region, region.nurse) as uow:
        route(uow, region.nurse, case_id, now=NOW + timedelta(minutes=11))
    add_slots(region, region.physician, "remote_physician")  # Tuesday 2025-06-17 09-10
    with work(region, region.physician) as uow:
        rows = queue(uow, region.physician, QueueFilter(), now=NOW + timedelta(minutes=12))
        assert [r.case_id for r in rows] == [case_id]
        assert rows[0].state == "routed" and rows[0].service_id == "remote_physician"
        claim(uow, region.physician, case_id, now=NOW + timedelta(minutes=12))
        slots = bookable_slots(uow, region.physician, case_id, now=NOW + timedelta(minutes=12))
        assert [s.start for s in slots] == [datetime(2025, 6, 17, 9), datetime(2025, 6, 17, 9, 20),
                                            datetime(2025, 6, 17, 9, 40)]
        booked = book(uow, region.physician, case_id, slots[0].slot_id,
                      now=NOW + timedelta(minutes=13))
    assert booked.professional == "physician"
    with work(region, region.physician) as uow:
        day = my_day(uow, region.physician, date(2025, 6, 17))
        assert [(r.case_id, r.appointment_status) for r in day][:2] == [(case_id, "booked"),
                                                                       (None, None)]
        record_visit(uow, region.physician, case_id, now=datetime(2025, 6, 17, 9, 25))
    with work(region, region.physician) as uow:
        detail = read_case(uow, region.physician, case_id, now=datetime(2025, 6, 17, 10))
    c = detail.case
    assert (c.state, c.close_reason, c.routing_rule) == ("closed", "visited",
                                                          "physician-digital-channel@2025.1")
    assert c.first_reply_at == NOW + timedelta(minutes=4)
    assert [h.transition for h in detail.history] == [
        "open", "claim", "reply", "assess", "route", "claim", "book", "visit"]
    assert [(h.from_state, h.to_state) for h in detail.history][-2:] == [
        ("routed", "booked"), ("booked", "closed")]
    assert [m.author_kind for m in detail.messages] == ["resident", "professional"]
    assert detail.assessments[0].reason_code == "R05"
    assert [d.breached for d in detail.deadlines] == [False, False]
    ep = episode(region, case_id)
    assert (ep.status, ep.visit_at, ep.contact_mode, ep.professional_group, ep.urgency,
            ep.professional_id) == ("done", datetime(2025, 6, 17, 9), "phone", "physician",
                                    "non_urgent", "physician")
    assert ep.assessed_at == NOW + timedelta(minutes=10)
    with work(region, region.physician) as uow:
        outbox = list(uow.session.scalars(select(NotificationOutbox.kind)))
    assert outbox == ["booking_confirmation", "appointment_reminder"]


def test_every_read_is_audited_with_purpose_and_resident(region: Region) -> None:
    case_id = open_one(region)
    with work(region, region.nurse, "care-need assessment") as uow:
        claim(uow, region.nurse, case_id, now=NOW)
        detail = read_case(uow, region.nurse, case_id, now=NOW)
    with UnitOfWork(region.engine, OPERATOR, "check") as uow:
        reads = list(uow.session.scalars(
            select(AuditEvent).where(AuditEvent.actor == "nurse",
                                     AuditEvent.action == "read_person_level")))
    assert [(r.target, r.purpose, r.subject_person_id) for r in reads] == [
        (f"case:{case_id}", "care-need assessment", detail.person_id)]


def test_the_history_is_append_only(region: Region) -> None:
    case_id = open_one(region)
    for sql in ("UPDATE case_transitions SET actor = 'x'", "DELETE FROM case_transitions"):
        with pytest.raises(DBAPIError, match="append-only"):
            with region.engine.begin() as conn:
                conn.execute(text(sql))
    with UnitOfWork(region.engine, OPERATOR, "check") as uow:
        assert uow.session.scalar(select(CaseTransition.case_id)) == case_id


def test_a_second_claim_is_told_who_has_it(region: Region) -> None:
    case_id = open_one(region)
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, case_id, now=NOW)
    with pytest.raises(Conflict, match=f"case {case_id} is already claimed by nurse") as info:
        with work(region, region.nurse2) as uow:
            claim(uow, region.nurse2, case_id, now=NOW)
    assert info.value.holder == "nurse"
    with pytest.raises(InvalidInput, match="only the owner can assess this case; it is claimed "
                                           "by nurse"):
        with work(region, region.nurse2) as uow:
            assess(uow, region.nurse2, case_id, AssessmentInput(
                "urgent", "x", "medical", "nurse"), now=NOW)


def test_release_and_hand_over(region: Region) -> None:
    case_id = open_one(region)
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, case_id, now=NOW)
        release(uow, region.nurse, case_id, now=NOW, reason="tauko")
    with work(region, region.nurse2) as uow:
        claim(uow, region.nurse2, case_id, now=NOW)
        with pytest.raises(InvalidInput, match="scheduler is not a professional of unit U001"):
            hand_over(uow, region.nurse2, case_id, "scheduler", now=NOW)
        hand_over(uow, region.nurse2, case_id, "nurse", now=NOW)
    with work(region, region.nurse) as uow:
        detail = read_case(uow, region.nurse, case_id, now=NOW)
    assert detail.owner == "nurse" and detail.case.state == "claimed"
    assert [(h.transition, h.to_state, h.owner_after) for h in detail.history] == [
        ("open", "new", None), ("claim", "claimed", "nurse"), ("release", "new", None),
        ("claim", "claimed", "nurse2"), ("hand_over", "claimed", "nurse")]


def test_bad_input_and_wrong_roles_are_refused(region: Region) -> None:
    case_id = open_one(region)
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, case_id, now=NOW)
    with pytest.raises(InvalidInput, match="urgency: unknown code 'soon'; allowed: urgent, "
                                           "non_urgent, no_care_needed"):
        with work(region, region.nurse) as uow:
            assess(uow, region.nurse, case_id, AssessmentInput("soon", "x", "medical", "nurse"),
                   now=NOW)
    with pytest.raises(InvalidInput, match="professional_group: unknown code 'doctor'"):
        with work(region, region.nurse) as uow:
            assess(uow, region.nurse, case_id, AssessmentInput("urgent", "x", "medical",
                                                               "doctor"), now=NOW)
    with pytest.raises(NotAllowed, match="only professionals work cases"):
        with work(region, region.scheduler) as uow:
            read_case(uow, region.scheduler, case_id, now=NOW)
    with pytest.raises(InvalidInput, match="cannot route a case that is claimed"):
        with work(region, region.nurse) as uow:
            route(uow, region.nurse, case_id, now=NOW)


def test_resolve_at_first_contact_is_a_done_episode_with_the_channel_mode(
        region: Region) -> None:
    case_id = open_one(region, channel="message")
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, case_id, now=NOW)
        assess(uow, region.nurse, case_id, AssessmentInput(
            "non_urgent", "Reseptin uusinta", "medical", "nurse"), now=NOW)
        resolve(uow, region.nurse, case_id, "Resepti uusittu", now=NOW + timedelta(minutes=5))
    ep = episode(region, case_id)
    assert (ep.status, ep.contact_mode, ep.visit_at) == ("done", "e_service",
                                                         NOW + timedelta(minutes=5))
    other = open_one(region, channel="phone", person=1)
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, other, now=NOW)
        assess(uow, region.nurse, other, AssessmentInput(
            "no_care_needed", "Neuvottu", "medical", "nurse"), now=NOW)
        resolve(uow, region.nurse, other, "Ohjeet annettu", now=NOW)
    assert (episode(region, other).status, episode(region, other).visit_at) == ("cancelled",
                                                                               None)


def test_unbook_frees_the_slot_and_no_show_closes(region: Region) -> None:
    add_slots(region, region.physician, "physician_in_person", mode="in_person")
    case_id = open_one(region)
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, case_id, now=NOW)
        assess(uow, region.nurse, case_id, AssessmentInput(
            "non_urgent", "Polvikipu", "medical", "physician"), now=NOW)
    with work(region, region.nurse) as uow:  # the nurse's units include U001
        slot = bookable_slots(uow, region.nurse, case_id, now=NOW)[0]
        book(uow, region.nurse, case_id, slot.slot_id, now=NOW)
    with work(region, region.nurse) as uow:
        unbook(uow, region.nurse, case_id, "asukas perui", now=NOW)
    with work(region, region.nurse) as uow:
        assert slot.slot_id in [s.slot_id for s in bookable_slots(uow, region.nurse, case_id,
                                                                   now=NOW)]
        claim(uow, region.nurse, case_id, now=NOW)
        book(uow, region.nurse, case_id, slot.slot_id, now=NOW)
    with pytest.raises(InvalidInput, match="has not started yet"):
        with work(region, region.physician) as uow:
            record_no_show(uow, region.physician, case_id, now=NOW)
    with work(region, region.physician) as uow:
        record_no_show(uow, region.physician, case_id, now=slot.start + timedelta(minutes=15))
    ep = episode(region, case_id)
    assert (ep.status, ep.visit_at) == ("cancelled", None)


def test_cancel_closes_and_frees_a_booked_slot(region: Region) -> None:
    add_slots(region, region.physician, "physician_in_person", mode="in_person")
    case_id = open_one(region)
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, case_id, now=NOW)
        assess(uow, region.nurse, case_id, AssessmentInput(
            "non_urgent", "Polvikipu", "medical", "physician"), now=NOW)
        slot = bookable_slots(uow, region.nurse, case_id, now=NOW)[0]
        book(uow, region.nurse, case_id, slot.slot_id, now=NOW)
    with work(region, region.nurse2) as uow:
        cancel(uow, region.nurse2, case_id, "asukas ilmoitti, ettei tarvetta", now=NOW)
    with UnitOfWork(region.engine, OPERATOR, "check") as uow:
        from sotekeskus.store.models import ScheduleSlot

        assert uow.session.get(ScheduleSlot, slot.slot_id).status == "free"  # type: ignore[union-attr]
        assert uow.session.get(CareCase, case_id).close_reason == "cancelled"  # type: ignore[union-attr]


def test_every_change_bumps_the_data_version(region: Region) -> None:
    def version() -> str | None:
        with UnitOfWork(region.engine, OPERATOR, "check") as uow:
            return uow.session.scalar(select(Meta.value).where(Meta.key == "data_version"))

    before = version()
    case_id = open_one(region)
    after_open = version()
    assert after_open and after_open != before
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, case_id, now=NOW)
    assert version() != after_open


def test_queue_order_urgent_first_then_nearest_deadline(region: Region) -> None:
    late = open_one(region, at=datetime(2025, 6, 13, 15))  # Friday: due 06-13, overdue
    today = open_one(region, person=1)
    urgent = open_one(region, person=2)
    with work(region, region.nurse) as uow:
        claim(uow, region.nurse, urgent, now=NOW)
        assess(uow, region.nurse, urgent, AssessmentInput(
            "urgent", "Rintakipu", "medical", "physician"), now=NOW)
    with work(region, region.nurse2) as uow:
        rows = queue(uow, region.nurse2, QueueFilter(), now=NOW + timedelta(hours=1))
        assert [r.case_id for r in rows] == [urgent, late, today]
        assert [r.overdue for r in rows] == [False, True, False]
        assert rows[2].seconds_left == 15 * 3600  # to the end of Monday, from 09:00
        assert [r.case_id for r in queue(uow, region.nurse2, QueueFilter.parse(due="overdue"),
                                         now=NOW)] == [late]
        assert queue(uow, region.nurse2, QueueFilter.parse(channel="chat"), now=NOW) == []
        with pytest.raises(InvalidInput, match="channel: unknown code 'fax'; allowed: phone, "
                                               "chat"):
            QueueFilter.parse(channel="fax")


def test_a_claim_from_a_stale_queue_is_a_conflict_naming_who_changed_it(region: Region) -> None:
    add_slots(region, region.physician, "physician_in_person", mode="in_person")
    case_id = open_one(region)
    with work(region, region.nurse2) as uow:
        seen = queue(uow, region.nurse2, QueueFilter(), now=NOW)[0].version
    with work(region, region.nurse) as uow:  # meanwhile: claimed, assessed, booked
        claim(uow, region.nurse, case_id, now=NOW)
        assess(uow, region.nurse, case_id, AssessmentInput(
            "non_urgent", "Polvikipu", "medical", "physician"), now=NOW)
        slot = bookable_slots(uow, region.nurse, case_id, now=NOW)[0]
        book(uow, region.nurse, case_id, slot.slot_id, now=NOW)
    with pytest.raises(Conflict, match=f"case {case_id} was changed by nurse meanwhile "
                                       r"\(now booked\)"):
        with work(region, region.nurse2) as uow:
            claim(uow, region.nurse2, case_id, now=NOW, seen_version=seen)
