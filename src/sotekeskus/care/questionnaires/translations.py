"""Multilingual texts: the FHIR **translation extension** on primitive elements.

A questionnaire is written in one language (the resource's ``language``: ``fi``, ``sv`` or
``en``); each text element (``title``, ``description``, ``item.text``,
``answerOption.valueCoding.display``) carries the two other languages in its primitive
extension, as R4 prescribes for translations::

    "text": "Onko sinulla hengenahdistusta levossa?",
    "_text": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation",
                             "extension": [{"url": "lang", "valueCode": "sv"},
                                           {"url": "content", "valueString": "…"}]}]}

One resource per version keeps one set of linkIds and one rules file for all languages
(per-language variants could drift apart). The fhirclient R4 models ignore primitive
extensions, so :func:`strip_primitive_extensions` removes them before the R4 model check and
:func:`texts_of` checks their shape here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sotekeskus.care.questionnaires.errors import QuestionnaireError
from sotekeskus.care.questionnaires.model import LANGUAGES, Text

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
#: Primitive elements that may carry translations.
TRANSLATABLE = ("title", "description", "text", "display")


def strip_primitive_extensions(value: Any) -> Any:
    """``value`` without the ``_element`` keys (primitive extensions), recursively."""
    if isinstance(value, dict):
        return {k: strip_primitive_extensions(v) for k, v in value.items()
                if not k.startswith("_")}
    if isinstance(value, list):
        return [strip_primitive_extensions(v) for v in value]
    return value


def check_primitive_extensions(value: Any, where: str = "Questionnaire") -> None:
    """Only translation extensions on translatable elements are accepted."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if key.startswith("_") and key[1:] not in TRANSLATABLE:
                raise QuestionnaireError(
                    f"{where}.{key}: only translations of {', '.join(TRANSLATABLE)} are "
                    "supported as primitive extensions")
            check_primitive_extensions(sub, f"{where}.{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            check_primitive_extensions(sub, f"{where}[{i}]")


def _translations(element: Any, where: str) -> dict[str, str]:
    if element is None:
        return {}
    if not isinstance(element, Mapping) or not isinstance(element.get("extension"), list):
        raise QuestionnaireError(f"{where}: a primitive extension needs an extension list")
    out: dict[str, str] = {}
    for ext in element["extension"]:
        if not isinstance(ext, Mapping) or ext.get("url") != TRANSLATION:
            raise QuestionnaireError(f"{where}: only the translation extension {TRANSLATION} "
                                     "is supported")
        parts = {p.get("url"): p for p in ext.get("extension") or [] if isinstance(p, Mapping)}
        lang = (parts.get("lang") or {}).get("valueCode")
        content = (parts.get("content") or {}).get("valueString")
        if lang not in LANGUAGES:
            raise QuestionnaireError(f"{where}: translation language {lang!r}; allowed: "
                                     + ", ".join(LANGUAGES))
        if not isinstance(content, str) or not content.strip():
            raise QuestionnaireError(f"{where}: the {lang} translation has no content")
        if lang in out:
            raise QuestionnaireError(f"{where}: two {lang} translations")
        out[lang] = content
    return out


def texts_of(element: Mapping[str, Any], name: str, base_lang: str, where: str, *,
             required: bool) -> Text:
    """The text of ``element[name]`` in every language; with ``required``, each of fi / sv /
    en must be there (the base text in ``base_lang`` plus translations)."""
    base = element.get(name)
    values = _translations(element.get(f"_{name}"), f"{where}._{name}")
    if base_lang in values:
        raise QuestionnaireError(f"{where}._{name}: a translation into the resource's own "
                                 f"language {base_lang}")
    if isinstance(base, str) and base.strip():
        values[base_lang] = base
    if required or values:
        missing = [lang for lang in LANGUAGES if lang not in values]
        if missing:
            raise QuestionnaireError(f"{where}.{name}: no text in {', '.join(missing)} "
                                     f"(fi, sv and en are needed)")
    return Text({lang: values[lang] for lang in LANGUAGES if lang in values})


def translation(lang: str, content: str) -> dict[str, Any]:
    """One translation extension (for writing resources)."""
    return {"url": TRANSLATION, "extension": [{"url": "lang", "valueCode": lang},
                                              {"url": "content", "valueString": content}]}
