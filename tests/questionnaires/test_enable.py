"""enableWhen: every R4 operator, all/any, nesting, conditions on disabled questions."""

from __future__ import annotations

from datetime import date

import pytest

from sotekeskus.care.questionnaires import parse
from sotekeskus.care.questionnaires.enable import effective, enabled_ids, holds
from sotekeskus.care.questionnaires.model import Condition


def T(text: str) -> dict:
    tr = "http://hl7.org/fhir/StructureDefinition/translation"
    return {"text": text, "_text": {"extension": [
        {"url": tr, "extension": [{"url": "lang", "valueCode": lang},
                                  {"url": "content", "valueString": f"{text} ({lang})"}]}
        for lang in ("sv", "en")]}}


def make(items: list[dict]) -> object:
    return parse.load({"resourceType": "Questionnaire", "id": "t", "url": "https://x/t",
                       "version": "1", "status": "active", "language": "fi", **{
                           k.replace("text", "title"): v for k, v in T("Testi").items()},
                       "item": items})


@pytest.mark.parametrize(("operator", "target", "values", "expected"), [
    ("exists", True, (), False), ("exists", True, (3,), True),
    ("exists", False, (), True), ("exists", False, (3,), False),
    ("=", 3, (3,), True), ("=", 3, (4,), False), ("=", 3, (), False),
    ("!=", 3, (4,), True), ("!=", 3, (3,), False), ("!=", 3, (), False),
    (">", 3, (4,), True), (">", 3, (3,), False),
    ("<", 3, (2,), True), ("<", 3, (3,), False),
    (">=", 3, (3,), True), (">=", 3, (2,), False),
    ("<=", 3, (3,), True), ("<=", 3, (4,), False),
    (">", date(2025, 1, 1), (date(2025, 1, 2),), True),
    ("=", "b", ("a", "b"), True), ("!=", "b", ("a", "b"), False),
])
def test_operators(operator, target, values, expected) -> None:
    assert holds(Condition("q", operator, target), values) is expected


def _items(behavior: str) -> list[dict]:
    return [
        {"linkId": "a", "type": "integer", **T("A")},
        {"linkId": "b", "type": "boolean", **T("B")},
        {"linkId": "c", "type": "string", **T("C"), "enableBehavior": behavior,
         "enableWhen": [{"question": "a", "operator": ">=", "answerInteger": 5},
                        {"question": "b", "operator": "=", "answerBoolean": True}]},
        {"linkId": "g", "type": "group", **T("G"),
         "enableWhen": [{"question": "b", "operator": "exists", "answerBoolean": True}],
         "item": [{"linkId": "g1", "type": "string", **T("G1")},
                  {"linkId": "g2", "type": "string", **T("G2"),
                   "enableWhen": [{"question": "g1", "operator": "exists",
                                   "answerBoolean": True}]}]},
        {"linkId": "d", "type": "string", **T("D"),
         "enableWhen": [{"question": "g2", "operator": "exists", "answerBoolean": False}]},
    ]


def test_all_needs_every_condition() -> None:
    q = make(_items("all"))
    assert "c" in enabled_ids(q, {"a": (5,), "b": (True,)})
    assert "c" not in enabled_ids(q, {"a": (4,), "b": (True,)})
    assert "c" not in enabled_ids(q, {"a": (5,)})


def test_any_needs_one_condition() -> None:
    q = make(_items("any"))
    assert "c" in enabled_ids(q, {"a": (5,)})
    assert "c" in enabled_ids(q, {"a": (1,), "b": (True,)})
    assert "c" not in enabled_ids(q, {"a": (1,), "b": (False,)})


def test_a_disabled_group_disables_its_children_and_counts_as_unanswered() -> None:
    q = make(_items("all"))
    answers = {"g1": ("x",), "g2": ("y",)}  # answered, but the group is off (b unanswered)
    on = enabled_ids(q, answers)
    assert {"g", "g1", "g2"}.isdisjoint(on)
    assert "d" in on  # g2 is disabled, so "g2 exists = false" holds
    assert effective(q, answers) == {}
    on = enabled_ids(q, {"b": (False,), "g1": ("x",), "g2": ("y",)})
    assert {"g", "g1", "g2"} <= on and "d" not in on


def test_shipped_enable_when(examples) -> None:
    q = examples["respiratory-adult"].questionnaire
    assert "fever_days" not in enabled_ids(q, {"fever": (False,)})
    assert {"fever_days", "temperature"} <= enabled_ids(q, {"fever": (True,)})
    app = examples["older-service-application"].questionnaire
    assert "helper_name" not in enabled_ids(app, {"filled_by": ("self",)})
    assert "helper_name" in enabled_ids(app, {"filled_by": ("relative",)})
    assert "helper_name" not in enabled_ids(app, {})  # != on no answer is false
