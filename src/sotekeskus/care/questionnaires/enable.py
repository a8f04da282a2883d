"""``enableWhen`` evaluation (R4 semantics, server-side).

An item is enabled when its parent is and, if it has ``enableWhen`` conditions, when all
(``enableBehavior: all``, the default) or any (``any``) of them hold. A condition on a
question that is disabled or unanswered: ``exists`` compares "has an answer" (false) with
its boolean; every other operator is **false**. ``=`` holds when some answer equals the
value, ``!=`` when there are answers and none equals it, ``>``, ``<``, ``>=``, ``<=`` when some
answer compares so (integer, decimal, date questions). Conditions only look back (checked
when the questionnaire is read), so one pass in document order decides every item.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable, Iterable

from sotekeskus.care.questionnaires.model import Answers, Condition, Item, Questionnaire, Value

_COMPARE: dict[str, Callable[[Value, Value], bool]] = {
    "=": op.eq, ">": op.gt, "<": op.lt, ">=": op.ge, "<=": op.le}


def holds(condition: Condition, values: tuple[Value, ...]) -> bool:
    """Whether one condition holds for the question's (enabled) answers ``values``."""
    if condition.operator == "exists":
        return bool(values) is bool(condition.answer)
    if not values:
        return False
    if condition.operator == "!=":
        return all(v != condition.answer for v in values)
    compare = _COMPARE[condition.operator]
    return any(compare(v, condition.answer) for v in values)


def _item_on(item: Item, answers: Answers, enabled: set[str]) -> bool:
    if not item.enable_when:
        return True
    results = (holds(c, tuple(answers.get(c.question, ())) if c.question in enabled else ())
               for c in item.enable_when)
    return all(results) if item.enable_behavior == "all" else any(results)


def enabled_ids(questionnaire: Questionnaire, answers: Answers) -> set[str]:
    """The linkIds of every enabled item given ``answers``."""
    out: set[str] = set()

    def visit(items: Iterable[Item], parent_on: bool) -> None:
        for item in items:
            on = parent_on and _item_on(item, answers, out)
            if on:
                out.add(item.link_id)
            visit(item.items, on)

    visit(questionnaire.items, True)
    return out


def effective(questionnaire: Questionnaire, answers: Answers) -> dict[str, tuple[Value, ...]]:
    """``answers`` without the answers of disabled items (those are never stored)."""
    on = enabled_ids(questionnaire, answers)
    return {k: tuple(v) for k, v in answers.items() if k in on and v}
