"""A DuckDB generation: one database instance, one cursor per reading thread.

Expressions are built on *unbound* Ibis tables (the schema read once when the generation
opens), compiled to DuckDB SQL and run on the calling thread's cursor
(``DuckDBPyConnection.cursor()``: a connection of its own to the same database, which DuckDB
runs in parallel with the others). Each cursor gets the session settings the Ibis DuckDB
backend uses (time zone UTC, no Python replacement scans), so the answers are the same as
through Ibis's own backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import duckdb

from sotekeskus.analytics.backends.base import Generation, Rows

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

SESSION_SETTINGS = ("SET TimeZone = 'UTC'", "SET python_enable_replacements = false")


class DuckDBGeneration(Generation):
    """``root``: an open DuckDB connection holding the database; closed with the generation
    (then ``on_closed`` runs, e.g. to remove files)."""

    def __init__(self, number: int, version: str, root: duckdb.DuckDBPyConnection,
                 on_closed: Callable[[], None] | None = None) -> None:
        super().__init__(number, version)
        self._root = root
        self._on_closed = on_closed
        for sql in SESSION_SETTINGS:
            root.execute(sql)
        names = [str(r[0]) for r in root.execute(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() "
            "WHERE NOT internal").fetchall()]
        self._schemas: dict[str, Any] = {}
        self._tables: dict[str, ir.Table] = {}
        self._names = set(names)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        cur = self._root.cursor()
        for sql in SESSION_SETTINGS:
            cur.execute(sql)
        return cur

    def _close_root(self) -> None:
        try:
            self._root.close()
        finally:
            if self._on_closed is not None:
                self._on_closed()

    def has_table(self, name: str) -> bool:
        return name in self._names

    def table(self, name: str) -> ir.Table:
        table = self._tables.get(name)
        if table is None:
            import ibis

            arrow = self.connection().execute(
                f'SELECT * FROM "{name}" LIMIT 0').to_arrow_table().schema
            table = ibis.table(ibis.Schema.from_pyarrow(arrow), name=name)
            self._tables[name] = table
        return table

    def execute(self, expr: ir.Table) -> Rows:
        """Rows of ``expr``, typed as its Ibis schema says (as Ibis's own backend does:
        DuckDB sums integers as HUGEINT, which would otherwise come back as Decimal)."""
        import ibis

        sql = str(ibis.to_sql(expr, dialect="duckdb"))
        arrow = self.connection().execute(sql).to_arrow_table()
        rows: Rows = arrow.cast(expr.schema().to_pyarrow()).to_pylist()
        return rows

    def fetch_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """A SQL query (with ``?`` parameters) on the calling thread's cursor, as Arrow."""
        return self.connection().execute(sql, params or []).to_arrow_table()
