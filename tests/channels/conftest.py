"""A small operational store for the front-door channels: the care test region (U001, U002,
nurses and physicians) plus the dental clinic U010 with a dental hygienist, and residents
as the front door sees them (:class:`~sotekeskus.care.contact.Resident`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from sotekeskus.care.contact import Resident, resident_actor
from sotekeskus.care.staff import Staff, set_profile, staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import Person, Unit, User, UserUnit
from tests.care.conftest import NOW, Region, make_region

__all__ = ["NOW", "Channels", "at"]


def at(minutes: float) -> datetime:
    """NOW (Monday 2025-06-16 08:00) plus ``minutes``."""
    from datetime import timedelta

    return NOW + timedelta(minutes=minutes)


@dataclass
class Channels:
    region: Region
    hygienist: Staff
    residents: list[Resident]

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return self.region.engine

    def resident_uow(self, who: Resident, purpose: str = "contact") -> UnitOfWork:
        return UnitOfWork(self.engine, resident_actor(who.person_id), purpose)

    def staff_uow(self, member: Staff, purpose: str = "assessment") -> UnitOfWork:
        return UnitOfWork(self.engine, member.actor, purpose)


def make_channels(url: str) -> Channels:
    region = make_region(url, residents=3)
    with Session(region.engine) as session, session.begin():
        session.add(Unit(unit_id="U010", name="Hammashoitola", municipality="K"))
        user = User(username="hygienist", display_name="Hygienist", password_hash="-",
                    role="professional", language="fi", active=True, failed_logins=0)
        user.units = [UserUnit(unit_id="U010")]
        session.add(user)
        session.flush()
        uid = user.id
    set_profile(region.engine, uid, "dental_hygienist", services=["oral_hygienist"])
    with Session(region.engine) as session:
        residents = [Resident(pk, session.get(Person, pk).person_id)  # type: ignore[union-attr]
                     for pk in region.persons]
    return Channels(region, staff(region.engine, uid), residents)


@pytest.fixture
def ch(tmp_path) -> Iterator[Channels]:  # type: ignore[no-untyped-def]
    c = make_channels(resolve_url(str(tmp_path / "channels.db")))
    yield c
    c.engine.dispose()


@pytest.fixture
def any_ch(any_db: str) -> Iterator[Channels]:
    c = make_channels(resolve_url(any_db))
    yield c
    c.engine.dispose()
