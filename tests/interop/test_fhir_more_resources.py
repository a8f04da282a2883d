"""FHIR API: Organization, Location, EpisodeOfCare, Encounter and MeasureReport — read and
search against a small hand-built store, the scopes and the one access policy (units,
person-level vs aggregate roles, small-cell suppression), every read audited, every resource
valid R4 (fhirclient 4.0.1 models).

The store: units U1 (Keskusta, Kaupunki) and U2 (Pohjola, Kylä).

* Imported episodes (no case; persons known by pseudonym only), all non-urgent, medical,
  contact 2025-03-01 08:00, assessed 2025-03-03 09:00:
  U1 I1–I6 done, visits after 1, 2, 3, 5, 10, 20 days (in person, in person, in person,
  phone, phone, home visit; I1–I3 nature SH) → 6 access visits in March, 4 within 7 days
  (66.7 %), median wait (3 + 5) / 2 = 4.0 days; U2 J1–J2 done, waits 1 and 9 days (video,
  in person) → 2 access visits, 1 within 7 days (50.0 %); U2 J3 waiting (no care event →
  no Encounter).
* Workdesk cases: resident A in U1 (its episode visited by video on 2025-06-18 10:00, done),
  resident B in U2 (a new case, waiting).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sotekeskus.interop.fhir.clients import create_client
from sotekeskus.interop.fhir.validate import validate_r4
from sotekeskus.store.models import AuditEvent, CareCase, Episode, Meta, Person, Unit

CONTACT = datetime(2025, 3, 1, 8, 0)
ASSESSED = datetime(2025, 3, 3, 9, 0)
U1_VISITS = (("I1", 1, "in_person", "SH"), ("I2", 2, "in_person", "SH"),
             ("I3", 3, "in_person", "SH"), ("I4", 5, "phone", None),
             ("I5", 10, "phone", None), ("I6", 20, "home_visit", None))
U2_VISITS = (("J1", 1, "video", None), ("J2", 9, "in_person", None))
READ_ALL = ["system/*.read"]
HILMO = "urn:sotekeskus:codesystem:hilmo-yhteystapa"


def _episode(eid: str, unit: str, *, status: str, wait: int | None = None,
             mode: str | None = None, nature: str | None = None) -> Episode:
    return Episode(
        episode_id=eid, person_id=f"P-{eid}", birth_date=date(1980, 1, 1), unit_id=unit,
        service_area="medical", professional_group="nurse", urgency="non_urgent",
        contact_at=CONTACT, assessed_at=ASSESSED,
        visit_at=ASSESSED + timedelta(days=wait, hours=1) if wait is not None else None,
        contact_mode=mode, status=status, plan_based=False, visit_nature=nature)


def build_store(url: str) -> None:
    from sotekeskus.care.cases.commands import Contact, open_case
    from sotekeskus.care.persons import register_person
    from sotekeskus.care.unit_of_work import UnitOfWork
    from sotekeskus.domain.access_policy import Actor, Role
    from sotekeskus.domain.workflow.hetu import synthetic_hetu
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    now = datetime(2025, 6, 16, 8, 0)
    with Session(engine) as session, session.begin():
        session.add(Unit(unit_id="U1", name="Keskusta", municipality="Kaupunki"))
        session.add(Unit(unit_id="U2", name="Pohjola", municipality="Kylä"))
        session.add(Meta(key="data_version", value="hand-1"))
        for eid, wait, mode, nature in U1_VISITS:
            session.add(_episode(eid, "U1", status="done", wait=wait, mode=mode,
                                 nature=nature))
        for eid, wait, mode, nature in U2_VISITS:
            session.add(_episode(eid, "U2", status="done", wait=wait, mode=mode,
                                 nature=nature))
        session.add(_episode("J3", "U2", status="waiting"))
        a = register_person(session, synthetic_hetu(date(1990, 4, 2), 901), name="Aino A",
                            synthetic_only=True, now=now).id
        b = register_person(session, synthetic_hetu(date(1991, 5, 3), 902), name="Bertil B",
                            synthetic_only=True, now=now).id
    operator = Actor("cli:test", Role.OPERATOR)
    for person, unit in ((a, "U1"), (b, "U2")):
        with UnitOfWork(engine, operator, "contact") as uow:
            open_case(uow, Contact(person, "phone", unit, "Flunssa"), now=now)
    with engine.begin() as conn:  # resident A's case was visited (a video call)
        episode_a = conn.execute(select(CareCase.episode_id).where(
            CareCase.unit_id == "U1")).scalar_one()
        conn.execute(update(Episode).where(Episode.episode_id == episode_a).values(
            status="done", assessed_at=datetime(2025, 6, 16, 9, 0),
            visit_at=datetime(2025, 6, 18, 10, 0), contact_mode="video"))
    engine.dispose()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fhirmore") / "store.db"
    build_store(f"sqlite:///{path}")
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


def fhir(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    validate_r4(body)
    return body


def entries(bundle: dict) -> list[dict]:
    out = [e["resource"] for e in bundle.get("entry", [])]
    for resource in out:
        validate_r4(resource)
    return out


def audit_rows(app) -> list[AuditEvent]:
    with app.state.engine.connect() as conn:
        return list(conn.execute(select(AuditEvent).order_by(AuditEvent.id)))


def case_of(app, unit: str) -> tuple[str, str]:
    """(episode id, person id) of the workdesk case in ``unit``."""
    with app.state.engine.connect() as conn:
        return tuple(conn.execute(select(CareCase.episode_id, Person.person_id).join(
            Person, Person.id == CareCase.person_pk).where(CareCase.unit_id == unit)).one())


# ---- Organization, Location ----------------------------------------------------------------
def test_organizations_and_locations_are_the_units(app):
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    org = fhir(client.get("/fhir/Organization/U2", headers=desk))
    assert org == {"resourceType": "Organization", "id": "U2",
                   "identifier": [{"system": "urn:sotekeskus:unit", "value": "U2"}],
                   "active": True, "name": "Pohjola", "address": [{"city": "Kylä"}]}
    found = entries(fhir(client.get("/fhir/Organization", params={"name": "kesk"},
                                    headers=desk)))
    assert [o["id"] for o in found] == ["U1"]
    found = entries(fhir(client.get("/fhir/Organization", params={
        "identifier": "urn:sotekeskus:unit|U2"}, headers=desk)))
    assert [o["id"] for o in found] == ["U2"]
    assert client.get("/fhir/Organization", params={"identifier": "urn:x|U2"},
                      headers=desk).status_code == 400
    loc = fhir(client.get("/fhir/Location/loc-U1", headers=desk))
    assert loc["managingOrganization"] == {"reference": "Organization/U1"}
    assert loc["name"] == "Keskusta" and loc["status"] == "active"
    found = entries(fhir(client.get("/fhir/Location", params={
        "organization": "Organization/U2"}, headers=desk)))
    assert [loc["id"] for loc in found] == ["loc-U2"]
    assert [o["id"] for o in entries(fhir(client.get("/fhir/Organization", params={
        "_id": "U1"}, headers=desk)))] == ["U1"]
    assert fhir(client.get("/fhir/Organization", params={"_id": "loc-U1"},
                           headers=desk))["total"] == 0
    assert [o["id"] for o in entries(fhir(client.get("/fhir/Location", params={
        "_id": "loc-U2"}, headers=desk)))] == ["loc-U2"]
    assert fhir(client.get("/fhir/Location", params={"name": "nowhere"},
                           headers=desk))["total"] == 0
    assert fhir(client.get("/fhir/Location/loc-U9", headers=desk), 404)["issue"][0][
        "code"] == "not-found"
    assert fhir(client.get("/fhir/Organization/U9", headers=desk), 404)
    reads = [a for a in audit_rows(app) if a.actor == "api:desk"]
    assert {a.target for a in reads} >= {"fhir:Organization/U2", "fhir:Location/loc-U1",
                                         "fhir:Organization?name=kesk"}
    assert all(a.purpose == "fhir-api" and a.subject_person_id is None for a in reads)


def test_unknown_search_parameter_names_the_supported_ones(app):
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    bad = fhir(client.get("/fhir/Organization", params={"city": "Kylä"}, headers=desk), 400)
    assert bad["issue"][0]["diagnostics"].endswith(
        "supported: _count, _id, identifier, name")
    bad = fhir(client.get("/fhir/Encounter", params={"subject": "Patient/x"},
                          headers=desk), 400)
    assert "supported: _count, class, date, episode-of-care, identifier, organization, " \
           "patient, type" in bad["issue"][0]["diagnostics"]


# ---- EpisodeOfCare -------------------------------------------------------------------------
def test_episode_of_care_read_imported_and_workdesk_patients(app):
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    imported = fhir(client.get("/fhir/EpisodeOfCare/I4", headers=desk))
    assert imported["patient"] == {"identifier": {"system": "urn:sotekeskus:pseudonym",
                                                  "value": "P-I4"}}
    assert imported["status"] == "finished"
    assert imported["managingOrganization"] == {"reference": "Organization/U1"}
    assert imported["period"] == {"start": "2025-03-01T08:00:00+02:00"}
    assert imported["identifier"] == [{"system": "urn:sotekeskus:episode", "value": "I4"}]
    episode_a, person_a = case_of(app, "U1")
    workdesk = fhir(client.get(f"/fhir/EpisodeOfCare/{episode_a}", headers=desk))
    assert workdesk["patient"] == {"reference": f"Patient/{person_a}"}
    rows = [a for a in audit_rows(app) if a.actor == "api:desk"]
    assert [(a.target, a.subject_person_id, a.purpose) for a in rows] == [
        ("fhir:EpisodeOfCare/I4", "P-I4", "fhir-api"),
        (f"fhir:EpisodeOfCare/{episode_a}", person_a, "fhir-api")]


def test_episodes_are_scoped_to_the_clients_units(app):
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    denied = fhir(client.get("/fhir/EpisodeOfCare/J1", headers=desk), 403)
    assert denied["issue"][0]["code"] == "forbidden"
    assert fhir(client.get("/fhir/Encounter/enc-J1", headers=desk), 403)
    assert any(a.target == "fhir:EpisodeOfCare/J1" and a.action == "access_denied"
               and a.actor == "api:desk" for a in audit_rows(app))
    all_u1 = entries(fhir(client.get("/fhir/EpisodeOfCare", headers=desk)))
    episode_a, _ = case_of(app, "U1")
    assert [e["id"] for e in all_u1] == ["I1", "I2", "I3", "I4", "I5", "I6", episode_a]
    assert fhir(client.get("/fhir/EpisodeOfCare", params={
        "organization": "Organization/U2"}, headers=desk))["total"] == 0
    north = token(app, "north", "manager", ["U2"], ["system/EpisodeOfCare.read"])
    u2 = entries(fhir(client.get("/fhir/EpisodeOfCare", headers=north)))
    episode_b, person_b = case_of(app, "U2")
    assert sorted(e["id"] for e in u2) == sorted(["J1", "J2", "J3", episode_b])
    searched = [a for a in audit_rows(app) if a.actor == "api:north"]
    assert sorted(a.subject_person_id for a in searched) == sorted(
        ["P-J1", "P-J2", "P-J3", person_b])
    assert all(a.detail.endswith("search: 1") and a.purpose == "fhir-api" for a in searched)


def test_episode_search_parameters(app):
    client = TestClient(app)
    lead_u1 = token(app, "m1", "manager", ["U1"], ["system/EpisodeOfCare.read"])
    _, person_a = case_of(app, "U1")

    def ids(**params: str) -> list[str]:
        return [e["id"] for e in entries(fhir(client.get(
            "/fhir/EpisodeOfCare", params=params, headers=lead_u1)))]

    assert ids(patient="Patient/P-I2") == ["I2"]
    assert len(ids(patient=f"Patient/{person_a}")) == 1
    assert ids(status="finished", date="le2025-03-31") == ["I1", "I2", "I3", "I4", "I5",
                                                           "I6"]
    assert ids(date="ge2025-06-01") == ids(patient=f"Patient/{person_a}")
    assert ids(identifier="urn:sotekeskus:episode|I5") == ["I5"]
    bad = client.get("/fhir/EpisodeOfCare", params={"status": "done"}, headers=lead_u1)
    assert bad.status_code == 400
    assert "allowed: finished, waitlist, cancelled" in bad.json()["issue"][0]["diagnostics"]
    page = fhir(client.get("/fhir/EpisodeOfCare", params={"_count": "2"}, headers=lead_u1))
    assert page["total"] == 7 and [e["resource"]["id"] for e in page["entry"]] == ["I1", "I2"]


def test_person_level_resources_need_scope_and_a_person_level_role(app):
    client = TestClient(app)
    no_scope = token(app, "slots", "professional", ["U1"], ["system/Slot.read"])
    refused = fhir(client.get("/fhir/EpisodeOfCare/I1", headers=no_scope), 403)
    assert "system/EpisodeOfCare.read" in refused["issue"][0]["diagnostics"]
    assert fhir(client.get("/fhir/Encounter", headers=no_scope), 403)
    assert fhir(client.get("/fhir/MeasureReport", params={"period": "2025-03"},
                           headers=no_scope), 403)
    for role in ("analyst", "leadership", "admin"):
        figures = token(app, f"fig-{role}", role, [], READ_ALL)
        denied = fhir(client.get("/fhir/EpisodeOfCare", headers=figures), 403)
        assert "sees no person-level data" in denied["issue"][0]["diagnostics"]
        assert fhir(client.get("/fhir/Encounter/enc-I1", headers=figures), 403)
    scheduler = token(app, "sched", "scheduler", ["U1"], READ_ALL)
    assert fhir(client.get("/fhir/EpisodeOfCare/I1", headers=scheduler), 403)


# ---- Encounter -----------------------------------------------------------------------------
def test_encounter_carries_the_hilmo_contact_mode(app):
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    enc = fhir(client.get("/fhir/Encounter/enc-I4", headers=desk))
    assert enc["class"]["code"] == "VR" and enc["status"] == "finished"
    assert enc["type"][0]["coding"][0] == {"system": HILMO, "code": "R52"}
    assert enc["subject"] == {"identifier": {"system": "urn:sotekeskus:pseudonym",
                                             "value": "P-I4"}}
    assert enc["episodeOfCare"] == [{"reference": "EpisodeOfCare/I4"}]
    assert enc["period"] == {"start": "2025-03-08T10:00:00+02:00"}
    home = fhir(client.get("/fhir/Encounter/enc-I6", headers=desk))
    assert home["class"]["code"] == "HH" and home["type"][0]["coding"][0]["code"] == "R20"
    episode_a, person_a = case_of(app, "U1")
    video = fhir(client.get(f"/fhir/Encounter/enc-{episode_a}", headers=desk))
    assert video["subject"] == {"reference": f"Patient/{person_a}"}
    assert video["type"][0]["coding"] == [{"system": "urn:sotekeskus:codesystem:contact-mode",
                                           "code": "video"}]
    north = token(app, "north", "professional", ["U2"], READ_ALL)
    assert fhir(client.get("/fhir/Encounter/enc-J3", headers=north), 404)  # waiting
    episode_b, _ = case_of(app, "U2")
    assert fhir(client.get(f"/fhir/Encounter/enc-{episode_b}", headers=north), 404)
    row = [a for a in audit_rows(app) if a.target == "fhir:Encounter/enc-I4"]
    assert len(row) == 1 and row[0].subject_person_id == "P-I4"


def test_encounter_search_parameters(app):
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], ["system/Encounter.read"])

    def ids(**params: str) -> list[str]:
        return [e["id"] for e in entries(fhir(client.get(
            "/fhir/Encounter", params=params, headers=desk)))]

    episode_a, person_a = case_of(app, "U1")
    assert ids() == ["enc-I1", "enc-I2", "enc-I3", "enc-I4", "enc-I5", "enc-I6",
                     f"enc-{episode_a}"]
    assert ids(**{"class": "VR"}) == ["enc-I4", "enc-I5", f"enc-{episode_a}"]
    assert ids(**{"class": "http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB"}) == [
        "enc-I1", "enc-I2", "enc-I3"]
    assert ids(type=f"{HILMO}|R52") == ["enc-I4", "enc-I5"]
    assert ids(type="urn:oid:1.2.246.537.6.124|SH") == ["enc-I1", "enc-I2", "enc-I3"]
    assert ids(type="video") == [f"enc-{episode_a}"]
    assert ids(date=["ge2025-03-07", "le2025-03-13"]) == ["enc-I4", "enc-I5"]
    assert ids(**{"episode-of-care": "EpisodeOfCare/I2"}) == ["enc-I2"]
    assert ids(patient=f"Patient/{person_a}") == [f"enc-{episode_a}"]
    bad = client.get("/fhir/Encounter", params={"type": "R99"}, headers=desk)
    assert bad.status_code == 400 and "allowed:" in bad.text and "R10" in bad.text
    bad = client.get("/fhir/Encounter", params={"class": "IMP"}, headers=desk)
    assert bad.status_code == 400 and "allowed: AMB, HH, VR" in bad.text
    bad = client.get("/fhir/Encounter", params={"date": "yesterday"}, headers=desk)
    assert bad.status_code == 400


# ---- MeasureReport -------------------------------------------------------------------------
def _group(report: dict) -> dict:
    return report["group"][0]


def _population(group: dict, code: str) -> int | None:
    return next((p["count"] for p in group.get("population", [])
                 if p["code"]["coding"][0]["code"] == code), None)


def test_measure_report_read_region_and_unit(app):
    client = TestClient(app)
    lead = token(app, "lead", "leadership", [], ["system/MeasureReport.read"])
    region = fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03", headers=lead))
    assert region["measure"] == "https://sotekeskus.fi/fhir/Measure/within_7d_pct"
    assert region["period"] == {"start": "2025-03-01", "end": "2025-03-31"}
    assert "subject" not in region
    assert _group(region)["measureScore"]["value"] == 62.5  # 5 of 8
    assert _population(_group(region), "denominator") == 8
    u1 = fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03.U1", headers=lead))
    assert u1["subject"] == {"reference": "Location/loc-U1"}
    assert _group(u1)["measureScore"]["value"] == 66.7 and _population(_group(u1),
                                                                       "denominator") == 6
    median = fhir(client.get("/fhir/MeasureReport/median-wait-days.2025-03.U1", headers=lead))
    assert _group(median)["measureScore"] == {"value": 4.0, "unit": "d",
                                              "system": "http://unitsofmeasure.org",
                                              "code": "d"}
    quarter = fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-q1.U2", headers=lead))
    assert _group(quarter)["measureScore"]["value"] == 50.0
    assert fhir(client.get("/fhir/MeasureReport/nothing.2025-03", headers=lead), 404)
    assert fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03.U9", headers=lead), 404)
    rows = [a for a in audit_rows(app) if a.actor == "api:lead"]
    assert rows[0].target == "fhir:MeasureReport/within-7d-pct.2025-03"
    assert all(a.purpose == "fhir-api" and a.subject_person_id is None for a in rows)


def test_measure_report_suppresses_small_cells_for_an_analyst(app):
    client = TestClient(app)
    analyst = token(app, "stats", "analyst", [], ["system/MeasureReport.read"])
    lead = token(app, "lead", "leadership", [], ["system/MeasureReport.read"])
    small = fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03.U2", headers=analyst))
    assert "measureScore" not in _group(small) and "population" not in _group(small)
    for stratifier in _group(small).get("stratifier", []):
        for stratum in stratifier["stratum"]:
            assert "measureScore" not in stratum and "population" not in stratum
    assert "50.0" not in str(small) and "'count': 2" not in str(small)
    shown = fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03.U2", headers=lead))
    assert _group(shown)["measureScore"]["value"] == 50.0
    assert _population(_group(shown), "denominator") == 2
    big = fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03.U1", headers=analyst))
    assert _group(big)["measureScore"]["value"] == 66.7  # 6 visits: not a small cell


def test_measure_report_search_and_unit_scope(app):
    client = TestClient(app)
    manager = token(app, "m1", "manager", ["U1"], ["system/MeasureReport.read"])
    found = entries(fhir(client.get("/fhir/MeasureReport", params={
        "measure": "https://sotekeskus.fi/fhir/Measure/within_7d_pct",
        "period": "2025-03"}, headers=manager)))
    assert [r["id"] for r in found] == ["within-7d-pct.2025-03.U1"]  # own unit, not region
    assert _group(found[0])["measureScore"]["value"] == 66.7
    assert fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03.U2", headers=manager),
                403)
    assert fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03", headers=manager), 403)
    assert fhir(client.get("/fhir/MeasureReport", params={
        "period": "2025-03", "subject": "Location/loc-U2"}, headers=manager))["total"] == 0
    lead = token(app, "lead", "leadership", [], ["system/MeasureReport.read"])
    months = fhir(client.get("/fhir/MeasureReport", params=[
        ("measure", "within_7d_pct,median_wait_days"), ("period", "ge2025-02"),
        ("period", "le2025-04"), ("subject", "Location/loc-U1")], headers=lead))
    assert months["total"] == 6
    assert [e["resource"]["id"] for e in months["entry"]] == [
        "within-7d-pct.2025-02.U1", "median-wait-days.2025-02.U1",
        "within-7d-pct.2025-03.U1", "median-wait-days.2025-03.U1",
        "within-7d-pct.2025-04.U1", "median-wait-days.2025-04.U1"]
    assert "measureScore" not in _group(months["entry"][0]["resource"])  # no February visits
    page = fhir(client.get("/fhir/MeasureReport", params={"period": "2025-03", "_count": "3"},
                           headers=lead))
    assert page["total"] == 9 and len(page["entry"]) == 3
    for params, message in (({}, "search MeasureReport by period"),
                            ({"period": "March"}, "is not YYYY-MM"),
                            ({"period": "2025-03", "measure": "x"}, "allowed: https://"),
                            ({"period": "ge2025-01"}, "both ge")):
        bad = client.get("/fhir/MeasureReport", params=params, headers=lead)
        assert bad.status_code == 400 and message in bad.text, (params, bad.text)
    desk = token(app, "desk", "professional", ["U1"], ["system/MeasureReport.read"])
    assert fhir(client.get("/fhir/MeasureReport", params={"period": "2025-03"},
                           headers=desk), 403)


def test_capability_statement_lists_the_new_resources(app):
    body = fhir(TestClient(app).get("/fhir/metadata"))
    kinds = {r["type"]: r for r in body["rest"][0]["resource"]}
    for name, params in (("Organization", {"identifier", "name"}),
                         ("Location", {"organization", "name"}),
                         ("EpisodeOfCare", {"patient", "organization", "status", "date"}),
                         ("Encounter", {"patient", "episode-of-care", "date", "class",
                                        "type"}),
                         ("MeasureReport", {"measure", "period", "subject"})):
        assert [i["code"] for i in kinds[name]["interaction"]] == ["read", "search-type"]
        assert params <= {p["name"] for p in kinds[name]["searchParam"]}


def test_episodes_and_measure_reports_on_postgresql(pg_db: str) -> None:
    from sotekeskus.store.database import resolve_url
    from sotekeskus.web.app import create_app

    url = resolve_url(pg_db)
    build_store(url)
    application = create_app(url, secret_key="test-secret", secure_cookies=False)
    try:
        client = TestClient(application)
        desk = token(application, "desk", "professional", ["U1"], READ_ALL)
        found = fhir(client.get("/fhir/Encounter", params=[
            ("class", "VR"), ("date", "ge2025-03-07"), ("date", "le2025-03-13"),
            ("_count", "1")], headers=desk))
        assert found["total"] == 2 and [e["resource"]["id"] for e in found["entry"]] == [
            "enc-I4"]
        assert [e["resource"]["id"] for e in fhir(client.get(
            "/fhir/EpisodeOfCare", params={"status": "finished", "date": "le2025-03-31",
                                           "organization": "Organization/U1"},
            headers=desk))["entry"]] == ["I1", "I2", "I3", "I4", "I5", "I6"]
        lead = token(application, "lead", "leadership", [], READ_ALL)
        report = fhir(client.get("/fhir/MeasureReport/within-7d-pct.2025-03", headers=lead))
        assert _group(report)["measureScore"]["value"] == 62.5
    finally:
        application.state.engine.dispose()


def test_an_episode_id_that_is_not_a_fhir_id_is_read_by_its_digest_id(app):
    from sotekeskus.interop.fhir.resources import fhir_id

    with Session(app.state.engine) as session, session.begin():
        session.add(_episode("K/1 ä", "U1", status="waiting", mode="phone"))
    client = TestClient(app)
    desk = token(app, "desk", "professional", ["U1"], READ_ALL)
    rid = fhir_id("K/1 ä")
    assert rid.startswith("h-")
    episode = fhir(client.get(f"/fhir/EpisodeOfCare/{rid}", headers=desk))
    assert episode["identifier"][0]["value"] == "K/1 ä" and episode["status"] == "waitlist"
    encounter = fhir(client.get(f"/fhir/Encounter/enc-{rid}", headers=desk))
    assert encounter["status"] == "planned" and "period" not in encounter
    assert [e["id"] for e in entries(fhir(client.get("/fhir/Encounter", params={
        "episode-of-care": f"EpisodeOfCare/{rid}"}, headers=desk)))] == [f"enc-{rid}"]
    north = token(app, "north", "professional", ["U2"], READ_ALL)
    assert fhir(client.get(f"/fhir/EpisodeOfCare/{rid}", headers=north), 404)
