"""Residents: registered by their personal identity code (validated, birth date derived)
and known to the analytical side only by a pseudonymous ``person_id``."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.errors import InvalidInput, NotFound
from sotekeskus.domain.workflow.hetu import HetuError, parse_hetu
from sotekeskus.store.models import Person


def new_person_id() -> str:
    """A random pseudonym (it cannot be derived back to the identity code)."""
    return "P" + secrets.token_hex(8)


def register_person(session: Session, hetu: str, *, name: str = "", language: str = "fi",
                    municipality: str = "", synthetic_only: bool = False,
                    now: datetime | None = None) -> Person:
    """The person with this code, created if new. ``synthetic_only`` refuses any code that is
    not a test identity (individual number 900–999): synthetic data never hold a real one."""
    try:
        parsed = parse_hetu(hetu)
    except HetuError as exc:
        raise InvalidInput(f"hetu: {exc}") from None
    if synthetic_only and not parsed.is_test_identity:
        raise InvalidInput("hetu: synthetic residents use individual numbers 900–999")
    existing = session.scalar(select(Person).where(Person.hetu == parsed.code))
    if existing is not None:
        return existing
    person = Person(person_id=new_person_id(), hetu=parsed.code, birth_date=parsed.birth_date,
                    name=name, language=language, municipality=municipality,
                    created_at=now or datetime.now())
    session.add(person)
    session.flush()
    return person


def get_person(session: Session, person_pk: int) -> Person:
    person = session.get(Person, person_pk)
    if person is None:
        raise NotFound(f"person: no person {person_pk}")
    return person


def age_years(birth_date: date, on: date) -> int:
    from sotekeskus.domain.calendar import age_on

    return age_on(birth_date, on)
