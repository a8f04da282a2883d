"""What the professional sees of a questionnaire case: the recommendation, the rule that
fired (id, advice, version of the questionnaire) and the answers, in her language."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sotekeskus.care.questionnaires import store
from sotekeskus.care.questionnaires.errors import UnknownQuestionnaire
from sotekeskus.care.questionnaires.model import Questionnaire, Text, Value
from sotekeskus.care.questionnaires.response import answers_of
from sotekeskus.care.questionnaires.rules import OutcomeRule
from sotekeskus.care.questionnaires.submit import display


@dataclass(frozen=True, slots=True)
class CaseSummary:
    response_id: int
    questionnaire: Questionnaire
    outcome: str
    rule_id: str
    rule: OutcomeRule | None
    service_id: str | None
    at: datetime
    values: dict[str, tuple[Value, ...]]

    @property
    def title(self) -> Text:
        return self.questionnaire.title

    @property
    def version(self) -> str:
        return self.questionnaire.version

    def answers(self, lang: str) -> list[tuple[str, str]]:
        """(question, answer) in the questionnaire's order, in ``lang``."""
        q = self.questionnaire
        return [(item.text(lang), ", ".join(display(q, item.link_id, v, lang)
                                             for v in self.values[item.link_id]))
                for item in q.walk() if item.link_id in self.values]


def case_summary(session: Session, case_id: int) -> CaseSummary | None:
    """The questionnaire response that opened ``case_id`` (None: not a questionnaire case
    of this front door). The caller has authorised and audited the read of the case."""
    row = store.response_of_case(session, case_id)
    if row is None:
        return None
    try:
        stored = store.version_of(session, row.questionnaire_url, row.questionnaire_version)
    except UnknownQuestionnaire:
        return None
    resource: dict[str, Any] = json.loads(row.resource)
    return CaseSummary(row.id, stored.questionnaire, row.outcome, row.rule_id,
                       stored.rules.rule(row.rule_id), row.service_id, row.at,
                       answers_of(stored.questionnaire, resource))
