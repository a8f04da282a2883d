"""A care episode: a contact, optionally its care-need assessment and the first care event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sotekeskus.domain.vocabulary import (
    ContactMode,
    ProfessionalGroup,
    ServiceArea,
    Status,
    Urgency,
)


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit (toimipiste) that owns episodes."""

    unit_id: str
    name: str
    municipality: str = ""


@dataclass(frozen=True, slots=True)
class Episode:
    """One row of the episode file. Date-times are local (Europe/Helsinki), naive."""

    episode_id: str
    person_id: str
    birth_date: date
    unit_id: str
    service_area: ServiceArea
    professional_group: ProfessionalGroup
    urgency: Urgency
    contact_at: datetime
    status: Status
    assessed_at: datetime | None = None
    visit_at: datetime | None = None
    contact_mode: ContactMode | None = None
    plan_based: bool = False

    @property
    def is_access_visit(self) -> bool:
        """Access visit (hoitoonpääsykäynti): done, non-urgent, assessed, not plan-based."""
        return (
            self.status is Status.DONE
            and self.urgency is Urgency.NON_URGENT
            and self.assessed_at is not None
            and self.visit_at is not None
            and not self.plan_based
        )

    @property
    def wait_days(self) -> int | None:
        """Calendar date of ``visit_at`` minus calendar date of ``assessed_at``, in days."""
        if self.assessed_at is None or self.visit_at is None:
            return None
        return (self.visit_at.date() - self.assessed_at.date()).days
