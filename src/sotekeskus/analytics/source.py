"""Where the analytics read episodes from.

* **Snapshot of the store** (default): a DuckDB file with a columnar copy of ``episodes``
  (plus the derived columns of :mod:`sotekeskus.analytics.derived`) and ``units``, built by
  DuckDB's own sqlite / postgres scanner from the operational store and rebuilt whenever the
  store's ``data_version`` or the rule book changes (every import bumps the former). For a
  SQLite store ``region.db`` it lives beside it as ``region.db.analytics.duckdb``; for a
  PostgreSQL store under ``SOTEKESKUS_ANALYTICS_DIR`` (default ``~/.cache/sotekeskus``).
* **Parquet**: an episode file in Parquet, queried in place.
* **PostgreSQL directly**: the same Ibis definitions run inside the PostgreSQL store.

DuckDB's extensions come from the PyPI packages ``duckdb-extension-sqlite`` and
``duckdb-extension-postgres`` (no download at run time).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

import duckdb

from sotekeskus.analytics.derived import derive
from sotekeskus.config import load_settings
from sotekeskus.domain.rules import RuleBook
from sotekeskus.store.database import sqlite_path

#: The episode columns as the analytics read them, from a store table, a Parquet file or any
#: relation ``{source}``. The contract-v2 columns (``diagnosis_codes``, ``visit_nature``,
#: ``professional_id``, ``care_plan``) are always there: NULL when the source has none (a
#: Parquet file of contract version 1; a store whose episodes came from v1 files).
EPISODE_SELECT = """
    SELECT CAST(episode_id AS VARCHAR) AS episode_id,
           CAST(person_id AS VARCHAR) AS person_id,
           CAST(birth_date AS DATE) AS birth_date,
           CAST(unit_id AS VARCHAR) AS unit_id,
           CAST(service_area AS VARCHAR) AS service_area,
           CAST(professional_group AS VARCHAR) AS professional_group,
           CAST(urgency AS VARCHAR) AS urgency,
           CAST(contact_at AS TIMESTAMP) AS contact_at,
           CAST(assessed_at AS TIMESTAMP) AS assessed_at,
           CAST(visit_at AS TIMESTAMP) AS visit_at,
           CAST(contact_mode AS VARCHAR) AS contact_mode,
           CAST(status AS VARCHAR) AS status,
           {plan_based} AS plan_based,
           CAST(diagnosis_codes AS VARCHAR) AS diagnosis_codes,
           CAST(visit_nature AS VARCHAR) AS visit_nature,
           CAST(professional_id AS VARCHAR) AS professional_id,
           CAST(care_plan AS VARCHAR) IN ('1', 'true') AS care_plan
    FROM ((SELECT * FROM {source}) UNION ALL BY NAME (
          SELECT NULL AS diagnosis_codes, NULL AS visit_nature, NULL AS professional_id,
                 NULL AS care_plan LIMIT 0))
"""


class SourceError(RuntimeError):
    pass


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Install and load a DuckDB extension from its PyPI package, offline."""
    package = importlib.import_module(f"duckdb_extension_{name}")
    base = Path(package.__file__ or "").parent
    files = sorted(base.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    if not files:
        raise SourceError(
            f"duckdb-extension-{name} does not match duckdb {duckdb.__version__}; "
            f"install duckdb-extension-{name}=={duckdb.__version__}")
    con.execute("INSTALL '{}'".format(str(files[0]).replace("'", "''")))  # quote-safe literal
    con.execute(f"LOAD {name}")


def attach_store(con: duckdb.DuckDBPyConnection, store_url: str, alias: str, *,
                 if_not_exists: bool = False) -> str:
    """Attach the store at ``store_url`` read-only to ``con`` as ``alias``, through DuckDB's
    sqlite or postgres scanner; returns ``"sqlite"`` or ``"postgres"``.

    SQLite columns are read as text (``sqlite_all_varchar``; callers cast). Paths and
    connection values are quoted, so a store path or a password with a quote works.
    ``if_not_exists``: connections to one DuckDB file share a database instance (and its
    attachments) within a process, so a second attach of the same alias is a no-op.
    """
    spath = sqlite_path(store_url)
    if spath is not None:
        load_extension(con, "sqlite")
        con.execute("SET sqlite_all_varchar = true")
        literal, kind = str(spath).replace("'", "''"), "sqlite"  # a path may be it's.db
    else:
        from sqlalchemy.engine import make_url

        load_extension(con, "postgres")
        url = make_url(store_url)
        dsn = " ".join(  # libpq quoting: a value may hold spaces, quotes, backslashes
            "{}='{}'".format(k, str(v).replace("\\", "\\\\").replace("'", "\\'"))
            for k, v in (
                ("host", url.host), ("port", url.port), ("dbname", url.database),
                ("user", url.username), ("password", url.password)) if v)
        literal, kind = dsn.replace("'", "''"), "postgres"
    exists = " IF NOT EXISTS" if if_not_exists else ""
    con.execute(f"ATTACH{exists} '{literal}' AS {alias} (TYPE {kind}, READ_ONLY)")
    return kind


def snapshot_path(store_url: str) -> Path:
    path = sqlite_path(store_url)
    if path is not None:
        return path.with_name(path.name + ".analytics.duckdb")
    base = load_settings().analytics_dir
    key = hashlib.sha256(store_url.encode()).hexdigest()[:16]
    return base / f"{key}.analytics.duckdb"


def read_snapshot_version(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT data_version FROM snapshot_meta").fetchone()
        return str(row[0]) if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def build_snapshot(store_url: str, path: Path, version: str, book: RuleBook) -> None:
    """Copy episodes (with their derived columns) and units from the store into a fresh
    DuckDB file, atomically."""
    import ibis  # imported here: reading a snapshot (a report's start-up) needs no Ibis

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        sqlite = attach_store(con, store_url, "sk_source") == "sqlite"
        plan = ("CAST(CAST(plan_based AS INTEGER) AS BOOLEAN)" if sqlite
                else "CAST(plan_based AS BOOLEAN)")
        con.execute("CREATE TEMP TABLE episodes_raw AS " + EPISODE_SELECT.format(
            plan_based=plan, source="sk_source.episodes"))
        raw = ibis.duckdb.from_connection(con).table("episodes_raw")
        derived_sql = ibis.to_sql(derive(raw, book), dialect="duckdb")
        con.execute(f"CREATE TABLE episodes AS {derived_sql}")
        con.execute("DROP TABLE episodes_raw")
        from sotekeskus.analytics.summaries import add_summaries

        add_summaries(con, book)  # pre-aggregated tables for the dashboard (summaries.py)
        con.execute("CREATE TABLE units AS SELECT CAST(unit_id AS VARCHAR) AS unit_id, "
                    "CAST(name AS VARCHAR) AS name, "
                    "CAST(municipality AS VARCHAR) AS municipality FROM sk_source.units")
        con.execute("CREATE TABLE snapshot_meta AS SELECT ? AS data_version", [version])
        con.execute("DETACH sk_source")
    finally:
        con.close()
    os.replace(tmp, path)
