"""Outcome rules: each shipped rule fires on hand-made answers; red flags are known as soon
as they are answered; bad rules files are refused naming the rule and the field."""

from __future__ import annotations

import pytest
import yaml

from sotekeskus.care.questionnaires import rules
from sotekeskus.care.questionnaires.errors import RulesError
from sotekeskus.care.questionnaires.examples import example_files

NO_FLAGS = {"rf_breathless_rest": (False,), "rf_chest_pain": (False,),
            "rf_confusion": (False,), "rf_blue_lips": (False,)}
CALM = {**NO_FLAGS, "fever": (False,), "symptom": ("cough",), "breathless_exertion": (False,),
        "risk_group": (False,), "duration": ("lt3",)}
ORAL = {"rf_swelling_breathing": (False,), "rf_bleeding_injury": (False,),
        "problem": ("other",), "pain": (False,), "swelling": (False,)}
RENEW = {"medicine": ("Simvastatiini 20 mg",), "dose": ("1 x 1",), "last_check": ("lt12m",),
         "side_effects": (False,)}
FALLS = {"rf_fall_injury": (False,), "falls_year": ("none",), "fear_falling": (False,),
         "walking_aid": (False,), "dizziness": (False,), "medicines_count": (2,),
         "home_hazards": (True,)}
OLDER = {"filled_by": ("self",), "needs": ("meals", "cleaning"), "lives_alone": (False,),
         "memory_problems": (False,), "unsafe_now": (False,)}

CASES = [
    ("respiratory-adult", {**CALM, "rf_breathless_rest": (True,)}, "rf-breathless-rest",
     "emergency"),
    ("respiratory-adult", {**CALM, "rf_chest_pain": (True,)}, "rf-chest-pain", "emergency"),
    ("respiratory-adult", {**CALM, "rf_confusion": (True,)}, "rf-confusion", "emergency"),
    ("respiratory-adult", {**CALM, "rf_blue_lips": (True,)}, "rf-blue-lips", "emergency"),
    ("respiratory-adult", {**CALM, "breathless_exertion": (True,), "risk_group": (True,)},
     "urgent-breathless-risk", "urgent"),
    ("respiratory-adult", {**CALM, "breathless_exertion": (True,)}, "self-care", "self_care"),
    ("respiratory-adult", {**CALM, "fever": (True,), "fever_days": (1,), "temperature": (39.5,)},
     "urgent-high-fever", "urgent"),
    ("respiratory-adult", {**CALM, "fever": (True,), "fever_days": (4,), "temperature": (38.4,)},
     "long-fever", "non_urgent"),
    ("respiratory-adult", {**CALM, "fever": (True,), "fever_days": (3,)}, "self-care",
     "self_care"),
    ("respiratory-adult", {**CALM, "symptom": ("cough", "ear_pain"), "duration": ("3to10",)},
     "ear-or-sinus", "non_urgent"),
    ("respiratory-adult", {**CALM, "symptom": ("ear_pain",)}, "self-care", "self_care"),
    ("respiratory-adult", {**CALM, "duration": ("gt10",)}, "long-symptoms", "non_urgent"),
    ("respiratory-adult", CALM, "self-care", "self_care"),
    ("oral-health", {**ORAL, "rf_swelling_breathing": (True,)}, "rf-swelling-breathing",
     "emergency"),
    ("oral-health", {**ORAL, "rf_bleeding_injury": (True,)}, "rf-bleeding-injury", "emergency"),
    ("oral-health", {**ORAL, "swelling": (True,), "fever": (True,)}, "urgent-swelling-fever",
     "urgent"),
    ("oral-health", {**ORAL, "pain": (True,), "pain_level": (7,)}, "urgent-severe-pain",
     "urgent"),
    ("oral-health", {**ORAL, "pain": (True,), "pain_level": (6,), "problem": ("toothache",)},
     "dentist", "non_urgent"),
    ("oral-health", {**ORAL, "problem": ("gum_bleeding",)}, "hygienist", "non_urgent"),
    ("oral-health", {**ORAL, "problem": ("check_up",)}, "hygienist", "non_urgent"),
    ("oral-health", ORAL, "self-care", "self_care"),
    ("prescription-renewal", {**RENEW, "side_effects": (True,),
                              "side_effects_text": ("huimaus",)}, "side-effects", "non_urgent"),
    ("prescription-renewal", {**RENEW, "last_check": ("unknown",)}, "review-due", "non_urgent"),
    ("prescription-renewal", RENEW, "renew", "self_care"),
    ("fall-prevention", {**FALLS, "rf_fall_injury": (True,)}, "rf-fall-injury", "emergency"),
    ("fall-prevention", {**FALLS, "falls_year": ("several",)}, "several-falls", "non_urgent"),
    ("fall-prevention", {**FALLS, "dizziness": (True,), "medicines_count": (4,)},
     "dizzy-many-medicines", "non_urgent"),
    ("fall-prevention", {**FALLS, "dizziness": (True,), "medicines_count": (3,)}, "self-care",
     "self_care"),
    ("fall-prevention", {**FALLS, "falls_year": ("one",)}, "one-fall", "non_urgent"),
    ("fall-prevention", {**FALLS, "walking_aid": (True,)}, "exercise", "non_urgent"),
    ("fall-prevention", FALLS, "self-care", "self_care"),
    ("older-service-application", {**OLDER, "unsafe_now": (True,)}, "unsafe-now", "urgent"),
    ("older-service-application", {**OLDER, "memory_problems": (True,), "lives_alone": (True,)},
     "memory-alone", "non_urgent"),
    ("older-service-application", {**OLDER, "memory_problems": (True,)}, "service-needs",
     "non_urgent"),
]


@pytest.mark.parametrize(("name", "answers", "rule_id", "outcome"), CASES,
                         ids=[f"{c[0]}:{c[2]}:{i}" for i, c in enumerate(CASES)])
def test_each_rule_fires(examples, name, answers, rule_id, outcome) -> None:
    from sotekeskus.care.questionnaires.answers import check_complete

    stored = examples[name]
    checked = check_complete(stored.questionnaire, answers)  # the hand-made answers are valid
    fired = stored.rules.first(checked)
    assert (fired.rule_id, fired.recommendation.value) == (rule_id, outcome)


def test_every_shipped_rule_is_exercised(examples) -> None:
    fired = {(c[0], c[2]) for c in CASES}
    every = {(name, r.rule_id) for name, s in examples.items() for r in s.rules.rules}
    assert every == fired


def test_red_flag_is_known_from_the_first_page_alone(examples) -> None:
    stored = examples["respiratory-adult"]
    assert stored.rules.emergency({"rf_chest_pain": (True,)}).rule_id == "rf-chest-pain"
    assert stored.rules.emergency(NO_FLAGS) is None
    assert stored.rules.red_flags() == set(NO_FLAGS)
    assert examples["prescription-renewal"].rules.emergency(RENEW) is None


def _rules_text(name: str) -> dict:
    path = next(r for q, r in example_files() if q.stem == name)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _bad(examples, mutate, name: str = "respiratory-adult") -> str:
    data = _rules_text(name)
    mutate(data)
    with pytest.raises(RulesError) as info:
        rules.load(data, examples[name].questionnaire)
    return str(info.value)


def test_emergency_rules_must_come_first(examples) -> None:
    def move(d: dict) -> None:
        d["rules"].insert(5, d["rules"].pop(0))
    message = _bad(examples, move)
    assert "rule 'rf-breathless-rest': emergency rules come before every other rule" in message


def test_the_last_rule_is_the_fallback(examples) -> None:
    assert "the last rule has no 'when'" in _bad(examples, lambda d: d["rules"].pop())


def test_unknown_question_lists_the_questions(examples) -> None:
    def bad(d: dict) -> None:
        d["rules"][0]["when"] = {"answer": "breathless", "equals": True}
    message = _bad(examples, bad)
    assert "'breathless' is not a question" in message and "rf_breathless_rest" in message


def test_choice_value_must_be_an_option(examples) -> None:
    def bad(d: dict) -> None:
        d["rules"][-2]["when"] = {"answer": "duration", "equals": "week"}
    message = _bad(examples, bad)
    assert "rule 'long-symptoms'" in message
    assert "'week' is not an option of 'duration'; allowed: lt3, 3to10, gt10" in message


def test_unknown_recommendation_lists_the_allowed(examples) -> None:
    def bad(d: dict) -> None:
        d["rules"][-1]["recommendation"] = "later"
    message = _bad(examples, bad)
    assert "unknown code 'later'; allowed: emergency, urgent, non_urgent, self_care" in message


def test_unknown_service(examples) -> None:
    def bad(d: dict) -> None:
        d["rules"][6]["service"] = "nowhere"
    assert "rule 'long-fever'.service: unknown service 'nowhere'" in _bad(examples, bad)


def test_non_urgent_needs_a_service_and_advice_in_three_languages(examples) -> None:
    def no_service(d: dict) -> None:
        d["rules"][6].pop("service")
    assert "an non_urgent recommendation names the service" in _bad(examples, no_service)

    def no_sv(d: dict) -> None:
        d["rules"][6]["advice"].pop("sv")
    assert "rule 'long-fever'.advice: a text in each of fi, sv, en" in _bad(examples, no_sv)


def test_ordered_operator_needs_a_number(examples) -> None:
    def bad(d: dict) -> None:
        d["rules"][0]["when"] = {"answer": "rf_chest_pain", "at_least": 1}
    assert "at_least needs an integer, decimal or date question" in _bad(examples, bad)


def test_rules_belong_to_their_questionnaire(examples) -> None:
    def bad(d: dict) -> None:
        d["questionnaire"] = "https://elsewhere/Questionnaire/x"
    assert "is not the questionnaire's url" in _bad(examples, bad)
