"""The FHIR R4 REST API: bearer tokens with scopes, the one access policy, every read
audited, every resource returned valid R4, QuestionnaireResponse → a workdesk case, $export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sotekeskus.interop.fhir.clients import ClientError, create_client, revoke_client
from sotekeskus.interop.fhir.validate import validate_r4
from sotekeskus.store.models import AuditEvent, CareCase, Person

from ..web.workdesk.conftest import build_workdesk


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fhirapi") / "store.db"
    build_workdesk(path)
    return path


@pytest.fixture
def app(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    import shutil

    from sotekeskus.web.app import create_app

    monkeypatch.setenv("SOTEKESKUS_ANALYTICS_DIR", str(tmp_path / "analytics"))
    copy = tmp_path / "store.db"
    shutil.copy(template, copy)
    application = create_app(f"sqlite:///{copy}", secret_key="test-secret",
                             secure_cookies=False)
    yield application
    application.state.engine.dispose()


def token(app, name: str, role: str, units: list[str], scopes: list[str]) -> dict[str, str]:
    _, secret = create_client(app.state.engine, name, role, units, scopes)
    return {"Authorization": f"Bearer {secret}"}


def persons(app) -> list[Person]:
    with app.state.engine.connect() as conn:
        return list(conn.execute(select(Person).order_by(Person.id)))


def audit_rows(app) -> list[AuditEvent]:
    with app.state.engine.connect() as conn:
        return list(conn.execute(select(AuditEvent).order_by(AuditEvent.id)))


def fhir(response) -> dict:
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    validate_r4(body)
    return body


def test_capability_statement_is_r4_and_lists_only_what_exists(app):
    body = fhir(TestClient(app).get("/fhir/metadata"))
    assert body["fhirVersion"] == "4.0.1"
    kinds = {r["type"]: [i["code"] for i in r["interaction"]]
             for r in body["rest"][0]["resource"]}
    read_search = ["read", "search-type"]
    assert kinds == {"Patient": read_search, "Task": read_search,
                     "Appointment": [*read_search, "create", "update", "patch"],
                     "Communication": read_search, "Practitioner": read_search,
                     "PractitionerRole": read_search, "HealthcareService": read_search,
                     "Schedule": read_search, "Slot": read_search, "AuditEvent": read_search,
                     "QuestionnaireResponse": ["create"], "Questionnaire": read_search,
                     "Organization": read_search, "Location": read_search,
                     "EpisodeOfCare": read_search, "Encounter": read_search,
                     "MeasureReport": read_search}
    security = body["rest"][0]["security"]["extension"][0]
    assert security["extension"][0]["valueUri"].endswith("/fhir/auth/token")


def test_no_token_bad_token_and_revoked_token_are_401(app):
    client = TestClient(app)
    assert client.get("/fhir/Patient/x").status_code == 401
    bad = client.get("/fhir/Patient/x", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and fhir(bad)["issue"][0]["code"] == "login"
    headers = token(app, "lab", "professional", ["U1"], ["system/Patient.read"])
    revoke_client(app.state.engine, "lab")
    assert client.get("/fhir/Patient/x", headers=headers).status_code == 401


def test_patient_read_follows_scope_and_policy_and_is_audited(app):
    client = TestClient(app)
    first = persons(app)[0]  # has a case in U1
    ok = token(app, "desk", "professional", ["U1"], ["system/Patient.read"])
    body = fhir(client.get(f"/fhir/Patient/{first.person_id}", headers=ok))
    assert body["identifier"] == [{"use": "official", "system": "urn:oid:1.2.246.21",
                                   "value": first.hetu}]
    assert body["meta"]["profile"][0].endswith("fi-base-patient")
    read = [a for a in audit_rows(app) if a.target == f"fhir:Patient/{first.person_id}"]
    assert len(read) == 1 and read[0].actor == "api:desk"
    assert read[0].subject_person_id == first.person_id and read[0].purpose == "fhir-api"
    other_unit = token(app, "north", "professional", ["U2"], ["system/Patient.read"])
    denied = client.get(f"/fhir/Patient/{first.person_id}", headers=other_unit)
    assert denied.status_code == 403
    no_scope = token(app, "tasks", "professional", ["U1"], ["system/Task.read"])
    assert client.get(f"/fhir/Patient/{first.person_id}", headers=no_scope).status_code == 403
    analyst = token(app, "stats", "analyst", [], ["system/*.read"])
    assert client.get(f"/fhir/Patient/{first.person_id}", headers=analyst).status_code == 403
    assert client.get("/fhir/Patient/nobody", headers=ok).status_code == 404


def test_patient_search_by_hetu(app):
    client = TestClient(app)
    first = persons(app)[0]
    ok = token(app, "desk", "professional", ["U1"], ["system/Patient.read"])
    body = fhir(client.get("/fhir/Patient", params={
        "identifier": f"urn:oid:1.2.246.21|{first.hetu}"}, headers=ok))
    assert body["total"] == 1 and body["entry"][0]["resource"]["id"] == first.person_id
    assert client.get("/fhir/Patient", params={"identifier": first.hetu},
                      headers=ok).status_code == 400


def test_task_read_and_search(app):
    client = TestClient(app)
    first = persons(app)[0]
    ok = token(app, "desk", "professional", ["U1"], ["system/Task.read"])
    bundle = fhir(client.get("/fhir/Task", params={"patient": f"Patient/{first.person_id}"},
                             headers=ok))
    assert bundle["total"] == 1
    task = bundle["entry"][0]["resource"]
    assert (task["status"], task["intent"]) == ("requested", "order")
    assert fhir(client.get(f"/fhir/Task/{task['id']}", headers=ok))["id"] == task["id"]
    north = token(app, "north", "professional", ["U2"], ["system/Task.read"])
    assert client.get(f"/fhir/Task/{task['id']}", headers=north).status_code == 403
    assert fhir(client.get("/fhir/Task", params={"patient": f"Patient/{first.person_id}"},
                           headers=north))["total"] == 0


def test_appointments_carry_the_finnish_booking_status(app):
    from datetime import datetime

    from sotekeskus.store.models import Appointment, ScheduleSlot

    engine = app.state.engine
    with engine.begin() as conn:
        case = conn.execute(select(CareCase).order_by(CareCase.id)).first()
        slot = conn.execute(select(ScheduleSlot).where(ScheduleSlot.unit_id == "U1")
                            .order_by(ScheduleSlot.id)).first()
        conn.execute(ScheduleSlot.__table__.update().where(ScheduleSlot.id == slot.id)
                     .values(status="booked"))
        conn.execute(Appointment.__table__.insert().values(
            slot_id=slot.id, case_id=case.id, person_pk=case.person_pk, status="booked",
            booked_at=datetime(2025, 6, 16, 9, 0), booked_by="nurse", reason=""))
        pid = conn.execute(select(Person.person_id).where(Person.id == case.person_pk)
                           ).scalar_one()
    client = TestClient(app)
    ok = token(app, "desk", "professional", ["U1"], ["system/Appointment.read"])
    bundle = fhir(client.get("/fhir/Appointment", params={"patient": f"Patient/{pid}"},
                             headers=ok))
    appt = bundle["entry"][0]["resource"]
    assert appt["status"] == "booked"
    assert appt["extension"][0]["valueCoding"] == {
        "system": "urn:oid:1.2.246.537.6.881", "code": "3", "display": "Varattu"}
    assert appt["supportingInformation"] == [{"reference": f"Task/{case.id}"}]
    assert fhir(client.get(f"/fhir/Appointment/{appt['id']}", headers=ok))["id"] == appt["id"]
    assert any(a.target == f"fhir:Appointment/{appt['id']}" for a in audit_rows(app))
    north = token(app, "north", "professional", ["U2"], ["system/Appointment.read"])
    assert client.get(f"/fhir/Appointment/{appt['id']}", headers=north).status_code == 403


def test_questionnaire_response_opens_a_workdesk_case(app):
    client = TestClient(app)
    fourth = persons(app)[3]  # no case yet
    checker = token(app, "symptom-checker", "professional", ["U1"],
                    ["system/QuestionnaireResponse.write"])
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed",
          "questionnaire": "https://example.org/Questionnaire/sore-throat",
          "subject": {"reference": f"Patient/{fourth.person_id}"},
          "item": [{"linkId": "1", "text": "Fever", "answer": [{"valueBoolean": True}]},
                   {"linkId": "2", "text": "Days", "answer": [{"valueInteger": 3}]}]}
    response = client.post("/fhir/QuestionnaireResponse", json=qr, headers=checker)
    assert response.status_code == 201, response.text
    task = fhir(response)
    assert response.headers["location"].endswith(f"/fhir/Task/{task['id']}")
    with app.state.engine.connect() as conn:
        case = conn.execute(select(CareCase).where(CareCase.id == int(task["id"]))).one()
    assert (case.channel, case.unit_id, case.state) == ("questionnaire", "U1", "new")
    bad = dict(qr, status="in-progress")
    assert client.post("/fhir/QuestionnaireResponse", json=bad,
                       headers=checker).status_code == 422
    not_r4 = dict(qr, subject=[qr["subject"]])
    assert client.post("/fhir/QuestionnaireResponse", json=not_r4,
                       headers=checker).status_code == 400
    north = token(app, "north-checker", "professional", ["U2"],
                  ["system/QuestionnaireResponse.write"])
    refused = client.post("/fhir/QuestionnaireResponse",
                          json=dict(qr, author={"reference": "Organization/U1"}), headers=north)
    assert refused.status_code == 403


def test_bulk_export_kickoff_status_and_files(app):
    client = TestClient(app)
    lead = token(app, "lake", "leadership", [], ["system/*.read"])
    assert client.get("/fhir/$export", headers=lead).status_code == 400  # no Prefer
    kick = client.get("/fhir/$export", headers={**lead, "Prefer": "respond-async"})
    assert kick.status_code == 202
    status = client.get(kick.headers["content-location"], headers=lead)
    assert status.status_code == 200
    outputs = {o["type"]: o for o in status.json()["output"]}
    assert outputs["EpisodeOfCare"]["count"] > 0
    lines = client.get(outputs["EpisodeOfCare"]["url"], headers=lead).text.splitlines()
    assert len(lines) == outputs["EpisodeOfCare"]["count"]
    validate_r4(json.loads(lines[0]))
    analyst = token(app, "stats", "analyst", [], ["system/*.read"])
    assert client.get("/fhir/$export", headers={**analyst, "Prefer": "respond-async"}
                      ).status_code == 403
    assert client.get(kick.headers["content-location"], headers=analyst).status_code == 404


def test_client_creation_checks_role_units_and_scopes(app):
    engine = app.state.engine
    with pytest.raises(ClientError, match="role 'operator'"):
        create_client(engine, "x", "operator", [], ["system/Patient.read"])
    with pytest.raises(ClientError, match="unit 'U9'"):
        create_client(engine, "x", "professional", ["U9"], ["system/Patient.read"])
    with pytest.raises(ClientError, match="scope 'patient/Patient.read'"):
        create_client(engine, "x", "professional", ["U1"], ["patient/Patient.read"])


def test_api_clients_cli(runner, tmp_path):
    from sotekeskus.cli import app as cli

    db = str(tmp_path / "c.db")
    units = tmp_path / "units.csv"
    units.write_text("unit_id,name,municipality\nU1,Keskusta,Kokkola\n", encoding="utf-8")
    runner.invoke(cli, ["import", "units", str(units), "--db", db])
    made = runner.invoke(cli, ["api-clients", "create", "lake", "--role", "leadership",
                               "--scope", "system/*.read", "--db", db])
    assert made.exit_code == 0, made.output
    assert made.stdout.splitlines()[-1].startswith("sk_")
    listed = runner.invoke(cli, ["api-clients", "list", "--db", db])
    assert "lake" in listed.stdout and "sk_" not in listed.stdout
    assert runner.invoke(cli, ["api-clients", "revoke", "lake", "--db", db]).exit_code == 0
    again = runner.invoke(cli, ["api-clients", "revoke", "lake", "--db", db])
    assert again.exit_code == 1 and "no active client named 'lake'" in again.output
    bad = runner.invoke(cli, ["api-clients", "create", "x", "--role", "professional",
                              "--unit", "U9", "--scope", "system/Patient.read", "--db", db])
    assert bad.exit_code == 1 and "unit 'U9' is not a unit of the store" in bad.output
