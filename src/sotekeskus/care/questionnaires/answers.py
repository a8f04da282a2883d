"""Answers in: from an HTML form (strings) or typed, checked against the questionnaire.

Every problem names the question's linkId and, for closed lists, the allowed values
(:class:`~.errors.Problem`); nothing is accepted until every answer is valid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from sotekeskus.care.questionnaires.enable import enabled_ids
from sotekeskus.care.questionnaires.errors import AnswerError, Problem
from sotekeskus.care.questionnaires.model import Answers, Item, Questionnaire, Value

BOOLEAN = ("true", "false")


def _control(text: str, multiline: bool) -> bool:
    return any(ord(c) < 32 and not (multiline and c in "\n\r\t") for c in text)


def parse_value(item: Item, raw: str) -> Value:
    """One form value as the item's type; :class:`Problem` raised inside an AnswerError."""
    text = raw.strip()
    kind = item.type
    try:
        if kind == "boolean":
            if text not in BOOLEAN:
                raise ValueError("answer yes or no")
            return text == "true"
        if kind == "choice":
            if item.option(text) is None:
                raise ValueError(f"{text[:40]!r} is not one of the options")
            return text
        if kind == "integer":
            if not text.lstrip("+-").isdigit() or len(text) > 9:
                raise ValueError(f"{text[:40]!r} is not a whole number")
            return int(text)
        if kind == "decimal":
            number = float(text.replace(",", "."))
            if not math.isfinite(number) or len(text) > 15:
                raise ValueError(f"{text[:40]!r} is not a number")
            return number
        if kind == "date":
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{text[:40]!r} is not a date (YYYY-MM-DD)") from None
        if kind in ("string", "text"):
            limit = item.max_length or 4000
            if len(text) > limit:
                raise ValueError(f"at most {limit} characters (got {len(text)})")
            if _control(text, kind == "text"):
                raise ValueError("no control characters")
            return text
    except ValueError as exc:
        message = str(exc)
        if kind == "decimal" and "could not convert" in message:
            message = f"{text[:40]!r} is not a number"
        raise AnswerError([Problem(item.link_id, message, allowed_values(item))]) from None
    raise AnswerError([Problem(item.link_id, f"a {kind} item takes no answer")])


def allowed_values(item: Item) -> tuple[str, ...]:
    if item.type == "choice":
        return tuple(o.code for o in item.options)
    if item.type == "boolean":
        return BOOLEAN
    return ()


def from_form(questionnaire: Questionnaire, form: Mapping[str, Sequence[str]],
              link_ids: Iterable[str]) -> tuple[dict[str, tuple[Value, ...]], list[Problem]]:
    """Typed answers for ``link_ids`` from form fields named by linkId (several values for a
    repeating choice); blanks are unanswered. Returns the answers and the problems."""
    answers: dict[str, tuple[Value, ...]] = {}
    problems: list[Problem] = []
    for link_id in link_ids:
        item = questionnaire.item(link_id)
        if not item.answerable:
            continue
        raws = [r for r in form.get(link_id, ()) if r.strip()]
        if len(raws) > 1 and not item.repeats:
            problems.append(Problem(link_id, "one answer only", allowed_values(item)))
            continue
        values: list[Value] = []
        for raw in raws:
            try:
                values.append(parse_value(item, raw))
            except AnswerError as exc:
                problems.extend(exc.problems)
                break
        else:
            if values:
                answers[link_id] = tuple(dict.fromkeys(values))
    return answers, problems


def missing_required(questionnaire: Questionnaire, answers: Answers,
                     link_ids: Iterable[str]) -> list[Problem]:
    """Required, enabled questions among ``link_ids`` without an answer."""
    on = enabled_ids(questionnaire, answers)
    out = []
    for link_id in link_ids:
        item = questionnaire.item(link_id)
        if item.required and item.answerable and link_id in on and not answers.get(link_id):
            out.append(Problem(link_id, "an answer is required", allowed_values(item)))
    return out


def check_complete(questionnaire: Questionnaire, answers: Answers) -> dict[str, tuple[Value, ...]]:
    """Check a whole set of typed answers: every linkId known and answerable, values of the
    item's type and options, one value unless the item repeats, no answer to a disabled
    item, every enabled required question answered. Returns the answers as tuples."""
    problems: list[Problem] = []
    ids = {i.link_id: i for i in questionnaire.walk()}
    on = enabled_ids(questionnaire, answers)
    out: dict[str, tuple[Value, ...]] = {}
    for link_id, values in answers.items():
        item = ids.get(link_id)
        if item is None or not item.answerable:
            problems.append(Problem(link_id, "not a question of "
                                    f"{questionnaire.canonical}"))
            continue
        if link_id not in on:
            problems.append(Problem(link_id, "answered although the question is not enabled "
                                    "by the earlier answers"))
            continue
        if len(values) > 1 and not item.repeats:
            problems.append(Problem(link_id, "one answer only", allowed_values(item)))
            continue
        for value in values:
            problem = _type_problem(item, value)
            if problem:
                problems.append(problem)
                break
        else:
            out[link_id] = tuple(values)
    problems += missing_required(questionnaire, out, [i.link_id for i in questionnaire.walk()])
    if problems:
        raise AnswerError(problems)
    return out


def _type_problem(item: Item, value: Value) -> Problem | None:
    expected: dict[str, type | tuple[type, ...]] = {
        "boolean": bool, "choice": str, "integer": int, "decimal": (int, float),
        "string": str, "text": str, "date": date}
    ok = isinstance(value, expected[item.type]) and not (
        item.type in ("integer", "decimal") and isinstance(value, bool))
    if not ok:
        return Problem(item.link_id, f"{value!r} is not a {item.type} answer",
                       allowed_values(item))
    if item.type == "choice" and item.option(str(value)) is None:
        return Problem(item.link_id, f"{value!r} is not one of the options",
                       allowed_values(item))
    if item.type in ("string", "text") and len(str(value)) > (item.max_length or 4000):
        return Problem(item.link_id, f"at most {item.max_length} characters")
    return None
