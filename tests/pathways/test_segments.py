"""Segments: the rule language, hand-computed profiles and transitions."""

from __future__ import annotations

import json

import pytest

from sotekeskus.pathways.errors import RuleTableError
from sotekeskus.pathways.rule_expr import rule_to_sql
from sotekeskus.pathways.segments import (
    FEATURES,
    load_segments,
    parse_segments,
    profile_columns,
    profiles,
    suppress_profiles,
    suppress_transitions,
    transitions,
)
from sotekeskus.pathways.source import EpisodeSource
from tests.pathways.helpers import DATA, load_episodes, source

EXPECTED = json.loads((DATA / "segments_hand_expected.json").read_text())


def test_hand_computed_profiles():
    result = profiles(source("segments_hand.csv"), 2025)
    assert result.population == EXPECTED["population"]
    assert result.rows == EXPECTED["profiles"]
    assert list(result.rows[0]) == profile_columns(load_segments())


def test_hand_computed_transitions():
    rows = transitions(source("segments_hand.csv"), 2024)
    assert [r for r in rows if r["persons"]] == EXPECTED["transitions_2024_2025"]
    assert len(rows) == 6 * 6 - 1  # every pair of the 5 segments and none, but none → none
    assert sum(r["persons"] for r in rows) == 10


def test_suppression():
    table = load_segments()
    rows = suppress_profiles(profiles(source("segments_hand.csv"), 2025).rows, table)
    assert rows[0]["persons"] == "<5" and rows[0]["mean_age"] is None
    assert rows[0]["segment"] == "frailty"
    assert all(r["persons"] == "<5" for r in suppress_transitions(
        transitions(source("segments_hand.csv"), 2024)))


def test_without_diagnosis_codes_nobody_has_a_condition():
    table = load_episodes("segments_hand.csv").drop_columns(["diagnosis_codes"])
    result = profiles(EpisodeSource.from_arrow(table), 2025)
    assert result.notes == ["diagnosis_codes is not in the data: conditions = 0 for everyone"]
    persons = {r["segment"]: r["persons"] for r in result.rows}
    # S3 (2 conditions) and S5, S10 (1) fall to acute_episode; S4 stays complex (3 areas).
    assert persons == {"frailty": 2, "complex": 1, "chronic_stable": 0, "acute_episode": 5,
                       "mostly_healthy": 1}


def test_a_regions_own_rules(tmp_path):
    path = tmp_path / "segments.yaml"
    path.write_text("segments:\n  - id: elderly\n    rule: age >= 65\n"
                    "  - id: others\n    rule: 'true'\n")
    table = load_segments(path)
    result = profiles(source("segments_hand.csv"), 2025, table)
    assert [(r["segment"], r["persons"]) for r in result.rows] == [("elderly", 3),
                                                                    ("others", 6)]


@pytest.mark.parametrize(("rule", "sql"), [
    ("contacts >= 1", "(contacts >= 1)"),
    ("age >= 75 and (contacts >= 12 or home_visits >= 1)",
     "((age >= 75) AND ((contacts >= 12) OR (home_visits >= 1)))"),
    ("not conditions == 0", "(NOT (conditions = 0))"),
    ("true", "TRUE"),
    ("age != 3 or false", "((age <> 3) OR FALSE)"),
])
def test_rule_language(rule, sql):
    assert rule_to_sql(rule, FEATURES, "t") == sql


@pytest.mark.parametrize(("rule", "message"), [
    ("income >= 3", "unknown feature 'income'"),
    ("age >= ", "expected a whole number"),
    ("age 75", "expected a comparison"),
    ("(age >= 75", "expected ')'"),
    ("age >= 75 contacts >= 1", "expected 'and', 'or' or the end"),
    ("age >= 7.5", "unexpected '.'"),
    ("age >= 1; DROP TABLE episodes", "unexpected ';'"),
    ("", "empty"),
])
def test_bad_rules_are_rejected_with_position(rule, message):
    with pytest.raises(RuleTableError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rule_to_sql(rule, FEATURES, "segments.yaml: segment 'x'")


@pytest.mark.parametrize(("doc", "message"), [
    ({"segments": []}, "no segments"),
    ({"segments": [{"id": "a", "rule": "true"}, {"id": "a", "rule": "true"}]}, "twice"),
    ({"segments": [{"id": "none", "rule": "true"}]}, "not 'none'"),
    ({"segments": [{"id": "a", "rule": 3}]}, "must be text"),
    ({"segments": [{"id": "a", "rule": "true", "when": 1}]}, "unknown key"),
    ({"segs": []}, "list 'segments'"),
])
def test_bad_tables_are_rejected(doc, message):
    with pytest.raises(RuleTableError, match=message):
        parse_segments(doc, "my.yaml")
