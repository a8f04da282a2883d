"""Shared fixtures: temporary stores (SQLite always, PostgreSQL when a server is given)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("SOTEKESKUS_TEST_PG_URL")
REQUIRE_PG = os.environ.get("SOTEKESKUS_REQUIRE_PG") == "1"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return str(tmp_path / "store.db")


def _pg_or_skip() -> str:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SOTEKESKUS_REQUIRE_PG=1 but SOTEKESKUS_TEST_PG_URL is not set")
        pytest.skip("no PostgreSQL server (set SOTEKESKUS_TEST_PG_URL; .ci/run does)")
    return PG_URL


@pytest.fixture
def pg_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(_pg_or_skip())
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("SOTEKESKUS_ANALYTICS_DIR", str(tmp_path / "analytics"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        from sqlalchemy import create_engine

        create_engine("postgresql+psycopg://").dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_db")
