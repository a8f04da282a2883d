"""The use case: store a resident's answers and, unless it is an emergency, open the case.

Inside the caller's :class:`~sotekeskus.care.unit_of_work.UnitOfWork` (the resident, or an
API client), in one transaction:

1. answers of disabled items are dropped (:func:`~.enable.effective`);
2. **red flags first**: if the answers given so far already match an emergency rule, the
   response is stored with status ``stopped``, outcome ``emergency`` and the rule's id, and
   **no case is opened** — the resident is told to call 112 now; a queued case would only
   wait behind the emergency call (docs/questionnaires.md says why);
3. otherwise every enabled required question must be answered (:class:`~.errors.AnswerError`
   naming the linkIds), the first matching rule fires, and a case is opened through
   :func:`sotekeskus.care.cases.commands.open_case` (channel ``questionnaire``,
   ``questionnaire_outcome`` = the recommendation, the rules' unit and service area, the
   answers as its first message). When the rule names a service, the case carries it as the
   *recommended* service with ``routing_rule = <questionnaire id>@<version>#<rule id>``; the
   professional confirms or changes it when assessing;
4. the R4 QuestionnaireResponse (checked) is stored with the questionnaire's url + version,
   the outcome, the fired rule and the case id, and the change is audited.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sotekeskus.care.cases.commands import Contact, open_case
from sotekeskus.care.persons import get_person
from sotekeskus.care.questionnaires.answers import check_complete
from sotekeskus.care.questionnaires.enable import effective
from sotekeskus.care.questionnaires.model import Answers, Questionnaire, Value
from sotekeskus.care.questionnaires.response import to_resource
from sotekeskus.care.questionnaires.rules import OutcomeRule
from sotekeskus.care.questionnaires.store import Stored
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.workflow.codes import Channel, QuestionnaireOutcome
from sotekeskus.store.models import QuestionnaireResponseRow


@dataclass(frozen=True, slots=True)
class Result:
    """What the resident is shown: the recommendation, the fired rule, the case (if any)."""

    response_id: int
    case_id: int | None
    recommendation: QuestionnaireOutcome
    rule: OutcomeRule
    service_id: str | None
    status: str


def red_flag(stored: Stored, answers: Answers) -> OutcomeRule | None:
    """The emergency rule that the answers given so far match (None: no red flag yet)."""
    return stored.rules.emergency(effective(stored.questionnaire, answers))


def rule_label(questionnaire: Questionnaire, rule: OutcomeRule) -> str:
    return f"{questionnaire.id}@{questionnaire.version}#{rule.rule_id}"[:100]


def answers_text(questionnaire: Questionnaire, answers: Answers, lang: str) -> str:
    """The answers as lines ``question: answer`` (the case's first message)."""
    lines = []
    for item in questionnaire.walk():
        values = answers.get(item.link_id)
        if item.answerable and values:
            lines.append(f"{item.text(lang)}: "
                         + ", ".join(display(questionnaire, item.link_id, v, lang)
                                     for v in values))
    return "\n".join(lines)[:4000]


def display(questionnaire: Questionnaire, link_id: str, value: Value, lang: str) -> str:
    item = questionnaire.item(link_id)
    if item.type == "choice":
        option = item.option(str(value))
        return option.display(lang) if option else str(value)
    if isinstance(value, bool):
        return {"fi": ("kyllä", "ei"), "sv": ("ja", "nej"),
                "en": ("yes", "no")}.get(lang, ("yes", "no"))[0 if value else 1]
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def submit(uow: UnitOfWork, stored: Stored, person_pk: int, answers: Answers, *,
           now: datetime, lang: str = "fi", unit_id: str | None = None) -> Result:
    """Store the response and open its case (see the module docstring)."""
    q, rules = stored.questionnaire, stored.rules
    given = effective(q, answers)
    person = get_person(uow.session, person_pk)
    rule = rules.emergency(given)
    status = "stopped" if rule else "completed"
    if rule is None:
        given = check_complete(q, given)
        rule = rules.first(given)
    resource = to_resource(q, given, response_id=uuid.uuid4().hex, patient_id=person.person_id,
                           authored=now, status=status, lang=lang)
    case_id = None
    if rule.recommendation is not QuestionnaireOutcome.EMERGENCY:
        case = open_case(uow, Contact(
            person.id, Channel.QUESTIONNAIRE.value, unit_id or rules.unit_id,
            q.title("fi")[:300], rules.service_area.value,
            message=answers_text(q, given, "fi"),
            questionnaire_outcome=rule.recommendation.value), now=now)
        if rule.service_id:
            case.service_id = rule.service_id
            case.routing_rule = rule_label(q, rule)
            uow.session.flush()
        case_id = case.id
    row = QuestionnaireResponseRow(
        questionnaire_url=q.url, questionnaire_version=q.version, person_pk=person.id,
        case_id=case_id, status=status, outcome=rule.recommendation.value,
        rule_id=rule.rule_id, service_id=rule.service_id, language=lang,
        resource=json.dumps(resource, ensure_ascii=False), at=now)
    uow.session.add(row)
    uow.session.flush()
    uow.audit_change(f"questionnaire_response:{row.id}",
                     f"{q.canonical} outcome={rule.recommendation.value} rule={rule.rule_id}"
                     + (f" case={case_id}" if case_id else ""),
                     subject_person_id=person.person_id)
    return Result(row.id, case_id, rule.recommendation, rule, rule.service_id, status)
