"""The deadline report against hand-computed cases (tests/data/README.md) and against a
plain-Python oracle written from the definitions with the pure domain rules."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from sotekeskus.analytics.case_legs import judged_legs, leg_instances
from sotekeskus.analytics.deadline_report import (
    DeadlineFilter,
    deadline_rows,
    open_legs,
    suppress_rows,
)
from sotekeskus.analytics.filters import FilterError
from sotekeskus.domain.indicators import median, pct
from sotekeskus.domain.rules import RuleBook, RuleKind
from sotekeskus.domain.vocabulary import EVENT_CASE_TYPES, CaseType, ProfessionalGroup, Urgency
from sotekeskus.ingest.case_events import SCHEMA, read_case_event_file
from sotekeskus.report_output import plain
from sotekeskus.rules import load_rulebook

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _no_region_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOTEKESKUS_RULES_DIR", raising=False)


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


@pytest.fixture(scope="module")
def events() -> pa.Table:
    return read_case_event_file(DATA / "deadlines_hand.csv").events()


def expected(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_hand_computed_report(events: pa.Table, book: RuleBook) -> None:
    assert deadline_rows(events, book) == expected("deadlines_hand_expected.json")["rows"]


def test_hand_computed_report_against_targets(events: pa.Table, book: RuleBook) -> None:
    rows = deadline_rows(events, book, targets=True)
    assert rows == expected("deadlines_hand_targets_expected.json")["rows"]


def test_hand_computed_open_legs(events: pa.Table, book: RuleBook) -> None:
    want = expected("deadlines_hand_open_expected.json")
    got = open_legs(events, book, date(2025, 6, 25))
    assert [{k: plain(v) for k, v in r.items()} for r in got.rows] == want["persons"]
    assert got.summary == want["summary"]
    assert (len(got.rows), got.past_limit, got.due_within_7d) == (
        want["open"], want["past_limit"], want["due_within_7d"])


def test_weekdays_count_finnish_holidays(events: pa.Table, book: RuleBook) -> None:
    """N3 (decision Tue 2025-04-29) is on time only because Easter is skipped."""
    without = RuleBook(book.rules)  # the same rules, no holiday calendar
    with_holidays = {r["month"]: r for r in deadline_rows(
        events, book, DeadlineFilter(case_types=(CaseType.CHILD_WELFARE_NOTIFICATION,)))}
    plain_weekdays = {r["month"]: r for r in deadline_rows(
        events, without, DeadlineFilter(case_types=(CaseType.CHILD_WELFARE_NOTIFICATION,)))}
    assert with_holidays["2025-04"]["within_limit"] == 2
    assert plain_weekdays["2025-04"]["within_limit"] == 0  # deadline Mon 28.4. without Easter


def test_filters(events: pa.Table, book: RuleBook) -> None:
    rows = deadline_rows(events, book, DeadlineFilter.parse("2025-04"))
    assert {r["month"] for r in rows} == {"2025-04"} and len(rows) == 3
    rows = deadline_rows(events, book, DeadlineFilter.parse(
        "2025-05..2025-06", ["elderly_service,child_welfare_notification"]))
    assert [(r["month"], r["case_type"]) for r in rows] == [
        ("2025-05", "child_welfare_notification"), ("2025-06", "elderly_service")]
    got = open_legs(events, book, date(2025, 6, 25),
                    DeadlineFilter.parse(None, ["older_person_assessment"]))
    assert [r["case_id"] for r in got.rows] == ["O1", "O3", "O4"]


@pytest.mark.parametrize(
    ("month", "case_types", "message"),
    [
        ("2025-13", None, "month: '2025-13' is not a month YYYY-MM"),
        ("2025-06..2025-01", None, "ends before it starts"),
        (None, ["child_family"], "case_type: 'child_family' is not a case type of the "
                                 "case-events file; use one of specialist_referral"),
        (None, ["primary_access"], "use one of " + ", ".join(EVENT_CASE_TYPES)),
    ],
)
def test_bad_filters_are_errors(month, case_types, message) -> None:
    with pytest.raises(FilterError) as caught:
        DeadlineFilter.parse(month, case_types)
    assert message in str(caught.value)


def test_suppression(events: pa.Table, book: RuleBook) -> None:
    rows = suppress_rows(deadline_rows(events, book))
    june = next(r for r in rows if r["case_type"] == "elderly_service")
    assert june == {"month": "2025-06", "case_type": "elderly_service",
                    "from_event": "decision", "to_event": "service_started",
                    "completed": "<5", "within_limit": "<5", "within_limit_pct": None,
                    "breaches": "<5", "median_days": None}
    big = suppress_rows([{"completed": 12, "within_limit": 9, "within_limit_pct": 75.0,
                          "breaches": 3, "median_days": 40.0}])[0]
    assert big == {"completed": 12, "within_limit": 9, "within_limit_pct": 75.0,
                   "breaches": "<5", "median_days": 40.0}


def test_no_events_no_rows(book: RuleBook) -> None:
    empty = SCHEMA.empty_table()
    assert deadline_rows(empty, book) == []
    assert open_legs(empty, book, date(2025, 1, 1)).rows == []


# ------------------------------------------------------------------ agreement with an oracle

LEG_EVENTS = {
    CaseType.SPECIALIST_REFERRAL: ["referral", "assessment_started", "assessed",
                                   "treatment_started"],
    CaseType.CHILD_FAMILY_ASSESSMENT: ["case_opened", "assessed"],
    CaseType.OLDER_PERSON_ASSESSMENT: ["contact", "assessment_started"],
    CaseType.CHILD_WELFARE_NOTIFICATION: ["notification", "decision"],
    CaseType.ELDERLY_SERVICE: ["decision", "service_started"],
    CaseType.DISABILITY_APPLICATION: ["application", "decision"],
    CaseType.MEMORY_EXAMINATION: ["referral", "assessed"],
}


def random_events(seed: int, cases: int = 400) -> pa.Table:
    rng = random.Random(seed)
    rows = []
    for i in range(cases):
        case_type = rng.choice(list(LEG_EVENTS))
        birth = date(1935, 1, 1) + timedelta(days=rng.randrange(0, 365 * 85))
        at = datetime(2024, 10, 1, 8) + timedelta(days=rng.randrange(0, 300),
                                                  hours=rng.randrange(0, 10))
        urgency = rng.choice([None, "urgent", "non_urgent"])
        group = rng.choice([None, "nurse", "physician"])
        added = False
        for event in LEG_EVENTS[case_type]:
            if rng.random() < 0.1:
                break
            added = True
            rows.append({"case_id": f"K{i}", "person_id": f"P{i}", "birth_date": birth,
                         "unit_id": "U1", "case_type": case_type.value, "event": event,
                         "at": at, "urgency": urgency, "professional_group": group})
            at += timedelta(days=rng.choice([0, 1, 3, 6, 9, 13, 20, 40, 85, 95, 150, 200]))
        if added and rng.random() < 0.1:
            rows.append({**rows[-1], "event": "cancelled"})
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def oracle(events: pa.Table, book: RuleBook, targets: bool = False):
    """deadline_rows written straight from the definitions with RuleBook.case_deadline."""
    by_case: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in events.to_pylist():
        by_case[r["case_id"]][r["event"]] = r
    groups = defaultdict(list)
    for judged in judged_legs(book, targets=targets):
        leg = judged.leg
        for evs in by_case.values():
            first = next(iter(evs.values()))
            if first["case_type"] != leg.case_type or leg.from_event not in evs \
                    or leg.to_event not in evs:
                continue
            ordered = sorted(evs.values(), key=lambda r: r["at"])
            urgency = next((r["urgency"] for r in reversed(ordered) if r["urgency"]), None)
            group = next((r["professional_group"] for r in reversed(ordered)
                          if r["professional_group"]), None)
            start = evs[leg.from_event]["at"].date()
            end = evs[leg.to_event]["at"].date()
            deadline = book.case_deadline(
                leg, start, kind=judged.kind, birth_date=first["birth_date"],
                urgency=Urgency(urgency) if urgency else None,
                professional_group=ProfessionalGroup(group) if group else None)
            if deadline is None:
                continue
            key = (end.strftime("%Y-%m"), leg.case_type.value, leg.from_event.value,
                   leg.to_event.value)
            groups[key].append(((end - start).days, end <= deadline))
    return [{"month": k[0], "case_type": k[1], "from_event": k[2], "to_event": k[3],
             "completed": len(v), "within_limit": sum(ok for _, ok in v),
             "within_limit_pct": pct(sum(ok for _, ok in v), len(v)),
             "breaches": sum(not ok for _, ok in v), "median_days": median([d for d, _ in v])}
            for k, v in sorted(groups.items())]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engine_agrees_with_the_oracle(book: RuleBook, seed: int) -> None:
    events = random_events(seed)
    assert deadline_rows(events, book) == oracle(events, book)
    assert deadline_rows(events, book, targets=True) == oracle(events, book, targets=True)


def test_scoped_rules_agree_with_the_oracle(tmp_path: Path, book: RuleBook) -> None:
    """Urgency, group and age-below scopes, and leap-day birthdays, in SQL and in Python."""
    region = tmp_path / "region"
    region.mkdir()
    (region / "r.yaml").write_text(
        "kind: legal\nrules:\n"
        "  - {id: r1, case_type: memory_examination, from_event: referral, to_event: assessed,"
        " effective_from: 2024-12-01, urgency: urgent, limit: {weeks: 2}, source: t}\n"
        "  - {id: r2, case_type: memory_examination, from_event: referral, to_event: assessed,"
        " effective_from: 2025-02-01, professional_groups: [nurse], age_below: 60,"
        " limit: {weekdays: 10}, source: t}\n"
        "  - {id: r3, case_type: disability_application, from_event: application,"
        " to_event: decision, effective_from: 2025-03-01, effective_to: 2025-05-01,"
        " age_from: 65, limit: {days: 30}, source: t}\n", encoding="utf-8")
    scoped = load_rulebook(extra_dirs=[region])
    events = random_events(7, 600)
    leap = pa.Table.from_pylist([
        {"case_id": "L1", "person_id": "L", "birth_date": date(1960, 2, 29), "unit_id": "U",
         "case_type": "disability_application", "event": e, "at": at, "urgency": None,
         "professional_group": None}
        for e, at in (("application", datetime(2025, 2, 28, 9)),
                      ("decision", datetime(2025, 3, 30, 9)))], schema=SCHEMA)
    events = pa.concat_tables([events, leap])
    assert deadline_rows(events, scoped) == oracle(events, scoped)
    kinds = {j.leg.case_type: j.kind for j in judged_legs(scoped)}
    assert kinds[CaseType.MEMORY_EXAMINATION] is RuleKind.LEGAL


def test_leg_instances_carry_rule_and_deadline(events: pa.Table, book: RuleBook) -> None:
    legs = {(r["case_id"], r["to_event"]): r for r in leg_instances(events, book).to_pylist()}
    assert legs[("O2", "assessment_started")]["rule_id"] is None  # 74 on the contact day
    assert legs[("O1", "assessment_started")]["rule_id"] == "shl36-older-person-7wd"
    assert legs[("N3", "decision")]["deadline"] == date(2025, 4, 30)
    assert legs[("N5", "decision")]["stop_date"] == date(2025, 6, 10)
    assert legs[("M1", "assessed")]["kind"] == "target"
