"""Read an event-log file for process mining: CSV ``case_id,activity,timestamp[,resource]``.

Format:
* UTF-8 (a byte-order mark is allowed), comma separator, a header row naming the columns in
  any order; ``case_id``, ``activity`` and ``timestamp`` are required, ``resource`` is
  optional (its values may be empty); any other column is an error.
* ``timestamp``: ISO 8601 ``YYYY-MM-DDTHH:MM[:SS[.fff]]`` (``T`` or a space), optionally with
  ``Z`` or an offset, which is converted to Finnish local time (naive); a bare date means
  midnight. The same rules as the episode file (``docs/import.md``).
* Surrounding spaces of values are ignored; ``case_id`` and ``activity`` must not be empty.

The result is an Arrow table ``case_id, activity, timestamp, resource, seq`` where ``seq`` is
the event's position in the file (0-based). Within a case, events are ordered by
``timestamp`` and then by ``seq``: events with the same timestamp keep their file order (a
stable sort, as PM4Py's ``format_dataframe`` does).

Every problem is reported with the physical line (the header is line 1), the column and the
value, the first 50 of them and a count; nothing is computed from a file with errors.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from sotekeskus.pathways.errors import EventLogError, FieldError

REQUIRED = ("case_id", "activity", "timestamp")
OPTIONAL = ("resource",)
COLUMNS = REQUIRED + OPTIONAL
LOCAL_TZ = "Europe/Helsinki"

#: Arrow schema of a validated event log.
EVENT_LOG_SCHEMA = pa.schema([
    ("case_id", pa.string()),
    ("activity", pa.string()),
    ("timestamp", pa.timestamp("us")),
    ("resource", pa.string()),
    ("seq", pa.int64()),
])

_TS_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
_TS_WITH_OFFSET_RE = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"


def read_event_log(path: str | Path) -> pa.Table:
    """Read and validate an event-log CSV; raise :class:`EventLogError` naming every problem."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise EventLogError(name, [FieldError(None, None, None, str(exc))]) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EventLogError(name, [FieldError(
            line, None, data[exc.start:exc.start + 4].hex(" "),
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8")]) from exc
    if not data.strip():
        raise EventLogError(name, [FieldError(1, None, None, "the file is empty")])
    header = _check_header(name, data)
    raw = _read_strings(name, data, header)
    lines = _record_lines(data, raw.num_rows)
    return _validate(name, raw, lines)


def _check_header(path: str, data: bytes) -> list[str]:
    first = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first]))]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for col in header:
        if col in seen:
            errors.append(FieldError(1, col, None, "column appears twice in the header"))
        seen.add(col)
        if col not in COLUMNS:
            errors.append(FieldError(1, col or "(empty)", None,
                                     "unknown column; an event log has only: "
                                     + ", ".join(COLUMNS)))
    for col in REQUIRED:
        if col not in seen:
            errors.append(FieldError(1, col, None, "required column is missing (the header "
                                     f"has: {', '.join(header)})"))
    if errors:
        raise EventLogError(path, errors)
    return header


def _read_strings(path: str, data: bytes, header: list[str]) -> pa.Table:
    bad: list[FieldError] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(FieldError(row.number, None, row.text,
                              f"expected {row.expected_columns} fields, "
                              f"found {row.actual_columns}"))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=",", invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise EventLogError(path, [FieldError(None, None, None,
                                              f"not a valid CSV file: {exc}")]) from exc
    if bad:
        if any(e.line is None for e in bad):  # multi-threaded parse: locate the row by its text
            text = data.decode("utf-8").splitlines()
            index = {t: n for n, t in reversed(list(enumerate(text, 1)))}
            bad = [FieldError(e.line or index.get(e.value or ""), e.column, e.value, e.message)
                   for e in bad]
        raise EventLogError(path, sorted(bad, key=lambda e: e.line or 0))
    return table.rename_columns(header)


def _record_lines(data: bytes, records: int) -> list[int] | range:
    """The physical line on which each record starts (header = line 1); blank lines and line
    breaks inside quoted values shift it, and are then counted with the csv module."""
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


def _validate(path: str, raw: pa.Table, lines: list[int] | range) -> pa.Table:
    n = raw.num_rows
    if "resource" not in raw.column_names:
        raw = raw.append_column("resource", pa.array([""] * n, pa.string()))
    raw = raw.append_column("__line", pa.array(lines, pa.int64()))
    raw = raw.append_column("__seq", pa.array(range(n), pa.int64()))
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone='{LOCAL_TZ}'")
        con.register("raw", raw)
        v = "trim(timestamp)"
        ts = (f"CASE WHEN NOT regexp_matches({v}, '{_TS_RE}') THEN NULL "
              f"WHEN regexp_matches({v}, '{_TS_WITH_OFFSET_RE}') "
              f"THEN timezone('{LOCAL_TZ}', try_cast({v} AS TIMESTAMPTZ)) "
              f"ELSE try_cast({v} AS TIMESTAMP) END")
        con.execute(f"""
            CREATE TEMP TABLE typed AS SELECT __line, __seq AS seq,
                trim(case_id) AS case_id, trim(activity) AS activity,
                timestamp AS timestamp_text, {ts} AS ts, nullif(trim(resource), '') AS resource
            FROM raw""")
        con.unregister("raw")
        checks = " UNION ALL ".join([
            "SELECT __line, 0 AS ord, 'case_id' AS col, case_id AS val, "
            "'a value is required' AS msg FROM typed WHERE case_id = ''",
            "SELECT __line, 1, 'activity', activity, 'a value is required' "
            "FROM typed WHERE activity = ''",
            "SELECT __line, 2, 'timestamp', timestamp_text, CASE WHEN trim(timestamp_text) = '' "
            "THEN 'a value is required' ELSE 'not a valid ISO 8601 date-time "
            "(YYYY-MM-DDTHH:MM:SS, optionally with Z or an offset)' END "
            "FROM typed WHERE ts IS NULL",
        ])
        row = con.execute(f"SELECT count(*) FROM ({checks})").fetchone()
        total = int(row[0]) if row else 0
        if total:
            found = con.execute(
                f"SELECT __line, col, val, msg FROM ({checks}) ORDER BY __line, ord LIMIT 50"
            ).fetchall()
            raise EventLogError(path, [FieldError(int(r[0]), r[1], r[2], r[3]) for r in found],
                                total)
        table = con.execute(
            "SELECT case_id, activity, CAST(ts AS TIMESTAMP) AS timestamp, resource, "
            "CAST(seq AS BIGINT) AS seq FROM typed ORDER BY seq").to_arrow_table()
    finally:
        con.close()
    return table.cast(EVENT_LOG_SCHEMA)
