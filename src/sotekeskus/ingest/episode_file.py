"""Read and validate an episode file (CSV or Parquet) against the contract in domain.md,
streaming: memory stays bounded whatever the file size.

* :func:`open_episode_file` reads only the header and checks it: every contract column must
  be there (any order), the optional contract-v2 columns may be, nothing else may.
* :class:`EpisodeScan` is one pass over the rows in file order: DuckDB reads the file
  (CSV in parallel, or Parquet), parses and checks every row (:mod:`episode_checks`) and
  hands out typed Arrow batches of valid rows. As soon as a row breaks a rule no more
  batches are handed out; the pass goes on to count every error and then raises
  :class:`EpisodeFileError` naming the first 50 (line, episode id, column, value) and the
  count — so a writer that consumes the batches inside one transaction rolls back.
  Duplicate ``episode_id`` s need the whole file: the writer notices them (see
  :mod:`sotekeskus.store.episodes`) and asks :meth:`EpisodeScan.duplicates_error`.
* :func:`read_episode_file` validates a whole file into one Arrow table (tests, small files).

Line numbers are physical lines (the header is line 1; LF, CR LF and a lone CR each end a
line, blank lines and line breaks inside quoted values count); for Parquet, 1-based rows.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sotekeskus.domain.vocabulary import EPISODE_COLUMNS, EPISODE_COLUMNS_V2
from sotekeskus.ingest.episode_checks import contract_columns, errors_sql, scan_sql
from sotekeskus.ingest.errors import MAX_REPORTED_ERRORS, EpisodeFileError, FieldError

BATCH_ROWS = 100_000
#: DuckDB's own memory while it reads and checks a file (it spills to disk beyond this).
DUCKDB_MEMORY = "256MB"
#: DuckDB threads reading and checking (the import's writer and converter threads run beside).
DUCKDB_THREADS = 1
_HEADER_BYTES = 1 << 20


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_error(path: Path | str, message: str, line: int | None = None,
                column: str | None = None, value: str | None = None) -> EpisodeFileError:
    return EpisodeFileError(str(path), [FieldError(line, column, value, message)])


@dataclass(frozen=True)
class EpisodeFile:
    """An episode file whose header has been checked."""

    path: Path
    kind: str  # "csv" or "parquet"
    header: tuple[str, ...]  # as in the file (names stripped of surrounding spaces)
    columns: tuple[str, ...]  # the contract columns present, in contract order
    size: int
    parquet_rows: int | None = None

    @property
    def line_label(self) -> str:
        return "row" if self.kind == "parquet" else "line"

    @property
    def v2_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c in EPISODE_COLUMNS_V2)

    def estimated_rows(self) -> int:
        """Rows in the file: exact for Parquet, from the size and the first rows for CSV."""
        if self.parquet_rows is not None:
            return self.parquet_rows
        with self.path.open("rb") as fh:
            head = fh.read(1 << 16)
        lines = max(1, head.count(b"\n") - 1)
        per_row = max(1, len(head) // (lines + 1))
        return max(0, self.size // per_row - 1)


def _check_header(path: Path, header: Sequence[str], line: int | None) -> None:
    errors: list[FieldError] = []
    seen: set[str] = set()
    known = (*EPISODE_COLUMNS, *EPISODE_COLUMNS_V2)
    for name in header:
        if name in seen:
            errors.append(FieldError(line, name, None, "column appears twice in the header"))
        seen.add(name)
        if name not in known:
            errors.append(FieldError(
                line, name, None, "unknown column; the episode file has only: "
                + ", ".join(EPISODE_COLUMNS) + " (and optionally, contract version 2: "
                + ", ".join(EPISODE_COLUMNS_V2) + ")"))
    missing = [c for c in EPISODE_COLUMNS if c not in seen]
    for name in missing:
        errors.append(FieldError(
            line, name, None, "required column is missing from the header (every contract "
            "column must be there, in any order; its values may be empty where the contract "
            "allows)"))
    if errors:
        raise EpisodeFileError(str(path), errors)


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as fh:
        head = fh.read(_HEADER_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.strip():
        raise _file_error(path, "the file is empty (not even a header line)", 1)
    end = min((i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0), default=len(head))
    first = head[:end]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _file_error(path, f"the header is not UTF-8 (byte 0x{first[exc.start]:02x}); "
                          "save the file as UTF-8 and import again", 1) from None
    if not text.strip():
        raise _file_error(path, "the first line is empty; it must be the header", 1)
    return [name.strip() for name in next(csv.reader([text]))]


def open_episode_file(path: str | Path) -> EpisodeFile:
    """Check that ``path`` is a readable CSV or Parquet episode file with a valid header."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise _file_error(path, f"cannot read the file: {exc.strerror or exc}") from None
    if path.suffix.lower() in (".parquet", ".pq") or magic == b"PAR1":
        try:
            meta = pq.read_metadata(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise _file_error(path, f"not a valid Parquet file: {exc}") from None
        header = [str(n) for n in meta.schema.to_arrow_schema().names]
        _check_header(path, header, None)
        return EpisodeFile(path, "parquet", tuple(header), tuple(contract_columns(header)),
                           size, meta.num_rows)
    header = _csv_header(path)
    _check_header(path, header, 1)
    return EpisodeFile(path, "csv", tuple(header), tuple(contract_columns(header)), size)


def _connect(tmp: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": DUCKDB_THREADS, "memory_limit": DUCKDB_MEMORY,
                                 "preserve_insertion_order": True, "temp_directory": tmp})
    con.execute("SET TimeZone = 'UTC'")
    return con


def _source_sql(file: EpisodeFile) -> str:
    """The file as a relation of text columns (its contract columns)."""
    if file.kind == "parquet":
        cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS {c}' for c in file.columns)
        return f"(SELECT {cols} FROM read_parquet({_lit(str(file.path))}))"
    columns = ", ".join(f"{_lit(name)}: 'VARCHAR'" for name in file.header)
    return (f"read_csv({_lit(str(file.path))}, header = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}}, "
            "strict_mode = true, null_padding = false, store_rejects = true)")


@dataclass
class _BadRows:
    """The first rows with errors (text values), kept to describe them at the end."""

    columns: Sequence[str]
    rows: list[dict[str, object]] = field(default_factory=list)

    def add(self, batch: pa.RecordBatch, errors: pa.Array, offset: int) -> None:
        room = MAX_REPORTED_ERRORS - len(self.rows)
        if room <= 0:
            return
        idx = pc.indices_nonzero(pc.greater(errors, 0)).slice(0, room)
        raws = batch.column("__raw").take(idx).to_pylist()
        for position, raw in zip(idx.to_pylist(), raws, strict=True):
            row: dict[str, object] = dict(zip(self.columns, raw, strict=True))
            row["__ordinal"] = offset + position
            self.rows.append(row)

    def table(self) -> pa.Table:
        schema = pa.schema([(c, pa.string()) for c in self.columns]
                           + [("__ordinal", pa.int64())])
        return pa.Table.from_pylist(self.rows, schema=schema)


class EpisodeScan:
    """One streaming pass over an episode file; iterate for typed batches of valid rows.

    After a complete iteration ``rows`` is the number of data rows and ``sha256`` the file's
    digest. Iteration raises :class:`EpisodeFileError` at the end if any row is invalid."""

    def __init__(self, file: EpisodeFile, batch_rows: int = BATCH_ROWS) -> None:
        self.file = file
        self.columns = list(file.columns)
        self.batch_rows = batch_rows
        self.rows = 0
        self.sha256 = ""
        self._dup_lines: dict[str, list[int]] = {}

    @property
    def path(self) -> str:
        return str(self.file.path)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        digest = _Digest(self.file.path)
        digest.start()
        tmp = tempfile.mkdtemp(prefix="sotekeskus-import-")
        con = _connect(tmp)
        bad = _BadRows(self.columns)
        total_errors = 0
        rows = 0
        try:
            try:
                reader = con.execute(scan_sql(_source_sql(self.file), self.columns)
                                     ).to_arrow_reader(self.batch_rows)
                for batch in reader:
                    errors = batch.column("__errors")
                    count = pc.sum(errors).as_py() or 0
                    if count:
                        total_errors += count
                        bad.add(batch, errors, rows)
                    elif not total_errors:
                        yield batch.select(self.columns)
                    rows += batch.num_rows
                rejects = self._rejects(con)
            except duckdb.Error as exc:
                raise _file_error(self.file.path, _duckdb_message(exc)) from None
            if rejects:
                raise EpisodeFileError(self.path, rejects[:MAX_REPORTED_ERRORS],
                                       total=len(rejects))
            if total_errors:
                try:
                    found = self._describe(con, bad)
                    duplicates, n_duplicates = self._duplicates(con)
                except duckdb.Error as exc:
                    raise _file_error(self.file.path, _duckdb_message(exc)) from None
                errors = sorted(found + duplicates, key=lambda e: e[0])
                raise EpisodeFileError(self.path, self._located(errors),
                                       total=total_errors + n_duplicates)
        finally:
            con.close()
            shutil.rmtree(tmp, ignore_errors=True)
            digest.join()
        self.rows = rows
        self.sha256 = digest.hexdigest

    # ---- errors ------------------------------------------------------------------------
    def duplicates_error(self) -> EpisodeFileError:
        """The error listing the duplicate ``episode_id`` s of the file (a writer calls this
        when the store saw an id twice in one import)."""
        tmp = tempfile.mkdtemp(prefix="sotekeskus-import-")
        con = _connect(tmp)
        try:
            duplicates, total = self._duplicates(con)
        except duckdb.Error as exc:
            raise _file_error(self.file.path, _duckdb_message(exc)) from None
        finally:
            con.close()
            shutil.rmtree(tmp, ignore_errors=True)
        if not total:  # the store saw a duplicate the file does not have: never silent
            return _file_error(self.file.path, "an episode_id appears twice in this import")
        return EpisodeFileError(self.path, self._located(sorted(duplicates,
                                                                key=lambda e: e[0])),
                                total=total)

    def _describe(self, con: duckdb.DuckDBPyConnection,
                  bad: _BadRows) -> list[tuple[tuple[int, int, str], FieldError]]:
        con.register("__bad_rows", bad.table())
        rows = con.execute(errors_sql("__bad_rows", self.columns)).fetchall()
        con.unregister("__bad_rows")
        return [((int(o), int(rank), msg), FieldError(int(o), col, val, msg,
                                                      self.file.line_label, eid or None))
                for o, eid, col, val, msg, rank in rows]

    def _duplicates(self, con: duckdb.DuckDBPyConnection
                    ) -> tuple[list[tuple[tuple[int, int, str], FieldError]], int]:
        ids = f"SELECT coalesce(trim(episode_id), '') AS id FROM {_source_sql(self.file)}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE __dups AS SELECT id FROM ({ids}) "
                    "WHERE id <> '' GROUP BY id HAVING count(*) > 1")
        total_row = con.execute("SELECT count(*) FROM __dups").fetchone()
        if not total_row or not total_row[0]:
            return [], 0
        reader = con.execute(
            f"SELECT CASE WHEN id IN (SELECT id FROM __dups) THEN id END AS id FROM ({ids})"
        ).to_arrow_reader(self.batch_rows)
        first: list[tuple[int, str]] = []  # the first occurrences reported, in file order
        seen: dict[str, list[int]] = {}  # rows of each reported id (up to 6)
        total = 0
        offset = 0
        for batch in reader:
            column = batch.column("id")
            idx = pc.indices_nonzero(pc.is_valid(column))
            total += len(idx)
            values = column.take(idx).to_pylist() if len(idx) else []
            for position, value in zip(idx.to_pylist(), values, strict=True):
                ordinal = offset + position
                if value not in seen:
                    if len(first) >= MAX_REPORTED_ERRORS:
                        continue
                    seen[value] = []
                if len(seen[value]) < 6:
                    seen[value].append(ordinal)
                if len(first) < MAX_REPORTED_ERRORS:
                    first.append((ordinal, value))
            offset += batch.num_rows
        self._dup_lines = seen
        out = []
        for ordinal, value in first:
            out.append(((ordinal, 0, "duplicate"), FieldError(
                ordinal, "episode_id", value, "duplicate", self.file.line_label, value)))
        return out, total

    def _located(self, errors: list[tuple[tuple[int, int, str], FieldError]]
                 ) -> list[FieldError]:
        """Replace ordinals (0-based data rows) by lines; fill in duplicate messages."""
        errors = errors[:MAX_REPORTED_ERRORS]
        wanted = {key[0] for key, _ in errors}
        for others in self._dup_lines.values():
            wanted.update(others)
        lines = _lines_of(self.file, sorted(wanted))
        out = []
        for (ordinal, _, _), e in errors:
            message = e.message
            if message == "duplicate" and e.column == "episode_id":
                others = [lines[o] for o in self._dup_lines.get(e.value or "", [])
                          if o != ordinal]
                shown_lines = ", ".join(str(n) for n in others[:5])
                more = " …" if len(others) > 5 else ""
                message = (f"duplicate episode_id in this file (also on "
                           f"{self.file.line_label} {shown_lines}{more})")
            out.append(FieldError(lines[ordinal], e.column, e.value, message, e.line_label,
                                  e.episode_id))
        return out

    def _rejects(self, con: duckdb.DuckDBPyConnection) -> list[FieldError]:
        """Lines DuckDB's CSV reader could not split into the header's fields."""
        if self.file.kind != "csv":
            return []
        rows = con.execute(  # line_byte_position: 1-based offset of the record's start
            "SELECT DISTINCT line_byte_position - 1 AS start, error_type, csv_line, "
            "error_message FROM reject_errors ORDER BY start").fetchall()
        if not rows:
            return []
        lines = _lines_at_offsets(self.file.path, [max(0, int(r[0])) for r in rows])
        out = []
        n = len(self.file.header)
        for (pos, kind, text, message), line in zip(rows, lines, strict=True):
            kind = str(kind)
            if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
                found = _found_fields(str(text))
                msg = f"expected {n} fields, found {found}"
            elif kind == "INVALID ENCODING":
                msg = (f"the file is not UTF-8 ({_bad_byte(self.file.path, int(pos))}); "
                       "save it as UTF-8 and import again")
                text = None
            elif kind == "UNQUOTED VALUE":
                msg = "a quoted value is not closed (a \" is missing)"
            else:
                msg = str(message)
            out.append(FieldError(line, None, None if text is None else str(text), msg))
        return out


def _found_fields(text: str) -> int:
    try:
        return len(next(csv.reader([text.rstrip("\r\n")])))
    except (csv.Error, StopIteration):
        return text.count(",") + 1


def _bad_byte(path: Path, position: int) -> str:
    with path.open("rb") as fh:
        fh.seek(position)
        chunk = fh.read(1 << 16)
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte 0x{chunk[exc.start]:02x} at offset {position + exc.start}"
    return f"an invalid byte near offset {position}"


def _duckdb_message(exc: duckdb.Error) -> str:
    text = str(exc).split("\n")[0]
    return f"the file cannot be read: {text}"


class _Digest(threading.Thread):
    """SHA-256 of the file, computed beside the scan (hashlib releases the GIL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.hexdigest = ""

    def run(self) -> None:
        h = hashlib.sha256()
        try:
            with self.path.open("rb") as fh:
                while chunk := fh.read(1 << 22):
                    h.update(chunk)
        except OSError:
            return
        self.hexdigest = h.hexdigest()


# ---- physical lines ----------------------------------------------------------------------
def _breaks(chunk: bytes) -> int:
    return chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")


def _lines_at_offsets(path: Path, offsets: list[int]) -> list[int]:
    """The physical line on which each byte offset lies (offsets ascending)."""
    out = []
    line = 1
    done = 0
    previous_cr = False
    with path.open("rb") as fh:
        for offset in offsets:
            need = max(0, offset - done)
            while need:
                chunk = fh.read(min(need, 1 << 22))
                if not chunk:
                    break
                line += _breaks(chunk)
                if previous_cr and chunk.startswith(b"\n"):
                    line -= 1  # a CR LF split between two reads is one break
                previous_cr = chunk.endswith(b"\r")
                done += len(chunk)
                need -= len(chunk)
            out.append(line)
    return out


def _lines_of(file: EpisodeFile, ordinals: list[int]) -> dict[int, int]:
    """Physical line (or Parquet row) of each 0-based data row."""
    if file.kind == "parquet":
        return {o: o + 1 for o in ordinals}
    if not ordinals:
        return {}
    result: dict[int, int] = {}
    wanted = set(ordinals)
    last = max(ordinals)
    with file.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)  # the header
        previous_end = reader.line_num
        record = 0
        for row in reader:
            if row:  # blank lines are not records
                if record in wanted:
                    result[record] = previous_end + 1
                record += 1
                if record > last:
                    break
            previous_end = reader.line_num
    for o in ordinals:  # never expected; keep the message useful anyway
        result.setdefault(o, o + 2)
    return result


# ---- whole file in memory ----------------------------------------------------------------
@dataclass(frozen=True)
class EpisodeBatch:
    """Valid, typed episodes read from one file."""

    path: str
    table: pa.Table  # the contract columns of the file, in contract order, typed
    sha256: str


def read_episode_file(path: str | Path) -> EpisodeBatch:
    """Read, validate and type a whole episode file into memory (tests, small files);
    raise :class:`EpisodeFileError` if it is invalid. Imports stream instead."""
    scan = EpisodeScan(open_episode_file(path))
    batches = list(scan)
    schema = batches[0].schema if batches else None
    table = (pa.Table.from_batches(batches, schema) if batches
             else _empty_table(scan))
    ids = table.column("episode_id")
    if table.num_rows and pc.count_distinct(ids).as_py() != table.num_rows:
        raise scan.duplicates_error()
    return EpisodeBatch(str(path), table, scan.sha256)


def _empty_table(scan: EpisodeScan) -> pa.Table:
    tmp = tempfile.mkdtemp(prefix="sotekeskus-import-")
    con = _connect(tmp)
    try:
        empty = "(SELECT " + ", ".join(f"'' AS {c}" for c in scan.columns) + " LIMIT 0)"
        return con.execute(scan_sql(empty, scan.columns)).to_arrow_table().select(scan.columns)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)

