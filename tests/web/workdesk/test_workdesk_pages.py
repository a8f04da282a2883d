"""The workdesk through the web: queue, claim (and a lost claim), assessment with the rule
that fired, booking, the physician's day, schedules, figures, live events, guards, audit."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.store.models import AuditEvent
from tests.web.conftest import csrf_from
from tests.web.helpers import table_rows


def case_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-case="(\d+)"', html)]


def post(client, url: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    page = client.get("/workdesk")
    return client.post(url, data={"csrf_token": csrf_from(page.text), **(data or {})},
                       follow_redirects=False)


def test_the_queue_lists_every_channel_nearest_deadline_first(as_user) -> None:
    nurse = as_user("nurse")
    page = nurse.get("/workdesk")
    assert page.status_code == 200
    assert case_ids(page.text) == [1, 2, 3]  # all due today: by contact time
    assert "Chat" in page.text and "Phone" in page.text and "Secure message" in page.text
    assert nurse.get("/workdesk?channel=phone").text.count('data-case="') == 1
    bad = nurse.get("/workdesk?channel=fax")
    assert bad.status_code == 400 and "allowed: phone, chat" in bad.text
    rows = nurse.get("/workdesk/queue/rows")
    assert rows.status_code == 200 and "<html" not in rows.text and case_ids(rows.text)


def test_claim_and_a_second_nurse_is_told_who_has_it(as_user) -> None:
    nurse, nurse2 = as_user("nurse"), as_user("nurse2")
    r = post(nurse, "/workdesk/cases/1/claim")
    assert r.status_code == 303 and r.headers["location"].startswith("/workdesk/cases/1")
    lost = post(nurse2, "/workdesk/cases/1/claim")
    assert lost.status_code == 409
    assert "Someone else was first" in lost.text
    assert "case 1 is already claimed by nurse" in lost.text


def test_assess_shows_the_rule_and_booking_reaches_the_physicians_day(
        as_user, workdesk_app) -> None:
    nurse, physician = as_user("nurse"), as_user("physician")
    post(nurse, "/workdesk/cases/1/claim")
    r = post(nurse, "/workdesk/cases/1/assess", {
        "urgency": "non_urgent", "need": "Kurkkukipu 3 pv, ei hälytysmerkkejä",
        "service_area": "medical", "professional_group": "physician", "reason_code": "R21"})
    assert r.status_code == 303
    case = nurse.get("/workdesk/cases/1?purpose=booking")
    assert "Rule physician-digital-channel (version 2025.1) routes this case to: Remote " \
           "physician" in case.text
    slot = re.search(r'name="slot" value="(\d+)"', case.text)
    assert slot, "no free slot offered"
    booked = post(nurse, "/workdesk/cases/1/book", {"slot": slot.group(1)})
    assert booked.status_code == 303
    day = physician.get("/workdesk/day?on=2025-06-17")
    assert day.status_code == 200
    statuses = [r["status"] for r in table_rows(day.text.replace('<table class="data" id="day"',
                                                                 '<div id="d"><table'), "d")]
    assert "Booked" in statuses
    assert '/workdesk/cases/1?purpose=appointment' in day.text
    with Session(workdesk_app.state.engine) as session:
        reads = list(session.scalars(select(AuditEvent).where(
            AuditEvent.actor == "nurse", AuditEvent.target == "case:1")
            .where(AuditEvent.action == "read_person_level")))
    assert [r.purpose for r in reads] == ["booking"]
    assert reads[0].subject_person_id and reads[0].subject_person_id.startswith("P")


def test_a_second_booking_of_the_same_slot_is_a_conflict(as_user) -> None:
    nurse, nurse2 = as_user("nurse"), as_user("nurse2")
    for who, case in ((nurse, 1), (nurse2, 2)):
        post(who, f"/workdesk/cases/{case}/claim")
        post(who, f"/workdesk/cases/{case}/assess", {
            "urgency": "non_urgent", "need": "x", "service_area": "medical",
            "professional_group": "physician"})
    slot = re.search(r'name="slot" value="(\d+)"', nurse.get("/workdesk/cases/1").text)
    assert slot
    assert post(nurse, "/workdesk/cases/1/book", {"slot": slot.group(1)}).status_code == 303
    lost = post(nurse2, "/workdesk/cases/2/book", {"slot": slot.group(1)})
    assert lost.status_code == 409 and "is already booked by nurse" in lost.text


def test_guards_follow_the_access_policy(as_user) -> None:
    nurse, manager, scheduler = as_user("nurse"), as_user("manager"), as_user("scheduler")
    assert nurse.get("/situation").status_code == 403
    assert nurse.get("/workdesk/schedules").status_code == 403
    assert nurse.get("/workdesk/figures").status_code == 403
    assert manager.get("/workdesk").status_code == 403
    assert scheduler.get("/workdesk").status_code == 403
    assert scheduler.get("/workdesk/schedules").status_code == 200
    assert nurse.get("/", follow_redirects=False).headers["location"] == "/workdesk"
    assert nurse.get("/workdesk/cases/999").status_code == 404


def test_scheduler_adds_a_template_and_makes_slots(as_user) -> None:
    scheduler = as_user("scheduler")
    page = scheduler.get("/workdesk/schedules")
    user_id = re.search(r'<option value="(\d+)">physician', page.text)
    assert user_id
    token = csrf_from(page.text)
    r = scheduler.post("/workdesk/schedules/templates", data={
        "csrf_token": token, "user_id": user_id.group(1), "unit_id": "U1", "weekday": "3",
        "start_time": "13:00", "end_time": "14:00", "slot_minutes": "30", "mode": "in_person",
        "kind": "non_urgent", "service_id": "physician_in_person",
        "valid_from": "2025-06-16"}, follow_redirects=False)
    assert r.status_code == 303
    bad = scheduler.post("/workdesk/schedules/templates", data={
        "csrf_token": token, "user_id": user_id.group(1), "unit_id": "U1", "weekday": "3",
        "start_time": "14:00", "end_time": "13:00", "slot_minutes": "30", "mode": "in_person"},
        follow_redirects=False)
    assert bad.status_code == 400 and "end: must be after start" in bad.text
    made = scheduler.post("/workdesk/schedules/slots", data={
        "csrf_token": token, "user_id": user_id.group(1), "weeks": "2"},
        follow_redirects=False)
    assert made.status_code == 303
    assert "13:00–14:00" in scheduler.get("/workdesk/schedules").text


def test_manager_sees_the_figures_change(as_user) -> None:
    manager, nurse = as_user("manager"), as_user("nurse")
    before = manager.get("/workdesk/figures?on=2025-06-16")
    assert before.status_code == 200 and "T3" in before.text
    post(nurse, "/workdesk/cases/3/claim")
    post(nurse, "/workdesk/cases/3/assess", {
        "urgency": "non_urgent", "need": "Resepti", "service_area": "medical",
        "professional_group": "nurse"})
    after = manager.get("/workdesk/figures?on=2025-06-16")

    def same_day(html: str) -> str:
        m = re.search(r'data-key="assessed_same_day_pct">([^<]*)<', html)
        assert m
        return m.group(1)

    assert same_day(before.text) != same_day(after.text)


def test_events_announce_a_change(as_user) -> None:
    nurse = as_user("nurse")
    with nurse.stream("GET", "/workdesk/events?since=old") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in stream.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    assert "retry: 3000" in lines and "event: changed" in lines


def test_record_a_contact_validates_the_identity_code(as_user) -> None:
    nurse = as_user("nurse")
    page = nurse.get("/workdesk/cases/new")
    token = csrf_from(page.text)
    bad = nurse.post("/workdesk/cases", data={
        "csrf_token": token, "hetu": "010185-900X", "channel": "phone", "unit_id": "U1",
        "service_area": "medical", "subject": "Kipu"})
    assert bad.status_code == 400 and "check character" in bad.text
    ok = nurse.post("/workdesk/cases", data={
        "csrf_token": token, "hetu": "131052-308T", "name": "Matti", "channel": "walk_in",
        "unit_id": "U1", "service_area": "medical", "subject": "Haava"},
        follow_redirects=False)
    assert ok.status_code == 303
    case = nurse.get(ok.headers["location"])
    assert "131052-308T" in case.text and "Walk-in" in case.text


def test_a_contact_for_a_foreign_unit_is_refused_before_anything_is_written(
        as_user, workdesk_app) -> None:
    from sotekeskus.store.models import Person

    nurse = as_user("nurse")  # units U1, U2
    token = csrf_from(nurse.get("/workdesk/cases/new").text)
    with Session(workdesk_app.state.engine) as session:
        before = len(list(session.scalars(select(Person.id))))
    r = nurse.post("/workdesk/cases", data={
        "csrf_token": token, "hetu": "131052-308T", "channel": "phone", "unit_id": "U3",
        "service_area": "medical", "subject": "Kipu"})
    assert r.status_code == 403
    with Session(workdesk_app.state.engine) as session:
        assert len(list(session.scalars(select(Person.id)))) == before
        denied = session.scalars(select(AuditEvent).where(
            AuditEvent.actor == "nurse", AuditEvent.action == "access_denied")).all()
    assert denied and "U3" in denied[-1].detail
