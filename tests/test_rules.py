"""Care-guarantee law as dated rules (``shared/docs/domain.md``, "Care-guarantee law as dated
rules") and regional targets.

Every expected deadline below is computed by hand from the rule table in domain.md:
the rule in force on the *assessment date*, for the person's age (completed years) on that
date; "N days" includes day N; "N months" are calendar months clamped to the month end.
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from sotekeskus.domain.episode import Episode
from sotekeskus.domain.rules import Leg, RuleBook, RuleError, RuleKind
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea, Status, Urgency
from sotekeskus.rules import RULES_DIR, load_file, load_rulebook

MEDICAL, ORAL, MENTAL, SUBSTANCE, SOCIAL = (
    ServiceArea.MEDICAL,
    ServiceArea.ORAL,
    ServiceArea.MENTAL,
    ServiceArea.SUBSTANCE,
    ServiceArea.SOCIAL,
)
PRIMARY = (MEDICAL, MENTAL, SUBSTANCE)  # the "medical, mental, substance" rows

ADULT = date(1985, 6, 15)  # 39-40 in 2024-2025, 23 or over for every 2025+ case below
YOUNG = date(2010, 6, 15)  # under 23 until 2033
AGE_23_AT_NEW_YEAR = date(2001, 6, 15)  # 23 on 2024-12-31 and on 2025-01-01
AGE_22_AT_NEW_YEAR = date(2002, 6, 15)  # 22 on 2024-12-31 and on 2025-01-01
BORN_2002_03_10 = date(2002, 3, 10)  # domain.md: 23 on 2025-03-10, 22 on 2025-03-09
TURNS_23_ON_NEW_YEAR = date(2002, 1, 1)  # 22 on 2024-12-31, 23 on 2025-01-01
LEAPLING = date(2004, 2, 29)  # turns 23 on 2027-02-28 (common year)

_GROUP = {
    MEDICAL: ProfessionalGroup.PHYSICIAN,
    ORAL: ProfessionalGroup.DENTIST,
    MENTAL: ProfessionalGroup.PSYCHOLOGIST,
    SUBSTANCE: ProfessionalGroup.NURSE,
    SOCIAL: ProfessionalGroup.SOCIAL_WORKER,
}


def episode(
    area: ServiceArea,
    assessed: date | datetime | None,
    birth: date = ADULT,
    *,
    contact: date | datetime | None = None,
    urgency: Urgency = Urgency.NON_URGENT,
) -> Episode:
    def at(value: date | datetime) -> datetime:
        if isinstance(value, datetime):
            return value
        return datetime(value.year, value.month, value.day, 10, 0)

    if contact is None:
        assert assessed is not None
        contact = assessed
    return Episode(
        episode_id="e1",
        person_id="p1",
        birth_date=birth,
        unit_id="u1",
        service_area=area,
        professional_group=_GROUP[area],
        urgency=urgency,
        contact_at=at(contact),
        status=Status.WAITING,
        assessed_at=at(assessed) if assessed is not None else None,
    )


@pytest.fixture(autouse=True)
def _no_region_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in book only, whatever the developer's shell exports."""
    monkeypatch.delenv("SOTEKESKUS_RULES_DIR", raising=False)


@pytest.fixture
def book() -> RuleBook:
    return load_rulebook()


# ------------------------------------------------------------------- the rule table, row by row

# (service area, birth date, assessment date, expected legal deadline)
PRIMARY_CASES = [
    # 2005-03-01, all ages: 3 months
    pytest.param(ADULT, date(2005, 2, 28), None, id="2005-02-28 before any rule"),
    pytest.param(ADULT, date(2005, 3, 1), date(2005, 6, 1), id="2005-03-01 3mo"),
    pytest.param(ADULT, date(2022, 1, 31), date(2022, 4, 30), id="2022-01-31 3mo clamps"),
    pytest.param(ADULT, date(2023, 8, 31), date(2023, 11, 30), id="2023-08-31 last 3mo day"),
    pytest.param(YOUNG, date(2023, 8, 31), date(2023, 11, 30), id="2023-08-31 young 3mo"),
    # 2023-09-01, all ages: 14 days
    pytest.param(ADULT, date(2023, 9, 1), date(2023, 9, 15), id="2023-09-01 14d"),
    pytest.param(ADULT, date(2023, 12, 25), date(2024, 1, 8), id="2023-12-25 14d over year"),
    # the 7-day step planned for 2024-11-01 was cancelled: still 14 days
    pytest.param(ADULT, date(2024, 11, 1), date(2024, 11, 15), id="2024-11-01 14d not 7"),
    pytest.param(ADULT, date(2024, 11, 15), date(2024, 11, 29), id="2024-11-15 14d not 7"),
    pytest.param(AGE_23_AT_NEW_YEAR, date(2024, 12, 31), date(2025, 1, 14), id="2024-12-31 23"),
    pytest.param(AGE_22_AT_NEW_YEAR, date(2024, 12, 31), date(2025, 1, 14), id="2024-12-31 22"),
    pytest.param(TURNS_23_ON_NEW_YEAR, date(2024, 12, 31), date(2025, 1, 14), id="2024-12-31 t23"),
    # 2025-01-01, 23 or over: 3 months
    pytest.param(AGE_23_AT_NEW_YEAR, date(2025, 1, 1), date(2025, 4, 1), id="2025-01-01 23 3mo"),
    pytest.param(TURNS_23_ON_NEW_YEAR, date(2025, 1, 1), date(2025, 4, 1), id="2025 turns23 3mo"),
    pytest.param(BORN_2002_03_10, date(2025, 3, 10), date(2025, 6, 10), id="birthday 23 3mo"),
    pytest.param(ADULT, date(2025, 11, 30), date(2026, 2, 28), id="2025-11-30 3mo clamps"),
    pytest.param(ADULT, date(2027, 11, 30), date(2028, 2, 29), id="2027-11-30 3mo leap"),
    pytest.param(LEAPLING, date(2027, 2, 28), date(2027, 5, 28), id="leapling 23 on 28 Feb"),
    # 2025-01-01, under 23: 14 days
    pytest.param(AGE_22_AT_NEW_YEAR, date(2025, 1, 1), date(2025, 1, 15), id="2025-01-01 22 14d"),
    pytest.param(BORN_2002_03_10, date(2025, 3, 9), date(2025, 3, 23), id="eve of 23 14d"),
    pytest.param(YOUNG, date(2025, 3, 10), date(2025, 3, 24), id="2025-03-10 young 14d"),
    pytest.param(LEAPLING, date(2027, 2, 27), date(2027, 3, 13), id="leapling 22 on 27 Feb"),
]

ORAL_CASES = [
    # 2005-03-01, all ages: 6 months
    pytest.param(ADULT, date(2005, 2, 28), None, id="2005-02-28 before any rule"),
    pytest.param(ADULT, date(2005, 3, 1), date(2005, 9, 1), id="2005-03-01 6mo"),
    pytest.param(ADULT, date(2020, 8, 31), date(2021, 2, 28), id="2020-08-31 6mo clamps"),
    pytest.param(ADULT, date(2023, 8, 31), date(2024, 2, 29), id="2023-08-31 6mo leap"),
    # 2023-09-01, all ages: 4 months
    pytest.param(ADULT, date(2023, 9, 1), date(2024, 1, 1), id="2023-09-01 4mo"),
    pytest.param(YOUNG, date(2023, 9, 1), date(2024, 1, 1), id="2023-09-01 young 4mo"),
    pytest.param(ADULT, date(2024, 10, 31), date(2025, 2, 28), id="2024-10-31 4mo clamps"),
    # 2024-11-01, all ages: 3 months
    pytest.param(ADULT, date(2024, 11, 1), date(2025, 2, 1), id="2024-11-01 3mo"),
    pytest.param(ADULT, date(2024, 11, 30), date(2025, 2, 28), id="2024-11-30 3mo clamps"),
    pytest.param(AGE_23_AT_NEW_YEAR, date(2024, 12, 31), date(2025, 3, 31), id="2024-12-31 23"),
    pytest.param(AGE_22_AT_NEW_YEAR, date(2024, 12, 31), date(2025, 3, 31), id="2024-12-31 22"),
    # 2025-01-01, 23 or over: 6 months
    pytest.param(AGE_23_AT_NEW_YEAR, date(2025, 1, 1), date(2025, 7, 1), id="2025-01-01 23 6mo"),
    pytest.param(TURNS_23_ON_NEW_YEAR, date(2025, 1, 1), date(2025, 7, 1), id="2025 turns23 6mo"),
    pytest.param(BORN_2002_03_10, date(2025, 3, 10), date(2025, 9, 10), id="birthday 23 6mo"),
    pytest.param(ADULT, date(2025, 8, 31), date(2026, 2, 28), id="2025-08-31 6mo clamps"),
    pytest.param(LEAPLING, date(2027, 2, 28), date(2027, 8, 28), id="leapling 23 on 28 Feb"),
    # 2025-01-01, under 23: 3 months
    pytest.param(AGE_22_AT_NEW_YEAR, date(2025, 1, 1), date(2025, 4, 1), id="2025-01-01 22 3mo"),
    pytest.param(BORN_2002_03_10, date(2025, 3, 9), date(2025, 6, 9), id="eve of 23 3mo"),
    pytest.param(YOUNG, date(2025, 11, 30), date(2026, 2, 28), id="2025-11-30 young clamps"),
    pytest.param(LEAPLING, date(2027, 2, 27), date(2027, 5, 27), id="leapling 22 on 27 Feb"),
]


@pytest.mark.parametrize("area", PRIMARY, ids=str)
@pytest.mark.parametrize(("birth", "assessed", "expected"), PRIMARY_CASES)
def test_primary_care_legal_deadline(
    book: RuleBook, area: ServiceArea, birth: date, assessed: date, expected: date | None
) -> None:
    assert book.deadline(episode(area, assessed, birth)) == expected


@pytest.mark.parametrize(("birth", "assessed", "expected"), ORAL_CASES)
def test_oral_care_legal_deadline(
    book: RuleBook, birth: date, assessed: date, expected: date | None
) -> None:
    assert book.deadline(episode(ORAL, assessed, birth)) == expected


def test_the_ages_used_above_are_right() -> None:
    """Guard the hand-picked birth dates (23rd birthday vs the dates they are used on)."""
    new_years_eve, new_year = date(2024, 12, 31), date(2025, 1, 1)
    assert date(2001 + 23, 6, 15) <= new_years_eve and date(2001 + 24, 6, 15) > new_year
    assert date(2002 + 22, 6, 15) <= new_years_eve and date(2002 + 23, 6, 15) > new_year
    assert date(2002 + 23, 1, 1) == new_year  # TURNS_23_ON_NEW_YEAR
    assert date(1985 + 23, 6, 15) < date(2025, 1, 1)  # ADULT
    assert date(2010 + 23, 6, 15) > date(2027, 11, 30)  # YOUNG


def test_cancelled_seven_day_step_is_absent(book: RuleBook) -> None:
    """domain.md: the 7-day medical step planned for 2024-11-01 must not apply."""
    for rule in book.of(RuleKind.LEGAL):
        assert not (MEDICAL in rule.service_areas and rule.limit.days == 7), rule.id
    ep = episode(MEDICAL, date(2024, 11, 15), ADULT)
    assert book.deadline(ep) == date(2024, 11, 29)
    assert book.deadline(ep) != date(2024, 11, 22)


def test_within_14_days_includes_day_14(book: RuleBook) -> None:
    """Assessed 2025-03-10, seen 2025-03-24 (day 14) is on time; 2025-03-25 is late."""
    ep = episode(MEDICAL, date(2025, 3, 10), YOUNG)
    deadline = book.deadline(ep)
    assert deadline == date(2025, 3, 24)
    assert not date(2025, 3, 24) > deadline
    assert date(2025, 3, 25) > deadline


def test_time_of_day_does_not_matter(book: RuleBook) -> None:
    late = episode(MEDICAL, datetime(2025, 3, 10, 23, 59), YOUNG)
    early = episode(MEDICAL, datetime(2025, 3, 10, 0, 1), YOUNG)
    assert book.deadline(late) == book.deadline(early) == date(2025, 3, 24)


def test_rule_and_age_follow_the_assessment_date_not_the_contact(book: RuleBook) -> None:
    # contact under the old 3-month rule, assessment under the 14-day rule
    ep = episode(MEDICAL, date(2023, 9, 1), ADULT, contact=date(2023, 8, 31))
    assert book.deadline(ep) == date(2023, 9, 15)
    # oral: contact under 4 months, assessment under 3 months
    ep = episode(ORAL, date(2024, 11, 1), ADULT, contact=date(2024, 10, 31))
    assert book.deadline(ep) == date(2025, 2, 1)
    # 22 at contact, 23 at assessment: the 23-or-over rule
    ep = episode(MEDICAL, date(2025, 3, 10), BORN_2002_03_10, contact=date(2025, 3, 7))
    assert book.deadline(ep) == date(2025, 6, 10)


def test_social_has_no_legal_rule(book: RuleBook) -> None:
    assert not book.has_rules_for(SOCIAL)
    assert not book.has_rules_for(SOCIAL, leg=Leg.CONTACT_TO_ASSESSMENT)
    for assessed in (date(2005, 3, 1), date(2023, 9, 1), date(2025, 3, 10)):
        for birth in (ADULT, YOUNG):
            ep = episode(SOCIAL, assessed, birth)
            assert book.deadline(ep) is None
            assert book.deadline(ep, leg=Leg.CONTACT_TO_ASSESSMENT) is None


@pytest.mark.parametrize("area", [MEDICAL, ORAL, MENTAL, SUBSTANCE], ids=str)
def test_areas_under_the_care_guarantee_have_rules(book: RuleBook, area: ServiceArea) -> None:
    assert book.has_rules_for(area)
    assert book.has_rules_for(area, leg=Leg.CONTACT_TO_ASSESSMENT)


@pytest.mark.parametrize("area", list(ServiceArea), ids=str)
@pytest.mark.parametrize("assessed", [date(2023, 8, 31), date(2023, 9, 1), date(2025, 3, 10)])
def test_urgent_episodes_get_no_non_urgent_deadline(
    book: RuleBook, area: ServiceArea, assessed: date
) -> None:
    for birth in (ADULT, YOUNG):
        ep = episode(area, assessed, birth, urgency=Urgency.URGENT)
        assert book.deadline(ep) is None
        assert book.deadline(ep, kind=RuleKind.TARGET) is None


def test_no_assessment_means_no_assessment_to_visit_deadline(book: RuleBook) -> None:
    ep = episode(MEDICAL, None, ADULT, contact=date(2025, 3, 10))
    assert book.deadline(ep) is None


# ------------------------------------------------------------------- contact -> assessment leg

CONTACT_CASES = [
    # before 2023-09-01: within 3 weekdays (judged on the contact date)
    pytest.param(date(2023, 8, 24), date(2023, 8, 29), id="Thu 2023-08-24 -> Tue"),
    pytest.param(date(2023, 8, 25), date(2023, 8, 30), id="Fri 2023-08-25 -> Wed"),
    pytest.param(date(2023, 8, 26), date(2023, 8, 30), id="Sat 2023-08-26 -> Wed"),
    pytest.param(date(2023, 8, 31), date(2023, 9, 5), id="Thu 2023-08-31 -> Tue"),
    # from 2023-09-01: the same weekday
    pytest.param(date(2023, 9, 1), date(2023, 9, 1), id="Fri 2023-09-01 same day"),
    pytest.param(date(2023, 9, 2), date(2023, 9, 4), id="Sat 2023-09-02 -> Mon"),
    pytest.param(date(2023, 9, 3), date(2023, 9, 4), id="Sun 2023-09-03 -> Mon"),
    pytest.param(date(2025, 3, 12), date(2025, 3, 12), id="Wed 2025-03-12 same day"),
    pytest.param(date(2025, 3, 15), date(2025, 3, 17), id="Sat 2025-03-15 -> Mon"),
]


def test_contact_dates_used_are_the_weekdays_claimed() -> None:
    thu, fri, sat, sun, wed = 3, 4, 5, 6, 2
    assert date(2023, 8, 24).weekday() == thu
    assert date(2023, 8, 25).weekday() == fri
    assert date(2023, 8, 26).weekday() == sat
    assert date(2023, 8, 31).weekday() == thu
    assert date(2023, 9, 1).weekday() == fri
    assert date(2023, 9, 2).weekday() == sat
    assert date(2023, 9, 3).weekday() == sun
    assert date(2025, 3, 12).weekday() == wed
    assert date(2025, 3, 15).weekday() == sat


@pytest.mark.parametrize("area", [MEDICAL, ORAL, MENTAL, SUBSTANCE], ids=str)
@pytest.mark.parametrize(("contact", "expected"), CONTACT_CASES)
def test_contact_to_assessment_deadline(
    book: RuleBook, area: ServiceArea, contact: date, expected: date
) -> None:
    # the assessment date must not matter for this leg; put it later on purpose
    ep = episode(area, date(2025, 6, 2), ADULT, contact=contact)
    assert book.deadline(ep, leg=Leg.CONTACT_TO_ASSESSMENT) == expected


def test_contact_leg_without_assessment_still_has_a_deadline(book: RuleBook) -> None:
    ep = episode(MEDICAL, None, YOUNG, contact=date(2025, 3, 15))
    assert book.deadline(ep, leg=Leg.CONTACT_TO_ASSESSMENT) == date(2025, 3, 17)


# ------------------------------------------------------------------- rule rows: sources and ids


def _raw_rows() -> list[tuple[str, dict[str, object]]]:
    rows = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rows.extend((path.name, row) for row in data["rules"])
    return rows


def test_builtin_rule_files_exist_and_have_rows() -> None:
    names = {name for name, _ in _raw_rows()}
    assert {"care_guarantee.yaml", "targets.yaml"} <= names
    assert len(_raw_rows()) >= 9  # at least the nine rows of the domain.md table


def test_every_rule_row_names_a_source() -> None:
    for name, row in _raw_rows():
        source = row.get("source")
        assert isinstance(source, str) and source.strip(), f"{name}: {row.get('id')}"


def test_every_loaded_rule_has_a_source(book: RuleBook) -> None:
    assert book.rules
    for rule in book.rules:
        assert rule.source.strip(), rule.id


def test_rule_ids_are_unique() -> None:
    ids = [row["id"] for _, row in _raw_rows()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(isinstance(i, str) and i.strip() for i in ids)


def test_legal_rules_are_legal_and_targets_are_targets(book: RuleBook) -> None:
    by_id = {r.id: r for r in book.rules}
    assert by_id["region-7d-primary"].kind is RuleKind.TARGET
    assert all(r.kind is RuleKind.LEGAL for r in book.rules if r.id.startswith("htl51-"))


# ------------------------------------------------------------------- regional targets

REGION_TARGET = textwrap.dedent(
    """\
    kind: target
    rules:
      - id: region-oral-10d
        name: "Suun terveydenhuolto 10 vuorokaudessa"
        effective_from: 2024-01-01
        service_areas: [oral]
        limit: {days: 10}
        goal_pct: 80
        goal_by: 2025-12-31
        source: "Test region's own plan"
    """
)


@pytest.fixture
def region_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "region"
    directory.mkdir()
    (directory / "oral_target.yaml").write_text(REGION_TARGET, encoding="utf-8")
    return directory


def _check_region_target(book: RuleBook) -> None:
    ep = episode(ORAL, date(2025, 3, 10), ADULT)
    assert book.deadline(ep, kind=RuleKind.TARGET) == date(2025, 3, 20)
    # the legal deadline is untouched: oral, 23 or over, 2025 -> 6 months
    assert book.deadline(ep) == date(2025, 9, 10)
    assert book.deadline(ep, kind=RuleKind.LEGAL) == date(2025, 9, 10)
    # under 23, the legal deadline is 3 months and the target still 10 days
    young = episode(ORAL, date(2025, 3, 10), YOUNG)
    assert book.deadline(young, kind=RuleKind.TARGET) == date(2025, 3, 20)
    assert book.deadline(young) == date(2025, 6, 10)
    # before the target's effective date there is no target
    assert book.deadline(episode(ORAL, date(2023, 12, 31)), kind=RuleKind.TARGET) is None
    assert book.deadline(episode(ORAL, date(2024, 1, 1)), kind=RuleKind.TARGET) == date(2024, 1, 11)
    # the built-in 7-day medical target is still there
    assert book.deadline(episode(MEDICAL, date(2025, 3, 10)), kind=RuleKind.TARGET) == date(
        2025, 3, 17
    )
    assert book.has_rules_for(ORAL, kind=RuleKind.TARGET)
    rule = next(r for r in book.rules if r.id == "region-oral-10d")
    assert rule.kind is RuleKind.TARGET  # the file-level kind applies to the row
    assert rule.goal_pct == 80 and rule.goal_by == date(2025, 12, 31)


def test_builtin_book_has_no_oral_target(book: RuleBook) -> None:
    assert not book.has_rules_for(ORAL, kind=RuleKind.TARGET)
    assert book.deadline(episode(ORAL, date(2025, 3, 10)), kind=RuleKind.TARGET) is None


def test_region_target_via_extra_dirs(region_dir: Path) -> None:
    _check_region_target(load_rulebook(extra_dirs=[region_dir]))


def test_region_target_via_environment(region_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTEKESKUS_RULES_DIR", str(region_dir))
    _check_region_target(load_rulebook())


def test_targets_do_not_change_legal_deadlines(region_dir: Path, book: RuleBook) -> None:
    with_region = load_rulebook(extra_dirs=[region_dir])
    assert with_region.of(RuleKind.LEGAL) == book.of(RuleKind.LEGAL)
    assert with_region.of(RuleKind.LEGAL, Leg.CONTACT_TO_ASSESSMENT) == book.of(
        RuleKind.LEGAL, Leg.CONTACT_TO_ASSESSMENT
    )
    for area in (MEDICAL, ORAL, MENTAL, SUBSTANCE, SOCIAL):
        for assessed in (date(2023, 8, 31), date(2024, 11, 15), date(2025, 3, 10)):
            for birth in (ADULT, YOUNG):
                ep = episode(area, assessed, birth)
                assert with_region.deadline(ep) == book.deadline(ep)


def test_row_level_kind_overrides_file_default(tmp_path: Path) -> None:
    """A file without ``kind`` defaults to legal, but a row may declare itself a target."""
    (tmp_path / "t.yaml").write_text(
        textwrap.dedent(
            """\
            rules:
              - id: region-substance-5d
                kind: target
                effective_from: 2025-01-01
                service_areas: [substance]
                limit: {days: 5}
                source: "Region board decision"
            """
        ),
        encoding="utf-8",
    )
    book = load_rulebook(extra_dirs=[tmp_path])
    ep = episode(SUBSTANCE, date(2025, 3, 10), ADULT)
    assert book.deadline(ep, kind=RuleKind.TARGET) == date(2025, 3, 15)
    assert book.deadline(ep) == date(2025, 6, 10)


# ------------------------------------------------------------------- bad rule files

GOOD_ROW = {
    "id": "region-bad",
    "effective_from": "2024-01-01",
    "service_areas": "[oral]",
    "limit": "{days: 10}",
    "source": '"Region plan"',
}


def _rule_file(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    lines = ["kind: target", "rules:"]
    for row in rows:
        items = list(row.items())
        lines.append(f"  - {items[0][0]}: {items[0][1]}")
        lines.extend(f"    {key}: {value}" for key, value in items[1:])
    path = tmp_path / "bad.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(**changes: str | None) -> dict[str, str]:
    row = dict(GOOD_ROW)
    for key, value in changes.items():
        if value is None:
            row.pop(key)
        else:
            row[key] = value
    return row


def test_the_good_row_loads(tmp_path: Path) -> None:
    """Control for the failures below: the unmodified row is valid."""
    book = load_file(_rule_file(tmp_path, [_row()]))
    assert [r.id for r in book.rules] == ["region-bad"]


BAD_ROWS = [
    pytest.param(_row(source=None), "source", id="missing source"),
    pytest.param(_row(source='""'), "source", id="empty source"),
    pytest.param(_row(source='"   "'), "source", id="blank source"),
    pytest.param(_row(service_areas="[oral, dental]"), "service_areas", id="unknown area"),
    pytest.param(_row(service_areas="[]"), "service_areas", id="no area"),
    pytest.param(_row(limit="{days: 14, months: 3}"), "limit", id="two units"),
    pytest.param(_row(limit="{months: 3, weekdays: 0}"), "limit", id="two units weekdays"),
    pytest.param(_row(limit="{days: -1}"), "limit", id="negative days"),
    pytest.param(_row(limit="{months: -3}"), "limit", id="negative months"),
    pytest.param(_row(limit="{}"), "limit", id="no unit"),
    pytest.param(_row(limit="{weeks: 2}"), "limit", id="unknown unit"),
    pytest.param(_row(limit="14"), "limit", id="limit not a mapping"),
    pytest.param(_row(effective_from='"2023-02-30"'), "effective_from", id="quoted bad date"),
    pytest.param(_row(effective_from="2023-9-1"), "effective_from", id="unpadded date"),
    pytest.param(_row(effective_from="1.9.2023"), "effective_from", id="Finnish date"),
    pytest.param(_row(effective_from=None), "effective_from", id="missing effective_from"),
    pytest.param(_row(effective_to="next year"), "effective_to", id="bad effective_to"),
    pytest.param(_row(goal_by="Q4/2025"), "goal_by", id="bad goal_by"),
    pytest.param(_row(max_wait_days="14"), "max_wait_days", id="unknown field"),
    pytest.param(_row(service_area="[oral]"), "service_area", id="misspelt field"),
    pytest.param(_row(urgency="soon"), "urgency", id="unknown urgency"),
    pytest.param(_row(leg="visit_to_visit"), "leg", id="unknown leg"),
    pytest.param(_row(kind="wish"), "kind", id="unknown kind"),
    pytest.param(_row(age_from="adult"), "age_from", id="age not a number"),
]


@pytest.mark.parametrize(("row", "field"), BAD_ROWS)
def test_bad_rule_row_names_rule_and_field(tmp_path: Path, row: dict[str, str], field: str) -> None:
    path = _rule_file(tmp_path, [row])
    with pytest.raises(RuleError) as caught:
        load_file(path)
    message = str(caught.value)
    assert "region-bad" in message
    assert f"'{field}'" in message
    assert path.name in message
    # the loader that the application uses fails the same way
    with pytest.raises(RuleError, match="region-bad"):
        load_rulebook(extra_dirs=[tmp_path])


def test_duplicate_id_in_one_file(tmp_path: Path) -> None:
    path = _rule_file(tmp_path, [_row(), _row(limit="{days: 7}")])
    with pytest.raises(RuleError) as caught:
        load_file(path)
    message = str(caught.value)
    assert "region-bad" in message
    assert "id" in message.replace("region-bad", "")


def test_region_file_reusing_a_builtin_id(tmp_path: Path) -> None:
    """A regional file may not silently replace a law row by reusing its id."""
    _rule_file(tmp_path, [_row(id="htl51-2025-oral-23plus", kind="legal")])
    with pytest.raises(RuleError, match="htl51-2025-oral-23plus"):
        load_rulebook(extra_dirs=[tmp_path])


@pytest.mark.parametrize("bad", ["2023-02-30", "2023-13-01"])
def test_unquoted_impossible_date_is_a_rule_error(tmp_path: Path, bad: str) -> None:
    path = _rule_file(tmp_path, [_row(effective_from=bad)])
    with pytest.raises(RuleError) as caught:
        load_file(path)
    assert "region-bad" in str(caught.value) and "effective_from" in str(caught.value)


def test_date_time_instead_of_date_is_a_rule_error(tmp_path: Path) -> None:
    path = _rule_file(tmp_path, [_row(effective_from="2023-09-01 12:00:00")])
    with pytest.raises(RuleError) as caught:
        load_file(path)
    assert "region-bad" in str(caught.value) and "effective_from" in str(caught.value)


def test_file_without_rules_list(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("kind: target\n", encoding="utf-8")
    with pytest.raises(RuleError, match="empty.yaml"):
        load_file(path)


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"limit": "{days: 14.7}"}, "limit"),
        ({"limit": "{days: true}"}, "limit"),
        ({"limit": "{months: '3'}"}, "limit"),
        ({"effective_to": "2020-01-01"}, "effective_to"),
        ({"age_from": "23", "age_below": "23"}, "age_below"),
        ({"age_from": "'x'"}, "age_from"),
    ],
)
def test_loose_values_are_rejected(tmp_path: Path, changes: dict[str, str], field: str) -> None:
    with pytest.raises(RuleError) as caught:
        load_file(_rule_file(tmp_path, [_row(**changes)]))
    assert "region-bad" in str(caught.value) and field in str(caught.value)
