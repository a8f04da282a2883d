"""A small generated region in a temporary SQLite store, and signed-in web clients."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotekeskus.store.database import make_engine
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import Episode, Meta, Unit
from sotekeskus.store.monitoring import seed_region_indicators
from sotekeskus.store.users import create_user

#: The "today" of the test region (a Monday).
TODAY = date(2025, 6, 16)
UNITS = [("U1", "Keskustan terveysasema", "Kaupunki"),
         ("U2", "Pohjoisen terveysasema", "Kaupunki"),
         ("U3", "Kylän sote-asema", "Kunta")]
PASSWORDS = {"manager": "manager-password-1", "leadership": "leadership-password-1",
             "analyst": "analyst-password-1", "admin": "admin-password-1"}
MODES = ["in_person", "in_person", "phone", "video", "chat", "e_service", "home_visit"]
AREA_GROUPS = [("medical", "physician"), ("medical", "nurse"), ("oral", "dentist"),
               ("mental", "psychologist"), ("social", "social_worker")]


def generate_episodes(seed: int = 7) -> list[Episode]:
    """Deterministic episodes 2024-07 … 2025-06 for three units, with a queue on TODAY."""
    rnd = random.Random(seed)
    out: list[Episode] = []
    n = 0

    def add(**kw: object) -> None:
        nonlocal n
        n += 1
        out.append(Episode(episode_id=f"E{n:05d}", person_id=f"P{rnd.randint(1, 400):04d}",
                           import_id=None, **kw))  # type: ignore[arg-type]

    start = date(2024, 7, 1)
    for day_offset in range((TODAY - start).days):
        day = start + timedelta(days=day_offset)
        if day.weekday() >= 5:
            continue
        for unit, _, _ in UNITS:
            per_day = 2 if unit != "U3" else 1
            for _ in range(per_day):
                area, group = rnd.choice(AREA_GROUPS)
                if unit == "U3" and area == "oral" and rnd.random() < 0.8:
                    area, group = "medical", "nurse"  # keep U3 oral cells small
                birth = date(rnd.randint(1940, 2015), rnd.randint(1, 12), rnd.randint(1, 28))
                contact = datetime(day.year, day.month, day.day, rnd.randint(8, 15),
                                   rnd.randint(0, 59))
                assessed = (contact + timedelta(minutes=30)
                            if rnd.random() < 0.85 else contact + timedelta(days=1))
                wait = rnd.choice([0, 1, 2, 3, 5, 7, 8, 10, 14, 15, 21, 30, 45, 95, 120])
                visit = assessed + timedelta(days=wait, hours=1)
                urgent = rnd.random() < 0.1
                if visit.date() >= TODAY:
                    status, visit_at, mode = "waiting", None, None
                else:
                    status, visit_at, mode = "done", visit, rnd.choice(MODES)
                if rnd.random() < 0.03:
                    status, visit_at, mode = "cancelled", None, None
                add(birth_date=birth, unit_id=unit, service_area=area,
                    professional_group=group,
                    urgency="urgent" if urgent else "non_urgent", contact_at=contact,
                    assessed_at=assessed, visit_at=visit_at, contact_mode=mode,
                    status=status, plan_based=rnd.random() < 0.05)
    # Contacts on TODAY (situation picture): some assessed, some not yet.
    for i in range(12):
        unit = UNITS[i % 3][0]
        contact = datetime(TODAY.year, TODAY.month, TODAY.day, 8 + i % 8, 5 * i % 60)
        add(birth_date=date(1980, 1, 1 + i), unit_id=unit, service_area="medical",
            professional_group="nurse", urgency="non_urgent", contact_at=contact,
            assessed_at=contact + timedelta(minutes=20) if i % 4 else None,
            visit_at=contact + timedelta(hours=2) if i % 3 == 0 else None,
            contact_mode=["phone", "chat", "in_person"][i % 3] if i % 3 == 0 else None,
            status="done" if i % 3 == 0 else "waiting", plan_based=False)
    return out


def build_store(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        for uid, name, muni in UNITS:
            session.add(Unit(unit_id=uid, name=name, municipality=muni))
        session.add_all(generate_episodes())
        session.add(Meta(key="data_version", value="test-1"))
    create_user(engine, "manager", PASSWORDS["manager"], "manager", ["U1"],
                display_name="Maija Manageri")
    create_user(engine, "leader", PASSWORDS["leadership"], "leadership")
    create_user(engine, "analyst", PASSWORDS["analyst"], "analyst", language="en")
    create_user(engine, "admin", PASSWORDS["admin"], "admin")
    seed_region_indicators(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("region") / "region.db")


@pytest.fixture(scope="session")
def app(store_url: str):  # type: ignore[no-untyped-def]
    from sotekeskus.web.app import create_app

    return create_app(store_url, secret_key="test-secret")


@pytest.fixture
def fresh_app(store_url: str):  # type: ignore[no-untyped-def]
    """An app of its own (own throttle state)."""
    from sotekeskus.web.app import create_app

    return create_app(store_url, secret_key="test-secret")


def csrf_from(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def sign_in(client: TestClient, username: str, password: str) -> TestClient:
    page = client.get("/login")
    resp = client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_from(page.text)},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return client


ROLE_USERS = {"manager": "manager", "leadership": "leader", "analyst": "analyst",
              "admin": "admin"}


@pytest.fixture
def client_for(app) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        c = TestClient(app, base_url="https://testserver")
        clients.append(c)
        return sign_in(c, ROLE_USERS[role], PASSWORDS[role])

    yield make
    for c in clients:
        c.close()
