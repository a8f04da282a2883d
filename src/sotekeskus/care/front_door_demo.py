"""Which synthetic residents to sign in as in the demo: residents with a test identity code
(individual number 900–999) who have open cases, those with a case routed to a self-bookable
service first (they can book at the front door), then by the nearest deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotekeskus.domain.workflow.codes import CaseState
from sotekeskus.domain.workflow.hetu import HetuError, parse_hetu
from sotekeskus.domain.workflow.routing import Service
from sotekeskus.store.models import CareCase, Person


@dataclass(frozen=True, slots=True)
class DemoResident:
    hetu: str
    name: str
    case_id: int
    state: str
    service_id: str | None
    can_book: bool


def demo_residents(engine: Engine, services: dict[str, Service], limit: int = 3
                   ) -> list[DemoResident]:
    """Up to ``limit`` synthetic residents with an open case (see the module docstring)."""
    with Session(engine) as session:
        rows = session.execute(
            select(Person.hetu, Person.name, CareCase.id, CareCase.state, CareCase.service_id,
                   CareCase.due_on)
            .join(CareCase, CareCase.person_pk == Person.id)
            .where(CareCase.state != CaseState.CLOSED)).all()
    found: dict[str, DemoResident] = {}
    ranked = []
    for hetu, name, case_id, state, service_id, due_on in rows:
        try:
            if not parse_hetu(hetu).is_test_identity:
                continue
        except HetuError:
            continue
        service = services.get(service_id or "")
        can_book = state == CaseState.ROUTED and service is not None and service.self_booking
        ranked.append((not can_book, due_on or date.max, case_id,
                       DemoResident(hetu, name, case_id, state, service_id, can_book)))
    for *_, resident in sorted(ranked, key=lambda r: r[:3]):
        if resident.hetu not in found:
            found[resident.hetu] = resident
        if len(found) >= limit:
            break
    return list(found.values())
