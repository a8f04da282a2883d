"""Storing a response: the case lands in the workdesk queue with its deadline; an emergency
is stored (status stopped) without a case; responses are R4; old responses keep their
version when a new one is uploaded."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.care.cases.queue import QueueFilter, queue
from sotekeskus.care.questionnaires import store
from sotekeskus.care.questionnaires.errors import AnswerError, QuestionnaireError
from sotekeskus.care.questionnaires.examples import example_files, seed_examples
from sotekeskus.care.questionnaires.submit import submit
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.interop.fhir.validate import validate_r4
from sotekeskus.store.models import CareCase, QuestionnaireResponseRow, QuestionnaireVersion
from tests.questionnaires.conftest import NOW, OPERATOR
from tests.questionnaires.test_rules import CALM, CASES


def _stored(engine, name: str):
    with Session(engine) as s:
        return store.current(s, fhir_id=name)


def test_the_migration_loaded_the_examples_once(qregion) -> None:
    assert seed_examples(qregion.engine) == 0  # idempotent
    with Session(qregion.engine) as s:
        assert s.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 5


def test_non_urgent_opens_a_case_in_the_queue_with_a_deadline(qregion) -> None:
    stored = _stored(qregion.engine, "respiratory-adult")
    answers = {**CALM, "fever": (True,), "fever_days": (5,)}
    with UnitOfWork(qregion.engine, OPERATOR, "questionnaire") as uow:
        result = submit(uow, stored, qregion.persons[0], answers, now=NOW, lang="sv")
    assert (result.recommendation.value, result.rule.rule_id, result.status) == (
        "non_urgent", "long-fever", "completed")
    with UnitOfWork(qregion.engine, qregion.nurse.actor, "queue") as uow:
        rows = queue(uow, qregion.nurse, QueueFilter(), now=NOW)
        case = uow.session.get(CareCase, result.case_id)
        row = uow.session.get(QuestionnaireResponseRow, result.response_id)
    assert [r.case_id for r in rows] == [result.case_id]
    assert (case.channel, case.unit_id, case.questionnaire_outcome, case.service_id) == (
        "questionnaire", "U001", "non_urgent", "remote_physician")
    assert case.routing_rule == "respiratory-adult@2025.1#long-fever"
    assert case.due_on is not None and case.due_on == NOW.date()  # same-day assessment leg
    assert (row.questionnaire_url, row.questionnaire_version, row.rule_id, row.case_id) == (
        stored.questionnaire.url, "2025.1", "long-fever", case.id)
    resource = json.loads(row.resource)
    validate_r4(resource, exact=True)
    assert resource["questionnaire"] == stored.questionnaire.canonical
    assert resource["language"] == "sv"
    assert resource["item"][1]["item"][0]["text"] == "Har du feber (över 37,5 °C)?"


def test_emergency_is_stored_without_a_case(qregion) -> None:
    stored = _stored(qregion.engine, "respiratory-adult")
    with UnitOfWork(qregion.engine, OPERATOR, "questionnaire") as uow:
        # only the first page was answered: nothing else is needed
        result = submit(uow, stored, qregion.persons[1],
                        {"rf_breathless_rest": (False,), "rf_chest_pain": (True,)}, now=NOW)
    assert (result.recommendation.value, result.rule.rule_id, result.case_id, result.status) \
        == ("emergency", "rf-chest-pain", None, "stopped")
    with Session(qregion.engine) as s:
        assert s.scalar(select(func.count()).select_from(CareCase)) == 0
        row = s.get(QuestionnaireResponseRow, result.response_id)
        validate_r4(json.loads(row.resource), exact=True)
        assert (row.outcome, row.status) == ("emergency", "stopped")


def test_incomplete_answers_open_nothing(qregion) -> None:
    stored = _stored(qregion.engine, "respiratory-adult")
    answers = dict(CALM)
    answers.pop("duration")
    with pytest.raises(AnswerError, match="duration: an answer is required"):
        with UnitOfWork(qregion.engine, OPERATOR, "questionnaire") as uow:
            submit(uow, stored, qregion.persons[0], answers, now=NOW)
    with Session(qregion.engine) as s:
        assert s.scalar(select(func.count()).select_from(QuestionnaireResponseRow)) == 0
        assert s.scalar(select(func.count()).select_from(CareCase)) == 0


@pytest.mark.parametrize("case", [c for c in CASES if c[3] != "emergency"],
                         ids=lambda c: f"{c[0]}:{c[2]}")
def test_every_shipped_outcome_stores_an_r4_response(qregion, case) -> None:
    name, answers, rule_id, outcome = case
    stored = _stored(qregion.engine, name)
    with UnitOfWork(qregion.engine, OPERATOR, "questionnaire") as uow:
        result = submit(uow, stored, qregion.persons[0], answers, now=NOW, lang="en")
        row = uow.session.get(QuestionnaireResponseRow, result.response_id)
        case_row = uow.session.get(CareCase, result.case_id)
        validate_r4(json.loads(row.resource), exact=True)
    assert (row.rule_id, row.outcome, case_row.questionnaire_outcome) == (rule_id, outcome,
                                                                          outcome)


def test_old_responses_keep_their_version(qregion) -> None:
    engine = qregion.engine
    old = _stored(engine, "prescription-renewal")
    answers = {"medicine": ("Simvastatiini 20 mg",), "dose": ("1 x 1",),
               "last_check": ("lt12m",), "side_effects": (False,)}
    with UnitOfWork(engine, OPERATOR, "questionnaire") as uow:
        first = submit(uow, old, qregion.persons[0], answers, now=NOW)
    q_path, r_path = next(p for p in example_files() if p[0].stem == "prescription-renewal")
    resource = json.loads(q_path.read_text(encoding="utf-8"))
    with Session(engine) as s, s.begin():
        with pytest.raises(QuestionnaireError, match="version 2025.1 is already stored"):
            store.save_version(s, json.dumps(resource), r_path.read_text(), by="admin",
                               at=NOW)
    resource["version"] = "2025.2"
    resource["item"][0]["item"][0]["text"] = "Lääkkeen nimi"
    with Session(engine) as s, s.begin():
        store.save_version(s, json.dumps(resource), r_path.read_text(), by="admin",
                           at=datetime(2025, 6, 16, 9, 0))
    new = _stored(engine, "prescription-renewal")
    assert new.questionnaire.version == "2025.2"
    with UnitOfWork(engine, OPERATOR, "questionnaire") as uow:
        second = submit(uow, new, qregion.persons[0], answers, now=NOW)
    with Session(engine) as s:
        versions = [s.get(QuestionnaireResponseRow, r.response_id).questionnaire_version
                    for r in (first, second)]
        assert versions == ["2025.1", "2025.2"]
        assert store.version_of(s, old.questionnaire.url, "2025.1").questionnaire.item(
            "medicine").text("fi") == "Lääkkeen nimi ja vahvuus"
        assert [r.version for r in store.rows(s, old.questionnaire.url)] == ["2025.2", "2025.1"]


def test_non_urgent_with_a_self_booking_service_is_routed_for_booking(qregion) -> None:
    from sotekeskus.store.models import Assessment, CaseTransition

    stored = _stored(qregion.engine, "respiratory-adult")
    answers = {**CALM, "symptom": ("ear_pain",), "duration": ("3to10",)}
    with UnitOfWork(qregion.engine, OPERATOR, "questionnaire") as uow:
        result = submit(uow, stored, qregion.persons[0], answers, now=NOW)
    assert (result.rule.rule_id, result.service_id) == ("ear-or-sinus", "nurse_remote")
    label = "questionnaire:respiratory-adult@2025.1#ear-or-sinus"
    with UnitOfWork(qregion.engine, qregion.nurse.actor, "queue") as uow:
        case = uow.session.get(CareCase, result.case_id)
        history = [(t.transition, t.from_state, t.to_state, t.actor)
                   for t in uow.session.scalars(
                       select(CaseTransition).where(CaseTransition.case_id == case.id)
                       .order_by(CaseTransition.id))]
        assessment = uow.session.scalar(select(Assessment).where(
            Assessment.case_id == case.id))
        rows = queue(uow, qregion.nurse, QueueFilter(), now=NOW)  # nurse_remote member
    assert (case.state, case.service_id, case.urgency, case.owner_user_id) == (
        "routed", "nurse_remote", "non_urgent", None)
    assert case.assessed_at == NOW and case.due_leg is not None
    assert history == [("open", "new", "new", "cli:test"),
                       ("claim", "new", "claimed", label),
                       ("assess", "claimed", "assessed", label),
                       ("route", "assessed", "routed", label)]
    assert assessment.assessor == label and assessment.professional_group == "nurse"
    assert [r.case_id for r in rows] == [case.id]
