"""The store side on SQLite and PostgreSQL: the examples are loaded by the migration, a
response opens its case (routed for booking), an emergency opens none, and url + version is
unique in the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotekeskus.care.questionnaires import store
from sotekeskus.care.questionnaires.submit import submit
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.store.models import CareCase, QuestionnaireResponseRow, QuestionnaireVersion
from tests.care.conftest import any_region  # noqa: F401  (fixture)
from tests.questionnaires.conftest import NOW, OPERATOR
from tests.questionnaires.test_rules import CALM


def test_responses_on_every_engine(any_region) -> None:  # noqa: F811
    engine = any_region.engine
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 5
        stored = store.current(s, fhir_id="respiratory-adult")
    with UnitOfWork(engine, OPERATOR, "questionnaire") as uow:
        booked = submit(uow, stored, any_region.persons[0],
                        {**CALM, "symptom": ("sinus_pain",), "duration": ("gt10",)}, now=NOW)
    with UnitOfWork(engine, OPERATOR, "questionnaire") as uow:
        flag = submit(uow, stored, any_region.persons[1],
                      {"rf_breathless_rest": (True,)}, now=NOW)
    with Session(engine) as s:
        case = s.get(CareCase, booked.case_id)
        assert (case.state, case.service_id) == ("routed", "nurse_remote")
        assert flag.case_id is None
        outcomes = sorted(s.scalars(select(QuestionnaireResponseRow.outcome)))
        assert outcomes == ["emergency", "non_urgent"]
        row = s.scalar(select(QuestionnaireVersion).limit(1))
        s.add(QuestionnaireVersion(url=row.url, version=row.version, fhir_id=row.fhir_id,
                                   status="active", title="x", resource="{}", rules="",
                                   uploaded_by="t", uploaded_at=NOW))
        with pytest.raises(IntegrityError):
            s.flush()
