"""A small operational store for the front-door channels: the care test region (U001, U002,
nurses and physicians) plus the dental clinic U010 with a dental hygienist, and residents
as the front door sees them (:class:`~sotekeskus.care.contact.Resident`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotekeskus.care.contact import Resident, resident_actor
from sotekeskus.care.staff import Staff, set_profile, staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.store import resident_sessions
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import Person, Unit, User, UserUnit
from sotekeskus.store.users import create_user
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


# ---- the web app over the channels store ----

PASSWORDS = {"hyg": "hyg-password-1", "nurse_web": "nurse-web-password-1"}
RESIDENT_COOKIE = "sotekeskus_resident"


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


@dataclass
class Web:
    app: object
    ch: Channels
    clients: list[TestClient]

    def resident(self, index: int) -> TestClient:
        c = TestClient(self.app, base_url="https://testserver")  # type: ignore[arg-type]
        token = resident_sessions.start(self.ch.engine, self.ch.residents[index].person_pk)
        c.cookies.set(RESIDENT_COOKIE, token)
        self.clients.append(c)
        return c

    def staff(self, username: str) -> TestClient:
        c = TestClient(self.app, base_url="https://testserver")  # type: ignore[arg-type]
        page = c.get("/login")
        r = c.post("/login", data={"username": username, "password": PASSWORDS[username],
                                   "csrf_token": csrf_from(page.text)},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        self.clients.append(c)
        return c


def build_web(path: Path, *, secure_cookies: bool = True) -> tuple[object, Channels]:
    from sotekeskus.web.app import create_app

    ch = make_channels(resolve_url(str(path)))
    hyg = create_user(ch.engine, "hyg", PASSWORDS["hyg"], "professional", ["U010"],
                      display_name="Hanna Hygienisti", language="en")
    set_profile(ch.engine, hyg.id, "dental_hygienist", services=["oral_hygienist"])
    nurse = create_user(ch.engine, "nurse_web", PASSWORDS["nurse_web"], "professional",
                        ["U001"], display_name="Nina Nurse", language="en")
    set_profile(ch.engine, nurse.id, "nurse", services=["nurse_remote"])
    app = create_app(resolve_url(str(path)), secret_key="channels-test-secret",
                     secure_cookies=secure_cookies)
    app.state.workdesk_now = lambda: NOW
    return app, ch


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    app, ch = build_web(tmp_path / "web.db")
    w = Web(app, ch, [])
    yield w
    for c in w.clients:
        c.close()
    app.state.engine.dispose()  # type: ignore[attr-defined]
    ch.engine.dispose()
