"""Tables as the pages show them and as they are exported (CSV, Excel), from one object.

A page renders a :class:`Table` as HTML with translated headers and locale-formatted
values; the exports write the same rows with the column keys as the header and the raw
values (codes, ISO dates, numbers as numbers; suppressed counts as ``<5``; hidden values
empty), so the numbers on a page and in its download are the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sotekeskus.web import labels as L
from sotekeskus.web.i18n import fmt_date, fmt_int, fmt_num, fmt_pct, fmt_period, gettext_

CODE_LABELS: dict[str, dict] = {
    "service_area": L.SERVICE_AREAS,
    "professional_group": L.PROFESSIONAL_GROUPS,
    "contact_mode": L.CONTACT_MODES,
}


@dataclass(frozen=True)
class Column:
    key: str
    kind: str = "text"  # text, code, int, num, pct, date, period, unit
    label: str | None = None  # msgid; default: the catalogue's label, else labels.COLUMNS

    @property
    def msgid(self) -> str:
        return self.label or L.column_label(self.key)

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "num", "pct")


@dataclass
class Table:
    name: str  # file name stem of the exports
    title: str  # msgid
    columns: list[Column]
    rows: list[dict[str, Any]]
    caption_note: str = ""  # msgid, e.g. the suppression note
    unit_names: dict[str, str] = field(default_factory=dict)

    def header(self) -> list[str]:
        return [c.key for c in self.columns]

    def raw_rows(self) -> list[list[Any]]:
        return [[_raw(r.get(c.key)) for c in self.columns] for r in self.rows]

    def display(self, row: dict[str, Any], col: Column) -> str:
        """Locale-formatted, translated cell text."""
        value = row.get(col.key)
        if col.kind == "code":
            return L.label(CODE_LABELS.get(col.key, {}), value) or "–"
        if col.kind == "unit":
            return self.unit_names.get(value, value or "–")
        if col.kind == "int":
            return fmt_int(value)
        if col.kind == "num":
            return fmt_num(value)
        if col.kind == "pct":
            return fmt_pct(value)
        if col.kind == "date":
            return fmt_date(value)
        if col.kind == "period":
            return fmt_period(value)
        return "–" if value is None else str(value)

    def translated_title(self) -> str:
        return gettext_(self.title)


def _raw(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value
