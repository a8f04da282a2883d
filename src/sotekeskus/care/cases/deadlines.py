"""A case's deadlines (from the pure rule book) kept on the case row for the queue order."""

from __future__ import annotations

from datetime import date

from sotekeskus.domain.rules import RuleBook
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea
from sotekeskus.domain.workflow.codes import AssessedUrgency, CaseState, CloseReason
from sotekeskus.domain.workflow.deadlines import (
    CaseDeadline,
    CaseTimes,
    case_deadlines,
    next_deadline,
)
from sotekeskus.store.models import CareCase, Person


def rulebook() -> RuleBook:
    from sotekeskus.rules import default_rulebook

    return default_rulebook()


def case_times(case: CareCase, person: Person) -> CaseTimes:
    closed_without = (case.state == CaseState.CLOSED and case.visit_at is None
                      and case.close_reason != CloseReason.RESOLVED)
    return CaseTimes(
        service_area=ServiceArea(case.service_area), birth_date=person.birth_date,
        contact_at=case.contact_at, assessed_at=case.assessed_at,
        urgency=AssessedUrgency(case.urgency) if case.urgency else None,
        visit_at=case.visit_at,
        professional_group=(ProfessionalGroup(case.professional_group)
                            if case.professional_group else None),
        closed_without_visit=closed_without)


def deadlines_of(case: CareCase, person: Person, today: date,
                 book: RuleBook | None = None) -> tuple[CaseDeadline, ...]:
    return case_deadlines(book or rulebook(), case_times(case, person), today)


def refresh_due(case: CareCase, person: Person, today: date,
                book: RuleBook | None = None) -> None:
    """Set ``due_on`` / ``due_leg`` / ``due_rule`` to the nearest open leg (none when
    closed)."""
    nearest = None
    if case.state != CaseState.CLOSED:
        nearest = next_deadline(deadlines_of(case, person, today, book))
    case.due_on = nearest.due if nearest else None
    case.due_leg = nearest.leg.value if nearest else None
    case.due_rule = nearest.rule_id if nearest else None
