"""FHIR API: Schedule, Slot, Practitioner, PractitionerRole, HealthcareService, Communication
and AuditEvent — read and search, the access policy, every read audited, every resource
valid R4 (fhirclient 4.0.1 models). The test store: the workdesk region (nurse and nurse2 in
U1 and U2, the physician in U1 with remote_physician slots on Tuesdays 09:00–10:00 of
20 minutes from 2025-06-16 to 2025-06-30, i.e. 3 slots on 17 June and 3 on 24 June)."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from sotekeskus.interop.fhir.validate import validate_r4
from sotekeskus.store.models import CareCase, CaseMessage, Person, User

from .test_fhir_api import app, audit_rows, fhir, persons, template, token  # noqa: F401

READ_ALL = ["system/*.read"]


def entries(bundle: dict) -> list[dict]:
    out = [e["resource"] for e in bundle.get("entry", [])]
    for resource in out:
        validate_r4(resource)
    return out


def user_id(app, username: str) -> int:  # noqa: F811
    with app.state.engine.connect() as conn:
        return conn.execute(select(User.id).where(User.username == username)).scalar_one()


def test_practitioners_show_display_names_never_accounts(app):  # noqa: F811
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    found = entries(fhir(client.get("/fhir/Practitioner", headers=desk)))
    assert sorted(p["name"][0]["text"] for p in found) == ["Nurse", "Nurse2", "Physician"]
    text = str(found)
    assert "nurse2" not in text and "password" not in text and "argon2" not in text
    physician = user_id(app, "physician")
    one = fhir(client.get(f"/fhir/Practitioner/{physician}", headers=desk))
    assert one == {"resourceType": "Practitioner", "id": str(physician), "active": True,
                   "name": [{"text": "Physician"}]}
    north = token(app, "north", "professional", ["U2"], READ_ALL)  # the physician is U1 only
    assert client.get(f"/fhir/Practitioner/{physician}", headers=north).status_code == 403
    nurse = user_id(app, "nurse")
    assert client.get(f"/fhir/Practitioner/{nurse}", headers=north).status_code == 200
    assert any(a.target == f"fhir:Practitioner/{physician}" and a.actor == "api:desk"
               and a.purpose == "fhir-api" for a in audit_rows(app))
    assert client.get("/fhir/Practitioner/999", headers=desk).status_code == 404


def test_practitioner_roles_carry_the_professional_group(app):  # noqa: F811
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    roles = entries(fhir(client.get("/fhir/PractitionerRole", headers=desk)))
    assert len(roles) == 3  # nurse, nurse2, physician in U1 (U2 is not the client's)
    physicians = entries(fhir(client.get(
        "/fhir/PractitionerRole",
        params={"role": "urn:sotekeskus:codesystem:professional-group|physician"},
        headers=desk)))
    physician = user_id(app, "physician")
    assert [r["id"] for r in physicians] == [f"{physician}-U1"]
    assert physicians[0]["code"][0]["coding"][0] == {
        "system": "urn:sotekeskus:codesystem:professional-group", "code": "physician"}
    assert physicians[0]["organization"] == {"reference": "Organization/U1"}
    bad = client.get("/fhir/PractitionerRole", params={"role": "surgeon"}, headers=desk)
    assert bad.status_code == 400 and "allowed: physician, nurse" in bad.text
    lead = token(app, "lead", "leadership", [], READ_ALL)  # the whole region
    nurse = user_id(app, "nurse")
    assert [r["id"] for r in entries(fhir(client.get(
        "/fhir/PractitionerRole", params={"practitioner": f"Practitioner/{nurse}"},
        headers=lead)))] == [f"{nurse}-U1", f"{nurse}-U2"]


def test_healthcare_services_are_the_catalogue_in_three_languages(app):  # noqa: F811
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], ["system/HealthcareService.read"])
    service = fhir(client.get("/fhir/HealthcareService/remote-physician", headers=desk))
    assert service["identifier"][0]["value"] == "remote_physician"
    assert service["name"] == "Etälääkärin vastaanotto"
    names = {e["extension"][0]["valueCode"]: e["extension"][1]["valueString"]
             for e in service["extension"]}
    assert names == {"fi": "Etälääkärin vastaanotto", "sv": "Distansläkarmottagning",
                     "en": "Remote physician"}
    assert service["specialty"][0]["coding"][0]["code"] == "physician"
    from sotekeskus.care.catalogue import default_catalogue

    everything = entries(fhir(client.get("/fhir/HealthcareService", headers=desk)))
    assert len(everything) == len(default_catalogue().services)
    assert client.get("/fhir/HealthcareService/nope", headers=desk).status_code == 404


def test_schedules_and_slot_search(app):  # noqa: F811
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    physician = user_id(app, "physician")
    schedules = entries(fhir(client.get("/fhir/Schedule", headers=desk)))
    assert [s["id"] for s in schedules] == [f"{physician}-U1"]
    assert schedules[0]["actor"][0] == {"reference": f"Practitioner/{physician}"}
    assert schedules[0]["serviceType"][0]["coding"][0]["code"] == "remote_physician"
    base = {"schedule": f"Schedule/{physician}-U1", "status": "free"}
    all_free = fhir(client.get("/fhir/Slot", params=base, headers=desk))
    assert all_free["total"] == 6  # 3 on 17 June + 3 on 24 June
    tuesday = fhir(client.get("/fhir/Slot", params=[
        *base.items(), ("start", "ge2025-06-17"), ("start", "le2025-06-17")], headers=desk))
    starts = [s["start"] for s in entries(tuesday)]
    assert starts == ["2025-06-17T09:00:00+03:00", "2025-06-17T09:20:00+03:00",
                      "2025-06-17T09:40:00+03:00"]
    later = fhir(client.get("/fhir/Slot", params={
        "start": "gt2025-06-17T09:20:00+03:00", "service-type": "remote_physician"},
        headers=desk))
    assert later["total"] == 4  # 09:40 on the 17th and the three of the 24th
    page = fhir(client.get("/fhir/Slot", params={**base, "_count": "2"}, headers=desk))
    assert page["total"] == 6 and len(page["entry"]) == 2
    assert fhir(client.get("/fhir/Slot", params={"status": "busy"}, headers=desk)
                )["total"] == 0
    slot_id = entries(tuesday)[0]["id"]
    slot = fhir(client.get(f"/fhir/Slot/{slot_id}", headers=desk))
    assert slot["schedule"] == {"reference": f"Schedule/{physician}-U1"}
    assert slot["status"] == "free"
    assert any(a.target == f"fhir:Slot/{slot_id}" for a in audit_rows(app))
    bad = client.get("/fhir/Slot", params={"status": "open"}, headers=desk)
    assert bad.status_code == 400 and "allowed: free, busy, busy-unavailable" in bad.text
    bad_date = client.get("/fhir/Slot", params={"start": "ge17.6.2025"}, headers=desk)
    assert bad_date.status_code == 400 and "'ge17.6.2025'" in bad_date.text
    unknown = client.get("/fhir/Slot", params={"practitioner": "x"}, headers=desk)
    assert unknown.status_code == 400 and "supported: _count, schedule" in unknown.text
    assert client.get("/fhir/Slot", headers=desk).status_code == 400  # unbounded
    north = token(app, "north", "professional", ["U2"], READ_ALL)
    assert client.get(f"/fhir/Slot/{slot_id}", headers=north).status_code == 403
    assert fhir(client.get("/fhir/Slot", params={"status": "free"}, headers=north)
                )["total"] == 0
    no_scope = token(app, "tasks", "professional", ["U1"], ["system/Task.read"])
    assert client.get(f"/fhir/Slot/{slot_id}", headers=no_scope).status_code == 403


def test_communications_are_case_messages_about_a_task(app):  # noqa: F811
    engine = app.state.engine
    with engine.begin() as conn:
        case = conn.execute(select(CareCase).order_by(CareCase.id)).first()
        pid = conn.execute(select(Person.person_id).where(Person.id == case.person_pk)
                           ).scalar_one()
        for i, (kind, author, body) in enumerate((("resident", pid, "Kurkku on kipeä"),
                                                  ("professional", "nurse", "Soitamme"))):
            conn.execute(CaseMessage.__table__.insert().values(
                case_id=case.id, at=datetime(2025, 6, 16, 7, 30 + i), author_kind=kind,
                author=author, body=body))
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], ["system/Communication.read"])
    found = entries(fhir(client.get("/fhir/Communication",
                                    params={"about": f"Task/{case.id}"}, headers=desk)))
    assert [c["payload"][0]["contentString"] for c in found] == ["Kurkku on kipeä", "Soitamme"]
    assert found[0]["sender"] == {"reference": f"Patient/{pid}"}
    assert found[1]["sender"] == {"display": "nurse"}
    assert found[0]["about"] == [{"reference": f"Task/{case.id}"}]
    by_patient = fhir(client.get("/fhir/Communication", params={"patient": f"Patient/{pid}"},
                                 headers=desk))
    assert by_patient["total"] == 2
    reads = [a for a in audit_rows(app) if a.target.startswith("fhir:Communication?")]
    assert reads and all(a.subject_person_id == pid for a in reads)
    one = fhir(client.get(f"/fhir/Communication/{found[0]['id']}", headers=desk))
    assert one["id"] == found[0]["id"]
    north = token(app, "north", "professional", ["U2"], ["system/Communication.read"])
    assert client.get(f"/fhir/Communication/{found[0]['id']}",
                      headers=north).status_code == 403
    assert fhir(client.get("/fhir/Communication", params={"about": f"Task/{case.id}"},
                           headers=north))["total"] == 0
    assert client.get("/fhir/Communication", headers=desk).status_code == 400


def test_audit_events_follow_balp_and_are_for_administrators_only(app):  # noqa: F811
    client = TestClient(app)
    first = persons(app)[0]
    desk = token(app, "desk", "professional", ["U1"], ["system/Patient.read"])
    assert client.get(f"/fhir/Patient/{first.person_id}", headers=desk).status_code == 200
    admin = token(app, "siem", "admin", [], ["system/AuditEvent.read"])
    events = entries(fhir(client.get("/fhir/AuditEvent", params={
        "patient": f"Patient/{first.person_id}", "agent-name": "api:desk"}, headers=admin)))
    assert len(events) == 1
    event = events[0]
    assert event["type"] == {"system": "http://dicom.nema.org/resources/ontology/DCM",
                             "code": "110110", "display": "Patient Record"}
    assert (event["action"], event["outcome"]) == ("R", "0")
    assert event["agent"] == [{"who": {"display": "api:desk"}, "requestor": True}]
    assert event["purposeOfEvent"] == [{"text": "fhir-api"}]
    assert event["entity"][0]["what"] == {"reference": f"Patient/{first.person_id}"}
    assert event["entity"][0]["role"]["code"] == "1"
    assert event["entity"][1]["name"] == f"fhir:Patient/{first.person_id}"
    one = fhir(client.get(f"/fhir/AuditEvent/{event['id']}", headers=admin))
    assert one == event
    today = datetime.now().strftime("%Y-%m-%d")
    assert fhir(client.get("/fhir/AuditEvent", params={"date": f"ge{today}", "_count": "1"},
                           headers=admin))["total"] >= 2
    # a non-administrator with the scope is refused by the policy, and that is audited
    lead = token(app, "lead", "leadership", [], ["system/AuditEvent.read"])
    refused = client.get("/fhir/AuditEvent", headers=lead)
    assert refused.status_code == 403 and "administrator" in refused.text
    assert any(a.actor == "api:lead" and a.action == "access_denied" for a in audit_rows(app))
    # an administrator without the scope is refused by the scopes
    no_scope = token(app, "admin2", "admin", [], ["system/Patient.read"])
    assert client.get("/fhir/AuditEvent", headers=no_scope).status_code == 403
