"""An episode Parquet file queried in place (no import, no snapshot).

One in-memory DuckDB database holds two views over the file (``episodes`` with the
snapshot's column types, and ``units`` derived from it); every reading thread gets a cursor
of its own. The derived columns are computed in each query by the same Ibis expressions
(:func:`sotekeskus.analytics.derived.with_derived`). The file is read as it is at each query;
the generation never changes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sotekeskus.analytics.backends.base import Backend
from sotekeskus.analytics.backends.duckdb_generation import DuckDBGeneration
from sotekeskus.analytics.source import EPISODE_SELECT


class ParquetBackend(Backend):
    name = "duckdb"

    def __init__(self, path: str | Path) -> None:
        resolved = Path(path).resolve()
        source = str(resolved).replace("'", "''")
        root = duckdb.connect()
        root.execute("CREATE VIEW episodes AS " + EPISODE_SELECT.format(
            plan_based="coalesce(CAST(plan_based AS BOOLEAN), false)",
            source=f"read_parquet('{source}')"))
        root.execute("CREATE VIEW units AS SELECT DISTINCT unit_id, unit_id AS name, "
                     "'' AS municipality FROM episodes")
        super().__init__(DuckDBGeneration(1, f"parquet:{resolved}", root))
