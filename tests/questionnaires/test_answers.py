"""Bad answers are refused naming the linkId and, for closed lists, the allowed values."""

from __future__ import annotations

from datetime import date

import pytest

from sotekeskus.care.questionnaires.answers import check_complete, from_form, missing_required
from sotekeskus.care.questionnaires.errors import AnswerError
from tests.questionnaires.test_rules import CALM, ORAL


def test_form_values_are_typed(examples) -> None:
    q = examples["oral-health"].questionnaire
    answers, problems = from_form(q, {"pain": ["true"], "pain_level": [" 8 "],
                                      "problem": ["toothache"], "since": ["2025-06-10"]},
                                  ["pain", "pain_level", "problem", "since"])
    assert problems == []
    assert answers == {"pain": (True,), "pain_level": (8,), "problem": ("toothache",),
                       "since": (date(2025, 6, 10),)}


@pytest.mark.parametrize(("link_id", "raw", "message", "allowed"), [
    ("problem", "headache", "'headache' is not one of the options",
     ("toothache", "broken_tooth", "lost_filling", "gum_bleeding", "check_up", "other")),
    ("pain", "maybe", "answer yes or no", ("true", "false")),
    ("pain_level", "7.5", "'7.5' is not a whole number", ()),
    ("since", "10.6.2025", "'10.6.2025' is not a date (YYYY-MM-DD)", ()),
])
def test_bad_form_value_names_the_link_id(examples, link_id, raw, message, allowed) -> None:
    q = examples["oral-health"].questionnaire
    answers, problems = from_form(q, {link_id: [raw]}, [link_id])
    assert answers == {}
    assert [(p.link_id, p.message, p.allowed) for p in problems] == [(link_id, message, allowed)]
    if allowed:
        assert f"{link_id}: {message}; allowed: {', '.join(allowed)}" == str(problems[0])


def test_decimal_accepts_a_comma(examples) -> None:
    q = examples["respiratory-adult"].questionnaire
    answers, problems = from_form(q, {"temperature": ["38,6"]}, ["temperature"])
    assert answers == {"temperature": (38.6,)} and problems == []
    _, problems = from_form(q, {"temperature": ["hot"]}, ["temperature"])
    assert str(problems[0]) == "temperature: 'hot' is not a number"


def test_one_answer_only_unless_the_item_repeats(examples) -> None:
    q = examples["respiratory-adult"].questionnaire
    answers, problems = from_form(q, {"symptom": ["cough", "ear_pain"],
                                      "duration": ["lt3", "gt10"]}, ["symptom", "duration"])
    assert answers == {"symptom": ("cough", "ear_pain")}
    assert [p.link_id for p in problems] == ["duration"]


def test_required_only_when_enabled(examples) -> None:
    q = examples["respiratory-adult"].questionnaire
    page = ["fever", "fever_days", "temperature"]
    assert [p.link_id for p in missing_required(q, {"fever": (False,)}, page)] == []
    assert [p.link_id for p in missing_required(q, {"fever": (True,)}, page)] == ["fever_days"]


def test_check_complete_lists_every_problem(examples) -> None:
    q = examples["respiratory-adult"].questionnaire
    bad = {**CALM, "duration": ("week",), "fever_days": (3,), "nonsense": ("x",)}
    bad.pop("risk_group")
    with pytest.raises(AnswerError) as info:
        check_complete(q, bad)
    found = info.value.by_link_id()
    assert set(found) == {"duration", "fever_days", "nonsense", "risk_group"}
    assert found["duration"].allowed == ("lt3", "3to10", "gt10")
    assert "not enabled" in found["fever_days"].message
    assert found["risk_group"].message == "an answer is required"


def test_check_complete_wrong_types(examples) -> None:
    q = examples["oral-health"].questionnaire
    with pytest.raises(AnswerError, match=r"pain: 'yes' is not a boolean answer; allowed: "
                                          r"true, false"):
        check_complete(q, {**ORAL, "pain": ("yes",)})
