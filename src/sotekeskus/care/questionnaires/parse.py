"""Read and check a FHIR R4 ``Questionnaire`` (JSON) into the form model.

Checks, in order: the resource is R4 4.0.1 (the fhirclient R4 models of
:mod:`sotekeskus.interop.fhir.validate`, exact round trip once the translation extensions are
set aside); ``url``, ``version``, ``status`` and ``title`` are present; every text is there in
fi, sv and en; linkIds are unique; item types are those of :data:`~.model.ITEM_TYPES`;
choice items list ``answerOption.valueCoding`` (no value sets); ``enableWhen`` names an
*earlier* question, uses an R4 operator that suits the question's type, and its answer has
the question's type (a choice answer must be one of its codes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sotekeskus.care.questionnaires.errors import QuestionnaireError
from sotekeskus.care.questionnaires.model import (
    ITEM_TYPES,
    LANGUAGES,
    OPERATORS,
    Condition,
    Item,
    Option,
    Questionnaire,
    Value,
)
from sotekeskus.care.questionnaires.translations import (
    check_primitive_extensions,
    strip_primitive_extensions,
    texts_of,
)

STATUSES = ("draft", "active", "retired")
#: enableWhen answer[x] element per item type.
ANSWER_KEY = {"boolean": "answerBoolean", "choice": "answerCoding", "integer": "answerInteger",
              "decimal": "answerDecimal", "string": "answerString", "text": "answerString",
              "date": "answerDate"}
ORDERED = ("integer", "decimal", "date")
MAX_TEXT = {"string": 300, "text": 4000}


def loads(text: str | bytes) -> Questionnaire:
    """Parse JSON text; :class:`QuestionnaireError` for bad JSON or a bad questionnaire."""
    try:
        resource = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise QuestionnaireError(f"not JSON: {exc}") from None
    return load(resource)


def load(resource: Any) -> Questionnaire:
    """The questionnaire of an R4 ``Questionnaire`` resource (a dict), fully checked."""
    from sotekeskus.interop.fhir.validate import R4ValidationError, validate_r4

    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise QuestionnaireError("resourceType: a Questionnaire is expected")
    check_primitive_extensions(resource)
    try:
        validate_r4(strip_primitive_extensions(resource), exact=True)
    except R4ValidationError as exc:
        raise QuestionnaireError(str(exc)) from None
    for name in ("id", "url", "version", "status"):
        if not str(resource.get(name) or "").strip():
            raise QuestionnaireError(f"Questionnaire.{name}: required")
    if resource["status"] not in STATUSES:
        raise QuestionnaireError(f"Questionnaire.status: {resource['status']!r}; allowed: "
                                 + ", ".join(STATUSES))
    lang = str(resource.get("language") or "")
    if lang not in LANGUAGES:
        raise QuestionnaireError(f"Questionnaire.language: {lang!r}; allowed: "
                                 + ", ".join(LANGUAGES))
    where = "Questionnaire"
    title = texts_of(resource, "title", lang, where, required=True)
    description = texts_of(resource, "description", lang, where, required=False)
    items_json = resource.get("item") or []
    if not items_json:
        raise QuestionnaireError("Questionnaire.item: the questionnaire has no items")
    seen: dict[str, Item] = {}
    items = tuple(_item(i, lang, seen, f"{where}.item[{n}]") for n, i in enumerate(items_json))
    return Questionnaire(id=str(resource["id"]), url=str(resource["url"]),
                         version=str(resource["version"]), status=str(resource["status"]),
                         title=title, description=description, language=lang, items=items,
                         resource=resource)


def _item(raw: Mapping[str, Any], lang: str, seen: dict[str, Item], where: str) -> Item:
    link_id = str(raw.get("linkId") or "")
    where = f"item {link_id!r}" if link_id else where
    kind = str(raw.get("type") or "")
    if kind not in ITEM_TYPES:
        raise QuestionnaireError(f"{where}: type {kind!r} is not supported; allowed: "
                                 + ", ".join(ITEM_TYPES))
    if link_id in seen:
        raise QuestionnaireError(f"{where}: linkId appears twice")
    if not link_id.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise QuestionnaireError(f"{where}: linkId may hold letters, digits, '-', '_', '.'")
    if raw.get("answerValueSet"):
        raise QuestionnaireError(f"{where}: answerValueSet is not supported; list the "
                                 "options as answerOption.valueCoding")
    required = bool(raw.get("required"))
    repeats = bool(raw.get("repeats"))
    if kind in ("group", "display") and (repeats or (required and kind == "display")):
        raise QuestionnaireError(f"{where}: a {kind} item cannot repeat or be required")
    if repeats and kind != "choice":
        raise QuestionnaireError(f"{where}: only choice items may repeat")
    options = tuple(_option(o, lang, f"{where}.answerOption[{i}]")
                    for i, o in enumerate(raw.get("answerOption") or []))
    if kind == "choice" and not options:
        raise QuestionnaireError(f"{where}: a choice item needs answerOption.valueCoding")
    if options and kind != "choice":
        raise QuestionnaireError(f"{where}: answerOption is only supported on choice items")
    codes = [o.code for o in options]
    if len(set(codes)) != len(codes):
        raise QuestionnaireError(f"{where}: an answerOption code appears twice")
    text = texts_of(raw, "text", lang, where, required=kind != "group" or "text" in raw)
    conditions = tuple(_condition(c, seen, f"{where}.enableWhen[{i}]")
                       for i, c in enumerate(raw.get("enableWhen") or []))
    behavior = str(raw.get("enableBehavior") or "all")
    if behavior not in ("all", "any"):
        raise QuestionnaireError(f"{where}.enableBehavior: {behavior!r}; allowed: all, any")
    if len(conditions) > 1 and "enableBehavior" not in raw:
        raise QuestionnaireError(f"{where}: enableBehavior is required with several "
                                 "enableWhen (R4 que-12)")
    max_length = raw.get("maxLength")
    if max_length is not None and kind not in ("string", "text"):
        raise QuestionnaireError(f"{where}: maxLength is only for string and text items")
    placeholder = Item(link_id, kind, text)
    seen[link_id] = placeholder  # children's enableWhen may name the group's earlier items
    children = tuple(_item(c, lang, seen, f"{where}.item[{i}]")
                     for i, c in enumerate(raw.get("item") or []))
    if kind == "group" and not children:
        raise QuestionnaireError(f"{where}: a group needs items")
    if kind != "group" and children:
        raise QuestionnaireError(f"{where}: only group items may have items")
    item = Item(link_id, kind, text, required, repeats, options, conditions, behavior,
                children, max_length if max_length else MAX_TEXT.get(kind))
    seen[link_id] = item
    return item


def _option(raw: Mapping[str, Any], lang: str, where: str) -> Option:
    coding = raw.get("valueCoding")
    if not isinstance(coding, Mapping) or not str(coding.get("code") or "").strip():
        raise QuestionnaireError(f"{where}: only valueCoding options with a code are "
                                 "supported")
    where = f"{where} ({coding['code']})"
    return Option(str(coding["code"]), coding.get("system"),
                  texts_of(coding, "display", lang, where, required=True))


def _condition(raw: Mapping[str, Any], seen: Mapping[str, Item], where: str) -> Condition:
    question = str(raw.get("question") or "")
    target = seen.get(question)
    if target is None or target.type == "group" and not target.items:
        raise QuestionnaireError(f"{where}: question {question!r} is not an earlier item; "
                                 "enableWhen may only look back")
    if not target.answerable:
        raise QuestionnaireError(f"{where}: {question!r} is a {target.type} item, not a "
                                 "question")
    operator = str(raw.get("operator") or "")
    if operator not in OPERATORS:
        raise QuestionnaireError(f"{where}: operator {operator!r}; allowed: "
                                 + ", ".join(OPERATORS))
    answers = {k: v for k, v in raw.items() if k.startswith("answer")}
    if len(answers) != 1:
        raise QuestionnaireError(f"{where}: exactly one answer[x] is required")
    key, value = next(iter(answers.items()))
    if operator == "exists":
        if key != "answerBoolean":
            raise QuestionnaireError(f"{where}: operator exists takes answerBoolean")
        return Condition(question, operator, bool(value))
    expected = ANSWER_KEY[target.type]
    if key != expected:
        raise QuestionnaireError(f"{where}: {question!r} is a {target.type} question: use "
                                 f"{expected}, not {key}")
    if operator in (">", "<", ">=", "<=") and target.type not in ORDERED:
        raise QuestionnaireError(f"{where}: operator {operator} needs an integer, decimal or "
                                 f"date question; {question!r} is {target.type}")
    return Condition(question, operator, _value(target, value, where))


def _value(target: Item, value: Any, where: str) -> Value:
    if target.type == "choice":
        code = str((value or {}).get("code") or "")
        if target.option(code) is None:
            raise QuestionnaireError(f"{where}: {code!r} is not an option of "
                                     f"{target.link_id!r}; allowed: "
                                     + ", ".join(o.code for o in target.options))
        return code
    if target.type == "date":
        return date.fromisoformat(str(value))
    if target.type == "decimal":
        return float(value)
    return value  # type: ignore[no-any-return]
