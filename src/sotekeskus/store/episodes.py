"""Episode repository: the all-or-nothing, idempotent, streaming upsert of episodes.

``upsert_episodes`` consumes validated batches (an :class:`EpisodeBatches`, e.g. the
streaming :class:`~sotekeskus.ingest.episode_file.EpisodeScan`) inside **one transaction**:
every row is written, the import recorded in ``imports`` and ``data_version`` bumped — or,
if the source raises (an invalid row anywhere in the file), a duplicate ``episode_id``
turns up or the process dies, nothing is. Memory stays bounded: a batch at a time.

* Re-importing an ``episode_id`` replaces the row (never duplicates).
* Only the columns the file has are written: a contract-v1 file leaves the contract-v2
  columns (``diagnosis_codes``, ``visit_nature``, ``professional_id``, ``care_plan``) of
  existing episodes as they are (it has no opinion on them); new episodes get NULL there.
* A store that another writer holds is waited for (``busy_timeout_s``), then
  :class:`~sotekeskus.ingest.errors.StoreBusyError`.

SQLite: ``BEGIN IMMEDIATE``, then ``executemany`` of large batches straight into
``episodes`` (``INSERT … ON CONFLICT DO UPDATE``) while a second thread reads and converts
the next batch. A duplicate id within the file is caught by the upsert itself: its ``WHERE``
refuses to update a row this import already wrote, so fewer rows change than were sent.
Large loads drop the secondary indexes and rebuild them afterwards, inside the transaction.
PostgreSQL: ``COPY`` into a temporary table, then one ``INSERT … ON CONFLICT DO UPDATE``.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import OperationalError

from sotekeskus.ingest.errors import StoreBusyError
from sotekeskus.store.models import Meta

#: Above this many rows (and at least half the rows already stored) the secondary indexes
#: are dropped for the load and rebuilt after it, inside the same transaction: random
#: person ids make per-row index maintenance the dominant cost of a large load.
REBUILD_INDEXES_ABOVE = 200_000
#: How long an import waits for another writer to finish with the store.
BUSY_TIMEOUT_S = 60.0
#: SQLite page cache of the importing connection (KiB); part of the import's memory bound.
SQLITE_CACHE_KIB = 48 * 1024
Progress = Callable[[int, int], None]


class EpisodeBatches(Protocol):
    """Typed batches of valid episodes (contract columns present in the file)."""

    columns: list[str]
    sha256: str

    def __iter__(self) -> Iterator[pa.RecordBatch]: ...

    def duplicates_error(self) -> Exception: ...


@dataclass
class TableBatches:
    """An in-memory table as :class:`EpisodeBatches` (tests, the demo)."""

    table: pa.Table
    sha256: str = ""
    batch_rows: int = 100_000

    @property
    def columns(self) -> list[str]:
        return list(self.table.column_names)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return iter(self.table.to_batches(self.batch_rows))

    def duplicates_error(self) -> Exception:
        counts = pc.value_counts(self.table.column("episode_id"))
        dups = [v["values"] for v in counts.to_pylist() if v["counts"] > 1]
        return ValueError(f"duplicate episode_id(s): {', '.join(map(str, dups[:10]))}")


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    rows: int
    inserted: int
    updated: int
    data_version: str


def data_version(engine: Engine) -> str:
    """Changes whenever episodes change; the analytics snapshot compares it."""
    with engine.connect() as conn:
        value = conn.execute(select(Meta.value).where(Meta.key == "data_version")).scalar()
    return value or "empty"


def upsert_episodes(
    engine: Engine,
    batches: EpisodeBatches | pa.Table,
    *,
    file_name: str,
    sha256: str = "",
    imported_by: str = "cli",
    progress: Progress | None = None,
    expected_rows: int | None = None,
    busy_timeout_s: float = BUSY_TIMEOUT_S,
) -> ImportResult:
    """Write validated episodes in one transaction and record the import.

    ``expected_rows`` (an estimate is enough) sizes the progress bar and decides whether
    the secondary indexes are rebuilt after the load."""
    source: EpisodeBatches = (TableBatches(batches, sha256) if isinstance(batches, pa.Table)
                              else batches)
    if isinstance(batches, pa.Table):
        expected_rows = batches.num_rows
    if engine.dialect.name == "sqlite":
        return _upsert_sqlite(engine, source, file_name, imported_by, progress,
                              expected_rows or 0, busy_timeout_s)
    return _upsert_postgres(engine, source, file_name, imported_by, progress,
                            expected_rows or 0, busy_timeout_s)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _assignments(columns: list[str]) -> str:
    return ", ".join(f"{c} = excluded.{c}" for c in [*columns[1:], "import_id"])


def _busy(exc: BaseException, timeout_s: float) -> StoreBusyError:
    return StoreBusyError(
        f"the store is busy: another process has been writing to it for more than "
        f"{timeout_s:g} s (another import?); nothing was imported — try again when it has "
        f"finished ({exc})")


# ---- SQLite ------------------------------------------------------------------------------
@dataclass
class _SqliteBatch:
    """A batch as parameters of multi-row INSERTs: ``full`` holds one flat parameter list per
    statement of ``ROWS_PER_STATEMENT`` rows, ``tail`` the rest; values in SQLAlchemy's
    storage formats (date-times ``YYYY-MM-DD HH:MM:SS.ffffff``, booleans 0/1)."""

    full: list[list[Any]]
    tail: list[Any]
    rows: int
    units: set[str]


#: Rows per INSERT statement: one bind-and-step per many rows (and one release of the GIL).
ROWS_PER_STATEMENT = 200
_LOW_CARDINALITY = 512


def _pylist(col: pa.Array | pa.ChunkedArray) -> list[Any]:
    """Python values of a column, in SQLite's storage form; a column with few distinct
    values shares one Python object per value."""
    if pa.types.is_timestamp(col.type):
        col = col.cast(pa.timestamp("us")).cast(pa.string())
    elif pa.types.is_date(col.type):
        col = col.cast(pa.string())
    elif pa.types.is_boolean(col.type):
        col = col.cast(pa.int8())
    if pa.types.is_string(col.type) and len(col) > _LOW_CARDINALITY:
        encoded = col.dictionary_encode()
        if len(encoded.dictionary) <= _LOW_CARDINALITY:
            values = encoded.dictionary.to_pylist() + [None]
            indices = encoded.indices.fill_null(len(values) - 1).to_pylist()
            return list(map(values.__getitem__, indices))
    return col.to_pylist()


def _sqlite_batch(batch: pa.RecordBatch) -> _SqliteBatch:
    width, rows = batch.num_columns, batch.num_rows
    flat: list[Any] = [None] * (width * rows)
    for j in range(width):
        flat[j::width] = _pylist(batch.column(j))
    step = ROWS_PER_STATEMENT * width
    full_rows = rows - rows % ROWS_PER_STATEMENT
    full = [flat[i:i + step] for i in range(0, full_rows * width, step)]
    units = set(pc.unique(batch.column("unit_id")).to_pylist())
    return _SqliteBatch(full, flat[full_rows * width:], rows, units)


#: Rows converted to Python values at a time (bounds the memory of the queued batches).
CONVERT_ROWS = 20_000


class _Stage:
    """A bounded hand-over between two threads that either side can abandon."""

    def __init__(self, stop: threading.Event, depth: int) -> None:
        self.items: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self.stop = stop

    def put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> Any:
        while True:
            try:
                return self.items.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return _DONE


_DONE = object()


def _prefetch(source: Iterable[pa.RecordBatch], convert: Callable[[pa.RecordBatch], Any],
              depth: int = 3) -> Iterator[tuple[Any, int]]:
    """``(convert(piece), rows)`` for each piece of at most ``CONVERT_ROWS`` rows of each
    batch. Two threads work ahead of the caller: one reads the source (DuckDB, which
    releases the GIL), one converts to Python values; the caller writes (SQLite releases
    the GIL while it steps). The source's exceptions are re-raised here."""
    stop = threading.Event()
    batches, pieces = _Stage(stop, 2), _Stage(stop, depth)

    def read() -> None:
        iterator = iter(source)
        try:
            for batch in iterator:
                if not batches.put(batch):
                    return
            batches.put(_DONE)
        except BaseException as exc:  # handed to the writing thread
            batches.put(exc)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def work() -> None:
        try:
            while (batch := batches.get()) is not _DONE:
                if isinstance(batch, BaseException):
                    pieces.put(batch)
                    return
                for start in range(0, batch.num_rows, CONVERT_ROWS):
                    piece = batch.slice(start, CONVERT_ROWS)
                    if not pieces.put((convert(piece), piece.num_rows)):
                        return
            pieces.put(_DONE)
        except BaseException as exc:
            pieces.put(exc)

    threads = [threading.Thread(target=read, name="episode-import-reader", daemon=True),
               threading.Thread(target=work, name="episode-import-converter", daemon=True)]
    for thread in threads:
        thread.start()
    try:
        while (item := pieces.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def _upsert_sqlite(engine: Engine, source: EpisodeBatches, file_name: str,
                   imported_by: str, progress: Progress | None, expected: int,
                   busy_timeout_s: float) -> ImportResult:
    columns = list(source.columns)
    version = uuid.uuid4().hex
    pooled = engine.raw_connection()
    con = pooled.dbapi_connection
    assert isinstance(con, sqlite3.Connection)
    pooled.detach()  # own settings below: this connection is closed, not pooled, after
    con.isolation_level = None  # BEGIN / COMMIT are issued here
    cur = con.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        try:
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _busy(exc, busy_timeout_s) from None
        try:
            result = _write_sqlite(cur, source, columns, file_name, imported_by,
                                   progress, expected, version)
            cur.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                cur.execute("ROLLBACK")
            raise
    finally:
        cur.close()
        pooled.close()
    return result


def _write_sqlite(cur: sqlite3.Cursor, source: EpisodeBatches,
                  columns: list[str], file_name: str, imported_by: str,
                  progress: Progress | None, expected: int, version: str) -> ImportResult:
    before = cur.execute("SELECT count(*) FROM episodes").fetchone()[0]
    cur.execute(
        "INSERT INTO imports (file_name, sha256, rows, inserted, updated, imported_at, "
        "imported_by) VALUES (?, '', 0, 0, 0, ?, ?)",
        (file_name, str(_now()) + ".000000", imported_by))
    run = int(cur.lastrowid or 0)
    # Secondary indexes, whatever the schema has (the primary key's is not among them).
    indexes = cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                          "tbl_name = 'episodes' AND sql IS NOT NULL ORDER BY name").fetchall()
    rebuild = bool(indexes) and expected > REBUILD_INDEXES_ABOVE and expected >= before // 2
    if rebuild:
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    names = ", ".join([*columns, "import_id"])
    one = "(" + ", ".join(["?"] * len(columns)) + f", {run})"

    def insert(rows: int) -> str:
        return (f"INSERT INTO episodes ({names}) VALUES {', '.join([one] * rows)} "
                f"ON CONFLICT (episode_id) DO UPDATE SET {_assignments(columns)} "
                f"WHERE episodes.import_id IS NOT {run}")

    many = insert(ROWS_PER_STATEMENT)
    written = changed = 0
    units: set[str] = set()
    for batch, _ in _prefetch(source, _sqlite_batch):
        if batch.full:
            cur.executemany(many, batch.full)
            changed += cur.rowcount
        if batch.tail:
            cur.execute(insert(len(batch.tail) // len(columns)), batch.tail)
            changed += cur.rowcount
        written += batch.rows
        units |= batch.units
        if progress:
            progress(written, max(expected, written))
    if changed != written:  # an id this import had already written: a duplicate in the file
        raise source.duplicates_error()
    if rebuild:
        for _, sql in indexes:
            cur.execute(sql)
    after = cur.execute("SELECT count(*) FROM episodes").fetchone()[0]
    inserted = after - before
    if written:
        cur.executemany("INSERT INTO units (unit_id, name, municipality) VALUES (?, ?, '') "
                        "ON CONFLICT (unit_id) DO NOTHING", [(u, u) for u in sorted(units)])
        cur.execute("INSERT INTO meta (key, value) VALUES ('data_version', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (version,))
    cur.execute("UPDATE imports SET sha256 = ?, rows = ?, inserted = ?, updated = ? "
                "WHERE id = ?", (source.sha256, written, inserted, written - inserted, run))
    return ImportResult(run, written, inserted, written - inserted,
                        version if written else _current_version(cur))


def _current_version(cur: sqlite3.Cursor) -> str:
    row = cur.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return str(row[0]) if row else "empty"


# ---- PostgreSQL --------------------------------------------------------------------------
def _upsert_postgres(engine: Engine, source: EpisodeBatches, file_name: str,
                     imported_by: str, progress: Progress | None, expected: int,
                     busy_timeout_s: float) -> ImportResult:
    try:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{int(busy_timeout_s * 1000)}ms'"))
            # One import at a time: a second one waits here (up to the timeout).
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('sotekeskus.import'))"))
            return _write_postgres(conn, source, file_name, imported_by, progress, expected)
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise _busy(exc.orig or exc, busy_timeout_s) from None
        raise


def _write_postgres(conn: Connection, source: EpisodeBatches, file_name: str,
                    imported_by: str, progress: Progress | None,
                    expected: int) -> ImportResult:
    columns = list(source.columns)
    version = uuid.uuid4().hex
    names = ", ".join(columns)
    conn.execute(text("DROP TABLE IF EXISTS _episode_stage"))
    conn.execute(text(f"CREATE TEMPORARY TABLE _episode_stage ON COMMIT DROP AS "
                      f"SELECT {names} FROM episodes WHERE false"))
    raw = conn.connection.dbapi_connection
    assert raw is not None
    written = 0
    with raw.cursor() as cursor:  # type: ignore[attr-defined]
        copy_sql = f"COPY _episode_stage ({names}) FROM STDIN (FORMAT csv, HEADER true)"
        for batch in source:
            buffer = pa.BufferOutputStream()
            pacsv.write_csv(batch, buffer)
            with cursor.copy(copy_sql) as copy:
                copy.write(buffer.getvalue().to_pybytes())
            written += batch.num_rows
            if progress:
                progress(written, max(expected, written))
    duplicate = conn.execute(text(
        "SELECT 1 FROM _episode_stage GROUP BY episode_id HAVING count(*) > 1 LIMIT 1")).first()
    if duplicate is not None:
        raise source.duplicates_error()
    updated = conn.execute(text(
        "SELECT count(*) FROM _episode_stage s JOIN episodes e "
        "ON e.episode_id = s.episode_id")).scalar_one()
    run = conn.execute(text(
        "INSERT INTO imports (file_name, sha256, rows, inserted, updated, imported_at, "
        "imported_by) VALUES (:f, :s, :r, :i, :u, :at, :by) RETURNING id"),
        {"f": file_name, "s": source.sha256, "r": written, "i": written - updated,
         "u": updated, "at": _now(), "by": imported_by}).scalar_one()
    if written:
        conn.execute(text(
            f"INSERT INTO episodes ({names}, import_id) SELECT {names}, :run "
            f"FROM _episode_stage ON CONFLICT (episode_id) DO UPDATE SET "
            f"{_assignments(columns)}"), {"run": run})
        conn.execute(text(
            "INSERT INTO units (unit_id, name, municipality) SELECT DISTINCT unit_id, "
            "unit_id, '' FROM _episode_stage ON CONFLICT (unit_id) DO NOTHING"))
        conn.execute(text(
            "INSERT INTO meta (key, value) VALUES ('data_version', :v) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"v": version})
    else:
        version = conn.execute(select(Meta.value).where(Meta.key == "data_version")
                               ).scalar() or "empty"
    return ImportResult(int(run), written, written - updated, updated, version)
