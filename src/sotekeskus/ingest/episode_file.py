"""Read and validate an episode file (CSV or Parquet) against the contract in domain.md.

The whole file is validated before anything is written: the result is either a typed Arrow
table of valid episodes or an :class:`EpisodeFileError` listing the violations (line, column,
value), first 50 and a count. Validation is vectorised in DuckDB so that a million rows take
seconds.

Accepted values:
* date-times: ISO 8601 ``YYYY-MM-DDTHH:MM[:SS[.fff]]`` (``T`` or a space), optionally with
  ``Z`` or an offset, which is converted to Finnish local time; a bare date means midnight;
* ``birth_date``: ``YYYY-MM-DD``;
* codes exactly as in the contract (surrounding spaces are ignored);
* ``plan_based``: ``true`` / ``false`` (any case), empty = false.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sotekeskus.domain.vocabulary import CODES, EPISODE_COLUMNS
from sotekeskus.ingest.errors import EpisodeFileError, FieldError

TIMESTAMP_COLUMNS = ("contact_at", "assessed_at", "visit_at")
ID_COLUMNS = ("episode_id", "person_id", "unit_id")
MAX_ID_LENGTH = 64
LOCAL_TZ = "Europe/Helsinki"

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_TS_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
_TS_WITH_OFFSET_RE = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"


@dataclass(frozen=True)
class EpisodeBatch:
    """Valid, typed episodes read from one file."""

    path: str
    table: pa.Table  # columns exactly EPISODE_COLUMNS, typed
    sha256: str


def read_episode_file(path: str | Path) -> EpisodeBatch:
    """Read, validate and type an episode file; raise :class:`EpisodeFileError` if invalid."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EpisodeFileError(str(path), [FieldError(None, None, None, str(exc))]) from exc
    digest = hashlib.sha256(data).hexdigest()
    lines: list[int] | range
    if path.suffix.lower() in (".parquet", ".pq") or data[:4] == b"PAR1":
        raw, label = _parquet_as_strings(path, data), "row"
        lines = range(1, raw.num_rows + 1)
    else:
        raw, label = _csv_as_strings(str(path), data), "line"
        lines = _record_lines(data, raw.num_rows)
    table = _validate_and_type(str(path), raw, lines, label)
    return EpisodeBatch(str(path), table, digest)


def _check_header(path: str, header: list[str], label_line: int | None) -> None:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(FieldError(label_line, name, None, "column appears twice in the header"))
        seen.add(name)
        if name not in EPISODE_COLUMNS:
            errors.append(FieldError(label_line, name, None,
                                     "unknown column; the episode file has only: "
                                     + ", ".join(EPISODE_COLUMNS)))
    for name, required in EPISODE_COLUMNS.items():
        if required and name not in seen:
            errors.append(FieldError(label_line, name, None, "required column is missing"))
    if errors:
        raise EpisodeFileError(path, errors)


def _csv_as_strings(path: str, data: bytes) -> pa.Table:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 4]
        raise EpisodeFileError(path, [FieldError(
            line, None, bad.hex(" "),
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8 and import again")]) from exc
    if not data.strip():
        raise EpisodeFileError(path, [FieldError(1, None, None, "the file is empty")])
    first = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first]))]
    _check_header(path, header, 1)

    bad_rows: list[FieldError] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(FieldError(
            row.number, None, row.text,
            f"expected {row.expected_columns} fields, found {row.actual_columns}"))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=",", invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise EpisodeFileError(path, [FieldError(None, None, None, f"not a valid CSV file: {exc}")]
                               ) from exc
    if bad_rows:
        if any(e.line is None for e in bad_rows):  # multi-threaded parse: locate by text
            lines = data.decode("utf-8").splitlines()
            index = {text: number for number, text in reversed(list(enumerate(lines, 1)))}
            bad_rows = [FieldError(e.line or index.get(e.value or ""), e.column, e.value,
                                   e.message) for e in bad_rows]
        raise EpisodeFileError(path, sorted(bad_rows, key=lambda e: e.line or 0))
    table = table.rename_columns(header)
    return table


def _record_lines(data: bytes, records: int) -> list[int] | range:
    """The physical line on which each data record starts (the header is line 1).

    Usually record i is on line i + 2; blank lines (which are skipped) and line breaks inside
    quoted fields break that, and then the lines are counted with the csv module."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    physical = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if physical == records + 1:
        return range(2, records + 2)
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    next(reader, None)
    starts: list[int] = []
    previous_end = reader.line_num
    for record in reader:
        if record:
            starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts if len(starts) == records else range(2, records + 2)


def _parquet_as_strings(path: Path, data: bytes) -> pa.Table:
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise EpisodeFileError(str(path), [FieldError(None, None, None,
                                                      f"not a valid Parquet file: {exc}")]) from exc
    _check_header(str(path), list(table.column_names), None)
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            if col.type.tz is not None:  # aware: to Finnish local time, then naive
                col = pc.local_timestamp(col.cast(pa.timestamp(col.type.unit, tz=LOCAL_TZ)))
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
        elif pa.types.is_date(col.type):
            col = pc.strftime(col, format="%Y-%m-%d")
        elif pa.types.is_boolean(col.type):
            col = pc.if_else(col, "true", "false")
        else:
            col = pc.cast(col, pa.string())
        columns.append(pc.fill_null(col, ""))
    return pa.table(columns, names=table.column_names)


def _validate_and_type(path: str, raw: pa.Table, lines: list[int] | range,
                       label: str) -> pa.Table:
    """Vectorised checks in DuckDB; returns the typed table or raises with every violation."""
    n = raw.num_rows
    for name in EPISODE_COLUMNS:  # optional columns may be left out of the file
        if name not in raw.column_names:
            raw = raw.append_column(name, pa.array([""] * n, pa.string()))
    raw = raw.append_column("__line", pa.array(lines, pa.int64()))
    con = duckdb.connect()
    con.execute(f"SET TimeZone='{LOCAL_TZ}'")
    con.register("raw", raw)
    trimmed = ", ".join(f"trim({c}) AS {c}" for c in EPISODE_COLUMNS)

    def ts(col: str) -> str:
        v = f"trim({col})"
        return (f"CASE WHEN {v} = '' THEN NULL "
                f"WHEN regexp_matches({v}, '{_TS_WITH_OFFSET_RE}') "
                f"THEN timezone('{LOCAL_TZ}', try_cast({v} AS TIMESTAMPTZ)) "
                f"ELSE try_cast({v} AS TIMESTAMP) END")

    # One working copy of the file (trimmed text plus parsed values), not two.
    con.execute(f"""
        CREATE TEMP TABLE typed AS SELECT __line, {trimmed},
            {ts('contact_at')} AS contact_ts,
            {ts('assessed_at')} AS assessed_ts,
            {ts('visit_at')} AS visit_ts,
            CASE WHEN regexp_matches(trim(birth_date), '{_DATE_RE}')
                 THEN try_cast(trim(birth_date) AS DATE) END AS birth_d
        FROM raw""")
    con.unregister("raw")
    del raw

    checks: list[str] = []

    def check(column: str, condition: str, message: str) -> None:
        msg = message.replace("'", "''")
        checks.append(
            f"SELECT __line, '{column}' AS col, {column} AS val, '{msg}' AS msg, "
            f"{list(EPISODE_COLUMNS).index(column)} AS ord FROM typed WHERE {condition}")

    for col, required in EPISODE_COLUMNS.items():
        if required:
            check(col, f"{col} = ''", "a value is required")
    for col in ID_COLUMNS:
        check(col, f"length({col}) > {MAX_ID_LENGTH}", f"longer than {MAX_ID_LENGTH} characters")
    for col, codes in CODES.items():
        allowed = ", ".join(f"'{c}'" for c in codes)
        value = f"lower({col})" if col == "plan_based" else col
        check(col, f"{col} <> '' AND {value} NOT IN ({allowed})",
              "unknown code; allowed: " + ", ".join(codes))
    check("birth_date", "birth_date <> '' AND birth_d IS NULL", "not a valid date YYYY-MM-DD")
    for col, parsed in (("contact_at", "contact_ts"), ("assessed_at", "assessed_ts"),
                        ("visit_at", "visit_ts")):
        check(col, f"{col} <> '' AND {parsed} IS NULL",
              "not a valid ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)")
    check("birth_date", "birth_d > CAST(contact_ts AS DATE)", "birth_date is after contact_at")
    check("visit_at", "status = 'done' AND visit_at = ''", "status 'done' requires visit_at")
    check("assessed_at", "assessed_ts < contact_ts",
          "assessment before contact (contact_at is later)")
    check("visit_at", "visit_ts < contact_ts", "visit before contact (contact_at is later)")
    check("visit_at", "visit_ts < assessed_ts", "visit before assessment (assessed_at is later)")
    checks.append(
        "SELECT __line, 'episode_id', episode_id, "
        f"'duplicate episode_id in this file (also on {label} ' || "
        "string_agg(other, ', ') || ')', 0 FROM ("
        "  SELECT a.__line, a.episode_id, CAST(b.__line AS VARCHAR) AS other FROM typed a "
        "  JOIN (SELECT episode_id, __line FROM typed WHERE episode_id IN ("
        "     SELECT episode_id FROM typed WHERE episode_id <> '' "
        "     GROUP BY episode_id HAVING count(*) > 1)) b "
        "  ON a.episode_id = b.episode_id AND a.__line <> b.__line) GROUP BY __line, episode_id")
    union = " UNION ALL ".join(checks)
    total = con.execute(f"SELECT count(*) FROM ({union})").fetchone()
    assert total is not None
    if total[0]:
        rows = con.execute(
            f"SELECT * FROM ({union}) ORDER BY __line, ord, msg LIMIT 50").fetchall()
        errors = [FieldError(r[0], r[1], r[2], r[3], label) for r in rows]
        raise EpisodeFileError(path, errors, total=int(total[0]))
    table = con.execute("""
        SELECT episode_id, person_id, birth_d AS birth_date, unit_id, service_area,
               professional_group, urgency,
               CAST(date_trunc('second', contact_ts) AS TIMESTAMP) AS contact_at,
               CAST(date_trunc('second', assessed_ts) AS TIMESTAMP) AS assessed_at,
               CAST(date_trunc('second', visit_ts) AS TIMESTAMP) AS visit_at,
               NULLIF(contact_mode, '') AS contact_mode, status,
               lower(plan_based) = 'true' AS plan_based
        FROM typed ORDER BY __line""").to_arrow_table()
    con.close()
    return table
