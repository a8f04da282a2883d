"""Quarantine mode: import the valid rows, keep every rejected row with its reasons.

The strict imports stay all-or-nothing. With ``--quarantine`` (``import episodes`` and
``import avohilmo``):

* every row is checked by the same rules as the strict import (the episode contract,
  :mod:`sotekeskus.ingest.episode_checks`, and for an extract the code maps first);
* a row that breaks any rule is **not imported**; each broken rule becomes one row of the
  ``quarantine`` table (:class:`~sotekeskus.store.models.QuarantinedRow`) with the line, the
  row's id, unit and professional group (to count them), the column, the raw value, the
  reason and a category;
* every row of an ``episode_id`` that appears more than once in the file is rejected (the
  file does not say which one is right);
* a line the CSV reader cannot split (wrong number of fields, a quote not closed, not UTF-8)
  is rejected as ``malformed``;
* the valid rows are written exactly as by the strict import (one transaction, upsert by
  ``episode_id``); the quarantine rows of the file are written right after, tagged with the
  import's id, replacing those of an earlier import of the same file (same source and file
  name), so re-running an import is idempotent.

Memory stays bounded: rejected rows go to a temporary Parquet file during the pass.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sotekeskus.ingest.episode_checks import errors_sql, scan_sql
from sotekeskus.ingest.episode_file import (
    BATCH_ROWS,
    EpisodeFile,
    EpisodeScan,
    _connect,
    _lines_of,
    _source_sql,
)
from sotekeskus.ingest.errors import EpisodeFileError, FieldError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sotekeskus.interop.avohilmo import AvohilmoResult
    from sotekeskus.interop.avohilmo.extract import Extract
    from sotekeskus.store.episodes import ImportResult, Progress

#: Categories of reasons, in report order.
CATEGORIES = ("invalid_code", "missing_value", "bad_date", "order", "duplicate", "malformed",
              "other")
_RULES: tuple[tuple[str, str], ...] = (
    ("duplicate", r"duplicate"),
    ("invalid_code", r"unknown code|code not in table"),
    ("missing_value", r"a value is required|requires "),
    ("order", r"\bbefore\b|is after"),
    ("bad_date", r"date|time|year outside|UTC offset"),
    ("malformed", r"expected \d+ fields|not closed|not UTF-8|cannot be read"),
)
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def classify(message: str) -> str:
    """The category of a reason (the first rule whose pattern the message matches)."""
    for category, pattern in _RULES:
        if re.search(pattern, message):
            return category
    return "other"


def month_of(visit: str | None, contact: str | None) -> str | None:
    """``YYYY-MM`` of the visit, else of the contact, when the raw text starts with one."""
    for text in (visit, contact):
        m = _MONTH.match((text or "").strip())
        if m:
            return f"{m.group(1)}-{m.group(2)}"
    return None


@dataclass
class Entry:
    """One broken rule of one rejected row (0-based data-row ``ordinal``; raw values)."""

    ordinal: int | None
    episode_id: str | None
    unit_id: str | None
    professional_group: str | None
    professional_raw: str | None
    contact_at: str | None
    visit_at: str | None
    column: str | None
    value: str | None
    reason: str
    line: int | None = None


class QuarantineScan:
    """One pass over an episode file: iterate for typed batches of the **valid** rows (as
    :class:`~sotekeskus.ingest.episode_file.EpisodeScan` does, but never raising for a bad
    row); afterwards :meth:`entries` lists every rejected row's broken rules."""

    def __init__(self, file: EpisodeFile, batch_rows: int = BATCH_ROWS) -> None:
        self.file = file
        self.columns = list(file.columns)
        self.batch_rows = batch_rows
        self.sha256 = ""
        self.rows = 0
        self.rejected_rows = 0
        self._tmp = Path(tempfile.mkdtemp(prefix="sotekeskus-quarantine-"))
        self._bad = self._tmp / "rejected.parquet"
        self._malformed: list[FieldError] = []

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    def duplicates_error(self) -> Exception:  # never: duplicates are rejected in the scan
        return RuntimeError("a duplicate episode_id reached the writer in quarantine mode")

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        source = _source_sql(self.file)
        con = _connect(str(self._tmp))
        cols = self.columns
        writer: pq.ParquetWriter | None = None
        schema = pa.schema([(c, pa.string()) for c in cols]
                           + [("__ordinal", pa.int64()), ("__dup", pa.bool_())])
        try:
            con.execute(
                "CREATE TEMP TABLE __dups AS SELECT id FROM (SELECT coalesce(trim(CAST("
                f"episode_id AS VARCHAR)), '') AS id FROM {source}) WHERE id <> '' "
                "GROUP BY id HAVING count(*) > 1")
            raw = ", ".join(f"CASE WHEN __rejected THEN coalesce(__raw[{i + 1}], CAST({c} AS "
                            f"VARCHAR)) END AS __q_{c}" for i, c in enumerate(cols))
            sql = (f"SELECT *, {raw} FROM (SELECT *, (__errors > 0 OR __dup) AS __rejected "
                   f"FROM (SELECT s.*, s.episode_id IN (SELECT id FROM __dups) AS __dup "
                   f"FROM ({scan_sql(source, cols)}) s))")
            reader = con.execute(sql).to_arrow_reader(self.batch_rows)
            offset = 0
            for batch in reader:
                rejected = batch.column("__rejected")
                n_bad = pc.sum(rejected).as_py() or 0
                if n_bad:
                    idx = pc.indices_nonzero(rejected)
                    bad = batch.take(idx)
                    arrays = [bad.column(f"__q_{c}").cast(pa.string()) for c in cols]
                    arrays += [pc.add(idx, offset).cast(pa.int64()),
                               bad.column("__dup").cast(pa.bool_())]
                    if writer is None:
                        writer = pq.ParquetWriter(self._bad, schema)
                    writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
                    self.rejected_rows += n_bad
                    good = batch.filter(pc.invert(rejected))
                else:
                    good = batch
                if good.num_rows:
                    yield good.select(cols)
                offset += batch.num_rows
            self.rows = offset
            seen: set[int | None] = set()
            for e in EpisodeScan(self.file)._rejects(con):  # one entry per line
                if e.line not in seen:
                    seen.add(e.line)
                    self._malformed.append(e)
        except duckdb.Error as exc:
            text = str(exc).split("\n")[0]
            raise EpisodeFileError(str(self.file.path), [FieldError(
                None, None, None, f"the file cannot be read: {text}")]) from None
        finally:
            if writer is not None:
                writer.close()
            con.close()
        self.rejected_rows += len(self._malformed)
        self.sha256 = _sha256(self.file.path)

    def entries(self, with_lines: bool = True) -> Iterator[Entry]:
        """Every broken rule of every rejected row, in file order (lines filled in when
        ``with_lines``; an adapter translating ordinals sets them itself)."""
        for e in self._malformed:
            yield Entry(None, None, None, None, None, None, None, None, e.value, e.message,
                        e.line)
        if not self._bad.exists():
            return
        cols = self.columns
        bad = "read_parquet('" + str(self._bad).replace("'", "''") + "')"
        dup = ("SELECT CAST(__ordinal AS BIGINT) AS __ordinal, 'episode_id' AS col, "
               "episode_id AS val, 'duplicate episode_id in this file (every row with it is "
               f"rejected)' AS msg, -1 AS rank FROM {bad} WHERE __dup")
        rules = f"SELECT __ordinal, col, val, msg, rank FROM ({errors_sql(bad, cols)})"
        group = "professional_group" if "professional_group" in cols else "NULL"
        sql = (f"SELECT x.__ordinal, b.episode_id, b.unit_id, b.{group}, b.contact_at, "
               f"b.visit_at, x.col, x.val, x.msg FROM ({rules} UNION ALL {dup}) x "
               f"JOIN {bad} b USING (__ordinal) ORDER BY x.__ordinal, x.rank")
        con = duckdb.connect()
        try:
            reader = con.execute(sql).to_arrow_reader(50_000)
            for chunk in reader:
                rows = chunk.to_pylist()
                names = chunk.schema.names
                lines = (_lines_of(self.file, sorted({int(r[names[0]]) for r in rows}))
                         if with_lines else {})
                for r in rows:
                    v = [r[n] for n in names]
                    ordinal = int(v[0])
                    yield Entry(ordinal, v[1], v[2], v[3], v[3], v[4], v[5], v[6], v[7], v[8],
                                lines.get(ordinal))
        finally:
            con.close()


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


# ---- the store ---------------------------------------------------------------------------
def store_entries(engine: Engine, source: str, file_name: str, import_id: int | None,
                  entries: Iterable[Entry], chunk: int = 10_000) -> int:
    """Replace the quarantine rows of ``(source, file_name)`` by ``entries``; the number of
    entries written. One transaction."""
    from sqlalchemy import delete, insert

    from sotekeskus.store.models import QuarantinedRow

    table = QuarantinedRow.__table__
    now = datetime.now().replace(microsecond=0)
    written = 0
    with engine.begin() as conn:
        conn.execute(delete(table).where(table.c.source == source,
                                         table.c.file_name == file_name))
        rows: list[dict[str, Any]] = []
        for e in entries:
            rows.append({
                "import_id": import_id, "source": source, "file_name": file_name,
                "line": e.line, "episode_id": _cut(e.episode_id, 200),
                "unit_id": _cut(e.unit_id, 200),
                "professional_group": e.professional_group if _is_group(e.professional_group)
                else None,
                "professional_raw": _cut(e.professional_raw, 200),
                "month": month_of(e.visit_at, e.contact_at),
                "column_name": _cut(e.column, 64), "value": e.value,
                "category": classify(e.reason), "reason": e.reason, "quarantined_at": now})
            if len(rows) >= chunk:
                conn.execute(insert(table), rows)
                written += len(rows)
                rows = []
        if rows:
            conn.execute(insert(table), rows)
            written += len(rows)
    return written


def _cut(text: str | None, n: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= n else text[: n - 1] + "…"


def _is_group(value: str | None) -> bool:
    from sotekeskus.domain.vocabulary import ProfessionalGroup

    return value in {g.value for g in ProfessionalGroup}


# ---- the two imports ---------------------------------------------------------------------
@dataclass(frozen=True)
class QuarantineResult:
    imported: ImportResult
    rows: int  # data rows read
    rejected_rows: int
    entries: int  # broken rules kept


def import_episodes_with_quarantine(engine: Engine, file: EpisodeFile, *,
                                    imported_by: str = "cli",
                                    progress: Progress | None = None) -> QuarantineResult:
    """``import episodes --quarantine``: the valid rows in one transaction, then the
    rejected ones into ``quarantine``."""
    from sotekeskus.store.episodes import upsert_episodes

    scan = QuarantineScan(file)
    try:
        result = upsert_episodes(engine, scan, file_name=str(file.path),
                                 imported_by=imported_by, progress=progress,
                                 expected_rows=file.estimated_rows())
        entries = store_entries(engine, "episodes", str(file.path), result.import_id,
                                scan.entries())
        return QuarantineResult(result, scan.rows, scan.rejected_rows, entries)
    finally:
        scan.close()


def import_extract_with_quarantine(engine: Engine, extract: Extract, *,
                                   imported_by: str = "cli",
                                   progress: Progress | None = None) -> AvohilmoResult:
    """``import avohilmo --quarantine``: rows the code maps reject and rows the episode
    contract rejects go to ``quarantine`` (named in the extract's lines and columns)."""
    from sotekeskus.interop.avohilmo import AvohilmoResult
    from sotekeskus.interop.avohilmo.extract import EXTRACT_NAME, _rename
    from sotekeskus.store.episodes import upsert_episodes

    scan = QuarantineScan(extract.episode_file())
    try:
        result = upsert_episodes(engine, scan, file_name=str(extract.path),
                                 imported_by=imported_by, progress=progress,
                                 expected_rows=extract.episodes)
        adapter_rows = _adapter_rejected_rows(extract.adapter_errors)

        def entries() -> Iterator[Entry]:
            yield from _with_lines(extract, _adapter_entries(extract.adapter_errors))
            mapped = []
            for e in scan.entries(with_lines=False):
                if e.ordinal is None:  # the mapped file is ours: never malformed
                    continue
                mapped.append(Entry(e.ordinal, e.episode_id, e.unit_id, e.professional_group,
                                    None, e.contact_at, e.visit_at,
                                    EXTRACT_NAME.get(e.column or "", e.column), e.value,
                                    _rename(e.reason)))
                if len(mapped) >= 10_000:
                    yield from _translated(extract, mapped)
                    mapped = []
            yield from _translated(extract, mapped)

        store_entries(engine, "avohilmo", str(extract.path), result.import_id, entries())
        return AvohilmoResult(extract.rows, result, dict(extract.excluded),
                              adapter_rows + scan.rejected_rows)
    finally:
        scan.close()


def _adapter_rejected_rows(path: Path) -> int:
    if not path.exists():
        return 0
    con = duckdb.connect()
    try:
        row = con.execute("SELECT count(DISTINCT __ordinal) FROM read_parquet('"
                          + str(path).replace("'", "''") + "')").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _adapter_entries(path: Path) -> Iterator[Entry]:
    if not path.exists():
        return
    for batch in pq.ParquetFile(path).iter_batches(50_000):
        for r in batch.to_pylist():
            yield Entry(int(r["__ordinal"]), r["episode_id"], r["unit_id"],
                        r["professional_group"], r["professional_raw"], r["contact_at"],
                        r["visit_at"], r["column_name"], r["value"], r["reason"])


def _with_lines(extract: Extract, entries: Iterable[Entry], chunk: int = 10_000
                ) -> Iterator[Entry]:
    buffer: list[Entry] = []

    def flush() -> Iterator[Entry]:
        lines = extract.lines([e.ordinal for e in buffer if e.ordinal is not None])
        for e in buffer:
            e.line = lines.get(e.ordinal) if e.ordinal is not None else None
            yield e

    for e in entries:
        buffer.append(e)
        if len(buffer) >= chunk:
            yield from flush()
            buffer = []
    yield from flush()


def _translated(extract: Extract, entries: list[Entry]) -> Iterator[Entry]:
    """Mapped-file rows → the extract's rows and lines; raw professional code kept."""
    if not entries:
        return
    ordinals = extract.ordinals(sorted({e.ordinal for e in entries if e.ordinal is not None}))
    for e in entries:
        if e.ordinal is not None:
            e.ordinal = ordinals[e.ordinal]
    yield from _with_lines(extract, entries)

