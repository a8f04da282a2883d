"""Reading FHIR R4 Questionnaires: every shipped one is valid R4 and complete in fi/sv/en;
bad definitions are refused naming the linkId or element."""

from __future__ import annotations

import copy
import json

import pytest

from sotekeskus.care.questionnaires import parse
from sotekeskus.care.questionnaires.errors import QuestionnaireError
from sotekeskus.care.questionnaires.examples import example_files
from sotekeskus.care.questionnaires.model import LANGUAGES
from sotekeskus.care.questionnaires.translations import strip_primitive_extensions
from sotekeskus.interop.fhir.validate import validate_r4

SHIPPED = {"respiratory-adult", "oral-health", "prescription-renewal", "fall-prevention",
           "older-service-application"}


def _resource(name: str = "respiratory-adult") -> dict:
    path = next(p for p, _ in example_files() if p.stem == name)
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_five_examples_are_shipped_and_labelled(examples) -> None:
    assert set(examples) == SHIPPED
    for stored in examples.values():
        q = stored.questionnaire
        assert q.resource["experimental"] is True
        assert "Example – not clinically validated" in q.description("en")
        assert "Esimerkki" in q.description("fi") and "Exempel" in q.description("sv")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_questionnaire_is_r4_and_trilingual(name: str, examples) -> None:
    resource = _resource(name)
    validate_r4(strip_primitive_extensions(resource), exact=True)  # R4 4.0.1 models
    q = examples[name].questionnaire
    assert q.url.endswith(name) and q.version == "2025.1"
    for item in q.walk():
        if item.type != "group" or item.text:
            assert set(item.text.values) == set(LANGUAGES), item.link_id
        for option in item.options:
            assert set(option.display.values) == set(LANGUAGES), (item.link_id, option.code)
    assert set(q.title.values) == set(LANGUAGES)


def test_texts_in_three_languages(examples) -> None:
    q = examples["respiratory-adult"].questionnaire
    item = q.item("fever")
    assert item.text("fi").startswith("Onko sinulla kuumetta")
    assert item.text("sv").startswith("Har du feber")
    assert item.text("en").startswith("Do you have a fever")
    assert q.item("duration").option("gt10").display("sv") == "Mer än 10 dagar"


def _bad(mutate) -> str:
    resource = _resource()
    mutate(resource)
    with pytest.raises(QuestionnaireError) as info:
        parse.load(resource)
    return str(info.value)


def _symptoms(r: dict) -> list:
    return r["item"][1]["item"]


def test_duplicate_link_id() -> None:
    message = _bad(lambda r: _symptoms(r)[1].update(linkId="fever"))
    assert "item 'fever': linkId appears twice" in message


def test_enable_when_must_look_back() -> None:
    def forward(r: dict) -> None:
        _symptoms(r)[0]["enableWhen"] = [{"question": "risk_group", "operator": "exists",
                                          "answerBoolean": True}]
    assert "question 'risk_group' is not an earlier item" in _bad(forward)


def test_enable_when_answer_must_be_an_option() -> None:
    def wrong(r: dict) -> None:
        _symptoms(r)[-1]["enableWhen"] = [{"question": "symptom", "operator": "=",
                                           "answerCoding": {"code": "headache"}}]
    message = _bad(wrong)
    assert "'headache' is not an option of 'symptom'" in message
    assert "allowed: cough, sore_throat, runny_nose, ear_pain, sinus_pain, none" in message


def test_enable_when_operator_fits_the_type() -> None:
    def wrong(r: dict) -> None:
        _symptoms(r)[1]["enableWhen"] = [{"question": "fever", "operator": ">",
                                          "answerBoolean": True}]
    assert "operator > needs an integer, decimal or date question" in _bad(wrong)


def test_missing_translation_names_the_item_and_language() -> None:
    def drop_sv(r: dict) -> None:
        ext = _symptoms(r)[0]["_text"]["extension"]
        ext[:] = [e for e in ext if e["extension"][0]["valueCode"] != "sv"]
    assert "item 'fever'.text: no text in sv" in _bad(drop_sv)


def test_unsupported_item_type_lists_the_supported() -> None:
    message = _bad(lambda r: _symptoms(r)[0].update(type="attachment"))
    assert "type 'attachment' is not supported" in message and "boolean, choice" in message


def test_not_r4_is_refused() -> None:
    # an element R4 does not have (R5's 'disabledDisplay')
    message = _bad(lambda r: _symptoms(r)[0].update(disabledDisplay="hidden"))
    assert "not valid FHIR R4" in message


def test_version_is_required() -> None:
    assert "Questionnaire.version: required" in _bad(lambda r: r.pop("version"))


def test_not_json() -> None:
    with pytest.raises(QuestionnaireError, match="not JSON"):
        parse.loads("{")


def test_pages_follow_top_level_groups(examples) -> None:
    q = examples["respiratory-adult"].questionnaire
    assert [p[0].link_id for p in q.pages()] == ["red_flags", "symptoms", "more"]
    assert copy.deepcopy(q.canonical) == ("https://sotekeskus.example.fi/fhir/Questionnaire/"
                                          "respiratory-adult|2025.1")
