"""The engines every spec runs on, in one place.

Each entry of :data:`BACKENDS` loads a list of episodes the way that engine reads them in
production and returns an object with the indicator methods of
:class:`sotekeskus.analytics.engine.Analytics`:

* ``oracle`` — the plain-Python reference (``tests/reference_access.py``), no engine;
* ``snapshot`` — the episode file imported (``sotekeskus import episodes``) into a SQLite
  store, read through the DuckDB snapshot (``Analytics.open``);
* ``parquet`` — the same episodes as a Parquet file, queried in place
  (``Analytics.from_parquet``);
* ``postgres`` — imported into a PostgreSQL store, computed inside PostgreSQL
  (``Analytics.on_postgres``);
* ``snapshot_pg`` — imported into PostgreSQL, read through the DuckDB snapshot built by
  DuckDB's postgres scanner (``Analytics.open`` on a PostgreSQL URL);
* ``spark`` — the Parquet file read by Apache Spark in local mode through Ibis's PySpark
  backend (``Analytics.on_spark``); one Spark session per test process, started on first
  use; skipped where there is no Java.

The PostgreSQL engines need a server (``SOTEKESKUS_TEST_PG_URL``) and are skipped without
one, unless ``SOTEKESKUS_REQUIRE_PG=1``. A new engine (Spark, …) is one more entry here.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from sotekeskus.domain.episode import Episode
from sotekeskus.domain.vocabulary import EPISODE_COLUMNS
from sotekeskus.rules import default_rulebook

from .. import reference_access


@dataclass(frozen=True)
class Backend:
    """``load(episodes, workdir, services)`` → an engine over those episodes (``services``:
    ``pg_url(episodes, workdir)``, the episodes imported into a PostgreSQL store).
    ``needs_pg``: skipped without a PostgreSQL server."""

    name: str
    load: Callable[[list[Episode], Path, Any], Any]
    needs_pg: bool = False


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "value", value))


def write_csv(episodes: Iterable[Episode], path: Path) -> Path:
    """The episodes as an episode file (contract columns, UTF-8, header row)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(EPISODE_COLUMNS))
        for e in episodes:
            w.writerow([_value(getattr(e, c)) for c in EPISODE_COLUMNS])
    return path


def write_parquet(episodes: Iterable[Episode], path: Path) -> Path:
    eps = list(episodes)
    cols: dict[str, list[Any]] = {c: [getattr(e, c) for e in eps] for c in EPISODE_COLUMNS}
    for c in ("service_area", "professional_group", "urgency", "status", "contact_mode"):
        cols[c] = [v.value if v is not None else None for v in cols[c]]
    types = {"birth_date": pa.date32(), "contact_at": pa.timestamp("s"),
             "assessed_at": pa.timestamp("s"), "visit_at": pa.timestamp("s"),
             "plan_based": pa.bool_()}
    pq.write_table(pa.table({c: pa.array(v, type=types.get(c, pa.string()))
                             for c, v in cols.items()}), path)
    return path


def import_episodes(episodes: list[Episode], db: str, workdir: Path) -> None:
    """Through the command users run: ``sotekeskus import episodes FILE --db DB``."""
    from sotekeskus.cli import app

    path = write_csv(episodes, workdir / "episodes.csv")
    result = CliRunner().invoke(app, ["import", "episodes", str(path), "--db", db])
    assert result.exit_code == 0, result.output


def _oracle(episodes: list[Episode], workdir: Path, services: Any) -> Any:
    return reference_access.Oracle(episodes, default_rulebook())


def _snapshot(episodes: list[Episode], workdir: Path, services: Any) -> Any:
    from sotekeskus.analytics.engine import Analytics

    db = str(workdir / "store.db")
    import_episodes(episodes, db, workdir)
    return Analytics.open(db)


def _parquet(episodes: list[Episode], workdir: Path, services: Any) -> Any:
    from sotekeskus.analytics.engine import Analytics

    return Analytics.from_parquet(write_parquet(episodes, workdir / "episodes.parquet"))


def _postgres(episodes: list[Episode], workdir: Path, services: Any) -> Any:
    from sotekeskus.analytics.engine import Analytics

    return Analytics.on_postgres(services.pg_url(episodes, workdir))


def _spark(episodes: list[Episode], workdir: Path, services: Any) -> Any:
    import shutil

    import pytest

    from sotekeskus.analytics.engine import Analytics

    if not shutil.which("java"):
        pytest.skip("no Java for Spark (.ci/run installs openjdk-17-jre-headless)")
    return Analytics.on_spark(parquet=write_parquet(episodes, workdir / "episodes.parquet"),
                              master="local[2]", conf={"spark.sql.shuffle.partitions": "2"})


def _snapshot_pg(episodes: list[Episode], workdir: Path, services: Any) -> Any:
    from sotekeskus.analytics.engine import Analytics

    return Analytics.open(services.pg_url(episodes, workdir))


#: Every engine the specs run on. Add a backend here and every spec runs on it.
BACKENDS: tuple[Backend, ...] = (
    Backend("oracle", _oracle),
    Backend("snapshot", _snapshot),
    Backend("parquet", _parquet),
    Backend("postgres", _postgres, needs_pg=True),
    Backend("snapshot_pg", _snapshot_pg, needs_pg=True),
    Backend("spark", _spark),
)
