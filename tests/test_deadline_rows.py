"""The built-in rule rows of planning.md §1, leg by leg, against hand-counted deadlines.

Each case names the start date, the rule in force on it and the last on-time date counted
on a calendar (Finnish holidays named where a weekday count crosses one).
"""

from __future__ import annotations

from datetime import date

import pytest

from sotekeskus.domain.rules import LegKey, RuleBook, RuleKind
from sotekeskus.domain.vocabulary import CaseEvent, CaseType, Urgency
from sotekeskus.rules import load_rulebook

E, C = CaseEvent, CaseType
LEGAL, TARGET = RuleKind.LEGAL, RuleKind.TARGET
ADULT = date(1980, 5, 5)
CHILD = date(2015, 5, 5)


@pytest.fixture(autouse=True)
def _no_region_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOTEKESKUS_RULES_DIR", raising=False)


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


CASES = [
    # specialist care, Health Care Act 52 §: 3 weeks, 3 months, 6 months
    (LegKey(C.SPECIALIST_REFERRAL, E.REFERRAL, E.ASSESSMENT_STARTED), ADULT,
     date(2025, 3, 10), date(2025, 3, 31), "thl52-referral-assessment-start"),
    (LegKey(C.SPECIALIST_REFERRAL, E.REFERRAL, E.ASSESSED), ADULT,
     date(2025, 11, 30), date(2026, 2, 28), "thl52-referral-assessed"),
    (LegKey(C.SPECIALIST_REFERRAL, E.ASSESSED, E.TREATMENT_STARTED), ADULT,
     date(2025, 8, 31), date(2026, 2, 28), "thl52-assessed-treatment"),
    # child and family assessment: 3 calendar months, month-end clamp
    (LegKey(C.CHILD_FAMILY_ASSESSMENT, E.CASE_OPENED, E.ASSESSED), CHILD,
     date(2024, 11, 30), date(2025, 2, 28), "shl36-child-family-3mo"),
    (LegKey(C.CHILD_FAMILY_ASSESSMENT, E.CASE_OPENED, E.ASSESSED), CHILD,
     date(2015, 3, 31), None, None),  # before the Social Welfare Act 1301/2014
    # child welfare notification: Thu 17.4.2025 + 7 weekdays over Easter = Wed 30.4.2025
    (LegKey(C.CHILD_WELFARE_NOTIFICATION, E.NOTIFICATION, E.DECISION), CHILD,
     date(2025, 4, 17), date(2025, 4, 30), "lsl26-notification-7wd"),
    # Fri 20.12.2024: Mon 23 (1) [24-26] Fri 27 (2) Mon 30 (3) Tue 31 (4) [1.1.] Thu 2 (5)
    # Fri 3 (6) [Mon 6.1.] Tue 7.1.2025 (7)
    (LegKey(C.CHILD_WELFARE_NOTIFICATION, E.NOTIFICATION, E.DECISION), CHILD,
     date(2024, 12, 20), date(2025, 1, 7), "lsl26-notification-7wd"),
    (LegKey(C.CHILD_WELFARE_INVESTIGATION, E.CASE_OPENED, E.ASSESSED), CHILD,
     date(2023, 1, 31), date(2023, 4, 30), "lsl27-investigation-3mo"),
    # older person: 75 or over on the contact date; Wed 18.6.2025 + 7 weekdays:
    # Thu 19 (1) [Fri 20 Midsummer Eve] Mon 23 (2) ... Fri 27 (6) Mon 30.6. (7)
    (LegKey(C.OLDER_PERSON_ASSESSMENT, E.CONTACT, E.ASSESSMENT_STARTED), date(1950, 6, 18),
     date(2025, 6, 18), date(2025, 6, 30), "shl36-older-person-7wd"),
    (LegKey(C.OLDER_PERSON_ASSESSMENT, E.CONTACT, E.ASSESSMENT_STARTED), date(1950, 6, 19),
     date(2025, 6, 18), None, None),  # 74 on the contact date: no rule in scope
    (LegKey(C.ELDERLY_SERVICE, E.DECISION, E.SERVICE_STARTED), date(1940, 1, 1),
     date(2025, 5, 31), date(2025, 8, 31), "vpl18-elderly-service-3mo"),
    (LegKey(C.DISABILITY_APPLICATION, E.APPLICATION, E.DECISION), ADULT,
     date(2024, 12, 31), date(2025, 3, 31), "vpl3a-disability-decision-3mo"),
    (LegKey(C.DISABILITY_APPLICATION, E.APPLICATION, E.DECISION), ADULT,
     date(2025, 1, 1), date(2025, 4, 1), "vpl675-disability-decision-3mo"),
]


@pytest.mark.parametrize(("leg", "birth", "start", "expected", "rule_id"), CASES,
                         ids=[f"{c[0]}@{c[2]}" for c in CASES])
def test_legal_row_deadlines(book: RuleBook, leg: LegKey, birth: date, start: date,
                             expected: date | None, rule_id: str | None) -> None:
    rule = book.case_rule_for(leg, kind=LEGAL, birth_date=birth, on=start)
    assert (rule.id if rule else None) == rule_id
    assert book.case_deadline(leg, start, kind=LEGAL, birth_date=birth) == expected


def test_every_leg_of_planning_section_1_has_a_legal_row(book: RuleBook) -> None:
    legal = set(book.legs(LEGAL))
    expected = {
        LegKey(C.PRIMARY_ACCESS, E.CONTACT, E.ASSESSED),
        LegKey(C.PRIMARY_ACCESS, E.ASSESSED, E.VISIT),
        LegKey(C.ORAL_ACCESS, E.CONTACT, E.ASSESSED),
        LegKey(C.ORAL_ACCESS, E.ASSESSED, E.VISIT),
        LegKey(C.SPECIALIST_REFERRAL, E.REFERRAL, E.ASSESSMENT_STARTED),
        LegKey(C.SPECIALIST_REFERRAL, E.REFERRAL, E.ASSESSED),
        LegKey(C.SPECIALIST_REFERRAL, E.ASSESSED, E.TREATMENT_STARTED),
        LegKey(C.CHILD_FAMILY_ASSESSMENT, E.CASE_OPENED, E.ASSESSED),
        LegKey(C.OLDER_PERSON_ASSESSMENT, E.CONTACT, E.ASSESSMENT_STARTED),
        LegKey(C.CHILD_WELFARE_NOTIFICATION, E.NOTIFICATION, E.DECISION),
        LegKey(C.CHILD_WELFARE_INVESTIGATION, E.CASE_OPENED, E.ASSESSED),
        LegKey(C.ELDERLY_SERVICE, E.DECISION, E.SERVICE_STARTED),
        LegKey(C.DISABILITY_APPLICATION, E.APPLICATION, E.DECISION),
    }
    assert legal == expected


def test_regional_queues_have_targets_only(book: RuleBook) -> None:
    regional = {C.MEMORY_EXAMINATION, C.NEUROPSYCHIATRIC_ASSESSMENT, C.GERIATRICIAN,
                C.SPEECH_THERAPY, C.OCCUPATIONAL_THERAPY, C.SOCIAL_REHABILITATION,
                C.PSYCHIATRIC_NURSE}
    assert {leg.case_type for leg in book.legs(TARGET)} >= regional
    assert not {leg.case_type for leg in book.legs(LEGAL)} & regional


def test_the_90_day_target_sits_beside_the_3_month_law(book: RuleBook) -> None:
    leg = LegKey(C.CHILD_FAMILY_ASSESSMENT, E.CASE_OPENED, E.ASSESSED)
    start = date(2025, 1, 31)
    assert book.case_deadline(leg, start, kind=LEGAL, birth_date=CHILD) == date(2025, 4, 30)
    assert book.case_deadline(leg, start, kind=TARGET, birth_date=CHILD) == date(2025, 5, 1)
    goals = {r.effective_from.year: r.goal_pct for r in book.rules_for_leg(leg, TARGET)}
    assert goals == {2022: 90, 2023: 94, 2024: 97, 2025: 100}


def test_urgency_is_not_a_scope_of_the_case_rows(book: RuleBook) -> None:
    leg = LegKey(C.SPECIALIST_REFERRAL, E.REFERRAL, E.ASSESSMENT_STARTED)
    for urgency in (None, Urgency.URGENT, Urgency.NON_URGENT):
        assert book.case_deadline(leg, date(2025, 3, 10), kind=LEGAL, birth_date=ADULT,
                                  urgency=urgency) == date(2025, 3, 31)


def test_every_legal_case_row_cites_an_act_and_what_was_checked(book: RuleBook) -> None:
    for rule in book.rules:
        if rule.kind is LEGAL and rule.leg is None:
            assert any(f"{n}/" in rule.source for n in ("1326", "1301", "417", "980", "380",
                                                         "675")), rule.id
            assert "Tarkistettu" in rule.source or "tarkistetuista" in rule.source, rule.id


def test_docs_list_every_rule_row(book: RuleBook) -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "deadlines.md").read_text(encoding="utf-8")
    for rule in book.rules:
        assert f"`{rule.id}`" in doc, rule.id
