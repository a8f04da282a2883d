"""Lapsed follow-up: hand-computed counts, the audited worklist, the conditions table."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sotekeskus.pathways.conditions import load_conditions, parse_conditions
from sotekeskus.pathways.errors import MissingDataError, PathwaysError, RuleTableError
from sotekeskus.pathways.followup import (
    WORKLIST_COLUMNS,
    due_date,
    follow_up,
    follow_up_worklist,
    suppress,
)
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.store import audit
from sotekeskus.store.database import make_engine
from sotekeskus.store.migrate import upgrade
from tests.pathways.helpers import DATA, load_episodes, source

ON = date(2025, 6, 30)
EXPECTED = json.loads((DATA / "followup_hand_expected.json").read_text())


@pytest.fixture
def audit_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine)
    return engine


def test_hand_computed_counts():
    result = follow_up(source("followup_hand.csv"), ON)
    assert result.rows == EXPECTED["rows"]
    assert result.notes == []


def summary(engine):  # type: ignore[no-untyped-def]
    """The read's one summary audit row (no subject)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sotekeskus.store.models import AuditEvent

    with Session(engine) as s:
        [row] = s.scalars(select(AuditEvent).where(AuditEvent.subject_person_id.is_(None)))
        return row


def subjects(engine):  # type: ignore[no-untyped-def]
    """person → purpose of the read's per-person audit rows."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sotekeskus.store.models import AuditEvent

    with Session(engine) as s:
        return {e.subject_person_id: e.purpose for e in s.scalars(
            select(AuditEvent).where(AuditEvent.subject_person_id.is_not(None)))}


def test_worklist_oldest_gap_first_with_reasons_and_an_audit_row(audit_engine):
    rows = follow_up_worklist(source("followup_hand.csv"), ON, actor="nurse.nieminen",
                              purpose="diabetes recall list", audit_engine=audit_engine,
                              units=None)
    plain = [{c: (v.isoformat() if isinstance(v, date) else v) for c, v in r.items()
              if c != "reason"} for r in rows]
    assert plain == EXPECTED["worklist"]
    assert list(rows[0]) == list(WORKLIST_COLUMNS)
    assert rows[1]["reason"] == (
        "Atrial fibrillation (warfarin, INR follow-up) (ICD-10 I48, ICPC-2 K78): last "
        "curative visit with the condition's code on 2024-11-30; protocol 3 months + 30 "
        "days' grace → due 2025-03-30, 92 days overdue on 2025-06-30")
    assert "last care plan on 2024-04-10" in rows[3]["reason"]
    event = summary(audit_engine)
    assert (event.actor, event.action, event.target) == (
        "nurse.nieminen", audit.READ_PERSONS, "follow_up_worklist")
    persons = subjects(audit_engine)
    assert sorted(persons) == sorted({r["person_id"] for r in rows})
    assert set(persons.values()) == {"diabetes recall list"}  # each row has the purpose
    assert event.detail == ("on=2025-06-30; units=all; conditions=diabetes,hypertension,"
                            "asthma,copd,coronary_heart_disease,atrial_fibrillation; "
                            "persons=5; purpose=diabetes recall list")
    assert "F10" not in event.detail


def test_worklist_within_a_scope_and_condition(audit_engine):
    rows = follow_up_worklist(source("followup_hand.csv"), ON, actor="a", purpose="p",
                              audit_engine=audit_engine, units=["U2"],
                              conditions=["diabetes"])
    assert [(r["person_id"], r["condition"]) for r in rows] == [("F3", "diabetes")]
    assert summary(audit_engine).detail.startswith(
        "on=2025-06-30; units=U2; conditions=diabetes; persons=1")
    assert list(subjects(audit_engine)) == ["F3"]


def test_an_empty_worklist_is_audited_too(audit_engine):
    rows = follow_up_worklist(source("followup_hand.csv"), date(2024, 1, 1), actor="a",
                              purpose="p", audit_engine=audit_engine, units=["U1"])
    assert rows == [] and "persons=0" in summary(audit_engine).detail
    assert subjects(audit_engine) == {}


@pytest.mark.parametrize(("actor", "purpose"), [("", "p"), ("a", " ")])
def test_worklist_needs_actor_and_purpose(audit_engine, actor, purpose):
    with pytest.raises(PathwaysError, match="audit log"):
        follow_up_worklist(source("followup_hand.csv"), ON, actor=actor, purpose=purpose,
                           audit_engine=audit_engine, units=None)
    assert audit.events(audit_engine) == []


def test_unknown_condition_lists_the_allowed_ones():
    with pytest.raises(PathwaysError, match="allowed: diabetes, hypertension"):
        follow_up(source("followup_hand.csv"), ON, conditions=["gout"])


def test_suppression():
    rows = suppress(follow_up(source("followup_hand.csv"), ON).rows)
    assert rows[0] == {"unit_id": "U1", "condition": "diabetes", "persons": "<5",
                       "lapsed": "<5", "lapsed_pct": None}


def test_missing_columns():
    table = load_episodes("followup_hand.csv")
    with pytest.raises(MissingDataError, match="diagnosis_codes"):
        follow_up(EpisodeSource.from_arrow(table.drop_columns(["diagnosis_codes"])), ON)
    result = follow_up(EpisodeSource.from_arrow(
        table.drop_columns(["visit_nature", "care_plan"])), ON)
    assert len(result.notes) == 2
    # Without visit_nature F3's TH visit (2024-03-01) counts and F8 is followed up on
    # 2025-06-01; without care_plan F3's follow-up is that TH visit → due 2025-03-31.
    diabetes = next(r for r in result.rows if r["unit_id"] == "all" and
                    r["condition"] == "diabetes")
    assert (diabetes["persons"], diabetes["lapsed"]) == (5, 2)


def test_due_date_clamps_to_the_month_end():
    assert due_date(date(2024, 11, 30), 3, 30) == date(2025, 3, 30)
    assert due_date(date(2024, 2, 29), 12, 0) == date(2025, 2, 28)


def test_shipped_conditions_table():
    table = load_conditions()
    assert table.ids() == ("diabetes", "hypertension", "asthma", "copd",
                           "coronary_heart_disease", "atrial_fibrillation")
    diabetes = table.get("diabetes")
    assert (diabetes.icd10, diabetes.icpc2, diabetes.interval_months, diabetes.grace_days) == (
        (("E10", "E14"),), (("T89", "T90"),), 12, 30)


@pytest.mark.parametrize(("doc", "message"), [
    ({"conditions": [{"id": "x", "icd10": ["E10-F14"], "interval_months": 12}]},
     "within one letter"),
    ({"conditions": [{"id": "x", "icd10": ["E14-E10"], "interval_months": 12}]},
     "within one letter"),
    ({"conditions": [{"id": "x", "icd10": ["E10"], "interval_months": 0}]}, "≥ 1"),
    ({"conditions": [{"id": "x", "interval_months": 12}]}, "at least one"),
    ({"conditions": [{"id": "x", "icd10": ["E10"], "interval_months": 1, "colour": 1}]},
     "unknown key"),
    ({"conditions": [{"id": "Bad", "icd10": ["E10"], "interval_months": 1}]}, "lower-case"),
    ({"conditions": [{"id": "x", "icd10": ["E10"], "interval_months": 1},
                     {"id": "x", "icd10": ["E11"], "interval_months": 1}]}, "twice"),
    ({"rules": []}, "list 'conditions'"),
])
def test_bad_conditions_tables_are_rejected(doc, message):
    with pytest.raises(RuleTableError, match=message):
        parse_conditions(doc, "my.yaml")


def test_a_regions_own_file(tmp_path):
    path = tmp_path / "conditions.yaml"
    path.write_text("grace_days: 0\nconditions:\n  - id: gout\n    name: Kihti\n"
                    "    icd10: [M10]\n    interval_months: 6\n")
    table = load_conditions(path)
    assert table.get("gout").name("sv") == "Kihti" and table.get("gout").grace_days == 0
    with pytest.raises(RuleTableError, match="cannot read"):
        load_conditions(tmp_path / "missing.yaml")
