"""The resident front door under test: a small operational region (tests/care), the web app
over it with a fixed clock, residents signed in through the test identity provider or
straight into a session, and cases routed to a self-bookable service with free slots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.cases.commands import AssessmentInput, Contact, assess, claim, open_case
from sotekeskus.care.cases.commands import route as route_case
from sotekeskus.care.persons import register_person
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.workflow.hetu import synthetic_hetu
from sotekeskus.store import resident_sessions
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import Person, ScheduleSlot
from sotekeskus.web.resident.deps import RESIDENT_COOKIE
from tests.care.conftest import NOW, OPERATOR, Region, add_slots, make_region

SERVICE = "nurse_remote"  # self_booking: true in the catalogue
OTHER_SERVICE = "remote_physician"  # not self-bookable


@dataclass
class FrontDoor:
    region: Region
    app: FastAPI

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return self.region.engine

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver",
                          raise_server_exceptions=False)

    def person(self, i: int) -> Person:
        with Session(self.engine) as s:
            person = s.get(Person, self.region.persons[i])
            assert person is not None
            return person

    def signed_in(self, i: int) -> TestClient:
        """A client with a fresh resident session of ``persons[i]`` (no IdP round trip)."""
        c = self.client()
        token = resident_sessions.start(self.engine, self.region.persons[i],
                                        now=self.app.state.security.clock())
        c.cookies.set(RESIDENT_COOKIE, token, domain="testserver.local", path="/asiointi")
        return c

    def routed_case(self, i: int, service: str = SERVICE, subject: str = "") -> int:
        """A case of ``persons[i]`` assessed non-urgent and routed to ``service``."""
        r = self.region
        with UnitOfWork(r.engine, OPERATOR, "test") as uow:
            case = open_case(uow, Contact(r.persons[i], "message", "U001",
                                          subject or f"Asia {i}"), now=NOW)
            case_id = case.id
        group = "nurse" if service == SERVICE else "physician"
        with UnitOfWork(r.engine, r.nurse.actor, "assessment") as uow:
            claim(uow, r.nurse, case_id, now=NOW)
        with UnitOfWork(r.engine, r.nurse.actor, "assessment") as uow:
            assess(uow, r.nurse, case_id, AssessmentInput("non_urgent", "flunssa", "medical",
                                                          group), now=NOW)
        with UnitOfWork(r.engine, r.nurse.actor, "assessment") as uow:
            route_case(uow, r.nurse, case_id, service, now=NOW)
        return case_id

    def free_slot_ids(self, service: str = SERVICE) -> list[int]:
        with Session(self.engine) as s:
            return list(s.scalars(select(ScheduleSlot.id).where(
                ScheduleSlot.service_id == service, ScheduleSlot.status == "free")
                .order_by(ScheduleSlot.start_at)))


def identify(client: TestClient, hetu: str, name: str = "Testi Asukas",
             next_path: str = "/asiointi/omat") -> TestClient:
    """Sign in through the test identity provider, as a browser would (PKCE and all)."""
    start = client.get("/asiointi/tunnistaudu/aloita", params={"next": next_path},
                       follow_redirects=False)
    assert start.status_code == 303, start.text
    q = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    picked = client.post("/test-idp/authorize", data={**q, "hetu": hetu, "name": name},
                         follow_redirects=False)
    assert picked.status_code == 303, picked.text
    back = client.get(picked.headers["location"], follow_redirects=False)
    assert back.status_code == 303, back.text
    assert back.headers["location"] == next_path
    return client


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def make_front_door(url: str, residents: int = 3) -> FrontDoor:
    from sotekeskus.web.app import create_app

    region = make_region(url, residents)
    add_slots(region, region.nurse, SERVICE, weekday=1, start="09:00", end="12:00",
              minutes=20)  # Tuesday 2025-06-17: 9 slots
    add_slots(region, region.physician, OTHER_SERVICE, weekday=2, start="09:00",
              end="10:00", minutes=20)
    app = create_app(url, secret_key="test-secret", secure_cookies=False)
    app.state.security.clock = lambda: NOW
    return FrontDoor(region, app)


@pytest.fixture
def front_door(tmp_path) -> Iterator[FrontDoor]:  # type: ignore[no-untyped-def]
    fd = make_front_door(resolve_url(str(tmp_path / "front.db")))
    yield fd
    fd.region.engine.dispose()


def new_resident(fd: FrontDoor, birth: datetime, number: int, name: str) -> int:
    with Session(fd.engine) as s, s.begin():
        return register_person(s, synthetic_hetu(birth.date(), number), name=name,
                               synthetic_only=True, now=NOW).id
