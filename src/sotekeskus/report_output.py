"""Render report rows as a terminal table, CSV or JSON (the CLI's three formats).

Suppressed counts are the string ``"<5"``; hidden or undefined figures are empty in CSV,
``null`` in JSON and blank in the table. Dates are ISO 8601.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table


class OutputFormatError(ValueError):
    pass


FORMATS = ("table", "csv", "json")


def plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(plain(value))


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def to_json(rows: Sequence[dict[str, Any]], columns: Sequence[str], **extra: Any) -> str:
    body = {**{k: plain(v) for k, v in extra.items()},
            "rows": [{c: plain(r.get(c)) for c in columns} for r in rows]}
    return json.dumps(body, ensure_ascii=False, indent=2)


def to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> Table:
    table = Table(title=title or None, show_lines=False, header_style="bold")
    for c in columns:
        numeric = bool(rows) and isinstance(rows[0].get(c), int | float)
        table.add_column(c, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    return table


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, *,
         console: Console, title: str = "", **extra: Any) -> None:
    if fmt == "csv":
        console.file.write(to_csv(rows, columns))
    elif fmt == "json":
        console.file.write(to_json(rows, columns, **extra) + "\n")
    elif fmt == "table":
        console.print(to_table(rows, columns, title))
    else:
        raise OutputFormatError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
