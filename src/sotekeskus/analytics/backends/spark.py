"""The same Ibis definitions on Apache Spark (Ibis's PySpark backend).

Spark reads **Parquet**: an episode Parquet file in place, or — for a store — a Parquet
export of the store's episodes and units, written by DuckDB's sqlite / postgres scanner into
the analytics folder and rewritten when the store's ``data_version`` changes (Spark has no
offline SQLite driver, and a data lake holds Parquet anyway). The views ``episodes`` (the
snapshot's column types) and ``units`` are registered in the Spark session; the derived
columns are computed in each query by the same expressions
(:func:`sotekeskus.analytics.derived.with_derived`) as on DuckDB and PostgreSQL.

One Spark session per process (``SparkSession.builder.getOrCreate()``): local mode by
default (``local[*]``), a cluster with ``Settings.spark_master`` (``SOTEKESKUS_SPARK_MASTER``)
or the ``master`` argument. The session runs in UTC, as the DuckDB and PostgreSQL backends
do, so a date-time is never shifted. Every reading thread gets an Ibis connection of its own
over the shared session. Java 17+ must be installed (``java`` on the PATH or
``JAVA_HOME``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sotekeskus.analytics.backends.base import Backend, Generation, Rows

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from pyspark.sql import SparkSession

#: Session settings used unless the caller overrides them.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.ansi.enabled": "false",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}
_session_lock = threading.Lock()

#: The episode columns as Spark reads them (the snapshot's types; v2 columns always there).
SPARK_EPISODE_SELECT = """
    SELECT CAST(episode_id AS STRING) AS episode_id,
           CAST(person_id AS STRING) AS person_id,
           CAST(birth_date AS DATE) AS birth_date,
           CAST(unit_id AS STRING) AS unit_id,
           CAST(service_area AS STRING) AS service_area,
           CAST(professional_group AS STRING) AS professional_group,
           CAST(urgency AS STRING) AS urgency,
           CAST(contact_at AS TIMESTAMP) AS contact_at,
           CAST(assessed_at AS TIMESTAMP) AS assessed_at,
           CAST(visit_at AS TIMESTAMP) AS visit_at,
           CAST(contact_mode AS STRING) AS contact_mode,
           CAST(status AS STRING) AS status,
           coalesce(CAST(plan_based AS BOOLEAN), false) AS plan_based,
           CAST({diagnosis_codes} AS STRING) AS diagnosis_codes,
           CAST({visit_nature} AS STRING) AS visit_nature,
           CAST({professional_id} AS STRING) AS professional_id,
           CAST({care_plan} AS BOOLEAN) AS care_plan
    FROM {source}
"""
V2_COLUMNS = ("diagnosis_codes", "visit_nature", "professional_id", "care_plan")


class SparkError(RuntimeError):
    """Spark cannot be started or cannot read the source; the message says why."""


def spark_session(master: str | None = None,
                  conf: Mapping[str, str] | None = None) -> SparkSession:
    """The process's Spark session (created on first use with ``master`` and ``conf``)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency
        raise SparkError(f"pyspark is not installed: {exc}") from None
    with _session_lock:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        from sotekeskus.config import load_settings

        builder = SparkSession.builder.master(master or load_settings().spark_master)
        builder = builder.appName("sotekeskus")
        for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 - Java missing, bad master URL, …
            raise SparkError(f"Spark could not start ({exc}); is Java 17 installed "
                             "(java -version) and the master URL right?") from None
        session.sparkContext.setLogLevel("ERROR")
        return session


class SparkGeneration(Generation):
    def __init__(self, session: SparkSession, version: str, views: dict[str, str]) -> None:
        super().__init__(1, version)
        self._session = session
        self._views = views  # logical name → Spark temp view

    def _connect(self) -> Any:
        import ibis

        return ibis.pyspark.connect(self._session)

    def _close_connection(self, con: Any) -> None:
        """The session is shared by the process; nothing to close per thread."""

    def has_table(self, name: str) -> bool:
        return name in self._views

    def table(self, name: str) -> ir.Table:
        return self.connection().table(self._views[name])

    def execute(self, expr: ir.Table) -> Rows:
        """Rows of ``expr``, typed as its Ibis schema says (Spark's sums are int64 already,
        its medians double)."""
        arrow = expr.to_pyarrow()
        rows: Rows = arrow.cast(expr.schema().to_pyarrow()).to_pylist()
        return rows


def _register(session: SparkSession, parquet: Path, units: Path | None,
              key: str) -> dict[str, str]:
    """Temp views over the Parquet files; their names carry ``key`` (one per source)."""
    frame = session.read.parquet(str(parquet))
    raw = f"sk_raw_{key}"
    frame.createOrReplaceTempView(raw)
    present = set(frame.columns)
    fill = {c: (c if c in present else "NULL") for c in V2_COLUMNS}
    episodes = f"sk_episodes_{key}"
    session.sql(SPARK_EPISODE_SELECT.format(source=raw, **fill)
                ).createOrReplaceTempView(episodes)
    unit_view = f"sk_units_{key}"
    if units is not None:
        session.read.parquet(str(units)).createOrReplaceTempView(unit_view)
    else:
        session.sql(f"SELECT DISTINCT unit_id, unit_id AS name, '' AS municipality "
                    f"FROM {episodes}").createOrReplaceTempView(unit_view)
    return {"episodes": episodes, "units": unit_view}


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class SparkParquetBackend(Backend):
    """An episode Parquet file (or a folder of Parquet files) read by Spark, in place."""

    name = "spark"

    def __init__(self, path: str | Path, master: str | None = None,
                 conf: Mapping[str, str] | None = None) -> None:
        resolved = Path(path).resolve()
        if not resolved.exists():
            raise SparkError(f"{resolved}: no such file or folder")
        session = spark_session(master, conf)
        views = _register(session, resolved, None, _key(str(resolved)))
        super().__init__(SparkGeneration(session, f"spark:{resolved}", views))


class SparkStoreBackend(Backend):
    """The store's episodes and units, exported to Parquet for Spark (see the module doc);
    the export is rewritten when the store's ``data_version`` changes."""

    name = "spark"
    check_interval_s = 1.0

    def __init__(self, url: str, store: Any, master: str | None = None,
                 conf: Mapping[str, str] | None = None) -> None:
        import time

        from sotekeskus.store.episodes import data_version

        self._url = url
        self._store = store
        self._data_version = data_version
        self._session = spark_session(master, conf)
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()
        super().__init__(self._open(data_version(store)))

    def _open(self, version: str) -> SparkGeneration:
        folder = export_store(self._url, version)
        views = _register(self._session, folder / "episodes.parquet",
                          folder / "units.parquet", _key(f"{self._url}:{version}"))
        return SparkGeneration(self._session, f"spark:{version}", views)

    def refresh_if_stale(self, force: bool = False) -> bool:
        import time

        now = time.monotonic()
        if not force and now - self._checked_at < self.check_interval_s:
            return False
        self._checked_at = now
        version = self._data_version(self._store)
        if f"spark:{version}" == self._generation.version:
            return False
        with self._lock:
            self._swap(self._open(version))
        return True

    def close(self) -> None:
        super().close()
        self._store.dispose()


def export_store(url: str, version: str) -> Path:
    """``<analytics dir>/<store key>.spark/<version>/{episodes,units}.parquet`` (written by
    DuckDB from the store, once per data version; older versions removed)."""
    import shutil

    import duckdb

    from sotekeskus.analytics.source import EPISODE_SELECT, attach_store
    from sotekeskus.config import load_settings
    from sotekeskus.store.database import sqlite_path

    spath = sqlite_path(url)
    base = (spath.with_name(spath.name + ".spark") if spath is not None
            else load_settings().analytics_dir / f"{_key(url)}.spark")
    folder = base / version
    if (folder / "units.parquet").exists():
        return folder
    tmp = base / f"{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = duckdb.connect()
    try:
        sqlite = attach_store(con, url, "sk_source") == "sqlite"
        plan = ("CAST(CAST(plan_based AS INTEGER) AS BOOLEAN)" if sqlite
                else "CAST(plan_based AS BOOLEAN)")
        select = EPISODE_SELECT.format(plan_based=plan, source="sk_source.episodes")
        con.execute(f"COPY ({select}) TO '{tmp / 'episodes.parquet'}' (FORMAT parquet)")
        con.execute("COPY (SELECT CAST(unit_id AS VARCHAR) AS unit_id, CAST(name AS VARCHAR) "
                    "AS name, CAST(municipality AS VARCHAR) AS municipality "
                    f"FROM sk_source.units) TO '{tmp / 'units.parquet'}' (FORMAT parquet)")
    finally:
        con.close()
    for old in base.iterdir():
        if old.is_dir() and old != tmp:
            shutil.rmtree(old, ignore_errors=True)
    tmp.rename(folder)
    return folder
