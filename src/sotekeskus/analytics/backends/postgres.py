"""The definitions run inside the PostgreSQL store itself (through Ibis).

Every reading thread gets an Ibis PostgreSQL connection of its own (psycopg connections are
used by one thread at a time); expressions are built on that connection's tables and run
there, so the derived columns are computed by PostgreSQL in each query. The data is live:
there is one generation, whose version is the store's ``data_version`` read at each
freshness check (caches key on it, so an import invalidates them).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sotekeskus.analytics.backends.base import Backend, Generation, Rows

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from sqlalchemy.engine import URL


class PostgresGeneration(Generation):
    def __init__(self, url: URL, version: str) -> None:
        super().__init__(1, version)
        self._url = url

    def _connect(self) -> Any:
        import ibis

        url = self._url
        return ibis.postgres.connect(host=url.host, port=url.port or 5432, user=url.username,
                                     password=url.password, database=url.database)

    def _close_connection(self, con: Any) -> None:
        con.disconnect()

    def has_table(self, name: str) -> bool:
        return name in ("episodes", "units")

    def table(self, name: str) -> ir.Table:
        return self.connection().table(name)

    def execute(self, expr: ir.Table) -> Rows:
        rows: Rows = expr.to_pyarrow().to_pylist()
        return rows


class PostgresBackend(Backend):
    name = "postgres"
    check_interval_s = 1.0

    def __init__(self, url: URL, store: Any) -> None:
        from sotekeskus.store.episodes import data_version

        self._store = store
        self._data_version = data_version
        self._checked_at = time.monotonic()
        super().__init__(PostgresGeneration(url, data_version(store)))

    def refresh_if_stale(self, force: bool = False) -> bool:
        """The data is live; only the version (the cache key) follows the store."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_interval_s:
            return False
        self._checked_at = now
        version = self._data_version(self._store)
        if version == self._generation.version:
            return False
        self._generation.version = version
        return True

    def close(self) -> None:
        super().close()
        self._store.dispose()
