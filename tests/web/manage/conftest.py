"""The web test region with case events (tests/web/manage/case_events.py), its app and
signed-in clients of every management role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORDS, ROLE_USERS, build_store, sign_in
from tests.web.manage.case_events import add_case_events


@pytest.fixture(scope="session")
def manage_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("manage")
    url = build_store(folder / "region.db")
    add_case_events(url, folder)
    return url


@pytest.fixture(scope="session")
def manage_app(manage_store_url: str):  # type: ignore[no-untyped-def]
    from sotekeskus.web.app import create_app

    return create_app(manage_store_url, secret_key="test-secret")


@pytest.fixture
def client(manage_app) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    """``client(role)``: a signed-in client (manager of U1, leadership, analyst, admin)."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        c = TestClient(manage_app, base_url="https://testserver")
        clients.append(c)
        return sign_in(c, ROLE_USERS[role], PASSWORDS[role])

    yield make
    for c in clients:
        c.close()


def build_region(folder) -> str:  # type: ignore[no-untyped-def]
    """A small synthetic region 2019-01 … 2025-06 (1 500 residents, units U001 …) with the
    contract-v2 columns and the case events, and the web test accounts; the manager has
    U001."""
    from datetime import date

    from typer.testing import CliRunner

    from sotekeskus.cli import app
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.users import create_user
    from sotekeskus.synth import generate_region, write_episodes
    from sotekeskus.synth.clinical import with_clinical

    region = generate_region(residents=1500, start=date(2019, 1, 1), end=date(2025, 6, 30),
                             seed=3)
    episodes = write_episodes(with_clinical(region.episodes, region.clinical),
                              folder / "region.csv")
    assert region.case_events is not None
    events = write_episodes(region.case_events, folder / "region.events.csv")
    runner = CliRunner()
    db = str(folder / "region.db")
    for args in (["import", "episodes", str(episodes)], ["import", "events", str(events)]):
        result = runner.invoke(app, [*args, "--db", db])
        assert result.exit_code == 0, result.output
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    create_user(engine, "manager", PASSWORDS["manager"], "manager", ["U001"])
    create_user(engine, "leader", PASSWORDS["leadership"], "leadership")
    create_user(engine, "analyst", PASSWORDS["analyst"], "analyst", language="en")
    create_user(engine, "admin", PASSWORDS["admin"], "admin")
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def region_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_region(tmp_path_factory.mktemp("synthetic-region"))


@pytest.fixture(scope="session")
def region_app(region_url: str):  # type: ignore[no-untyped-def]
    from sotekeskus.web.app import create_app

    return create_app(region_url, secret_key="test-secret")


@pytest.fixture
def region_client(region_app) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    """``region_client(role)``: a signed-in client of the synthetic region."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        c = TestClient(region_app, base_url="https://testserver")
        clients.append(c)
        return sign_in(c, ROLE_USERS[role], PASSWORDS[role])

    yield make
    for c in clients:
        c.close()
