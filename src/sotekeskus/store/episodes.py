"""Episode repository: the all-or-nothing, idempotent bulk upsert of validated episodes.

Re-importing an ``episode_id`` replaces the row (never duplicates). One import is one
transaction: either every row is written, with the import recorded and ``data_version``
bumped, or nothing is.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine, select, text

from sotekeskus.domain.vocabulary import EPISODE_COLUMNS
from sotekeskus.store.models import Episode, ImportRun, Meta, Unit

COLUMNS = list(EPISODE_COLUMNS)
CHUNK = 50_000
#: Above this many rows the secondary indexes are dropped for the load and rebuilt after it
#: (still inside the import's one transaction): random person ids make per-row index
#: maintenance the dominant cost of a large load.
REBUILD_INDEXES_ABOVE = 200_000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    rows: int
    inserted: int
    updated: int
    data_version: str


def _set_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(select(Meta.value).where(Meta.key == key)).first() is None:
        conn.execute(Meta.__table__.insert().values(key=key, value=value))
    else:
        conn.execute(Meta.__table__.update().where(Meta.key == key).values(value=value))


def data_version(engine: Engine) -> str:
    """Changes whenever episodes change; the analytics snapshot compares it."""
    with engine.connect() as conn:
        value = conn.execute(select(Meta.value).where(Meta.key == "data_version")).scalar()
    return value or "empty"


def upsert_episodes(
    engine: Engine,
    table: pa.Table,
    *,
    file_name: str,
    sha256: str,
    imported_by: str = "cli",
    progress: Progress | None = None,
) -> ImportResult:
    """Write the validated episodes in one transaction and record the import."""
    version = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS _episode_stage"))
        conn.execute(text(
            "CREATE TEMPORARY TABLE _episode_stage AS SELECT * FROM episodes WHERE 1 = 0"))
        if conn.dialect.name == "postgresql":
            _stage_postgres(conn, table, progress)
        else:
            _stage_sqlite(conn, table, progress)
        updated = conn.execute(text(
            "SELECT count(*) FROM _episode_stage s JOIN episodes e "
            "ON e.episode_id = s.episode_id")).scalar_one()
        run = conn.execute(
            ImportRun.__table__.insert().values(
                file_name=file_name, sha256=sha256, rows=table.num_rows,
                inserted=table.num_rows - updated, updated=updated,
                imported_at=datetime.now().replace(microsecond=0), imported_by=imported_by,
            ).returning(ImportRun.__table__.c.id)
        ).scalar_one()
        rebuild = table.num_rows > REBUILD_INDEXES_ABOVE
        indexes = sorted(Episode.__table__.indexes, key=lambda i: i.name or "")
        if rebuild:
            for index in indexes:
                index.drop(conn)
        cols = ", ".join(COLUMNS + ["import_id"])
        assignments = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:] + ["import_id"])
        conn.execute(text(
            f"INSERT INTO episodes ({cols}) SELECT {', '.join(COLUMNS)}, :run "
            f"FROM _episode_stage WHERE true "
            f"ON CONFLICT (episode_id) DO UPDATE SET {assignments}"), {"run": run})
        if rebuild:
            for index in indexes:
                index.create(conn)
        existing = set(conn.execute(select(Unit.unit_id)).scalars())
        new_units = sorted(set(table.column("unit_id").to_pylist()) - existing)
        if new_units:
            conn.execute(Unit.__table__.insert(),
                         [{"unit_id": u, "name": u, "municipality": ""} for u in new_units])
        conn.execute(text("DROP TABLE _episode_stage"))
        _set_meta(conn, "data_version", version)
    return ImportResult(run, table.num_rows, table.num_rows - updated, updated, version)


def _sqlite_columns(table: pa.Table) -> list[list[object]]:
    """Columns as SQLite values in SQLAlchemy's own storage formats."""
    out: list[list[object]] = []
    for name in COLUMNS:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col.cast(pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S.000000")
        elif pa.types.is_date(col.type):
            col = pc.strftime(col, format="%Y-%m-%d")
        elif pa.types.is_boolean(col.type):
            col = col.cast(pa.int8())
        out.append(col.to_pylist())
    return out


def _stage_sqlite(conn: Connection, table: pa.Table, progress: Progress | None) -> None:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    cursor.execute("PRAGMA cache_size = -524288")  # 512 MiB page cache for this connection
    sql = (f"INSERT INTO _episode_stage ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in COLUMNS)})")
    total = table.num_rows
    for start in range(0, total, CHUNK):
        chunk = table.slice(start, CHUNK)
        cursor.executemany(sql, zip(*_sqlite_columns(chunk), strict=True))
        if progress:
            progress(min(start + CHUNK, total), total)
    cursor.close()


def _stage_postgres(conn: Connection, table: pa.Table, progress: Progress | None) -> None:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    total = table.num_rows
    with raw.cursor() as cursor:  # type: ignore[attr-defined]
        copy_sql = (f"COPY _episode_stage ({', '.join(COLUMNS)}) "
                    "FROM STDIN (FORMAT csv, HEADER true)")
        for start in range(0, total, CHUNK * 4):
            chunk = table.slice(start, CHUNK * 4).select(COLUMNS)
            buffer = io.BytesIO()
            pacsv.write_csv(chunk, buffer)
            with cursor.copy(copy_sql) as copy:
                copy.write(buffer.getvalue())
            if progress:
                progress(min(start + CHUNK * 4, total), total)
