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
   answers as its first message). When the outcome is ``non_urgent`` and the rule's service
   lets residents book (``self_booking``), the rule's result is recorded as an **electronic
   care-need assessment** (as Omaolo's symptom checks are): claim → assess ``non_urgent`` →
   route to the service, each a history row by ``questionnaire:<id>@<version>#<rule id>``,
   so the resident can book at once while the case waits in the service's queue, where a
   professional may reassess it. Otherwise the case stays ``new`` for a professional's
   assessment and carries the rule's service as the *recommended* one (``service_id``,
   ``routing_rule``);
4. the R4 QuestionnaireResponse (checked) is stored with the questionnaire's url + version,
   the outcome, the fired rule and the case id, and the change is audited.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sotekeskus.care.cases.commands import Contact, open_case
from sotekeskus.care.cases.transitions import Loaded, apply
from sotekeskus.care.catalogue import default_catalogue
from sotekeskus.care.persons import get_person
from sotekeskus.care.questionnaires.answers import check_complete
from sotekeskus.care.questionnaires.enable import effective
from sotekeskus.care.questionnaires.model import Answers, Questionnaire, Value
from sotekeskus.care.questionnaires.response import to_resource
from sotekeskus.care.questionnaires.rules import OutcomeRule
from sotekeskus.care.questionnaires.store import Stored
from sotekeskus.care.staff import Staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Role
from sotekeskus.domain.workflow.cases import Transition
from sotekeskus.domain.workflow.codes import AssessedUrgency, Channel, QuestionnaireOutcome
from sotekeskus.domain.workflow.routing import Service
from sotekeskus.store.models import Assessment, CareCase, Person, QuestionnaireResponseRow


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


def bookable_now(rule: OutcomeRule, service: Service) -> bool:
    """A non-urgent outcome whose service lets residents book: the resident is offered
    booking at once (the case is assessed and routed by the rule)."""
    return (rule.recommendation is QuestionnaireOutcome.NON_URGENT and service.bookable
            and service.self_booking)


def _assess_and_route(uow: UnitOfWork, case: CareCase, person: Person, service: Service,
                      label: str, now: datetime) -> None:
    """The electronic care-need assessment of a non-urgent outcome with a self-bookable
    service: claim → assess (non_urgent, the service's group) → route to the service, each a
    history row whose actor is ``questionnaire:<id>@<version>#<rule>``; the rule lets go of
    the case, which waits in the service's queue (a professional may reassess it) and may be
    booked by the resident."""
    machine = Staff(0, f"questionnaire:{label}"[:100], "questionnaire", Role.OPERATOR,
                    frozenset([case.unit_id]))
    loaded = Loaded(case, person, None)
    apply(uow, machine, loaded, Transition.CLAIM, now=now, reason=label)
    apply(uow, machine, loaded, Transition.ASSESS, now=now, check_ownership=False,
          values={"urgency": AssessedUrgency.NON_URGENT.value,
                  "service_area": service.service_area.value,
                  "professional_group": service.professional_group.value,
                  "assessed_at": now},
          reason=f"non_urgent: questionnaire {label}")
    uow.session.add(Assessment(case_id=case.id, at=now, assessor=machine.username,
                               urgency=AssessedUrgency.NON_URGENT.value,
                               need=f"Questionnaire outcome non_urgent ({label})",
                               reason_code=None, service_area=service.service_area.value,
                               professional_group=service.professional_group.value))
    apply(uow, machine, loaded, Transition.ROUTE, now=now, check_ownership=False,
          new_owner=None, values={"service_id": service.service_id, "routing_rule": label},
          reason=f"{service.service_id} ({label})")


def submit(uow: UnitOfWork, stored: Stored, person_pk: int, answers: Answers, *,
           now: datetime, lang: str = "fi", unit_id: str | None = None,
           services: Mapping[str, Service] | None = None) -> Result:
    """Store the response and open its case (see the module docstring)."""
    q, rules = stored.questionnaire, stored.rules
    if services is None:
        services = default_catalogue().services
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
        service = services.get(rule.service_id) if rule.service_id else None
        if service is not None and bookable_now(rule, service):
            _assess_and_route(uow, case, person, service, rule_label(q, rule), now)
        elif rule.service_id:
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
