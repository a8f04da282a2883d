"""Booking through the FHIR API goes through the workdesk's atomic booking: a client books a
routed, unowned case (Task) on a free slot of the service it was routed to; 20 clients
racing for 5 slots get exactly 5 appointments and 15 clear 409s naming who was first, on
SQLite and PostgreSQL; cancelling (PUT / PATCH status=cancelled) frees the slot.

Region (tests/care/conftest.py): units U001, U002; the physician (U001) gets 5 slots of
remote_physician on Tuesday 2025-06-17 09:00–10:40; the clock is Monday 2025-06-16 08:00."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.care.cases.commands import AssessmentInput, Contact, assess, claim, open_case
from sotekeskus.care.cases.commands import route as route_case
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.interop.fhir.clients import create_client
from sotekeskus.interop.fhir.validate import validate_r4
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import (
    Appointment,
    AuditEvent,
    CareCase,
    CaseTransition,
    Person,
    ScheduleSlot,
)
from tests.care.conftest import NOW, OPERATOR, Region, add_slots, make_region

CLIENTS, SLOTS = 20, 5


def routed_cases(region: Region, n: int, service: str = "remote_physician") -> list[int]:
    """``n`` cases assessed by the nurse and routed to ``service`` (unowned, in its queue)."""
    out = []
    for i in range(n):
        with UnitOfWork(region.engine, OPERATOR, "contact") as uow:
            case_id = open_case(uow, Contact(region.persons[i % len(region.persons)], "phone",
                                             "U001", "Kipu"), now=NOW).id
        with UnitOfWork(region.engine, region.nurse.actor, "care") as uow:
            claim(uow, region.nurse, case_id, now=NOW)
            assess(uow, region.nurse, case_id, AssessmentInput(
                "non_urgent", "Polvikipu", "medical", "physician"), now=NOW)
            route_case(uow, region.nurse, case_id, service, now=NOW)
        out.append(case_id)
    return out


def slots(region: Region) -> list[int]:
    add_slots(region, region.physician, "remote_physician", start="09:00", end="10:40")
    with Session(region.engine) as session:
        found = list(session.scalars(select(ScheduleSlot.id).order_by(ScheduleSlot.start_at)))
    assert len(found) == SLOTS
    return found


@pytest.fixture
def region(any_db: str) -> Iterator[Region]:
    """The care region on SQLite and on PostgreSQL."""
    made = make_region(resolve_url(any_db))
    yield made
    made.engine.dispose()


@pytest.fixture
def api(region: Region, tmp_path, monkeypatch) -> Iterator:  # noqa: ANN001
    from sotekeskus.web.app import create_app

    monkeypatch.setenv("SOTEKESKUS_ANALYTICS_DIR", str(tmp_path / "analytics"))
    application = create_app(region.url, secret_key="test-secret", secure_cookies=False)
    application.state.workdesk_now = lambda: NOW
    yield application
    application.state.engine.dispose()


def bearer(app, name: str, units: list[str] | None = None, role: str = "professional",
           scopes: list[str] | None = None) -> dict[str, str]:
    _, secret = create_client(app.state.engine, name, role, units or ["U001"],
                              scopes or ["system/Appointment.write", "system/Appointment.read"])
    return {"Authorization": f"Bearer {secret}"}


def booking(case_id: int, slot_id: int, patient: str | None = None) -> dict:
    participant = {"actor": {"reference": f"Patient/{patient}"}} if patient else {
        "actor": {"display": "the resident of the case"}}
    return {"resourceType": "Appointment", "status": "proposed",
            "slot": [{"reference": f"Slot/{slot_id}"}],
            "supportingInformation": [{"reference": f"Task/{case_id}"}],
            "participant": [{**participant, "status": "needs-action"}]}


def test_twenty_clients_race_for_five_slots(region: Region, api) -> None:  # noqa: ANN001
    slot_ids = slots(region)
    cases = routed_cases(region, CLIENTS)
    headers = [bearer(api, f"booker{i:02d}") for i in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)
    results: list[object] = [None] * CLIENTS

    def run(i: int) -> None:
        client = TestClient(api)
        barrier.wait()
        try:
            results[i] = client.post("/fhir/Appointment", headers=headers[i],
                                     json=booking(cases[i], slot_ids[i % SLOTS]))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    codes = [getattr(r, "status_code", r) for r in results]
    assert sorted(c for c in codes if c == 201) == [201] * SLOTS, codes
    assert codes.count(409) == CLIENTS - SLOTS, [r.text for r in results  # type: ignore[union-attr]
                                                 if getattr(r, "status_code", 0) not in (201, 409)]
    winners = {}
    for i, response in enumerate(results):
        if response.status_code == 201:  # type: ignore[union-attr]
            body = response.json()  # type: ignore[union-attr]
            validate_r4(body)
            assert body["status"] == "booked"
            assert body["supportingInformation"] == [{"reference": f"Task/{cases[i]}"}]
            winners[slot_ids[i % SLOTS]] = f"api:booker{i:02d}"
    assert sorted(winners) == sorted(slot_ids)  # one winner per slot
    for i, response in enumerate(results):
        if response.status_code == 409:  # type: ignore[union-attr]
            outcome = response.json()  # type: ignore[union-attr]
            validate_r4(outcome)
            issue = outcome["issue"][0]
            slot_id = slot_ids[i % SLOTS]
            assert issue["code"] == "conflict"
            assert issue["diagnostics"].startswith(f"slot {slot_id} (2025-06-17 ")
            assert issue["diagnostics"].endswith(f"is already booked by {winners[slot_id]}")
    with Session(region.engine) as session:
        live = session.execute(select(Appointment.slot_id, Appointment.booked_by)
                               .where(Appointment.status == "booked")).all()
        assert sorted(live) == sorted(winners.items())
        booked = session.scalar(select(func.count()).select_from(CareCase).where(
            CareCase.state == "booked"))
        assert booked == SLOTS
        free = session.scalar(select(func.count()).select_from(ScheduleSlot).where(
            ScheduleSlot.status == "free"))
        assert free == 0
        history = session.scalars(select(CaseTransition.actor).where(
            CaseTransition.transition == "book")).all()
        assert sorted(history) == sorted(winners.values())


def test_booking_rules_and_cancel(region: Region, api) -> None:  # noqa: ANN001
    slot_ids = slots(region)
    case_id, other_service = routed_cases(region, 1) + routed_cases(
        region, 1, "physician_in_person")
    client = TestClient(api)
    desk = bearer(api, "desk")
    with Session(region.engine) as session:
        case = session.get(CareCase, case_id)
        pid = session.get(Person, case.person_pk).person_id
        other_pid = session.scalar(select(Person.person_id).where(Person.id != case.person_pk))

    def post(body: dict, headers: dict = desk, path: str = "/fhir/Appointment"):  # noqa: B006
        return client.post(path, json=body, headers=headers)

    # the wrong service, the wrong patient, no Task, an unknown slot: 422 naming why
    wrong = post(booking(other_service, slot_ids[0]))
    assert wrong.status_code == 422
    assert "belongs to service remote_physician" in wrong.text
    assert "routed to physician_in_person" in wrong.text
    not_theirs = post(booking(case_id, slot_ids[0], other_pid))
    assert not_theirs.status_code == 422 and "is not the resident of" in not_theirs.text
    no_task = post({**booking(case_id, slot_ids[0]), "supportingInformation": []})
    assert no_task.status_code == 422 and "Task/<id>" in no_task.text
    assert post(booking(case_id, 999_999)).status_code == 422
    assert post({"resourceType": "Appointment", "slot": "x"}).status_code == 400  # not R4
    # the policy: a client of another unit, a role that does not work cases, no write scope
    north = bearer(api, "north", ["U002"])
    assert post(booking(case_id, slot_ids[0]), north).status_code == 403
    manager = bearer(api, "boss", role="manager")
    assert post(booking(case_id, slot_ids[0]), manager).status_code == 403
    reader = bearer(api, "reader", scopes=["system/Appointment.read"])
    assert post(booking(case_id, slot_ids[0]), reader).status_code == 403
    # $book with Parameters books it
    made = post({"resourceType": "Parameters", "parameter": [
        {"name": "appt-resource", "resource": booking(case_id, slot_ids[0], pid)}]},
        path="/fhir/Appointment/$book")
    assert made.status_code == 201, made.text
    appointment = made.json()
    validate_r4(appointment)
    assert made.headers["location"].endswith(f"/fhir/Appointment/{appointment['id']}")
    assert appointment["start"] == "2025-06-17T09:00:00+03:00"
    again = post(booking(case_id, slot_ids[1]))
    assert again.status_code == 409 and f"Task/{case_id} is booked" in again.text
    with Session(region.engine) as session:
        changes = session.scalars(select(AuditEvent.actor).where(
            AuditEvent.target == f"case:{case_id}", AuditEvent.action == "admin_change")).all()
    assert "api:desk" in changes
    # cancel: PATCH status=cancelled frees the slot and returns the case to its queue
    aid = appointment["id"]
    bad_patch = client.patch(f"/fhir/Appointment/{aid}", headers=desk,
                             json=[{"op": "replace", "path": "/start", "value": "x"}])
    assert bad_patch.status_code == 422
    cancelled = client.patch(f"/fhir/Appointment/{aid}", headers=desk,
                             json=[{"op": "replace", "path": "/status", "value": "cancelled"}])
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    validate_r4(body)
    assert body["status"] == "cancelled"
    assert body["extension"][0]["valueCoding"]["code"] == "4"  # Peruttu
    with Session(region.engine) as session:
        assert session.get(ScheduleSlot, slot_ids[0]).status == "free"
        assert session.get(CareCase, case_id).state == "routed"
    twice = client.put(f"/fhir/Appointment/{aid}", headers=desk,
                       json={**appointment, "status": "cancelled"})
    assert twice.status_code == 409 and "is cancelled" in twice.text
    # book again, then cancel with PUT and a reason
    rebooked = post(booking(case_id, slot_ids[2]))
    assert rebooked.status_code == 201, rebooked.text
    put = client.put(f"/fhir/Appointment/{rebooked.json()['id']}", headers=desk,
                     json={**rebooked.json(), "status": "cancelled",
                           "cancelationReason": {"text": "Asukas perui"}})
    assert put.status_code == 200 and put.json()["status"] == "cancelled"
    with Session(region.engine) as session:
        assert session.get(Appointment, int(rebooked.json()["id"])).reason == "Asukas perui"
