"""The general rule book: dated limits between two events of a case type (planning.md §1).

Every expected date below is counted by hand on a calendar; the Finnish holidays used are
named where they matter. The built-in rows of the law are checked in test_deadline_rows.py.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from sotekeskus.domain.calendar import add_weekdays, is_weekday, weekdays_between
from sotekeskus.domain.rules import Leg, LegKey, Limit, RuleBook, RuleError, RuleKind
from sotekeskus.domain.vocabulary import CaseEvent, CaseType, ProfessionalGroup, Urgency
from sotekeskus.rules import load_file
from sotekeskus.rules.calendar_fi import FINNISH_HOLIDAYS, FinnishHolidays, holidays_of_year

FI = FINNISH_HOLIDAYS
E = CaseEvent


# --------------------------------------------------------------------- the Finnish calendar


def test_finnish_holidays_include_the_eves_and_moving_feasts() -> None:
    assert date(2025, 1, 1) in FI  # New Year's Day
    assert date(2025, 1, 6) in FI  # Epiphany (a Monday in 2025)
    assert date(2025, 4, 18) in FI and date(2025, 4, 21) in FI  # Good Friday, Easter Monday
    assert date(2025, 5, 29) in FI  # Ascension Day
    assert date(2025, 6, 20) in FI  # Midsummer Eve (Friday)
    assert date(2025, 12, 24) in FI and date(2025, 12, 26) in FI
    assert date(2024, 12, 6) in FI  # Independence Day
    assert date(2025, 3, 12) not in FI
    assert "2025-01-01" not in FI  # only dates
    assert date(2026, 4, 3) in FinnishHolidays()  # Good Friday 2026, another instance
    assert len(holidays_of_year(2025)) >= 15


def test_hand_picked_weekdays_of_the_calendar() -> None:
    assert date(2024, 12, 31).weekday() == 1  # Tuesday
    assert date(2025, 1, 6).weekday() == 0  # Monday
    assert date(2025, 4, 17).weekday() == 3  # Maundy Thursday
    assert not is_weekday(date(2025, 1, 1), FI)
    assert is_weekday(date(2025, 1, 1))  # a Wednesday, without holidays


@pytest.mark.parametrize(
    ("start", "weekdays", "expected"),
    [
        # Tue 31.12.2024: Thu 2.1. (1), Fri 3.1. (2), [Mon 6.1. Epiphany], Tue 7.1. (3)
        (date(2024, 12, 31), 3, date(2025, 1, 7)),
        # Thu 17.4.2025 + 7: [Fri 18.4. Good Friday, Mon 21.4. Easter Monday]
        # Tue 22 (1) Wed 23 (2) Thu 24 (3) Fri 25 (4) Mon 28 (5) Tue 29 (6) Wed 30 (7)
        (date(2025, 4, 17), 7, date(2025, 4, 30)),
        # Tue 18.6.2024 ... Midsummer Eve Fri 21.6.: Wed 19 (1) Thu 20 (2) Mon 24 (3)
        (date(2024, 6, 18), 3, date(2024, 6, 24)),
        # Mon 23.12.2024 + 7: [24, 25, 26 Dec] Fri 27 (1) Mon 30 (2) Tue 31 (3) [1.1.]
        # Thu 2.1. (4) Fri 3.1. (5) [Mon 6.1.] Tue 7.1. (6) Wed 8.1. (7)
        (date(2024, 12, 23), 7, date(2025, 1, 8)),
        # 0: the same day, or the next weekday after a holiday
        (date(2025, 1, 1), 0, date(2025, 1, 2)),
        (date(2025, 4, 18), 0, date(2025, 4, 22)),
        (date(2025, 3, 12), 0, date(2025, 3, 12)),
    ],
)
def test_weekdays_skip_finnish_holidays(start: date, weekdays: int, expected: date) -> None:
    assert add_weekdays(start, weekdays, FI) == expected
    if weekdays:
        assert weekdays_between(start, expected, FI) == weekdays


def test_without_a_calendar_only_weekends_are_skipped() -> None:
    assert add_weekdays(date(2024, 12, 31), 3) == date(2025, 1, 3)


# --------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    ("limit", "start", "expected"),
    [
        (Limit(days=14), date(2025, 3, 10), date(2025, 3, 24)),  # day 14 included
        (Limit(weeks=3), date(2025, 3, 10), date(2025, 3, 31)),  # 21 calendar days
        (Limit(weeks=3), date(2024, 12, 20), date(2025, 1, 10)),  # holidays do not matter
        (Limit(months=3), date(2025, 11, 30), date(2026, 2, 28)),  # clamps to month end
        (Limit(months=3), date(2023, 11, 30), date(2024, 2, 29)),  # leap year
        (Limit(months=6), date(2025, 1, 31), date(2025, 7, 31)),
        (Limit(weekdays=7), date(2025, 4, 17), date(2025, 4, 30)),  # Easter skipped
    ],
)
def test_limit_deadlines(limit: Limit, start: date, expected: date) -> None:
    assert limit.deadline(start, FI) == expected


def test_limit_descriptions() -> None:
    assert Limit(weeks=3).describe() == "3 wk"
    assert Limit(weekdays=7).describe() == "7 weekdays"
    with pytest.raises(RuleError):
        Limit(weeks=1, days=7)


# --------------------------------------------------------------------- case rules from rows

CASE_RULES = textwrap.dedent(
    """\
    kind: legal
    rules:
      - id: t-older-7wd
        case_type: older_person_assessment
        from_event: contact
        to_event: assessment_started
        effective_from: 2015-04-01
        age_from: 75
        limit: {weekdays: 7}
        source: "test"
      - id: t-ref-3wk
        case_type: specialist_referral
        from_event: referral
        to_event: assessment_started
        effective_from: 2005-03-01
        limit: {weeks: 3}
        source: "test"
      - id: t-ref-urgent-1wk
        case_type: specialist_referral
        from_event: referral
        to_event: assessment_started
        effective_from: 2020-01-01
        urgency: urgent
        limit: {weeks: 1}
        source: "test"
      - id: t-ref-nurse
        kind: target
        case_type: specialist_referral
        from_event: referral
        to_event: assessment_started
        effective_from: 2020-01-01
        professional_groups: [nurse]
        limit: {days: 10}
        source: "test"
    """
)


@pytest.fixture
def case_book(tmp_path: Path) -> RuleBook:
    path = tmp_path / "case.yaml"
    path.write_text(CASE_RULES, encoding="utf-8")
    return load_file(path).with_holidays(FI)


OLDER = LegKey(CaseType.OLDER_PERSON_ASSESSMENT, E.CONTACT, E.ASSESSMENT_STARTED)
REFERRAL = LegKey(CaseType.SPECIALIST_REFERRAL, E.REFERRAL, E.ASSESSMENT_STARTED)


def test_case_rows_parse(case_book: RuleBook) -> None:
    rule = next(r for r in case_book.rules if r.id == "t-older-7wd")
    assert rule.case_types == {CaseType.OLDER_PERSON_ASSESSMENT}
    assert (rule.from_event, rule.to_event) == (E.CONTACT, E.ASSESSMENT_STARTED)
    assert rule.leg is None and rule.urgency is None and rule.service_areas == frozenset()
    assert set(case_book.legs()) == {REFERRAL, OLDER}
    assert case_book.legs(RuleKind.TARGET) == (REFERRAL,)
    assert case_book.episode_rules() == ()
    assert case_book.of(RuleKind.LEGAL) == ()


def test_age_on_the_starting_event(case_book: RuleBook) -> None:
    born = date(1950, 3, 20)  # 75 on 2025-03-20
    # contact on the eve of the 75th birthday: no rule in scope
    assert case_book.case_deadline(OLDER, date(2025, 3, 19), kind=RuleKind.LEGAL,
                                   birth_date=born) is None
    # contact on the birthday (Thu 20.3.2025): Fri 21 (1) ... Mon 31 (7)
    assert case_book.case_deadline(OLDER, date(2025, 3, 20), kind=RuleKind.LEGAL,
                                   birth_date=born) == date(2025, 3, 31)


def test_urgency_and_group_scopes(case_book: RuleBook) -> None:
    adult = date(1980, 1, 1)
    start = date(2025, 3, 10)
    legal = RuleKind.LEGAL
    assert case_book.case_deadline(REFERRAL, start, kind=legal, birth_date=adult) == date(
        2025, 3, 31)
    # the urgent row is later and applies only to urgent referrals
    assert case_book.case_deadline(REFERRAL, start, kind=legal, birth_date=adult,
                                   urgency=Urgency.URGENT) == date(2025, 3, 17)
    assert case_book.case_deadline(REFERRAL, start, kind=legal, birth_date=adult,
                                   urgency=Urgency.NON_URGENT) == date(2025, 3, 31)
    # before the urgent row was in force, the general one
    assert case_book.case_deadline(REFERRAL, date(2019, 12, 31), kind=legal, birth_date=adult,
                                   urgency=Urgency.URGENT) == date(2020, 1, 21)
    target = RuleKind.TARGET
    assert case_book.case_deadline(REFERRAL, start, kind=target, birth_date=adult,
                                   professional_group=ProfessionalGroup.NURSE) == date(
        2025, 3, 20)
    assert case_book.case_deadline(REFERRAL, start, kind=target, birth_date=adult,
                                   professional_group=ProfessionalGroup.PHYSICIAN) is None
    assert case_book.case_deadline(REFERRAL, start, kind=target, birth_date=adult) is None


def test_episode_shape_rows_map_onto_case_types() -> None:
    from sotekeskus.rules import load_rulebook

    book = load_rulebook()
    contact = next(r for r in book.rules if r.id == "htl51-2005-contact")
    assert contact.case_types == {CaseType.PRIMARY_ACCESS, CaseType.ORAL_ACCESS}
    assert (contact.from_event, contact.to_event) == (E.CONTACT, E.ASSESSED)
    assert contact.leg is Leg.CONTACT_TO_ASSESSMENT
    visit = next(r for r in book.rules if r.id == "htl51-2025-oral-23plus")
    assert visit.case_types == {CaseType.ORAL_ACCESS} and visit.leg is Leg.ASSESSMENT_TO_VISIT
    assert visit.urgency is Urgency.NON_URGENT
    assert LegKey(CaseType.PRIMARY_ACCESS, E.ASSESSED, E.VISIT) in book.legs(RuleKind.LEGAL)


def test_case_shape_row_for_the_care_guarantee(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(textwrap.dedent(
        """\
        kind: target
        rules:
          - id: r-oral
            case_type: oral_access
            from_event: assessed
            to_event: visit
            effective_from: 2024-01-01
            limit: {weeks: 2}
            source: "region"
        """), encoding="utf-8")
    book = load_file(tmp_path / "r.yaml")
    rule = book.rules[0]
    assert rule.leg is Leg.ASSESSMENT_TO_VISIT
    assert rule.service_areas == {"oral"} and rule.urgency is Urgency.NON_URGENT
    assert book.of(RuleKind.TARGET) == (rule,)


# --------------------------------------------------------------------- bad case rows


def _case_row(**changes: str | None) -> str:
    row = {"id": "bad-case", "case_type": "specialist_referral", "from_event": "referral",
           "to_event": "assessed", "effective_from": "2024-01-01", "limit": "{weeks: 3}",
           "source": '"x"'}
    for key, value in changes.items():
        if value is None:
            row.pop(key)
        else:
            row[key] = value
    items = list(row.items())
    lines = ["rules:", f"  - {items[0][0]}: {items[0][1]}"]
    lines += [f"    {k}: {v}" for k, v in items[1:]]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("changes", "field", "listed"),
    [
        ({"case_type": "dental"}, "case_type", "child_welfare_notification"),
        ({"from_event": "arrived"}, "from_event", "assessment_started"),
        ({"to_event": "referral"}, "to_event", None),
        ({"to_event": None}, "to_event", None),
        ({"leg": "assessment_to_visit"}, "leg", None),
        ({"service_areas": "[oral]"}, "service_areas", None),
        ({"urgency": "soon"}, "urgency", "non_urgent"),
        ({"professional_groups": "[wizard]"}, "professional_groups", "social_worker"),
        ({"limit": "{fortnights: 1}"}, "limit", None),
        ({"case_type": "primary_access", "from_event": "referral"}, "to_event", None),
    ],
)
def test_bad_case_rows_name_the_field(tmp_path: Path, changes: dict[str, str | None],
                                      field: str, listed: str | None) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(_case_row(**changes), encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_file(path)
    message = str(caught.value)
    assert "bad-case" in message and f"'{field}'" in message and "bad.yaml" in message
    if listed:
        assert listed in message


def test_weeks_are_refused_only_in_the_episode_shape(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(_case_row(), encoding="utf-8")
    assert load_file(path).rules[0].limit.weeks == 3
    path.write_text("rules:\n  - id: w\n    service_areas: [oral]\n    effective_from: 2024-01-01"
                    "\n    limit: {weeks: 2}\n    source: x\n", encoding="utf-8")
    with pytest.raises(RuleError, match="case_type"):
        load_file(path)


def test_a_social_episode_row_stays_an_episode_rule(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("kind: target\nrules:\n  - id: s\n    service_areas: [social]\n"
                    "    effective_from: 2024-01-01\n    limit: {days: 7}\n    source: x\n",
                    encoding="utf-8")
    book = load_file(path)
    assert book.rules[0].case_types == frozenset() and book.legs() == ()
    assert book.of(RuleKind.TARGET) == book.rules and book.has_rules_for("social", RuleKind.TARGET)
