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
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sotekeskus.ingest.csv_lines import record_lines
from sotekeskus.pathways.errors import EventLogError, FieldError

MAX_REPORTED = 50

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
    lines = record_lines(data, raw.num_rows)
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


def _validate(path: str, raw: pa.Table, lines: list[int] | range) -> pa.Table:
    """Vectorised checks (Arrow; DuckDB for timestamps of an unusual shape); the typed log
    or an :class:`EventLogError` with every violation."""
    n = raw.num_rows

    def trimmed(name: str) -> pa.Array:
        if name not in raw.column_names:
            return pa.array([""] * n, pa.string())
        return pc.utf8_trim_whitespace(raw.column(name).combine_chunks())

    case_id, activity, text = trimmed("case_id"), trimmed("activity"), trimmed("timestamp")
    ts = _timestamps(text)
    problems = [
        ("case_id", pc.equal(case_id, ""), raw.column("case_id"), "a value is required"),
        ("activity", pc.equal(activity, ""), raw.column("activity"), "a value is required"),
        ("timestamp", pc.and_(pc.is_null(ts), pc.equal(text, "")), raw.column("timestamp"),
         "a value is required"),
        ("timestamp", pc.and_(pc.is_null(ts), pc.not_equal(text, "")), raw.column("timestamp"),
         "not a valid ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS, optionally with Z or an "
         "offset)"),
    ]
    total = sum(int(pc.sum(mask).as_py() or 0) for _, mask, _, _ in problems)
    if total:
        line_numbers = pa.array(lines, pa.int64())
        found: list[tuple[int, int, FieldError]] = []
        for order, (column, mask, values, message) in enumerate(problems):
            rows = pc.indices_nonzero(mask).slice(0, MAX_REPORTED)
            for i in rows.to_pylist():
                line = int(line_numbers[i].as_py())
                found.append((line, order, FieldError(line, column, values[i].as_py(),
                                                      message)))
        found.sort(key=lambda f: (f[0], f[1]))
        raise EventLogError(path, [f[2] for f in found[:MAX_REPORTED]], total)
    resource = trimmed("resource")
    return pa.table({
        "case_id": case_id, "activity": activity, "timestamp": ts,
        "resource": pc.if_else(pc.equal(resource, ""), pa.scalar(None, pa.string()), resource),
        "seq": pa.array(range(n), pa.int64()),
    }).cast(EVENT_LOG_SCHEMA)


def _timestamps(text: pa.Array) -> pa.Array:
    """Parse ISO 8601 date-times (microseconds, naive local time; null when invalid).

    The usual shapes ``YYYY-MM-DDTHH:MM:SS`` / ``YYYY-MM-DD HH:MM:SS`` are parsed with Arrow
    and accepted only if the parsed day and second equal the written ones (Arrow's parser
    rolls 2025-04-31 over to May 1 and 23:59:60 to the next day; it rejects month 13, hour
    24 and minute 60 itself); anything else goes through DuckDB: the regular expression of
    the module docstring, an offset or ``Z`` converted to Finnish local time."""
    fast: pa.Array = pa.nulls(len(text), pa.timestamp("us"))
    for sep in ("T", " "):
        fmt = f"%Y-%m-%d{sep}%H:%M:%S"
        shape = pc.match_substring_regex(text, rf"^\d{{4}}-\d\d-\d\d{sep}\d\d:\d\d:\d\d$")
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        exact = pc.and_(shape, pc.is_valid(parsed))
        for start, part in ((8, pc.day), (17, pc.second)):  # no roll-over (04-31, 23:59:60)
            written = pc.utf8_slice_codeunits(text, start, start + 2)
            exact = pc.and_(exact, pc.equal(pc.cast(pc.if_else(shape, written, "0"), pa.int64()),
                                            part(parsed)))
        fast = pc.if_else(pc.fill_null(exact, False), parsed.cast(pa.timestamp("us")), fast)
    rest = pc.indices_nonzero(pc.is_null(fast))
    if len(rest) == 0:
        return fast
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone='{LOCAL_TZ}'")
        slow = pa.table({"i": rest, "t": text.take(rest)})
        con.register("slow", slow)
        parsed_rest = con.execute(f"""
            SELECT i, CAST(CASE WHEN NOT regexp_matches(t, '{_TS_RE}') THEN NULL
                        WHEN regexp_matches(t, '{_TS_WITH_OFFSET_RE}')
                        THEN timezone('{LOCAL_TZ}', try_cast(t AS TIMESTAMPTZ))
                        ELSE try_cast(t AS TIMESTAMP) END AS TIMESTAMP) AS ts
            FROM slow ORDER BY i""").to_arrow_table()
    finally:
        con.close()
    values = fast.to_numpy(zero_copy_only=False).astype("datetime64[us]")
    mask = pc.is_null(fast).to_numpy(zero_copy_only=False).copy()
    slow_ts = parsed_rest.column("ts").cast(pa.timestamp("us"))
    idx = parsed_rest.column("i").to_numpy()
    values[idx] = slow_ts.to_numpy(zero_copy_only=False).astype("datetime64[us]")
    mask[idx] = pc.is_null(slow_ts).to_numpy(zero_copy_only=False)
    return pa.array(values, pa.timestamp("us"), mask=mask)
