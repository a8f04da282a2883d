"""``Appointment/$find`` proposes exactly the bookable times: free, future, non-urgent slots
of the service the case was routed to (and the professional group its assessment asked
for), in the units where the client may book; bad parameters are 400s naming them, a
missing scope or a foreign case 403. A proposal posted back to ``$book`` books it.

Hand-built schedule (the care region of tests/care/conftest.py; the clock is Monday
2025-06-16 08:00); every slot is U001, remote_physician, physician, non-urgent, free unless
said otherwise:

| slot | start | differs | case A (remote_physician) U001 | U001+U002 | service-type |
|---|---|---|---|---|---|
| s1 | Tue 17.6. 09:00 | — | yes | yes | yes |
| s2 | Tue 09:20 | booked | | | |
| s3 | Tue 09:40 | kind urgent | | | |
| s4 | Mon 16.6. 07:00 | in the past | | | |
| s5 | Wed 18.6. 10:00 | — | yes | yes | yes |
| s6 | Tue 10:00 | unit U002 | | yes | |
| s7 | Tue 11:00 | service physician_in_person (case B's) | | | |
| s8 | Tue 12:00 | professional group nurse | | | yes |
| s9 | Wed 25.6. 09:00 | after the window (end 2025-06-20) | | | |
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sotekeskus.interop.fhir.validate import validate_r4
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import AuditEvent, CareCase, Person, ScheduleSlot
from tests.care.conftest import NOW, Region, make_region
from tests.interop.test_fhir_booking import bearer, routed_cases

SLOTS = {  # name: (start, overrides)
    "s1": (datetime(2025, 6, 17, 9, 0), {}),
    "s2": (datetime(2025, 6, 17, 9, 20), {"status": "booked"}),
    "s3": (datetime(2025, 6, 17, 9, 40), {"kind": "urgent"}),
    "s4": (datetime(2025, 6, 16, 7, 0), {}),
    "s5": (datetime(2025, 6, 18, 10, 0), {}),
    "s6": (datetime(2025, 6, 17, 10, 0), {"unit_id": "U002"}),
    "s7": (datetime(2025, 6, 17, 11, 0), {"service_id": "physician_in_person"}),
    "s8": (datetime(2025, 6, 17, 12, 0), {"professional_group": "nurse"}),
    "s9": (datetime(2025, 6, 25, 9, 0), {}),
}
WINDOW = "start=2025-06-16&end=2025-06-20"


@pytest.fixture
def region(tmp_path) -> Iterator[Region]:  # noqa: ANN001
    made = make_region(resolve_url(str(tmp_path / "find.db")))
    yield made
    made.engine.dispose()


@pytest.fixture
def schedule(region: Region) -> dict[str, int]:
    out = {}
    with Session(region.engine) as session, session.begin():
        for name, (start, overrides) in SLOTS.items():
            values = {"user_id": region.physician.user_id, "unit_id": "U001",
                      "service_id": "remote_physician", "professional_group": "physician",
                      "start_at": start, "end_at": start + timedelta(minutes=20),
                      "mode": "remote", "kind": "non_urgent", "status": "free", **overrides}
            slot = ScheduleSlot(**values)
            session.add(slot)
            session.flush()
            out[name] = slot.id
    return out


@pytest.fixture
def api(region: Region, tmp_path, monkeypatch) -> Iterator:  # noqa: ANN001
    from sotekeskus.web.app import create_app

    monkeypatch.setenv("SOTEKESKUS_ANALYTICS_DIR", str(tmp_path / "analytics"))
    application = create_app(region.url, secret_key="test-secret", secure_cookies=False)
    application.state.workdesk_now = lambda: NOW
    yield application
    application.state.engine.dispose()


def finder(app, name: str = "finder", units: list[str] | None = None,
           role: str = "professional", scopes: list[str] | None = None) -> dict[str, str]:
    return bearer(app, name, units or ["U001"], role,
                  scopes or ["system/Appointment.read", "system/Appointment.write"])


def proposals(response, slot_names: dict[str, int]) -> list[str]:  # noqa: ANN001
    """The proposed slots' names, in the Bundle's order; the Bundle checked."""
    assert response.status_code == 200, response.text
    bundle = response.json()
    validate_r4(bundle)
    assert bundle["type"] == "searchset"
    by_id = {v: k for k, v in slot_names.items()}
    out = []
    for entry in bundle.get("entry", []):
        appointment = entry["resource"]
        assert appointment["status"] == "proposed" and "id" not in appointment
        assert entry["fullUrl"].startswith("urn:uuid:")
        out.append(by_id[int(appointment["slot"][0]["reference"].removeprefix("Slot/"))])
    assert bundle["total"] == len(out)
    return out


def test_a_case_gets_exactly_its_services_free_future_non_urgent_slots(
        api, region: Region, schedule: dict[str, int]) -> None:  # noqa: ANN001
    (case_a,) = routed_cases(region, 1)
    client, headers = TestClient(api), finder(api)
    response = client.get(f"/fhir/Appointment/$find?{WINDOW}&task=Task/{case_a}",
                          headers=headers)
    assert proposals(response, schedule) == ["s1", "s5"]
    first = response.json()["entry"][0]["resource"]
    with Session(region.engine) as session:
        person_id = session.scalar(select(Person.person_id).join(
            CareCase, CareCase.person_pk == Person.id).where(CareCase.id == case_a))
        audited = session.scalar(select(AuditEvent).where(
            AuditEvent.actor == "api:finder", AuditEvent.target.like("fhir:Appointment/$find%")))
    assert first["supportingInformation"] == [{"reference": f"Task/{case_a}"}]
    assert first["participant"][0]["actor"] == {"reference": f"Patient/{person_id}"}
    assert first["start"] == "2025-06-17T09:00:00+03:00"
    assert audited is not None and audited.subject_person_id == person_id
    # a client of both units is offered the U002 slot too
    both = finder(api, "finder2", units=["U001", "U002"])
    assert proposals(client.get(f"/fhir/Appointment/$find?{WINDOW}&task=Task/{case_a}",
                                headers=both), schedule) == ["s1", "s6", "s5"]
    # POST with a Parameters resource: the same answer
    posted = client.post("/fhir/Appointment/$find", headers=headers, json={
        "resourceType": "Parameters", "parameter": [
            {"name": "start", "valueDate": "2025-06-16"},
            {"name": "end", "valueDateTime": "2025-06-18T10:00:00+03:00"},
            {"name": "task", "valueReference": {"reference": f"Task/{case_a}"}}]})
    assert proposals(posted, schedule) == ["s1"]  # s5 starts at the (exclusive) end
    # the proposal is bookable as it is, and then no longer proposed
    booked = client.post("/fhir/Appointment/$book", headers=headers, json={
        "resourceType": "Parameters", "parameter": [{"name": "appt-resource",
                                                     "resource": first}]})
    assert booked.status_code == 201, booked.text
    (case_c,) = routed_cases(region, 1)
    assert proposals(client.get(f"/fhir/Appointment/$find?{WINDOW}&task=Task/{case_c}",
                                headers=headers), schedule) == ["s5"]


def test_a_case_routed_elsewhere_gets_only_its_own_services_slots(
        api, region: Region, schedule: dict[str, int]) -> None:  # noqa: ANN001
    (case_b,) = routed_cases(region, 1, service="physician_in_person")
    response = TestClient(api).get(f"/fhir/Appointment/$find?{WINDOW}&task=Task/{case_b}",
                                   headers=finder(api))
    assert proposals(response, schedule) == ["s7"]


def test_by_service_type_without_a_case(api, schedule: dict[str, int]) -> None:  # noqa: ANN001
    client, headers = TestClient(api), finder(api)
    for value in ("remote_physician", "urn:sotekeskus:codesystem:service|remote_physician",
                  "remote-physician"):
        response = client.get(f"/fhir/Appointment/$find?{WINDOW}&service-type={value}",
                              headers=headers)
        assert proposals(response, schedule) == ["s1", "s8", "s5"]  # by start
        assert all(len(e["resource"]["participant"]) == 2  # professional and place only
                   for e in response.json()["entry"])
    limited = client.get(f"/fhir/Appointment/$find?{WINDOW}&service-type=remote_physician"
                         "&_count=1", headers=headers).json()
    assert limited["total"] == 3 and len(limited["entry"]) == 1


@pytest.mark.parametrize(("query", "named"), [
    ("end=2025-06-20&service-type=remote_physician", "start:"),
    ("start=2025-06-16&service-type=remote_physician", "end:"),
    ("start=16.6.2025&end=2025-06-20&service-type=remote_physician", "start:"),
    ("start=2025-06-20&end=2025-06-16&service-type=remote_physician", "end:"),
    ("start=2025-01-01&end=2025-12-31&service-type=remote_physician", "end:"),
    (f"{WINDOW}", "task or service-type:"),
    (f"{WINDOW}&task=Task/1&service-type=remote_physician", "task or service-type:"),
    (f"{WINDOW}&task=Patient/1", "task:"),
    (f"{WINDOW}&task=Task/x", "task:"),
    (f"{WINDOW}&service-type=dentistry_now", "service-type:"),
    (f"{WINDOW}&service-type=http://x|remote_physician", "service-type:"),
    (f"{WINDOW}&service-type=remote_physician&_count=0", "_count:"),
    (f"{WINDOW}&service-type=remote_physician&service-type=nurse_remote", "service-type:"),
    (f"{WINDOW}&service-type=remote_physician&patient=Patient/1", "parameter 'patient'"),
])
def test_bad_parameters_are_400_naming_them(api, query: str, named: str) -> None:  # noqa: ANN001
    response = TestClient(api).get(f"/fhir/Appointment/$find?{query}", headers=finder(api))
    assert response.status_code == 400, response.text
    outcome = response.json()
    validate_r4(outcome)
    assert outcome["issue"][0]["diagnostics"].startswith(named), outcome
    if named == "service-type:" and "dentistry" in query:
        assert "remote_physician" in outcome["issue"][0]["diagnostics"]  # lists the allowed


def test_bad_post_bodies_are_400(api) -> None:  # noqa: ANN001
    client, headers = TestClient(api), finder(api)
    assert client.post("/fhir/Appointment/$find", headers=headers,
                       content=b"{nope").status_code == 400
    response = client.post("/fhir/Appointment/$find", headers=headers,
                           json={"resourceType": "Appointment"})
    assert response.status_code == 400
    assert "Parameters" in response.json()["issue"][0]["diagnostics"]


def test_scope_role_and_units_are_enforced(api, region: Region,
                                           schedule: dict[str, int]) -> None:  # noqa: ANN001
    (case_a,) = routed_cases(region, 1)
    client = TestClient(api)
    url = f"/fhir/Appointment/$find?{WINDOW}&task=Task/{case_a}"
    no_scope = finder(api, "slots-only", scopes=["system/Slot.read"])
    response = client.get(url, headers=no_scope)
    assert response.status_code == 403
    assert "system/Appointment.read" in response.json()["issue"][0]["diagnostics"]
    assert client.get(url).status_code == 401
    # leadership sees the whole region's figures but may not book: refused, audited
    lead = finder(api, "lead", units=["U001"], role="leadership")
    assert client.get(url, headers=lead).status_code == 403
    # a case of another unit than the client's
    other = finder(api, "u002", units=["U002"])
    assert client.get(url, headers=other).status_code == 403
    with Session(region.engine) as session:
        denied = list(session.scalars(select(AuditEvent.actor).where(
            AuditEvent.action == "access_denied")))
    assert {"api:slots-only", "api:lead", "api:u002"} <= set(denied)


def test_cases_that_are_not_bookable(api, region: Region,
                                     schedule: dict[str, int]) -> None:  # noqa: ANN001
    (case_a,) = routed_cases(region, 1)
    client, headers = TestClient(api), finder(api)
    url = f"/fhir/Appointment/$find?{WINDOW}&task=Task/{case_a}"
    with Session(region.engine) as session, session.begin():
        session.execute(update(CareCase).where(CareCase.id == case_a).values(urgency="urgent"))
    response = client.get(url, headers=headers)
    assert response.status_code == 422 and "non-urgent" in response.text
    with Session(region.engine) as session, session.begin():
        session.execute(update(CareCase).where(CareCase.id == case_a).values(
            urgency="non_urgent", state="assessed"))
    response = client.get(url, headers=headers)
    assert response.status_code == 422 and "routed" in response.text
    assert client.get(f"/fhir/Appointment/$find?{WINDOW}&task=Task/999",
                      headers=headers).status_code == 404


def test_capability_statement_names_find_and_paging(api) -> None:  # noqa: ANN001
    body = TestClient(api).get("/fhir/metadata").json()
    validate_r4(body)
    rest = body["rest"][0]
    assert "find" in {o["name"] for o in rest["operation"]}
    assert "_offset" in rest["documentation"]
