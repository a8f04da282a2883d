"""Render report rows as a terminal table, CSV or JSON (the CLI's three formats).

Suppressed counts are the string ``"<5"``; hidden or undefined figures are empty in CSV,
``null`` in JSON and blank in the table. Dates are ISO 8601. A table of at most
:data:`RICH_MAX_ROWS` rows is drawn with rich (boxes, wrapping to the terminal); a longer
one is written as plain aligned columns, because rich takes seconds over thousands of rows
(a 1 600-row access report: 2.7 s of CPU) and nobody reads boxes that long.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class OutputFormatError(ValueError):
    pass


class OutputFormat(StrEnum):
    """The CLI's output formats: a terminal table, CSV (RFC 4180, header row) or JSON."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FORMATS: tuple[str, ...] = tuple(f.value for f in OutputFormat)
#: Longer tables are plain aligned text (see the module docstring).
RICH_MAX_ROWS = 200


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
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    """Numbers as numbers; text that a spreadsheet would run as a formula (``=``, ``+``,
    ``-``, ``@``, tab, CR, LF first) prefixed with ``'`` (``spreadsheet.csv_cell``)."""
    from sotekeskus.spreadsheet import csv_cell, is_number

    if value is None or is_number(value):
        return _cell(value)
    return str(csv_cell(_cell(value)))


def to_json(rows: Sequence[dict[str, Any]], columns: Sequence[str], **extra: Any) -> str:
    body = {**{k: plain(v) for k, v in extra.items()},
            "rows": [{c: plain(r.get(c)) for c in columns} for r in rows]}
    return json.dumps(body, ensure_ascii=False, indent=2)


def _numeric(rows: Sequence[dict[str, Any]], column: str) -> bool:
    return bool(rows) and isinstance(rows[0].get(column), int | float)


def to_text(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> str:
    """Plain aligned columns: the title, a header, a rule, one line per row; numbers right-
    aligned, text left-aligned, two spaces between columns."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    right = [_numeric(rows, c) for c in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(values, widths, right, strict=True)).rstrip()

    lines = [title] if title else []
    lines += [line(list(columns)), line(["-" * w for w in widths])]
    lines += [line(values) for values in cells]
    return "\n".join(lines) + "\n"


def to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "") -> Table:
    from rich.table import Table

    table = Table(title=title or None, show_lines=False, header_style="bold")
    for c in columns:
        table.add_column(c, justify="right" if _numeric(rows, c) else "left")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    return table


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, *,
         console: Console, title: str = "", **extra: Any) -> None:
    if fmt == OutputFormat.CSV:
        console.file.write(to_csv(rows, columns))
    elif fmt == OutputFormat.JSON:
        console.file.write(to_json(rows, columns, **extra) + "\n")
    elif fmt == OutputFormat.TABLE and len(rows) > RICH_MAX_ROWS:
        console.file.write(to_text(rows, columns, title))
    elif fmt == OutputFormat.TABLE:
        console.print(to_table(rows, columns, title))
    else:
        raise OutputFormatError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
