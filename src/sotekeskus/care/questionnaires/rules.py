"""Outcome rules as data: answers → recommendation (+ service, advice), first match fires.

A rules file (YAML, next to its questionnaire) reads::

    questionnaire: https://…/Questionnaire/respiratory-adult   # the url it belongs to
    service_area: medical            # the case's service area (vocabulary ServiceArea)
    unit: U001                       # the unit whose workdesk queue receives the cases
    rules:                           # tried in order; the FIRST that matches fires
      - id: rf-breathless-rest
        when: {answer: breathless_rest, equals: true}
        recommendation: emergency    # emergency | urgent | non_urgent | self_care
        advice: {fi: …, sv: …, en: …}
      - id: fever-long
        when: {all: [{answer: fever, equals: true}, {answer: fever_days, at_least: 4}]}
        recommendation: non_urgent
        service: remote_physician    # a service id of care/data/services.yaml
        advice: {…}
      - id: default                  # the last rule has no `when`: it always matches
        recommendation: self_care
        advice: {…}

A condition is ``{answer: <linkId>, <operator>: <value>}`` with operator ``equals``,
``not_equals``, ``in`` (a list), ``greater``, ``less``, ``at_least``, ``at_most`` (integer,
decimal, date questions) or ``exists: true``; or ``{all: [...]}`` / ``{any: [...]}`` of
conditions. A condition on an unanswered (or disabled) question is **false** (so is
``not_equals``): conditions only become true as answers arrive and never turn false again.
That is what makes red flags work: **emergency rules come first** (checked), so as soon as
the answers given so far match one, the outcome is certain and nothing else is asked.

Checks when a file is read: every linkId is a question of the questionnaire, each value has
the question's type (a choice value is one of its codes, listed in the error), rule ids are
unique, services exist in the catalogue, ``urgent``/``non_urgent`` name a service and
``emergency`` names none, advice is given in fi, sv and en, and the last rule (only that one)
has no ``when``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from sotekeskus.care.questionnaires.errors import RulesError
from sotekeskus.care.questionnaires.model import (
    LANGUAGES,
    Answers,
    Item,
    Questionnaire,
    Text,
    Value,
)
from sotekeskus.domain.vocabulary import ServiceArea
from sotekeskus.domain.workflow.codes import CodeError, QuestionnaireOutcome, parse_code

OPERATORS = ("equals", "not_equals", "in", "greater", "less", "at_least", "at_most", "exists")
ORDERED_OPS = ("greater", "less", "at_least", "at_most")
ORDERED_TYPES = ("integer", "decimal", "date")


@dataclass(frozen=True, slots=True)
class Test:
    question: str
    operator: str
    value: Any

    def holds(self, answers: Answers) -> bool:
        values = tuple(answers.get(self.question, ()))
        if not values:
            return False
        op, target = self.operator, self.value
        if op == "exists":
            return True
        if op == "not_equals":
            return all(v != target for v in values)
        if op == "in":
            return any(v in target for v in values)
        check = {"equals": lambda v: v == target, "greater": lambda v: v > target,
                 "less": lambda v: v < target, "at_least": lambda v: v >= target,
                 "at_most": lambda v: v <= target}[op]
        return any(check(v) for v in values)

    def questions(self) -> set[str]:
        return {self.question}


@dataclass(frozen=True, slots=True)
class Group:
    mode: str  # all | any
    parts: tuple[Condition, ...]

    def holds(self, answers: Answers) -> bool:
        results = (p.holds(answers) for p in self.parts)
        return all(results) if self.mode == "all" else any(results)

    def questions(self) -> set[str]:
        return set().union(*(p.questions() for p in self.parts))


Condition = Test | Group


@dataclass(frozen=True, slots=True)
class OutcomeRule:
    rule_id: str
    recommendation: QuestionnaireOutcome
    service_id: str | None
    advice: Text
    when: Condition | None

    def matches(self, answers: Answers) -> bool:
        return self.when is None or self.when.holds(answers)


@dataclass(frozen=True, slots=True)
class RuleSet:
    questionnaire_url: str
    service_area: ServiceArea
    unit_id: str
    rules: tuple[OutcomeRule, ...]
    source: Mapping[str, Any]

    def first(self, answers: Answers) -> OutcomeRule:
        """The rule that fires for a complete set of (enabled) answers."""
        return next(r for r in self.rules if r.matches(answers))  # the last always matches

    def emergency(self, answers: Answers) -> OutcomeRule | None:
        """The emergency rule the answers given so far already match (None: not yet)."""
        for rule in self.rules:
            if rule.recommendation is not QuestionnaireOutcome.EMERGENCY:
                return None
            if rule.matches(answers):
                return rule
        return None

    def red_flags(self) -> set[str]:
        """linkIds that emergency rules look at."""
        out: set[str] = set()
        for rule in self.rules:
            if rule.recommendation is QuestionnaireOutcome.EMERGENCY and rule.when:
                out |= rule.when.questions()
        return out

    def rule(self, rule_id: str) -> OutcomeRule | None:
        return next((r for r in self.rules if r.rule_id == rule_id), None)


def loads(text: str | bytes, questionnaire: Questionnaire,
          services: Mapping[str, Any] | None = None) -> RuleSet:
    """Read a rules file (YAML or JSON text) for ``questionnaire``; :class:`RulesError`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"rules: not YAML: {exc}") from None
    return load(data, questionnaire, services)


def load(data: Any, questionnaire: Questionnaire,
         services: Mapping[str, Any] | None = None) -> RuleSet:
    if services is None:
        from sotekeskus.care.catalogue import default_catalogue

        services = default_catalogue().services
    if not isinstance(data, Mapping):
        raise RulesError("rules: a mapping with questionnaire, service_area, unit, rules is "
                         "expected")
    allowed = {"questionnaire", "service_area", "unit", "rules"}
    extra = sorted(set(data) - allowed)
    if extra:
        raise RulesError(f"rules: unknown field {extra[0]!r}; allowed: "
                         + ", ".join(sorted(allowed)))
    if data.get("questionnaire") != questionnaire.url:
        raise RulesError(f"rules.questionnaire: {data.get('questionnaire')!r} is not the "
                         f"questionnaire's url {questionnaire.url!r}")
    try:
        area = parse_code(ServiceArea, str(data.get("service_area") or ""),
                          "rules.service_area")
    except CodeError as exc:
        raise RulesError(str(exc)) from None
    unit = str(data.get("unit") or "").strip()
    if not unit or len(unit) > 64:
        raise RulesError("rules.unit: the unit id whose workdesk queue receives the cases")
    rows = data.get("rules")
    if not isinstance(rows, list) or not rows:
        raise RulesError("rules.rules: a non-empty list of rules is expected")
    items = {i.link_id: i for i in questionnaire.walk() if i.answerable}
    rules = tuple(_rule(row, n, items, services) for n, row in enumerate(rows))
    ids = [r.rule_id for r in rules]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise RulesError(f"rule {dup!r}: the id appears twice")
    seen_other = None
    for rule in rules:
        if rule.recommendation is QuestionnaireOutcome.EMERGENCY:
            if seen_other:
                raise RulesError(f"rule {rule.rule_id!r}: emergency rules come before every "
                                 f"other rule (it follows {seen_other!r}), so a red flag is "
                                 "known as soon as it is answered")
        else:
            seen_other = seen_other or rule.rule_id
    *head, last = rules
    if last.when is not None:
        raise RulesError(f"rule {last.rule_id!r}: the last rule has no 'when' (the fallback), "
                         "so every response has an outcome")
    loose = next((r for r in head if r.when is None), None)
    if loose:
        raise RulesError(f"rule {loose.rule_id!r}: only the last rule may omit 'when'")
    if last.recommendation is QuestionnaireOutcome.EMERGENCY:
        raise RulesError(f"rule {last.rule_id!r}: the fallback cannot be an emergency")
    return RuleSet(questionnaire.url, area, unit, rules, data)


def _rule(row: Any, n: int, items: Mapping[str, Item],
          services: Mapping[str, Any]) -> OutcomeRule:
    if not isinstance(row, Mapping):
        raise RulesError(f"rules[{n}]: a mapping is expected")
    rule_id = str(row.get("id") or "").strip()
    if not rule_id:
        raise RulesError(f"rules[{n}].id: required")
    where = f"rule {rule_id!r}"
    allowed = {"id", "when", "recommendation", "service", "advice"}
    extra = sorted(set(row) - allowed)
    if extra:
        raise RulesError(f"{where}: unknown field {extra[0]!r}; allowed: "
                         + ", ".join(sorted(allowed)))
    try:
        rec = parse_code(QuestionnaireOutcome, str(row.get("recommendation") or ""),
                         f"{where}.recommendation")
    except CodeError as exc:
        raise RulesError(str(exc)) from None
    service = row.get("service")
    if service is not None and str(service) not in services:
        raise RulesError(f"{where}.service: unknown service {service!r}; the catalogue has "
                         + ", ".join(sorted(services)))
    if rec is QuestionnaireOutcome.EMERGENCY and service:
        raise RulesError(f"{where}.service: an emergency routes to 112, not to a service")
    if rec in (QuestionnaireOutcome.URGENT, QuestionnaireOutcome.NON_URGENT) and not service:
        raise RulesError(f"{where}.service: an {rec.value} recommendation names the service "
                         "to route to")
    advice = row.get("advice")
    if not isinstance(advice, Mapping) or not all(
            isinstance(advice.get(lang), str) and advice[lang].strip() for lang in LANGUAGES):
        raise RulesError(f"{where}.advice: a text in each of " + ", ".join(LANGUAGES))
    when = row.get("when")
    condition = None if when is None else _condition(when, items, f"{where}.when")
    return OutcomeRule(rule_id, rec, str(service) if service else None,
                       Text({lang: str(advice[lang]) for lang in LANGUAGES}), condition)


def _condition(raw: Any, items: Mapping[str, Item], where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise RulesError(f"{where}: a condition is a mapping")
    for mode in ("all", "any"):
        if mode in raw:
            parts = raw[mode]
            if len(raw) != 1 or not isinstance(parts, list) or not parts:
                raise RulesError(f"{where}.{mode}: a non-empty list of conditions, alone")
            return Group(mode, tuple(_condition(p, items, f"{where}.{mode}[{i}]")
                                     for i, p in enumerate(parts)))
    question = str(raw.get("answer") or "")
    item = items.get(question)
    if item is None:
        raise RulesError(f"{where}.answer: {question!r} is not a question of the "
                         "questionnaire; questions: " + ", ".join(items))
    ops = [k for k in raw if k != "answer"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise RulesError(f"{where}: one operator of " + ", ".join(OPERATORS)
                         + f" (got {', '.join(map(str, ops)) or 'none'})")
    op = ops[0]
    value = raw[op]
    where = f"{where} ({question})"
    if op == "exists":
        if value is not True:
            raise RulesError(f"{where}: only 'exists: true' (a rule never waits for a "
                             "missing answer)")
        return Test(question, op, True)
    if op in ORDERED_OPS and item.type not in ORDERED_TYPES:
        raise RulesError(f"{where}: {op} needs an integer, decimal or date question; "
                         f"{question!r} is {item.type}")
    if op == "in":
        if not isinstance(value, list) or not value:
            raise RulesError(f"{where}.in: a non-empty list")
        return Test(question, op, tuple(_typed(item, v, where) for v in value))
    return Test(question, op, _typed(item, value, where))


def _typed(item: Item, value: Any, where: str) -> Value:
    kind = item.type
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "choice":
        if item.option(str(value)) is None:
            raise RulesError(f"{where}: {value!r} is not an option of {item.link_id!r}; "
                             "allowed: " + ", ".join(o.code for o in item.options))
        return str(value)
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "decimal" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "date":
        try:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            pass
    if kind in ("string", "text") and isinstance(value, str):
        return value
    raise RulesError(f"{where}: {value!r} is not a {kind} value"
                     + ("; allowed: true, false" if kind == "boolean" else ""))


def dump(rules: RuleSet) -> str:
    """The rules as YAML text (as stored)."""
    return yaml.safe_dump(dict(rules.source), allow_unicode=True, sort_keys=False)


def questions_of(rules: Sequence[OutcomeRule]) -> set[str]:
    return set().union(*((r.when.questions() if r.when else set()) for r in rules))
