"""Where the analytics read episodes from.

* **Snapshot of the store** (default): a DuckDB file with a columnar copy of ``episodes``
  (plus the derived columns of :mod:`sotekeskus.analytics.derived`) and ``units``, built by
  DuckDB's own sqlite / postgres scanner from the operational store and rebuilt whenever the
  store's ``data_version`` or the rule book changes (every import bumps the former). For a
  SQLite store ``region.db`` it lives beside it as ``region.db.analytics.duckdb``; for a
  PostgreSQL store under ``SOTEKESKUS_ANALYTICS_DIR`` (default ``~/.cache/sotekeskus``).
  When only the workdesk changed episodes since the snapshot's version (the change log
  ``episode_changes``), the refresh is **incremental** (:func:`refresh_snapshot`): those
  episodes are re-projected and the summary rows of their groups recomputed.
* **Parquet**: an episode file in Parquet, queried in place.
* **PostgreSQL directly**: the same Ibis definitions run inside the PostgreSQL store.

DuckDB's extensions come from the PyPI packages ``duckdb-extension-sqlite`` and
``duckdb-extension-postgres`` (no download at run time).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from pathlib import Path
from typing import Any

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


# ---- incremental refresh -----------------------------------------------------------------
#: More changed episodes than this and a full rebuild is the cheaper way.
MAX_INCREMENTAL_CHANGES = 50_000
_CHUNK = 1000


def changed_since(engine: Any, version_from: str, version_to: str,
                  limit: int = MAX_INCREMENTAL_CHANGES) -> set[str] | None:
    """The episode ids changed between two data versions of the store, from the change log
    of the workdesk's units of work (``episode_changes``), or ``None`` when the log cannot
    say: a bump on the way is not logged (an import, a pruned log), the chain does not reach
    ``version_to``, or more than ``limit`` episodes changed.

    The logged bumps form one chain in commit order (each row names the version it bumped
    from and to; :meth:`sotekeskus.care.unit_of_work.UnitOfWork._bump_data_version`)."""
    from sqlalchemy import func, select

    from sotekeskus.store.models import EpisodeChange as C

    if version_from == version_to:
        return set()
    with engine.connect() as conn:
        start = conn.execute(select(func.min(C.seq)).where(
            C.version_from == version_from)).scalar()
        if start is None:
            return None
        rows = conn.execute(select(C.version_from, C.version_to, C.episode_id)
                            .where(C.seq >= start).order_by(C.seq))
        current, ids = version_from, set()
        for vf, vt, episode_id in rows:
            if vt == current and current != version_from:
                ids.add(episode_id)  # another episode of the same bump
                continue
            if current == version_to:
                break
            if vf != current:
                return None  # a bump that is not in the log
            current = vt
            ids.add(episode_id)
            if len(ids) > limit:
                return None
    if current != version_to:
        return None
    ids.discard("")
    return ids


def _episode_rows(engine: Any, ids: list[str]) -> Any:
    """The store's episode rows of ``ids`` as an Arrow table (the store's column types)."""
    import pyarrow as pa
    from sqlalchemy import select

    from sotekeskus.store.models import Episode

    table = Episode.__table__
    kinds = {"DATE": pa.date32(), "DATETIME": pa.timestamp("us"), "BOOLEAN": pa.bool_(),
             "INTEGER": pa.int64()}
    schema = pa.schema([(c.name, kinds.get(type(c.type).__name__.upper(), pa.string()))
                        for c in table.columns])
    rows: list[Any] = []
    with engine.connect() as conn:
        for i in range(0, len(ids), _CHUNK):
            rows.extend(conn.execute(select(table).where(
                table.c.episode_id.in_(ids[i:i + _CHUNK]))).mappings())
    return pa.Table.from_pylist([dict(r) for r in rows], schema=schema)


#: (rule-book fingerprint, summary format) → the compiled SQL of the incremental refresh.
_compiled: dict[tuple[str, str], dict[str, str]] = {}


def _split(version: str) -> tuple[str, str]:
    data, _, fingerprint = version.rpartition(":")
    return data, fingerprint


def update_snapshot(engine: Any, path: Path, version: str, book: RuleBook,
                    limit: int = MAX_INCREMENTAL_CHANGES) -> bool:
    """Bring the snapshot at ``path`` to ``version`` by re-projecting only the episodes the
    workdesk changed since the snapshot's own version (:func:`changed_since`); ``False``
    (and the file untouched) when that cannot be done, so the caller rebuilds in full.

    On a copy of the file, atomically swapped in: the changed episodes' rows are deleted and
    the store's current rows inserted (with their derived columns, by the same expressions as
    a full build); the summary rows of every (month, unit, service area, professional group)
    a changed episode was or is in are recomputed from the episodes of those groups. The
    result is the snapshot a full build would make (``tests/care/test_snapshot_refresh.py``,
    row for row)."""
    import shutil

    import ibis

    from sotekeskus.analytics.derived import rulebook_fingerprint
    from sotekeskus.analytics.summaries import CUBE, META, WAITS, summary_format, summary_selects

    if not path.exists():
        return False
    tmp = path.with_name(path.name + f".inc{os.getpid()}-{threading.get_ident()}")
    shutil.copyfile(path, tmp)
    con = duckdb.connect(str(tmp))
    done = False
    try:
        row = con.execute("SELECT data_version FROM snapshot_meta").fetchone()
        old = str(row[0]) if row else ""
        fmt = con.execute(f"SELECT format FROM {META}").fetchone()
        if not fmt or str(fmt[0]) != summary_format():
            return False  # summary tables of another format: rebuild
        (old_data, old_fp), (new_data, new_fp) = _split(old), _split(version)
        if old_fp != new_fp:
            return False
        ids = changed_since(engine, old_data, new_data, limit)
        if ids is None:
            return False
        import pyarrow as pa

        con.register("changed_list", pa.table({"episode_id": pa.array(sorted(ids),
                                                                       pa.string())}))
        con.execute("CREATE TEMP TABLE changed_ids AS SELECT episode_id FROM changed_list")
        con.unregister("changed_list")
        group = "visit_month, unit_id, service_area, professional_group"
        affected = (f"SELECT DISTINCT {group} FROM episodes WHERE status = 'done' AND "
                    "episode_id IN (SELECT episode_id FROM changed_ids)")
        con.execute(f"CREATE TEMP TABLE affected AS {affected}")
        con.execute("DELETE FROM episodes WHERE episode_id IN "
                    "(SELECT episode_id FROM changed_ids)")
        con.register("changed_source", _episode_rows(engine, sorted(ids)))
        con.execute("CREATE TEMP TABLE changed_raw AS " + EPISODE_SELECT.format(
            plan_based="CAST(plan_based AS BOOLEAN)", source="changed_source"))
        con.unregister("changed_source")
        key = (rulebook_fingerprint(book), summary_format())
        sql = _compiled.get(key, {})
        if "derive" not in sql:  # compiling the Ibis expressions costs more than running them
            raw = ibis.duckdb.from_connection(con).table("changed_raw")
            sql["derive"] = str(ibis.to_sql(derive(raw, book), dialect="duckdb"))
        con.execute("INSERT INTO episodes BY NAME " + sql["derive"])
        con.execute(f"INSERT INTO affected {affected} EXCEPT SELECT * FROM affected")
        same = ("a.visit_month IS NOT DISTINCT FROM {t}.{m} AND "
                "a.unit_id IS NOT DISTINCT FROM {t}.unit_id AND "
                "a.service_area IS NOT DISTINCT FROM {t}.service_area AND "
                "a.professional_group IS NOT DISTINCT FROM {t}.professional_group")
        for table in (CUBE, WAITS):
            con.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM affected a WHERE "
                        + same.format(t=table, m="month") + ")")
        con.execute("CREATE TEMP TABLE episodes_affected AS SELECT * FROM episodes e "
                    "WHERE EXISTS (SELECT 1 FROM affected a WHERE "
                    + same.format(t="e", m="visit_month") + ")")
        if "cube" not in sql:
            sql["cube"], sql["waits"] = summary_selects(con, book, "episodes_affected")
            _compiled.clear()
            _compiled[key] = sql
        con.execute(f"INSERT INTO {CUBE} BY NAME {sql['cube']}")
        con.execute(f"INSERT INTO {WAITS} BY NAME {sql['waits']}")
        con.execute("UPDATE snapshot_meta SET data_version = ?", [version])
        con.execute("CHECKPOINT")
        done = True
    finally:
        con.close()
        if done:
            os.replace(tmp, path)
        else:
            tmp.unlink(missing_ok=True)
    return True


def refresh_snapshot(store_url: str, engine: Any, path: Path, version: str,
                     book: RuleBook) -> str:
    """Bring the snapshot at ``path`` to ``version``: ``"current"`` when it is already there,
    ``"incremental"`` when only the workdesk changed episodes since (:func:`update_snapshot`),
    else ``"full"`` (:func:`build_snapshot`: an import, a new rule book, a new summary
    format, a missing file or too long a change log)."""
    from sotekeskus.analytics.summaries import summaries_current

    if read_snapshot_version(path) == version and summaries_current(path):
        return "current"
    if update_snapshot(engine, path, version, book):
        return "incremental"
    build_snapshot(store_url, path, version, book)
    return "full"
