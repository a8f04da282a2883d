"""The web test region plus the workdesk: a nurse, a second nurse, a physician and a
scheduler (with profiles and passwords), residents, the physician's slots and a few cases;
the app's clock is Monday 2025-06-16 08:00."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotekeskus.care.booking.schedules import TemplateInput, add_template, materialise
from sotekeskus.care.cases.commands import Contact, open_case
from sotekeskus.care.persons import register_person
from sotekeskus.care.staff import set_profile, staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Actor, Role
from sotekeskus.domain.workflow.hetu import synthetic_hetu
from sotekeskus.store.database import make_engine
from sotekeskus.store.users import create_user
from tests.web.conftest import PASSWORDS, build_store, sign_in

NOW = datetime(2025, 6, 16, 8, 0)
STAFF_PASSWORDS = {"nurse": "nurse-password-1", "nurse2": "nurse2-password-1",
                   "physician": "physician-password-1", "scheduler": "scheduler-password-1"}
OPERATOR = Actor("cli:test", Role.OPERATOR)


def build_workdesk(path: Path) -> str:
    url = build_store(path)
    engine = make_engine(url)
    ids = {}
    for name, role, units, lang in (("nurse", "professional", ["U1", "U2"], "en"),
                                    ("nurse2", "professional", ["U1", "U2"], "en"),
                                    ("physician", "professional", ["U1"], "en"),
                                    ("scheduler", "scheduler", ["U1"], "en")):
        ids[name] = create_user(engine, name, STAFF_PASSWORDS[name], role, units,
                                display_name=name.title(), language=lang).id
    set_profile(engine, ids["nurse"], "nurse", services=["nurse_remote"])
    set_profile(engine, ids["nurse2"], "nurse", services=["nurse_remote"])
    set_profile(engine, ids["physician"], "physician",
                services=["remote_physician", "physician_in_person"])
    physician = staff(engine, ids["physician"])
    scheduler = staff(engine, ids["scheduler"])
    with UnitOfWork(engine, scheduler.actor, "scheduling") as uow:
        add_template(uow, TemplateInput(physician.user_id, "U1", 1, "09:00", "10:00", 20,
                                        "remote", service_id="remote_physician",
                                        valid_from=date(2025, 6, 1)), today=NOW.date())
        materialise(uow, physician.user_id, date(2025, 6, 16), date(2025, 6, 30))
    with Session(engine) as session, session.begin():
        persons = [register_person(session, synthetic_hetu(date(1985, 5, 1 + i), 900 + i),
                                   name=f"Testi Asukas {i}", synthetic_only=True, now=NOW).id
                   for i in range(4)]
    for i, (channel, subject) in enumerate((("chat", "Kurkkukipu"), ("phone", "Selkäkipu"),
                                            ("message", "Reseptin uusinta"))):
        with UnitOfWork(engine, OPERATOR, "contact") as uow:
            open_case(uow, Contact(persons[i], channel, "U1", subject),
                      now=datetime(2025, 6, 16, 7, 10 * i))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def workdesk_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store built once; every test works on a copy of its own."""
    path = tmp_path_factory.mktemp("workdesk") / "workdesk.db"
    build_workdesk(path)
    return path


@pytest.fixture
def workdesk_app(workdesk_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    import shutil

    from sotekeskus.web.app import create_app

    copy = tmp_path / "workdesk.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(workdesk_template) + suffix)
        if source.exists():
            shutil.copy(source, str(copy) + suffix)
    app = create_app(f"sqlite:///{copy}", secret_key="test-secret")
    app.state.workdesk_now = lambda: NOW
    yield app
    app.state.engine.dispose()


@pytest.fixture
def as_user(workdesk_app) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        c = TestClient(workdesk_app, base_url="https://testserver")
        clients.append(c)
        password = STAFF_PASSWORDS.get(username) or PASSWORDS[
            {"leader": "leadership"}.get(username, username)]
        return sign_in(c, username, password)

    yield make
    for c in clients:
        c.close()
