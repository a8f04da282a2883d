"""Where the planning analyses read episodes from: a DuckDB connection with ``episodes``.

* :meth:`PlanningSource.from_store` — the analytics snapshot of the store (the DuckDB file
  the access report reads, rebuilt first when the store has changed);
* :meth:`PlanningSource.from_parquet` — an episode Parquet file, queried in place;
* :meth:`PlanningSource.from_arrow` — an Arrow table in memory (tests, the synthetic region).

The per-episode derived columns (legal and target deadlines, …) come from
:mod:`sotekeskus.analytics.derived`: the snapshot carries them, the other sources compute
them with the same expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from sotekeskus.analytics.derived import with_derived
from sotekeskus.domain.rules import RuleBook


class SourceMissingError(FileNotFoundError):
    """The named store or file does not exist (the message names it)."""


@dataclass
class PlanningSource:
    """A DuckDB connection on which the relation ``episodes`` exists."""

    con: duckdb.DuckDBPyConnection
    rulebook: RuleBook
    label: str = "episodes"

    def __post_init__(self) -> None:
        # a name in SQL must never resolve to a Python variable of the caller that happens
        # to have that name (DuckDB's replacement scans): only registered relations count
        self.con.execute("SET python_enable_replacements = false")

    @classmethod
    def from_store(cls, db: str | None = None,
                   rulebook: RuleBook | None = None) -> PlanningSource:
        from sotekeskus.analytics.engine import Analytics
        from sotekeskus.analytics.source import snapshot_path
        from sotekeskus.store.database import resolve_url, sqlite_path

        url = resolve_url(db)
        path = sqlite_path(url)
        if path is not None and not path.exists():
            raise SourceMissingError(f"no store at {path}; import episodes first "
                                     "(sotekeskus import episodes FILE --db …)")
        analytics = Analytics.open(url, rulebook)  # builds or refreshes the snapshot
        con = duckdb.connect(str(snapshot_path(url)), read_only=True)
        source = cls(con, analytics.rulebook, f"the store {db or url}")
        if not source.has_case_events():
            _attach_case_events(con, url)
        return source

    @classmethod
    def from_parquet(cls, path: str | Path, rulebook: RuleBook | None = None) -> PlanningSource:
        from sotekeskus.analytics.source import EPISODE_SELECT

        file = Path(path)
        if not file.exists():
            raise SourceMissingError(f"{file}: no such file")
        con = duckdb.connect()
        quoted = str(file.resolve()).replace("'", "''")
        con.execute("CREATE VIEW episodes AS " + EPISODE_SELECT.format(
            plan_based="coalesce(CAST(plan_based AS BOOLEAN), false)",
            source=f"read_parquet('{quoted}')"))
        return cls(con, rulebook or _default_rulebook(), str(file))

    @classmethod
    def from_arrow(cls, episodes: pa.Table, rulebook: RuleBook | None = None,
                   case_events: pa.Table | None = None) -> PlanningSource:
        con = duckdb.connect()
        con.register("episodes", episodes)
        if case_events is not None:
            con.register("case_events", case_events)
        return cls(con, rulebook or _default_rulebook(), "episodes in memory")

    def has_case_events(self) -> bool:
        """Whether a ``case_events`` relation (the case-events file's rows) exists."""
        try:
            self.con.execute("SELECT * FROM case_events LIMIT 0")
        except duckdb.Error:
            return False
        return True

    def episodes(self) -> ir.Table:
        """The episodes with the derived columns, as an Ibis table."""
        table = ibis.duckdb.from_connection(self.con).table("episodes")
        return with_derived(table, self.rulebook)

    def last_date(self) -> date | None:
        """The last contact, assessment or visit date in the data (its "today")."""
        row = self.con.execute(
            "SELECT CAST(greatest(max(contact_at), max(assessed_at), max(visit_at)) AS DATE) "
            "FROM episodes").fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.con.close()


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
        con.execute(
            "CREATE TEMP VIEW case_events AS SELECT CAST(case_id AS VARCHAR) AS case_id, "
            "CAST(person_id AS VARCHAR) AS person_id, CAST(birth_date AS DATE) AS birth_date, "
            "CAST(unit_id AS VARCHAR) AS unit_id, CAST(case_type AS VARCHAR) AS case_type, "
            "CAST(event AS VARCHAR) AS event, CAST(\"at\" AS TIMESTAMP) AS \"at\", "
            "CAST(urgency AS VARCHAR) AS urgency, "
            "CAST(professional_group AS VARCHAR) AS professional_group "
            "FROM sk_store.case_events")


def _default_rulebook() -> RuleBook:
    from sotekeskus.rules import default_rulebook

    return default_rulebook()
