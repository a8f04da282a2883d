"""Answers ⇄ an R4 ``QuestionnaireResponse``.

:func:`to_resource` writes the answers in the questionnaire's item structure (groups hold
their answered children; unanswered items are left out), names the version answered as
``questionnaire: "<url>|<version>"`` and is checked against the R4 models (exact round trip).
:func:`answers_of` reads one back (the FHIR API's POST): unknown linkIds and values of the
wrong type are :class:`~.errors.AnswerError` naming the linkId.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sotekeskus.care.questionnaires.errors import AnswerError, Problem
from sotekeskus.care.questionnaires.model import Answers, Item, Questionnaire, Value

STATUSES = ("completed", "stopped")
VALUE_KEYS = {"boolean": "valueBoolean", "choice": "valueCoding", "integer": "valueInteger",
              "decimal": "valueDecimal", "string": "valueString", "text": "valueString",
              "date": "valueDate"}


def _answer(item: Item, value: Value, lang: str) -> dict[str, Any]:
    key = VALUE_KEYS[item.type]
    if item.type == "choice":
        option = item.option(str(value))
        coding: dict[str, Any] = {"code": str(value)}
        if option is not None:
            if option.system:
                coding["system"] = option.system
            coding["display"] = option.display(lang)
        return {key: coding}
    if isinstance(value, date):
        return {key: value.isoformat()}
    return {key: value}


def _items(items: Iterable[Item], answers: Answers, lang: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if item.type == "group":
            children = _items(item.items, answers, lang)
            if children:
                out.append({"linkId": item.link_id, "text": item.text(lang), "item": children}
                           if item.text else {"linkId": item.link_id, "item": children})
        elif item.answerable and answers.get(item.link_id):
            out.append({"linkId": item.link_id, "text": item.text(lang),
                        "answer": [_answer(item, v, lang) for v in answers[item.link_id]]})
    return out


def to_resource(questionnaire: Questionnaire, answers: Answers, *, response_id: str,
                patient_id: str, authored: datetime, status: str = "completed",
                lang: str = "fi") -> dict[str, Any]:
    """The R4 QuestionnaireResponse of ``answers`` (checked)."""
    from sotekeskus.interop.fhir.resources import fhir_datetime
    from sotekeskus.interop.fhir.validate import validate_r4

    if status not in STATUSES:
        raise ValueError(f"status: {status!r}; allowed: {', '.join(STATUSES)}")
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse", "id": response_id,
        "questionnaire": questionnaire.canonical, "status": status,
        "subject": {"reference": f"Patient/{patient_id}"},
        "authored": fhir_datetime(authored),
        "language": lang,
        "item": _items(questionnaire.items, answers, lang)}
    validate_r4(resource, exact=True)
    return resource


def _value(item: Item, answer: Mapping[str, Any]) -> Value:
    keys = [k for k in answer if k.startswith("value")]
    expected = VALUE_KEYS[item.type]
    if keys != [expected]:
        raise AnswerError([Problem(item.link_id, f"a {item.type} question is answered with "
                                   f"{expected}, not {', '.join(keys) or 'nothing'}")])
    raw = answer[expected]
    if item.type == "choice":
        code = str((raw or {}).get("code") or "")
        if item.option(code) is None:
            raise AnswerError([Problem(item.link_id, f"{code!r} is not one of the options",
                                       tuple(o.code for o in item.options))])
        return code
    if item.type == "date":
        return date.fromisoformat(str(raw))
    if item.type == "decimal":
        return float(raw)
    return raw  # type: ignore[no-any-return]


def answers_of(questionnaire: Questionnaire,
               resource: Mapping[str, Any]) -> dict[str, tuple[Value, ...]]:
    """The answers of a QuestionnaireResponse (types checked; completeness is checked by
    :func:`~.answers.check_complete`)."""
    ids = {i.link_id: i for i in questionnaire.walk()}
    out: dict[str, tuple[Value, ...]] = {}
    problems: list[Problem] = []

    def walk(items: Iterable[Mapping[str, Any]]) -> None:
        for raw in items or []:
            link_id = str(raw.get("linkId") or "")
            item = ids.get(link_id)
            if item is None:
                problems.append(Problem(link_id or "?", "not an item of "
                                        f"{questionnaire.canonical}"))
                continue
            values: list[Value] = []
            for answer in raw.get("answer") or []:
                try:
                    values.append(_value(item, answer))
                except AnswerError as exc:
                    problems.extend(exc.problems)
                except (TypeError, ValueError):
                    problems.append(Problem(link_id, "not a valid value"))
                walk(answer.get("item") or [])
            if values:
                out[link_id] = tuple(values)
            walk(raw.get("item") or [])

    walk(resource.get("item") or [])
    if problems:
        raise AnswerError(problems)
    return out
