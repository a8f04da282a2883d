"""A case's deadlines from the same dated rule book the reports use (pure).

Legs (``shared/docs/domain.md``, care guarantee):

* **contact → assessment**: the rule in force on the contact date for the case's service
  area (before the assessment: the service area of the line the contact came in on) and the
  person's age on that date; since 2023-09-01 "the same weekday", before it 3 weekdays.
  Every case has this leg, whatever its later urgency.
* **assessment → first care event**: only for a case assessed ``non_urgent``, by the rule in
  force on the assessment date for its service area and the person's age on that date
  (14 days, 3 or 6 months …). An ``urgent`` case has no care-guarantee limit (it is seen at
  once) and sorts before every non-urgent one in the queue; ``no_care_needed`` has none.
  ``social`` has no care-guarantee row, so no deadline (never an invented one).

A leg is **met** by its end event on or before the due date (the due day is included) and
**breached** when the end event came later, or when it has not come and ``today`` is after
the due date. The due date is a date: the countdown runs to the end of that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sotekeskus.domain.rules import Leg, RuleBook, RuleKind
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea, Urgency
from sotekeskus.domain.workflow.codes import AssessedUrgency


@dataclass(frozen=True, slots=True)
class CaseDeadline:
    leg: Leg
    due: date
    rule_id: str
    done_on: date | None
    breached: bool

    @property
    def open(self) -> bool:
        return self.done_on is None


@dataclass(frozen=True, slots=True)
class CaseTimes:
    """What the deadlines of one case depend on."""

    service_area: ServiceArea
    birth_date: date
    contact_at: datetime
    assessed_at: datetime | None = None
    urgency: AssessedUrgency | None = None
    visit_at: datetime | None = None
    professional_group: ProfessionalGroup | None = None
    closed_without_visit: bool = False


def _leg(book: RuleBook, leg: Leg, times: CaseTimes, start: date, end: datetime | None,
         today: date, kind: RuleKind) -> CaseDeadline | None:
    rule = book.rule_for(kind=kind, leg=leg, service_area=times.service_area,
                         urgency=Urgency.NON_URGENT, birth_date=times.birth_date, on=start,
                         professional_group=times.professional_group)
    if rule is None:
        return None
    due = rule.limit.deadline(start, book.holidays)
    done_on = end.date() if end is not None else None
    if done_on is None and times.closed_without_visit and leg is Leg.ASSESSMENT_TO_VISIT:
        return None  # cancelled or referred: the leg stops, it is neither met nor breached
    breached = (done_on > due) if done_on is not None else today > due
    return CaseDeadline(leg, due, rule.id, done_on, breached)


def case_deadlines(book: RuleBook, times: CaseTimes, today: date,
                   kind: RuleKind = RuleKind.LEGAL) -> tuple[CaseDeadline, ...]:
    """The case's legs that have a rule, in order (contact → assessment first)."""
    legs: list[CaseDeadline] = []
    first = _leg(book, Leg.CONTACT_TO_ASSESSMENT, times, times.contact_at.date(),
                 times.assessed_at, today, kind)
    if first is not None:
        legs.append(first)
    if times.assessed_at is not None and times.urgency is AssessedUrgency.NON_URGENT:
        second = _leg(book, Leg.ASSESSMENT_TO_VISIT, times, times.assessed_at.date(),
                      times.visit_at, today, kind)
        if second is not None:
            legs.append(second)
    return tuple(legs)


def next_deadline(legs: tuple[CaseDeadline, ...]) -> CaseDeadline | None:
    """The open leg whose due date is nearest (the one the queue orders by)."""
    open_legs = [leg for leg in legs if leg.open]
    return min(open_legs, key=lambda leg: leg.due) if open_legs else None
