"""The one ``engine`` fixture of the shared spec tests, parametrised over every backend.

A spec calls ``engine(episodes)`` and gets an object with the indicator methods of
:class:`sotekeskus.analytics.engine.Analytics` over those episodes, computed by the backend
under test (see :mod:`tests.spec.engines`). Engines are read-only, so each backend loads
each episode table once per session and the specs of that table share it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sotekeskus.domain.episode import Episode

from ..conftest import PG_URL, REQUIRE_PG
from .engines import BACKENDS, Backend, import_episodes


class PgServer:
    """Scratch PostgreSQL databases, one per episode table of the specs (the ``postgres`` and
    ``snapshot_pg`` engines share it), dropped at the end of the session."""

    def __init__(self) -> None:
        self._admin: str | None = None
        self._names: list[str] = []

    def database(self) -> str:
        """A new, empty database, migrated; its URL."""
        import psycopg
        from sqlalchemy.engine import make_url

        from sotekeskus.store.database import make_engine
        from sotekeskus.store.migrate import upgrade

        assert PG_URL
        base = make_url(PG_URL)
        self._admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        name = f"spec_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._names.append(name)
        url = base.set(database=name).render_as_string(hide_password=False)
        store = make_engine(url)
        try:
            upgrade(store)
        finally:
            store.dispose()
        return url

    def drop(self) -> None:
        if self._admin is None:
            return
        import psycopg

        with psycopg.connect(self._admin, autocommit=True) as conn:
            for name in self._names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Loaded:
    """Engines already loaded in this session, by backend and episode table: the engines are
    read-only, so the specs of one table share one load per backend."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.engines: dict[tuple[str, tuple[Episode, ...]], Any] = {}
        self.pg_urls: dict[tuple[Episode, ...], str] = {}
        self.pg = PgServer()

    def pg_url(self, episodes: list[Episode], workdir: Path) -> str:
        """The table's PostgreSQL store (created and imported on first use)."""
        key = tuple(episodes)
        if key not in self.pg_urls:
            url = self.pg.database()
            import_episodes(episodes, url, workdir)
            self.pg_urls[key] = url
        return self.pg_urls[key]

    def get(self, backend: Backend, episodes: list[Episode]) -> Any:
        key = (backend.name, tuple(episodes))
        if key not in self.engines:
            workdir = self.workdir / f"{backend.name}{len(self.engines)}"
            workdir.mkdir()
            self.engines[key] = backend.load(episodes, workdir, self)
        return self.engines[key]

    def close(self) -> None:
        for an in self.engines.values():
            close = getattr(an, "close", None)
            if close is not None:
                close()
        self.pg.drop()


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    workdir = tmp_path_factory.mktemp("spec")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOTEKESKUS_ANALYTICS_DIR", str(workdir / "analytics"))
        cache = Loaded(workdir)
        try:
            yield cache
        finally:
            cache.close()


@pytest.fixture(params=BACKENDS, ids=[b.name for b in BACKENDS])
def engine(request: pytest.FixtureRequest,
           loaded: Loaded) -> Callable[[list[Episode]], Any]:
    """``engine(episodes)`` → the backend's indicator engine over ``episodes``."""
    backend: Backend = request.param
    if backend.needs_pg and not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SOTEKESKUS_REQUIRE_PG=1 but SOTEKESKUS_TEST_PG_URL is not set")
        pytest.skip("no PostgreSQL server (set SOTEKESKUS_TEST_PG_URL)")
    return lambda episodes: loaded.get(backend, episodes)
