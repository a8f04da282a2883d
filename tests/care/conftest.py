"""A small operational store: units, a nurse, two physicians and a scheduler with profiles,
residents with synthetic identity codes, and the physicians' slots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sotekeskus.care.booking.schedules import TemplateInput, add_template, materialise
from sotekeskus.care.persons import register_person
from sotekeskus.care.staff import Staff, set_profile, staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Actor, Role
from sotekeskus.domain.workflow.hetu import synthetic_hetu
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import Unit, User, UserUnit

#: Monday 2025-06-16, 08:00.
NOW = datetime(2025, 6, 16, 8, 0)
OPERATOR = Actor("cli:test", Role.OPERATOR)


@dataclass
class Region:
    engine: Engine
    url: str
    nurse: Staff
    nurse2: Staff
    physician: Staff
    physician2: Staff
    scheduler: Staff
    persons: list[int]


def make_region(url: str, residents: int = 3) -> Region:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add_all([Unit(unit_id="U001", name="Keskusterveysasema", municipality="K"),
                         Unit(unit_id="U002", name="Kylän asema", municipality="K")])
    users = {}
    with Session(engine) as session, session.begin():  # no argon2 here: nobody signs in
        for name, role, units in (("nurse", "professional", ["U001", "U002"]),
                                  ("nurse2", "professional", ["U001", "U002"]),
                                  ("physician", "professional", ["U001"]),
                                  ("physician2", "professional", ["U001"]),
                                  ("scheduler", "scheduler", ["U001", "U002"])):
            user = User(username=name, display_name=name.title(), password_hash="-",
                        role=role, language="fi", active=True, failed_logins=0)
            user.units = [UserUnit(unit_id=u) for u in units]
            session.add(user)
            session.flush()
            users[name] = user.id
    for name in ("nurse", "nurse2"):
        set_profile(engine, users[name], "nurse", services=["nurse_remote"])
    for name in ("physician", "physician2"):
        set_profile(engine, users[name], "physician",
                    services=["remote_physician", "physician_in_person"])
    persons = []
    with Session(engine) as session, session.begin():
        for i in range(residents):
            person = register_person(session, synthetic_hetu(date(1980 + i, 3, 1 + i), 900 + i),
                                     name=f"Testi Asukas {i}", synthetic_only=True, now=NOW)
            persons.append(person.id)
    region = Region(engine, url, staff(engine, users["nurse"]),
                    staff(engine, users["nurse2"]), staff(engine, users["physician"]),
                    staff(engine, users["physician2"]),
                    staff(engine, users["scheduler"]), persons)
    return region


def add_slots(region: Region, who: Staff, service: str, *, weekday: int = 1,
              start: str = "09:00", end: str = "10:00", minutes: int = 20,
              mode: str = "remote", days: tuple[date, date] = (date(2025, 6, 16),
                                                             date(2025, 6, 22))) -> None:
    with UnitOfWork(region.engine, region.scheduler.actor, "schedules") as uow:
        add_template(uow, TemplateInput(who.user_id, "U001", weekday, start, end, minutes,
                                        mode, service_id=service,
                                        valid_from=date(2025, 6, 1)), today=NOW.date())
        materialise(uow, who.user_id, *days)


@pytest.fixture
def region(tmp_path) -> Iterator[Region]:  # type: ignore[no-untyped-def]
    r = make_region(resolve_url(str(tmp_path / "care.db")))
    yield r
    r.engine.dispose()


@pytest.fixture
def any_region(any_db: str) -> Iterator[Region]:
    r = make_region(resolve_url(any_db))
    yield r
    r.engine.dispose()
