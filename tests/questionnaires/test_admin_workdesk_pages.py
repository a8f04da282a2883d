"""Admin upload of a new version (admin only; errors name the problem; versions kept) and
the professional's case page showing the recommendation, the fired rule and the answers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.questionnaires import store
from sotekeskus.care.questionnaires.examples import example_files
from sotekeskus.care.questionnaires.submit import submit
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import QuestionnaireVersion
from tests.questionnaires.conftest import NOW, OPERATOR
from tests.questionnaires.test_rules import CALM
from tests.questionnaires.web_fixtures import QWeb, csrf_of, make_qweb


@pytest.fixture
def qweb(tmp_path) -> Iterator[QWeb]:  # type: ignore[no-untyped-def]
    w = make_qweb(resolve_url(str(tmp_path / "qadmin.db")))
    yield w
    w.app.state.engine.dispose()
    w.region.engine.dispose()


def _files(name: str = "oral-health") -> tuple[dict, str]:
    q_path, r_path = next(p for p in example_files() if p[0].stem == name)
    return json.loads(q_path.read_text(encoding="utf-8")), r_path.read_text(encoding="utf-8")


def test_only_an_admin_may_upload(qweb) -> None:
    resource, rules = _files()
    nurse = qweb.staff("qnurse")
    assert nurse.get("/admin/questionnaires").status_code == 403
    page = nurse.get("/workdesk")
    r = nurse.post("/admin/questionnaires", data={"csrf_token": csrf_of(page.text),
                                                  "resource": json.dumps(resource),
                                                  "rules": rules})
    assert r.status_code == 403
    resident = qweb.resident(0)
    r = resident.get("/admin/questionnaires", follow_redirects=False)
    assert r.status_code in (303, 401, 403)
    with Session(qweb.region.engine) as s:
        assert len(store.rows(s)) == 5


def test_admin_uploads_a_new_version_and_the_old_one_stays(qweb) -> None:
    admin = qweb.staff("qadmin")
    page = admin.get("/admin/questionnaires")
    assert page.status_code == 200 and "Oral health symptom check" not in page.text  # fi
    assert "Suun terveyden oirearvio" in page.text
    csrf = csrf_of(page.text)
    resource, rules = _files()
    same = admin.post("/admin/questionnaires", data={"csrf_token": csrf,
                                                     "resource": json.dumps(resource),
                                                     "rules": rules})
    assert same.status_code == 400 and "version 2025.1 is already stored" in same.text
    resource["version"] = "2025.2"
    broken = admin.post("/admin/questionnaires", data={
        "csrf_token": csrf, "resource": json.dumps(resource),
        "rules": rules.replace("service: oral_dentist", "service: dentist_x", 1)})
    assert broken.status_code == 400
    assert "rule &#39;urgent-swelling-fever&#39;.service: unknown service" in broken.text
    assert "dentist_x" in broken.text
    not_json = admin.post("/admin/questionnaires", data={"csrf_token": csrf,
                                                         "resource": "{", "rules": rules})
    assert not_json.status_code == 400 and "not JSON" in not_json.text
    ok = admin.post("/admin/questionnaires", data={"csrf_token": csrf,
                                                   "resource": json.dumps(resource),
                                                   "rules": rules}, follow_redirects=False)
    assert ok.status_code == 303
    detail = admin.get(ok.headers["location"])
    assert "2025.2" in detail.text and "urgent-swelling-fever" in detail.text
    with Session(qweb.region.engine) as s:
        versions = [r.version for r in store.rows(s, resource["url"])]
        assert versions == ["2025.2", "2025.1"]
        assert store.current(s, url=resource["url"]).questionnaire.version == "2025.2"
    listing = admin.get("/admin/questionnaires")
    assert listing.text.count("oral-health") >= 2
    pk = ok.headers["location"].rsplit("/", 1)[1]
    prefilled = admin.get(f"/admin/questionnaires?start_from={pk}")
    assert "&#34;version&#34;: &#34;2025.2&#34;" in prefilled.text


def test_the_professional_sees_recommendation_rule_and_answers(qweb) -> None:
    engine = qweb.region.engine
    with Session(engine) as s:
        stored = store.current(s, fhir_id="respiratory-adult")
    answers = {**CALM, "fever": (True,), "fever_days": (5,)}
    with UnitOfWork(engine, OPERATOR, "questionnaire") as uow:
        result = submit(uow, stored, qweb.region.persons[0], answers, now=NOW)
    nurse = qweb.staff("qnurse")
    page = nurse.get(f"/workdesk/cases/{result.case_id}?purpose=assessment")
    assert page.status_code == 200
    text = page.text
    assert "Rule that fired" in text and "<code>long-fever</code>" in text
    assert "Non-urgent: appointment" in text and "Remote physician" in text
    assert "Do you have a fever (over 37.5 °C)?" in text
    assert "For how many days have you had a fever?</th><td>5</td>" in text
    assert "version 2025.1" in text
    admin = qweb.staff("qadmin")
    with Session(engine) as s:
        pk = s.scalar(select(QuestionnaireVersion.id).where(
            QuestionnaireVersion.fhir_id == "respiratory-adult"))
    assert "(non_urgent: 1)" in admin.get(f"/admin/questionnaires/{pk}").text
