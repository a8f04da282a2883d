"""Reports from SQL compiled by an earlier process: a report's start-up without Ibis.

Every ``sotekeskus report …`` is a new process. Over a snapshot, running a report takes a
fraction of what building it takes: importing Ibis, SQLAlchemy, pandas and pyarrow and
compiling the expression. So the SQL compiled for a report is kept in a small JSON file
beside the snapshot (``<store>.analytics.duckdb.sql.json``), under a key made of
everything the SQL depends on:

* the query (``access_report``), its :class:`~sotekeskus.analytics.filters.AccessFilter`
  and options (``by_unit``);
* the rule book's fingerprint (the deadlines are rules);
* the code: the size and modification time of every source file of the packages that
  define a query (:data:`DEFINING_PACKAGES`), and the Ibis and DuckDB versions.

A process whose snapshot is **fresh** — its version equals the store's ``data_version``
and the rule book's fingerprint, exactly as
:meth:`~sotekeskus.analytics.engine.Analytics.open` checks it — and whose store is at the
current schema runs that SQL with DuckDB alone and finishes the rows with the same
:func:`~sotekeskus.analytics.access.finish_rows`. Anything missing or stale (no SQLite
store, an unmigrated store, a store changed since the snapshot, a query not seen before)
answers ``None``: the caller takes the full path through ``Analytics`` (which rebuilds the
snapshot) and calls :func:`remember_access_report` so that the next process need not.
The rows are the same either way (``tests/test_cli.py`` checks both against hand-computed
figures).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import duckdb

from sotekeskus.analytics.derived import rulebook_fingerprint
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.source import snapshot_path
from sotekeskus.domain.rules import RuleBook
from sotekeskus.store.database import sqlite_path
from sotekeskus.store.migrate import heads, sqlite_revisions

Rows = list[dict[str, Any]]

#: Bump when the layout of the cache file or the meaning of a key changes.
CACHE_FORMAT = 1
#: At most this many compiled queries per snapshot (the oldest go first).
MAX_ENTRIES = 256
PACKAGE = Path(__file__).resolve().parent.parent
#: The subpackages whose code shapes a query's SQL or the snapshot it runs on.
DEFINING_PACKAGES = ("analytics", "domain", "indicators", "rules")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Changes when a source file of :data:`DEFINING_PACKAGES`, Ibis or DuckDB changes."""
    h = hashlib.sha256(f"{CACHE_FORMAT}:{duckdb.__version__}".encode())
    spec = find_spec("ibis")
    files = sorted(p for name in DEFINING_PACKAGES for p in (PACKAGE / name).rglob("*.py"))
    if spec and spec.origin:
        files.append(Path(spec.origin))
    for path in files:
        st = path.stat()
        h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def cache_path(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name + ".sql.json")


def query_key(query: str, book: RuleBook, flt: AccessFilter, **options: object) -> str:
    """The cache key of one compiled query (see the module docstring)."""
    parts = {"query": query, "filter": dataclasses.asdict(flt), "options": options,
             "rules": rulebook_fingerprint(book), "code": code_fingerprint()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=list).encode()
                          ).hexdigest()[:32]


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, key: str, sql: str) -> None:
    entries = _read(path)
    entries.pop(key, None)
    entries[key] = sql
    keep = dict(list(entries.items())[-MAX_ENTRIES:])
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(json.dumps(keep), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old or the new file
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only folder: no cache, same answers


def _store_data_version(path: Path) -> str:
    """The store's ``meta.data_version`` read with the standard library (the same value as
    :func:`sotekeskus.store.episodes.data_version`, ``"empty"`` before any import)."""
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    except sqlite3.Error:
        return ""
    finally:
        con.close()
    return str(row[0]) if row and row[0] else "empty"


class SnapshotReader:
    """A fresh snapshot of a SQLite store, read with DuckDB alone."""

    def __init__(self, snapshot: Path, book: RuleBook, con: duckdb.DuckDBPyConnection):
        self.snapshot = snapshot
        self.book = book
        self._con = con
        self._cache = cache_path(snapshot)

    @classmethod
    def open(cls, db_url: str, book: RuleBook) -> SnapshotReader | None:
        """The reader, or None when the full path is needed: not a SQLite store, a store not
        at the current schema, no snapshot or one older than the store or the rule book."""
        store = sqlite_path(db_url)
        if store is None or not store.is_file():
            return None
        try:
            if sqlite_revisions(store) != heads():
                return None  # the full path says "run sotekeskus migrate"
            version = f"{_store_data_version(store)}:{rulebook_fingerprint(book)}"
        except sqlite3.Error:
            return None
        snapshot = snapshot_path(db_url)
        if not snapshot.is_file():
            return None
        try:
            con = duckdb.connect(str(snapshot), read_only=True)
        except duckdb.Error:
            return None  # e.g. being rebuilt right now
        try:
            row = con.execute("SELECT data_version FROM snapshot_meta").fetchone()
        except duckdb.Error:
            row = None
        if not row or str(row[0]) != version:
            con.close()
            return None
        return cls(snapshot, book, con)

    def close(self) -> None:
        self._con.close()

    def units(self) -> list[str]:
        """Unit ids of the snapshot (every unit of the store)."""
        return [str(r[0]) for r in self._con.execute(
            "SELECT unit_id FROM units ORDER BY unit_id").fetchall()]

    def _rows(self, key: str) -> Rows | None:
        sql = _read(self._cache).get(key)
        if sql is None:
            return None
        try:
            cursor = self._con.execute(sql)
        except duckdb.Error:
            return None  # e.g. a snapshot of another layout: the full path recompiles
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def access_report(self, flt: AccessFilter, *, by_unit: bool = False) -> Rows | None:
        """:meth:`Analytics.access_report <sotekeskus.analytics.engine.Analytics.access_report>`
        from cached SQL; None when this query has not been compiled for this code yet."""
        from sotekeskus.analytics.access import finish_rows

        records = self._rows(query_key("access_report", self.book, flt, by_unit=by_unit))
        return None if records is None else finish_rows(records, self.book)


def remember_access_report(db_url: str, book: RuleBook, flt: AccessFilter, *,
                           by_unit: bool = False) -> None:
    """Compile the access report's SQL over the (fresh) snapshot and keep it for later
    processes. Call after ``Analytics.open(db_url)`` has built the snapshot."""
    import ibis

    from sotekeskus.analytics.access import access_counts

    snapshot = snapshot_path(db_url)
    if sqlite_path(db_url) is None or not snapshot.is_file():
        return
    con = ibis.duckdb.connect(str(snapshot), read_only=True)
    try:
        expr = access_counts(con.table("episodes"), book, flt, by_unit=by_unit)
        sql = str(ibis.to_sql(expr, dialect="duckdb"))
    finally:
        con.disconnect()
    _write(cache_path(snapshot), query_key("access_report", book, flt, by_unit=by_unit), sql)
