"""No leakage: resident B reaching resident A's case, appointment, chat, answers or audit
trail by any identifier (URL ids, form fields) gets 404 — the same answer as for an id that
does not exist — and never a byte of A's data; refusals are audited. Every resident route of
the app (including the questionnaire and channel pages plugged into /asiointi) is swept
with A's ids."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.store import audit
from sotekeskus.store.models import Appointment
from tests.resident.conftest import FrontDoor, csrf_of

SECRET = "SALAINEN-ASIA-A"


def _setup(fd: FrontDoor) -> tuple[int, int, int]:
    a_case = fd.routed_case(0, subject=SECRET)
    b_case = fd.routed_case(1, subject="B:n asia")
    slots = fd.free_slot_ids()
    a = fd.signed_in(0)
    token = csrf_of(a.get("/asiointi/omat").text)
    assert a.post(f"/asiointi/omat/{a_case}/varaa", data={"slot_id": slots[0],
                  "csrf_token": token}, follow_redirects=False).status_code == 303
    with Session(fd.engine) as s:
        a_appt = s.scalar(select(Appointment.id).where(Appointment.case_id == a_case))
    assert a_appt is not None
    return a_case, a_appt, b_case


def _clean(text: str, fd: FrontDoor) -> None:
    a = fd.person(0)
    for needle in (SECRET, a.name, a.person_id, a.hetu):
        assert needle not in text, needle


def test_another_residents_ids_answer_like_unknown_ids(front_door: FrontDoor) -> None:
    a_case, a_appt, b_case = _setup(front_door)
    b = front_door.signed_in(1)
    token = csrf_of(b.get("/asiointi/omat").text)
    slot = front_door.free_slot_ids()[0]
    for theirs, unknown in ((a_case, 999_999), (a_appt, 999_998)):
        for method, path, data in (
                ("GET", "/asiointi/omat/{}", None),
                ("POST", "/asiointi/omat/{}/varaa", {"slot_id": slot}),
                ("GET", "/asiointi/ajat/{}/siirra", None),
                ("POST", "/asiointi/ajat/{}/siirra", {"slot_id": slot}),
                ("POST", "/asiointi/ajat/{}/peru", {})):
            answers = []
            for ident in (theirs, unknown):
                form = None if data is None else {**data, "csrf_token": token}
                r = b.request(method, path.format(ident), data=form, follow_redirects=False)
                _clean(r.text, front_door)
                answers.append(r.status_code)
            assert answers[0] in (400, 404) and answers[0] == answers[1] or (
                answers == [404, 404]), (method, path, answers)
    with Session(front_door.engine) as s:
        appt = s.get(Appointment, a_appt)
        assert appt is not None and appt.status == "booked"  # B's cancel did nothing
    denied = audit.events(front_door.engine, action=audit.DENIED)
    assert any(e.actor.startswith("resident:") for e in denied)


def test_booking_someone_elses_case_with_own_form_is_refused(front_door: FrontDoor) -> None:
    a_case, _, b_case = _setup(front_door)
    b = front_door.signed_in(1)
    token = csrf_of(b.get("/asiointi/omat").text)
    slot = front_door.free_slot_ids()[0]
    r = b.post(f"/asiointi/omat/{a_case}/varaa", data={"slot_id": slot, "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 404
    assert slot in front_door.free_slot_ids()


def test_lists_show_only_ones_own(front_door: FrontDoor) -> None:
    _setup(front_door)
    b = front_door.signed_in(1)
    for path in ("/asiointi/omat", "/asiointi/ajat", "/asiointi/lukijat", "/asiointi/"):
        r = b.get(path)
        assert r.status_code == 200
        _clean(r.text, front_door)
    assert "B:n asia" in b.get("/asiointi/omat").text


def _resident_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    paths = app.openapi()["paths"]
    return sorted((m.upper(), p) for p, ops in paths.items() for m in ops
                  if p.startswith("/asiointi"))


def _channels_of_a(fd: FrontDoor) -> list[int]:
    """A's chat and secure message (the channels' own use cases), secret in both."""
    from sotekeskus.care.chat import open_chat
    from sotekeskus.care.contact import Resident, send_message
    from sotekeskus.care.contact import resident_actor as channel_actor
    from sotekeskus.care.unit_of_work import UnitOfWork
    from tests.care.conftest import NOW

    a = fd.person(0)
    who = Resident(a.id, a.person_id)
    with UnitOfWork(fd.engine, channel_actor(a.person_id), "resident: contact") as uow:
        chat = open_chat(uow, who, line_id="health_station", text=SECRET, now=NOW).id
    with UnitOfWork(fd.engine, channel_actor(a.person_id), "resident: contact") as uow:
        message = send_message(uow, who, line_id="health_station", subject=SECRET,
                               text=SECRET, now=NOW).id
    return [chat, message]


def test_sweep_every_resident_route_with_the_other_residents_ids(front_door: FrontDoor) -> None:
    a_case, a_appt, _ = _setup(front_door)
    a_ids = [a_case, a_appt, *_channels_of_a(front_door)]
    b = front_door.signed_in(1)
    token = csrf_of(b.get("/asiointi/omat").text)
    routes = _resident_routes(front_door.app)
    assert len(routes) >= 10, routes
    problems = []
    for method, path in routes:
        if "{" not in path:
            continue
        for ident in a_ids:
            url = re.sub(r"\{[^}]+\}", str(ident), path)
            data = {"csrf_token": token, "slot_id": "1", "case_id": str(a_case),
                    "appointment_id": str(a_appt), "body": "x", "message": "x"}
            r = b.request(method, url, data=data if method != "GET" else None,
                          follow_redirects=False)
            public = "/kyselyt/v/" in path  # questionnaire definitions: not personal data
            if (r.status_code == 200 and not public) or r.status_code >= 500:
                problems.append((method, url, r.status_code))
            try:
                _clean(r.text, front_door)
            except AssertionError as exc:
                problems.append((method, url, f"leaks {exc}"))
    assert not problems, problems


def test_form_fields_naming_another_case_are_ignored_or_refused(front_door: FrontDoor) -> None:
    """Routes without ids in the path that take ids in forms or the query (e.g. a case_id
    field) never act on A's case."""
    a_case, a_appt, _ = _setup(front_door)
    b = front_door.signed_in(1)
    token = csrf_of(b.get("/asiointi/omat").text)
    for method, path in _resident_routes(front_door.app):
        if "{" in path or path.endswith("/paluu") or path.endswith("/aloita"):
            continue
        data = {"csrf_token": token, "case_id": str(a_case), "appointment_id": str(a_appt),
                "slot_id": "1"}
        if method == "GET":
            r = b.get(path, params={"case_id": a_case, "appointment_id": a_appt},
                      follow_redirects=False)
        else:
            r = b.request(method, path, data=data, follow_redirects=False)
        assert r.status_code < 500, (method, path)
        _clean(r.text, front_door)
    with Session(front_door.engine) as s:
        assert s.get(Appointment, a_appt).status == "booked"  # type: ignore[union-attr]
