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
