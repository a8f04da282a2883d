"""Where the pathways analyses read episodes from: a DuckDB connection with a relation
``episodes`` (the episode-contract columns, plus whichever contract-v2 columns the data has).

* :meth:`EpisodeSource.from_store` — the analytics snapshot of the store (the same DuckDB
  file the access report reads, refreshed when the store changed);
* :meth:`EpisodeSource.from_arrow` — an Arrow table in memory (tests, notebooks, the
  synthetic region).

Contract-v2 columns (``shared/docs/pathways.md``): ``diagnosis_codes`` (``|``-separated
ICD-10 / ICPC-2 codes), ``visit_nature`` (Avohilmo SH curative / TH health promotion),
``professional_id`` (pseudonymous) and ``care_plan`` (the visit made or updated a health and
care plan). An analysis that needs one calls :meth:`EpisodeSource.require`, which raises
:class:`MissingDataError` saying which column is missing and what provides it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from sotekeskus.pathways.errors import MissingDataError

V2_COLUMNS = ("diagnosis_codes", "visit_nature", "professional_id", "care_plan")
_numbers = itertools.count(1)


@dataclass
class EpisodeSource:
    """A DuckDB connection on which ``episodes`` (and optionally ``case_events``) exist."""

    con: duckdb.DuckDBPyConnection
    label: str = "episodes"
    _columns: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_arrow(cls, episodes: pa.Table, case_events: pa.Table | None = None,
                   label: str = "episodes") -> EpisodeSource:
        """Episodes (and case events) held in memory as Arrow tables."""
        con = duckdb.connect()
        _no_replacement_scans(con)
        con.register("episodes", episodes)
        if case_events is not None:
            con.register("case_events", case_events)
        return cls(con, label)

    @classmethod
    def from_store(cls, db: str | None = None) -> EpisodeSource:
        """The store's analytics snapshot (rebuilt first when the store has changed)."""
        from sotekeskus.analytics.engine import Analytics
        from sotekeskus.analytics.source import snapshot_path
        from sotekeskus.store.database import resolve_url

        url = resolve_url(db)
        Analytics.open(url).close()  # builds or refreshes the snapshot file
        path = snapshot_path(url)
        # DuckDB keeps one database instance per path in a process: open the file under a
        # name of its own (a hard link, unlinked at once) so that a long-running process
        # sees a rebuilt snapshot, not the instance of an older one.
        alias = path.with_name(f"{path.name}.p{os.getpid()}-{next(_numbers)}")
        try:
            os.link(path, alias)
        except OSError:
            alias = path
        try:
            con = duckdb.connect(str(alias), read_only=True)
        finally:
            if alias != path:
                alias.unlink(missing_ok=True)
        _no_replacement_scans(con)
        src = cls(con, f"the store {db or url}")
        if not src.has_table("case_events"):
            _attach_case_events(src.con, url)
        return src

    def close(self) -> None:
        self.con.close()

    def has_table(self, name: str) -> bool:
        try:
            self.con.execute(f"SELECT * FROM {name} LIMIT 0")
        except duckdb.Error:
            return False
        return True

    def columns(self, table: str = "episodes") -> list[str]:
        if table not in self._columns:
            self._columns[table] = [
                str(c[0]) for c in self.con.execute(f"SELECT * FROM {table} LIMIT 0").description]
        return self._columns[table]

    def require(self, columns: Iterable[str], purpose: str) -> None:
        """Raise :class:`MissingDataError` unless ``episodes`` has every column."""
        have = set(self.columns())
        missing = [c for c in columns if c not in have]
        if missing:
            raise MissingDataError(
                f"{purpose} needs the episode column(s) {', '.join(missing)} (episode contract "
                f"version 2), and {self.label} has none; import an episode file with "
                f"{', '.join(missing)} first")

    def has_values(self, column: str, where: str = "status = 'done'") -> bool:
        """``episodes`` has ``column`` and some episode matching ``where`` has a value (the
        store's snapshot always carries the v2 columns, NULL where a file had none)."""
        if column not in self.columns():
            return False
        row = self.con.execute(
            f"SELECT 1 FROM episodes WHERE {where} AND {column} IS NOT NULL LIMIT 1"
        ).fetchone()
        return row is not None

    def require_values(self, column: str, where: str, purpose: str) -> None:
        """Raise :class:`MissingDataError` if no episode matching ``where`` has ``column``."""
        row = self.con.execute(
            f"SELECT count(*) FILTER (WHERE {column} IS NOT NULL AND CAST({column} AS VARCHAR)"
            f" <> ''), count(*) FROM episodes WHERE {where}").fetchone()
        assert row is not None
        if row[1] and not row[0]:
            raise MissingDataError(
                f"{purpose} needs {column}, and none of the {row[1]:,} episodes it would use "
                f"in {self.label} has a value; import episodes with {column} (contract v2)")


def _no_replacement_scans(con: duckdb.DuckDBPyConnection) -> None:
    """A table name in SQL must never resolve to a Python variable of the caller that
    happens to have that name (DuckDB's replacement scans); only registered tables count."""
    con.execute("SET python_enable_replacements = false")


def _attach_case_events(con: duckdb.DuckDBPyConnection, url: str) -> None:
    """Expose the store's ``case_events`` table (when it has one) as the view
    ``case_events``, read in place through DuckDB's sqlite / postgres scanner."""
    from sotekeskus.analytics.source import attach_store

    # IF NOT EXISTS: connections to one snapshot file share a database instance (and its
    # attachments) within a process.
    attach_store(con, url, "sk_store", if_not_exists=True)
    tables = {str(r[0]) for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'sk_store'").fetchall()}
    if "case_events" in tables:
        con.execute("CREATE TEMP VIEW case_events AS SELECT * FROM sk_store.case_events")
