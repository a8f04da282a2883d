"""Spreadsheet-safe cells: CSV and Excel files that cannot carry formulas.

A downloaded CSV or Excel file is opened in a spreadsheet program, which runs any cell that
looks like a formula (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``, ``@SUM(…)``). The text
in our tables comes partly from outside (unit names from the units file, indicator names
typed by an administrator), so every text cell is neutralised on the way out:

* **CSV** (OWASP "CSV injection"): a *text* value that starts with ``=``, ``+``, ``-``,
  ``@``, tab, carriage return or line feed gets a single quote ``'`` in front, so the
  spreadsheet shows it as text. The decision is made by **type**, not by look: a number
  (``int``, ``float``, ``Decimal``, numpy numbers) is written as a number, so a genuine
  ``-3`` stays the number -3; the *string* ``"-3"`` is text and is written ``'-3``.
  Non-finite numbers (``inf``, ``nan``) are written as an empty cell.
* **Excel** (openpyxl): every string is stored as a string cell (``data_type = "s"`` with
  the cell's *quotePrefix* set), so it never becomes a formula, also not when a user edits
  the cell later. Its text is kept exactly, except that characters Excel cannot store
  (control characters other than tab, line feed and carriage return, openpyxl's
  ``ILLEGAL_CHARACTERS_RE``) are **replaced** by U+FFFD "�" (visible, instead of silently
  dropped or making the export fail), and text longer than Excel's 32 767 characters per
  cell is cut there. Numbers stay numbers; non-finite numbers become empty cells.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: The characters Excel cannot store: openpyxl's ``ILLEGAL_CHARACTERS_RE``, kept here so
#: that writing CSV (the CLI) does not import openpyxl.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP, plus LF).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Excel's limit of characters in one cell.
EXCEL_MAX_CELL_CHARS = 32767
#: What replaces a character Excel cannot store.
REPLACEMENT_CHAR = "\ufffd"
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def _number(value: Any) -> int | float | Decimal | None:
    """``value`` as a plain number (None for non-finite), or raises TypeError if not one."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number | Decimal):
        raise TypeError
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return f if math.isfinite(f) else None
    raise TypeError  # complex numbers are not spreadsheet values


def is_number(value: Any) -> bool:
    """Whether ``value`` is written as a number (bools are not numbers here)."""
    try:
        _number(value)
    except TypeError:
        return False
    return True


def csv_cell(value: Any) -> Any:
    """One CSV cell: numbers as numbers, text neutralised (see the module docstring)."""
    if value is None:
        return ""
    if is_number(value):
        number = _number(value)
        return "" if number is None else number
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def write_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """UTF-8 CSV text (comma separated, ``\\n`` line ends) with every cell neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(v) for v in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def excel_text(text: str) -> str:
    """``text`` as Excel can store it: illegal characters replaced, cut to 32 767."""
    return ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHAR, text)[:EXCEL_MAX_CELL_CHARS]


@dataclass(frozen=True)
class Sheet:
    """One worksheet: title (cut to Excel's 31 characters), header, rows, column widths."""

    title: str
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] = ()


def _put(ws: Any, row: int, column: int, value: Any) -> None:
    if value is None:
        return
    cell = ws.cell(row=row, column=column)
    if is_number(value):
        number = _number(value)
        if number is not None:
            cell.value = number
        return
    if isinstance(value, bool):
        cell.value = value
        return
    cell.value = excel_text(str(value))
    cell.data_type = "s"  # never "f": a string is never a formula
    cell.quotePrefix = True  # and stays text when edited in Excel


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """An Excel workbook, one sheet per :class:`Sheet`, first row frozen."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    for index, sheet in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        title = _SHEET_TITLE_FORBIDDEN.sub("_", excel_text(sheet.title))[:31]
        ws.title = title or f"Sheet{index + 1}"
        for c, value in enumerate(sheet.header, start=1):
            _put(ws, 1, c, value)
        for r, row in enumerate(sheet.rows, start=2):
            for c, value in enumerate(row, start=1):
                _put(ws, r, c, value)
        for c, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
