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
    """A small synthetic region 2019-01 … 2025-06 (1 500 residents, units U001 …, case
    events) with the web test accounts; the manager has U001."""
    from typer.testing import CliRunner

    from sotekeskus.cli import app
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.users import create_user

    runner = CliRunner()
    out = folder / "region.csv"
    result = runner.invoke(app, ["synth", "--residents", "1500", "--from", "2019-01-01",
                                 "--to", "2025-06-30", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    db = str(folder / "region.db")
    for args in (["import", "episodes", str(out)],
                 ["import", "events", str(folder / "region.events.csv")]):
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
