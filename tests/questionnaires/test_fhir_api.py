"""The FHIR API: Questionnaire read and search (R4), and a QuestionnaireResponse of a known
questionnaire through the outcome rules (case with the fired rule, or an emergency stored
without a case); bad answers name the linkId."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.care.questionnaires import parse
from sotekeskus.interop.fhir.clients import create_client
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import CareCase, Person, QuestionnaireResponseRow
from tests.questionnaires.web_fixtures import QWeb, make_qweb

URL = "https://sotekeskus.example.fi/fhir/Questionnaire/respiratory-adult"


@pytest.fixture
def qweb(tmp_path) -> Iterator[QWeb]:  # type: ignore[no-untyped-def]
    w = make_qweb(resolve_url(str(tmp_path / "qapi.db")))
    yield w
    w.app.state.engine.dispose()
    w.region.engine.dispose()


def _token(qweb: QWeb, scopes: list[str]) -> dict[str, str]:
    _, secret = create_client(qweb.region.engine, "checker", "professional", ["U001"], scopes)
    return {"Authorization": f"Bearer {secret}"}


def _patient(qweb: QWeb) -> str:
    with Session(qweb.region.engine) as s:
        return s.get(Person, qweb.region.persons[0]).person_id


def test_read_and_search(qweb) -> None:
    c = TestClient(qweb.app)
    headers = _token(qweb, ["system/Questionnaire.read"])
    assert c.get("/fhir/Questionnaire/oral-health").status_code == 401
    r = c.get("/fhir/Questionnaire/oral-health", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    body = r.json()
    assert (body["id"], body["version"]) == ("oral-health", "2025.1")
    assert parse.load({k: v for k, v in body.items() if k != "meta"}).title("sv") == \
        "Symtombedömning för munhälsa"
    assert c.get("/fhir/Questionnaire/nope", headers=headers).status_code == 404
    found = c.get("/fhir/Questionnaire", params={"url": URL, "version": "2025.1"},
                  headers=headers).json()
    assert found["total"] == 1 and found["entry"][0]["resource"]["url"] == URL
    assert c.get("/fhir/Questionnaire", params={"url": URL, "version": "9"},
                 headers=headers).json()["total"] == 0
    assert c.get("/fhir/Questionnaire", headers=headers).json()["total"] == 5
    bad = c.get("/fhir/Questionnaire", params={"title": "x"}, headers=headers)
    assert bad.status_code == 400 and "supported: _count, _id, url, version" in bad.text


def _qr(patient: str, items: list[dict], questionnaire: str = f"{URL}|2025.1") -> dict:
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": questionnaire, "subject": {"reference": f"Patient/{patient}"},
            "item": items}


def _b(link: str, value: bool) -> dict:
    return {"linkId": link, "answer": [{"valueBoolean": value}]}


FLAGS = [{"linkId": "red_flags", "item": [_b("rf_breathless_rest", False),
                                         _b("rf_chest_pain", False), _b("rf_confusion", False),
                                         _b("rf_blue_lips", False)]}]
SYMPTOMS = {"linkId": "symptoms", "item": [
    _b("fever", True), {"linkId": "fever_days", "answer": [{"valueInteger": 5}]},
    {"linkId": "symptom", "answer": [{"valueCoding": {"code": "cough"}}]},
    _b("breathless_exertion", False), _b("risk_group", False),
    {"linkId": "duration", "answer": [{"valueCoding": {"code": "lt3"}}]}]}


def test_known_questionnaire_runs_the_rules(qweb) -> None:
    c = TestClient(qweb.app)
    headers = _token(qweb, ["system/QuestionnaireResponse.write"])
    patient = _patient(qweb)
    r = c.post("/fhir/QuestionnaireResponse", json=_qr(patient, [*FLAGS, SYMPTOMS]),
               headers=headers)
    assert r.status_code == 201, r.text
    task = r.json()
    with Session(qweb.region.engine) as s:
        case = s.get(CareCase, int(task["id"]))
        row = s.scalar(select(QuestionnaireResponseRow))
    assert (case.questionnaire_outcome, case.routing_rule, case.unit_id) == (
        "non_urgent", "respiratory-adult@2025.1#long-fever", "U001")
    assert (row.rule_id, row.questionnaire_version, row.case_id) == ("long-fever", "2025.1",
                                                                     case.id)


def test_emergency_is_stored_without_a_case(qweb) -> None:
    c = TestClient(qweb.app)
    headers = _token(qweb, ["system/QuestionnaireResponse.write"])
    flags = [{"linkId": "red_flags", "item": [_b("rf_blue_lips", True)]}]
    r = c.post("/fhir/QuestionnaireResponse", json=_qr(_patient(qweb), flags, URL),
               headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "rule rf-blue-lips" in body["issue"][0]["diagnostics"]
    with Session(qweb.region.engine) as s:
        assert s.scalar(select(func.count()).select_from(CareCase)) == 0
        assert s.scalar(select(QuestionnaireResponseRow.outcome)) == "emergency"


def test_bad_answers_name_the_link_id(qweb) -> None:
    c = TestClient(qweb.app)
    headers = _token(qweb, ["system/QuestionnaireResponse.write"])
    symptoms = json.loads(json.dumps(SYMPTOMS))
    symptoms["item"][-1]["answer"] = [{"valueCoding": {"code": "week"}}]
    r = c.post("/fhir/QuestionnaireResponse", json=_qr(_patient(qweb), [*FLAGS, symptoms]),
               headers=headers)
    assert r.status_code == 422
    assert "duration: 'week' is not one of the options; allowed: lt3, 3to10, gt10" in r.text
    r = c.post("/fhir/QuestionnaireResponse",
               json=_qr(_patient(qweb), FLAGS, f"{URL}|1999"), headers=headers)
    assert r.status_code == 422 and "stored versions: 2025.1" in r.text
    with Session(qweb.region.engine) as s:
        assert s.scalar(select(func.count()).select_from(QuestionnaireResponseRow)) == 0
