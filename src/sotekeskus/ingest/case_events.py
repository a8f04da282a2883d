"""Read and validate a case-events file (CSV or Parquet, planning.md §1).

Long format, one row per event of a case::

    case_id, person_id, birth_date, unit_id, case_type, event, at [, urgency, professional_group]

The whole file is validated before anything is written: the result is either a typed Arrow
table or a :class:`CaseEventFileError` listing the violations (line, case id, column, value;
the first 50 and a count). Validation is vectorised in DuckDB.

Rules:
* every column above must be in the header (``urgency`` and ``professional_group`` may be
  left out); any other column is an error;
* ``case_type`` is one of :data:`~sotekeskus.domain.vocabulary.EVENT_CASE_TYPES`
  (``primary_access`` / ``oral_access`` come in through the episode file), ``event`` one of
  :class:`~sotekeskus.domain.vocabulary.CaseEvent`; unknown codes are refused with the
  allowed ones listed;
* ``at``: ISO 8601 date-time (``T`` or a space; a bare date is midnight; an offset or ``Z``
  is converted to Finnish local time); ``birth_date``: ``YYYY-MM-DD``, not after ``at``;
* (``case_id``, ``event``) appears once in the file: the import is idempotent by that pair
  (a re-import replaces the event, never duplicates it);
* all rows of one case agree on ``case_type``, ``person_id`` and ``birth_date``;
* the end event of a leg of the rule book is not before its start event (checked on the
  file merged with the events already in the store, see :func:`check_leg_order`).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sotekeskus.domain.rules import LegKey
from sotekeskus.domain.vocabulary import (
    CASE_EVENT_COLUMNS,
    EPISODE_CASE_TYPES,
    EVENT_CASE_TYPES,
    CaseEvent,
    ProfessionalGroup,
    Urgency,
)
from sotekeskus.ingest.csv_lines import record_lines

MAX_ID_LENGTH = 64
MAX_REPORTED_ERRORS = 50
LOCAL_TZ = "Europe/Helsinki"
COLUMNS = list(CASE_EVENT_COLUMNS)
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_TS_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
_TS_WITH_OFFSET_RE = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"

#: Typed columns of a validated batch (``__line`` is the file line of each row).
SCHEMA = pa.schema([
    ("case_id", pa.string()), ("person_id", pa.string()), ("birth_date", pa.date32()),
    ("unit_id", pa.string()), ("case_type", pa.string()), ("event", pa.string()),
    ("at", pa.timestamp("s")), ("urgency", pa.string()), ("professional_group", pa.string()),
])


@dataclass(frozen=True, slots=True)
class EventFieldError:
    """One violation: where (line or row, case id), which column and value, and why."""

    line: int | None
    case_id: str | None
    column: str | None
    value: str | None
    message: str
    line_label: str = "line"

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"{self.line_label} {self.line}")
        if self.case_id:
            parts.append(f"case {self.case_id}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            parts.append(f"value {shown!r}")
        where = ", ".join(parts)
        return f"{where}: {self.message}" if where else self.message


class CaseEventFileError(Exception):
    """The file violates the case-events contract; nothing was imported."""

    def __init__(self, path: str, errors: list[EventFieldError], total: int | None = None):
        self.path = path
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total = total if total is not None else len(errors)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.path}: {self.total} error(s); nothing was imported."]
        lines += [f"  {e}" for e in self.errors]
        if self.total > len(self.errors):
            lines.append(f"  ... and {self.total - len(self.errors)} more error(s)")
        return "\n".join(lines)


@dataclass(frozen=True)
class CaseEventBatch:
    """Valid, typed case events read from one file (columns of :data:`SCHEMA` + ``__line``)."""

    path: str
    table: pa.Table
    sha256: str
    line_label: str

    @property
    def rows(self) -> int:
        return self.table.num_rows

    def events(self) -> pa.Table:
        """The events without the line numbers."""
        return self.table.select([f.name for f in SCHEMA])


def read_case_event_file(path: str | Path) -> CaseEventBatch:
    """Read, validate and type a case-events file; raise :class:`CaseEventFileError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaseEventFileError(str(path), [EventFieldError(None, None, None, None, str(exc))]
                                 ) from exc
    digest = hashlib.sha256(data).hexdigest()
    lines: list[int] | range
    if path.suffix.lower() in (".parquet", ".pq") or data[:4] == b"PAR1":
        raw, label = _parquet_as_strings(path, data), "row"
        lines = range(1, raw.num_rows + 1)
    else:
        raw, label = _csv_as_strings(str(path), data), "line"
        lines = record_lines(data, raw.num_rows)
    table = _validate_and_type(str(path), raw, lines, label)
    return CaseEventBatch(str(path), table, digest, label)


def _check_header(path: str, header: list[str], line: int | None) -> None:
    errors: list[EventFieldError] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(EventFieldError(line, None, name, None,
                                          "column appears twice in the header"))
        seen.add(name)
        if name not in CASE_EVENT_COLUMNS:
            errors.append(EventFieldError(line, None, name, None,
                                          "unknown column; the case-events file has only: "
                                          + ", ".join(COLUMNS)))
    for name, required in CASE_EVENT_COLUMNS.items():
        if required and name not in seen:
            errors.append(EventFieldError(line, None, name, None, "required column is missing"))
    if errors:
        raise CaseEventFileError(path, errors)


def _csv_as_strings(path: str, data: bytes) -> pa.Table:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CaseEventFileError(path, [EventFieldError(
            line, None, None, data[exc.start:exc.start + 4].hex(" "),
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8 and import again")]) from exc
    if not data.strip():
        raise CaseEventFileError(path, [EventFieldError(1, None, None, None, "the file is empty")])
    first = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first]))]
    _check_header(path, header, 1)
    bad: list[EventFieldError] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(EventFieldError(row.number, None, None, row.text,
                                   f"expected {row.expected_columns} fields, "
                                   f"found {row.actual_columns}"))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=",", invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise CaseEventFileError(path, [EventFieldError(None, None, None, None,
                                                        f"not a valid CSV file: {exc}")]) from exc
    if bad:
        raise CaseEventFileError(path, bad)
    return table.rename_columns(header)


def _parquet_as_strings(path: Path, data: bytes) -> pa.Table:
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise CaseEventFileError(str(path), [EventFieldError(
            None, None, None, None, f"not a valid Parquet file: {exc}")]) from exc
    _check_header(str(path), list(table.column_names), None)
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            if col.type.tz is not None:
                col = pc.local_timestamp(col.cast(pa.timestamp(col.type.unit, tz=LOCAL_TZ)))
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
        elif pa.types.is_date(col.type):
            col = pc.strftime(col, format="%Y-%m-%d")
        else:
            col = pc.cast(col, pa.string())
        columns.append(pc.fill_null(col, ""))
    return pa.table(columns, names=table.column_names)


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _validate_and_type(path: str, raw: pa.Table, lines: list[int] | range,
                       label: str) -> pa.Table:
    n = raw.num_rows
    for name in COLUMNS:  # optional columns may be left out of the file
        if name not in raw.column_names:
            raw = raw.append_column(name, pa.array([""] * n, pa.string()))
    raw = raw.append_column("__line", pa.array(lines, pa.int64()))
    con = duckdb.connect()
    con.execute(f"SET TimeZone='{LOCAL_TZ}'")
    con.register("raw", raw)
    trimmed = ", ".join(f'trim("{c}") AS "{c}"' for c in COLUMNS)
    at = 'trim("at")'
    con.execute(f"""
        CREATE TEMP TABLE typed AS SELECT __line, {trimmed},
            CASE WHEN NOT regexp_matches({at}, '{_TS_RE}') THEN NULL
                 WHEN regexp_matches({at}, '{_TS_WITH_OFFSET_RE}')
                 THEN timezone('{LOCAL_TZ}', try_cast({at} AS TIMESTAMPTZ))
                 ELSE try_cast({at} AS TIMESTAMP) END AS at_ts,
            CASE WHEN regexp_matches(trim(birth_date), '{_DATE_RE}')
                 THEN try_cast(trim(birth_date) AS DATE) END AS birth_d
        FROM raw""")
    con.unregister("raw")
    checks: list[str] = []

    def check(column: str, condition: str, message: str) -> None:
        msg = message.replace("'", "''")
        checks.append(
            f"SELECT __line, case_id, '{column}' AS col, \"{column}\" AS val, '{msg}' AS msg, "
            f"{COLUMNS.index(column)} AS ord FROM typed WHERE {condition}")

    for col, required in CASE_EVENT_COLUMNS.items():
        if required:
            check(col, f"\"{col}\" = ''", "a value is required")
    for col in ("case_id", "person_id", "unit_id"):
        check(col, f"length({col}) > {MAX_ID_LENGTH}", f"longer than {MAX_ID_LENGTH} characters")
    episode_types = _quoted(c.value for c in EPISODE_CASE_TYPES)
    allowed_types = ", ".join(c.value for c in EVENT_CASE_TYPES)
    check("case_type", f"case_type IN ({episode_types})",
          "this case type comes from the episode file (sotekeskus import episodes); "
          f"allowed here: {allowed_types}")
    check("case_type", f"case_type <> '' AND case_type NOT IN ({episode_types}) AND case_type "
          f"NOT IN ({_quoted(c.value for c in EVENT_CASE_TYPES)})",
          f"unknown case type; allowed: {allowed_types}")
    for col, codes in (("event", [e.value for e in CaseEvent]),
                       ("urgency", [u.value for u in Urgency]),
                       ("professional_group", [g.value for g in ProfessionalGroup])):
        check(col, f"{col} <> '' AND {col} NOT IN ({_quoted(codes)})",
              f"unknown {col.replace('_', ' ')}; allowed: " + ", ".join(codes))
    check("birth_date", "birth_date <> '' AND birth_d IS NULL", "not a valid date YYYY-MM-DD")
    check("at", "\"at\" <> '' AND at_ts IS NULL",
          "not a valid ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)")
    check("birth_date", "birth_d > CAST(at_ts AS DATE)", "birth_date is after the event")
    checks.append(
        f"SELECT a.__line, a.case_id, 'event', a.event, 'the event appears twice for this case "
        f"(also on {label} ' || string_agg(CAST(b.__line AS VARCHAR), ', ' ORDER BY b.__line) "
        f"|| '); one row per case_id and event', {COLUMNS.index('event')} FROM typed a "
        "JOIN typed b ON a.case_id = b.case_id AND a.event = b.event AND a.__line <> b.__line "
        "WHERE a.case_id <> '' AND a.event <> '' GROUP BY a.__line, a.case_id, a.event")
    for col in ("case_type", "person_id", "birth_date"):
        checks.append(
            f"SELECT t.__line, t.case_id, '{col}', t.{col}, 'differs from the first row of "
            f"this case ({label} ' || f.__line || ': ' || f.{col} || '); every row of a case "
            f"has the same {col}', {COLUMNS.index(col)} FROM typed t JOIN ("
            f"  SELECT case_id, arg_min(__line, __line) AS __line, arg_min({col}, __line) AS {col}"
            f"  FROM typed GROUP BY case_id) f ON t.case_id = f.case_id "
            f"WHERE t.{col} <> f.{col} AND t.case_id <> ''")
    union = " UNION ALL ".join(checks)
    total = con.execute(f"SELECT count(*) FROM ({union})").fetchone()
    assert total is not None
    if total[0]:
        rows = con.execute(
            f"SELECT * FROM ({union}) ORDER BY 1, 6, 5 LIMIT {MAX_REPORTED_ERRORS}").fetchall()
        errors = [EventFieldError(r[0], r[1] or None, r[2], r[3], r[4], label) for r in rows]
        raise CaseEventFileError(path, errors, total=int(total[0]))
    table = con.execute("""
        SELECT case_id, person_id, birth_d AS birth_date, unit_id, case_type, event,
               CAST(date_trunc('second', at_ts) AS TIMESTAMP) AS "at",
               NULLIF(urgency, '') AS urgency,
               NULLIF(professional_group, '') AS professional_group, __line
        FROM typed ORDER BY __line""").to_arrow_table()
    con.close()
    fields = [*SCHEMA, pa.field("__line", pa.int64())]
    return table.cast(pa.schema(fields))


def check_leg_order(batch: CaseEventBatch, existing: pa.Table | None,
                    legs: Iterable[LegKey]) -> None:
    """Refuse a batch in which, merged with ``existing`` (the store's events of the same
    cases; the file's events replace them), a leg's end event is before its start event.

    The error is reported on the line of the later-recorded event of the pair."""
    legs = list(legs)
    if not legs or batch.rows == 0:
        return
    con = duckdb.connect()
    con.register("file_events", batch.table)
    if existing is not None and existing.num_rows:
        con.register("store_events", existing.select(["case_id", "event", "at"]))
        con.execute("""CREATE TEMP TABLE merged AS
            SELECT case_id, event, "at", __line FROM file_events
            UNION ALL
            SELECT s.case_id, s.event, s."at", NULL FROM store_events s
            WHERE NOT EXISTS (SELECT 1 FROM file_events f
                              WHERE f.case_id = s.case_id AND f.event = s.event)""")
    else:
        con.execute('CREATE TEMP TABLE merged AS SELECT case_id, event, "at", __line '
                    "FROM file_events")
    con.execute("CREATE TEMP TABLE case_types AS SELECT DISTINCT case_id, case_type "
                "FROM file_events")
    con.execute("CREATE TEMP TABLE legs (case_type VARCHAR, from_event VARCHAR, "
                "to_event VARCHAR)")
    con.executemany("INSERT INTO legs VALUES (?, ?, ?)",
                    [[leg.case_type.value, leg.from_event.value, leg.to_event.value]
                     for leg in legs])
    rows = con.execute("""
        SELECT coalesce(e.__line, s.__line) AS line, c.case_id, l.from_event, s."at",
               l.to_event, e."at", e.__line IS NOT NULL AS end_in_file
        FROM case_types c
        JOIN legs l ON l.case_type = c.case_type
        JOIN merged s ON s.case_id = c.case_id AND s.event = l.from_event
        JOIN merged e ON e.case_id = c.case_id AND e.event = l.to_event
        WHERE e."at" < s."at"
        ORDER BY line, l.from_event, l.to_event""").fetchall()
    con.close()
    if rows:
        errors = [EventFieldError(
            line, case_id, "at", str(end_at if end_in_file else start_at),
            f"{to_event} ({end_at:%Y-%m-%d %H:%M}) is before {from_event} "
            f"({start_at:%Y-%m-%d %H:%M}) of the same case; the leg {from_event} → "
            f"{to_event} cannot end before it starts", batch.line_label)
            for line, case_id, from_event, start_at, to_event, end_at, end_in_file in rows]
        raise CaseEventFileError(batch.path, errors, total=len(errors))
