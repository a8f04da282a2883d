"""End to end over HTTP across the three front-door parts: a resident answers the example
respiratory questionnaire without red flags (questionnaires), the case is routed to the
digital nurse, she books one of the times offered (own view, the workdesk's atomic booking),
a nurse opens the case on the workdesk, and "who has read my data" lists that nurse."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from sotekeskus.store.models import Appointment, CareCase
from sotekeskus.store.users import create_user
from tests.resident.conftest import FrontDoor, csrf_of

NO_FLAGS = {"rf_breathless_rest": "false", "rf_chest_pain": "false", "rf_confusion": "false",
            "rf_blue_lips": "false"}


def _action(html: str) -> str:
    m = re.search(r'action="([^"]+)" class="q-form"', html)
    assert m, "no questionnaire form"
    return m.group(1)


def test_questionnaire_to_booking_to_who_read(front_door: FrontDoor) -> None:
    from sotekeskus.care.staff import set_profile

    c = front_door.signed_in(0)
    page = c.get("/asiointi/kyselyt/respiratory-adult")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    page2 = c.post(_action(page.text), data={"csrf_token": csrf, **NO_FLAGS,
                                             "_shown": list(NO_FLAGS)})
    answers = {"fever": "false", "symptom": ["cough", "ear_pain"],
               "breathless_exertion": "false", "risk_group": "false", "duration": "3to10"}
    page3 = c.post(_action(page2.text), data={
        "csrf_token": csrf, **NO_FLAGS, **answers,
        "_shown": ["fever", "symptom", "breathless_exertion", "risk_group", "duration"]})
    assert page3.status_code == 200, page3.text
    carried: dict[str, list[str]] = {}
    for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page3.text):
        carried.setdefault(k, []).append(v)
    carried.update({"description": ["Korvaan sattuu"], "_shown": ["description"]})
    done = c.post(_action(page3.text), data=carried, follow_redirects=False)
    assert done.status_code == 303, done.text
    result = c.get(done.headers["location"])
    link = re.search(r'href="(/asiointi/omat/(\d+))#book"', result.text)
    assert link, "booking is offered"
    case_id = int(link.group(2))

    case_page = c.get(link.group(1))
    slots = re.findall(r'name="slot_id" value="(\d+)"', case_page.text)
    assert slots and {int(s) for s in slots} <= set(front_door.free_slot_ids())
    booked = c.post(f"/asiointi/omat/{case_id}/varaa",
                    data={"slot_id": slots[0], "csrf_token": csrf_of(case_page.text)},
                    follow_redirects=False)
    assert booked.status_code == 303
    with Session(front_door.engine) as s:
        case = s.get(CareCase, case_id)
        assert case is not None and case.state == "booked" and case.channel == "questionnaire"
        assert s.query(Appointment).filter_by(case_id=case_id, status="booked").count() == 1

    nurse = create_user(front_door.engine, "hoitaja2", "hoitaja-password-2", "professional",
                        ["U001"], display_name="Nelli Nurse")
    set_profile(front_door.engine, nurse.id, "nurse", services=["nurse_remote"])
    staff = front_door.client()
    login = staff.get("/login")
    staff.post("/login", data={"username": "hoitaja2", "password": "hoitaja-password-2",
                               "csrf_token": csrf_of(login.text)})
    opened = staff.get(f"/workdesk/cases/{case_id}", params={"purpose": "appointment"})
    assert opened.status_code == 200, opened.text[:300]

    readers = c.get("/asiointi/lukijat")
    assert "Nelli Nurse" in readers.text and f"Asia {case_id}" in readers.text
    assert "Vastaanottokäynti" in readers.text  # the purpose the nurse chose
