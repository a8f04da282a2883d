"""The resident's own view over HTTP: cases with status and next deadline, self-booking
only into free slots of the routed service, cancel and rebook within the change window,
and "who has read my data" listing the professional (not the resident's own reads)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.cases.queue import read_case
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.store.models import Appointment, AuditEvent, CareCase, ScheduleSlot
from tests.care.conftest import NOW
from tests.resident.conftest import OTHER_SERVICE, FrontDoor, csrf_of


def _book(fd: FrontDoor, client, case_id: int, slot_id: int):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/asiointi/omat").text)
    return client.post(f"/asiointi/omat/{case_id}/varaa",
                       data={"slot_id": slot_id, "csrf_token": token}, follow_redirects=False)


def test_cases_show_status_and_the_next_deadline(front_door: FrontDoor) -> None:
    case_id = front_door.routed_case(0, subject="Kurkkukipu")
    with Session(front_door.engine) as s:
        case = s.get(CareCase, case_id)
        assert case is not None and case.due_on is not None
        due = case.due_on
    page = front_door.signed_in(0).get("/asiointi/omat")
    assert page.status_code == 200
    assert "Kurkkukipu" in page.text and "Odottaa ajanvarausta" in page.text  # routed, fi
    assert f'datetime="{due.isoformat()}' in page.text or due.strftime("%-d.%-m.%Y") in page.text


def test_book_offers_only_free_slots_of_the_routed_service(front_door: FrontDoor) -> None:
    case_id = front_door.routed_case(0)
    c = front_door.signed_in(0)
    page = c.get(f"/asiointi/omat/{case_id}")
    offered = {int(x) for x in __import__("re").findall(r'name="slot_id" value="(\d+)"',
                                                         page.text)}
    assert offered and offered <= set(front_door.free_slot_ids())
    foreign = front_door.free_slot_ids(OTHER_SERVICE)[0]
    r = _book(front_door, c, case_id, foreign)
    assert r.status_code == 404  # not among the times offered for this case
    slot = min(offered)
    r = _book(front_door, c, case_id, slot)
    assert r.status_code == 303 and r.headers["location"].startswith("/asiointi/ajat?varattu=")
    with Session(front_door.engine) as s:
        appointment = s.scalar(select(Appointment).where(Appointment.case_id == case_id))
        assert appointment is not None and appointment.slot_id == slot
        assert appointment.booked_by.startswith("resident:")
        assert s.get(CareCase, case_id).state == "booked"  # type: ignore[union-attr]
    again = _book(front_door, c, case_id, max(offered))
    assert again.status_code == 400  # booked already: self-booking no longer offered
    listing = c.get("/asiointi/ajat")
    assert "Peru aika" in listing.text


def test_a_non_self_bookable_service_offers_no_booking(front_door: FrontDoor) -> None:
    case_id = front_door.routed_case(0, service=OTHER_SERVICE)
    c = front_door.signed_in(0)
    page = c.get(f"/asiointi/omat/{case_id}")
    assert 'name="slot_id"' not in page.text
    r = _book(front_door, c, case_id, front_door.free_slot_ids(OTHER_SERVICE)[0])
    assert r.status_code == 400


def test_cancel_and_rebook(front_door: FrontDoor) -> None:
    case_id = front_door.routed_case(0)
    slots = front_door.free_slot_ids()
    c = front_door.signed_in(0)
    assert _book(front_door, c, case_id, slots[0]).status_code == 303
    with Session(front_door.engine) as s:
        appointment_id = s.scalar(select(Appointment.id).where(Appointment.case_id == case_id))
    page = c.get(f"/asiointi/ajat/{appointment_id}/siirra")
    assert page.status_code == 200 and f'value="{slots[0]}"' not in page.text
    r = c.post(f"/asiointi/ajat/{appointment_id}/siirra",
               data={"slot_id": slots[3], "csrf_token": csrf_of(page.text)},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    with Session(front_door.engine) as s:
        live = s.scalars(select(Appointment).where(Appointment.case_id == case_id,
                                                   Appointment.status == "booked")).all()
        assert [a.slot_id for a in live] == [slots[3]]
        assert s.get(ScheduleSlot, slots[0]).status == "free"  # type: ignore[union-attr]
        new_id = live[0].id
    token = csrf_of(c.get("/asiointi/ajat").text)
    r = c.post(f"/asiointi/ajat/{new_id}/peru", data={"csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303
    with Session(front_door.engine) as s:
        assert s.get(ScheduleSlot, slots[3]).status == "free"  # type: ignore[union-attr]
        assert s.get(CareCase, case_id).state == "routed"  # type: ignore[union-attr]


def test_rebook_into_a_taken_slot_keeps_the_old_appointment(front_door: FrontDoor) -> None:
    mine, theirs = front_door.routed_case(0), front_door.routed_case(1)
    slots = front_door.free_slot_ids()
    me, other = front_door.signed_in(0), front_door.signed_in(1)
    assert _book(front_door, me, mine, slots[0]).status_code == 303
    assert _book(front_door, other, theirs, slots[1]).status_code == 303
    with Session(front_door.engine) as s:
        appointment_id = s.scalar(select(Appointment.id).where(Appointment.case_id == mine))
    token = csrf_of(me.get("/asiointi/ajat").text)
    r = me.post(f"/asiointi/ajat/{appointment_id}/siirra",
                data={"slot_id": slots[1], "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 409
    with Session(front_door.engine) as s:
        a = s.get(Appointment, appointment_id)
        assert a is not None and a.status == "booked" and a.slot_id == slots[0]


def test_changes_close_the_configured_hours_before(front_door: FrontDoor) -> None:
    case_id = front_door.routed_case(0)
    slot = front_door.free_slot_ids()[0]  # Tuesday 2025-06-17 09:00; NOW is Monday 08:00
    c = front_door.signed_in(0)
    assert _book(front_door, c, case_id, slot).status_code == 303
    with Session(front_door.engine) as s:
        appointment_id = s.scalar(select(Appointment.id).where(Appointment.case_id == case_id))
        start = s.get(ScheduleSlot, slot).start_at  # type: ignore[union-attr]
    token = csrf_of(c.get("/asiointi/ajat").text)
    front_door.app.state.security.clock = lambda: start - timedelta(hours=23, minutes=59)
    c2 = front_door.signed_in(0)  # a session that is fresh at the new clock
    page = c2.get("/asiointi/ajat")
    assert "Peru aika" not in page.text
    token = csrf_of(page.text)
    r = c2.post(f"/asiointi/ajat/{appointment_id}/peru", data={"csrf_token": token},
                follow_redirects=False)
    assert r.status_code == 400
    with Session(front_door.engine) as s:
        assert s.get(Appointment, appointment_id).status == "booked"  # type: ignore[union-attr]


def test_who_read_lists_the_professional_not_the_resident(front_door: FrontDoor) -> None:
    case_id = front_door.routed_case(0)
    c = front_door.signed_in(0)
    c.get("/asiointi/omat")
    c.get(f"/asiointi/omat/{case_id}")
    r = front_door.region
    with UnitOfWork(r.engine, r.physician.actor, "treatment") as uow:
        read_case(uow, r.physician, case_id, now=NOW)
    page = c.get("/asiointi/lukijat")
    assert page.status_code == 200
    assert "Physician" in page.text  # the display name of the reader
    assert f"Asia {case_id}" in page.text or f"Asiakirja {case_id}" in page.text \
        or f"Asia {case_id}" in page.text.replace("\xa0", " ")
    assert "Hoito" in page.text or "treatment" in page.text
    assert "resident:" not in page.text
    with Session(front_door.engine) as s:  # the resident's own reads were audited
        own = s.scalars(select(AuditEvent).where(AuditEvent.actor.like("resident:%"),
                                                 AuditEvent.action == "read_person_level"))
        assert len(list(own)) >= 3
