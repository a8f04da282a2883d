"""Write the synthetic region's files: episodes (CSV or Parquet), units (CSV), truth (JSON).

CSV follows the episode-file contract: UTF-8, header row, comma separator, date-times as
``2024-03-05T08:15:00``, dates as ``YYYY-MM-DD``, ``true``/``false``, empty field for null.
Output is byte-identical for identical tables. Batches are converted and written one at a
time, so memory stays flat for large files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

_BATCH_ROWS = 500_000


def _iso_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Timestamps as ISO 8601 strings with a ``T`` (Arrow's CSV writer uses a space)."""
    columns = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_timestamp(field.type):
            column = pc.replace_substring(
                pc.cast(column, pa.string()), pattern=" ", replacement="T", max_replacements=1
            )
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _write_csv(table: pa.Table, path: Path, quoting_style: str) -> None:
    header = ",".join(table.column_names) + "\n"
    options = pacsv.WriteOptions(include_header=False, quoting_style=quoting_style)
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(header.encode("utf-8"))
        writer = None
        for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
            out = _iso_batch(batch)
            if writer is None:
                writer = pacsv.CSVWriter(sink, out.schema, write_options=options)
            writer.write_batch(out)
        if writer is not None:
            writer.close()


def _write(table: pa.Table, path: Path) -> None:
    # Unquoted output when no value needs quoting (the episode vocabulary never does);
    # otherwise quote strings (e.g. a comma-separated list of service areas).
    try:
        _write_csv(table, path, "none")
    except pa.ArrowInvalid:
        _write_csv(table, path, "needed")


def write_episodes(episodes: pa.Table, path: str | Path) -> Path:
    """Write episodes as CSV or Parquet, chosen by the suffix (.csv / .parquet)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write(episodes, path)
    elif suffix == ".parquet":
        pq.write_table(episodes, str(path), compression="zstd", row_group_size=250_000)
    else:
        raise ValueError(f"unknown episode file type {path.suffix!r}: use .csv or .parquet")
    return path


def write_units(units: pa.Table, path: str | Path) -> Path:
    """Write the unit list as CSV (values with commas are quoted)."""
    path = Path(path)
    _write(units, path)
    return path


def write_truth(truth: dict[str, Any], path: str | Path) -> Path:
    """Write the planted truth as JSON (sorted keys, so identical truths give identical
    bytes)."""
    path = Path(path)
    path.write_text(json.dumps(truth, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    return path
