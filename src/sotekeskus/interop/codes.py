"""Code maps as data: national (or region-local) codes → the episode contract's codes.

Each map is a CSV file ``<table>.csv`` in ``interop/codes/`` (shipped) or in a region's own
folder (``--map DIR``, whose files replace the shipped tables of the same name). A file
starts with ``#`` comment lines naming the code system and **the source each code was
verified against**; then a header ``code,label,<targets…>`` and one row per code.

Targets are checked against the vocabulary when the map is loaded (a map cannot smuggle an
unknown contract code in), codes must be unique, and every table has exactly its columns.
An extract value that is not a code of its table is an error naming the code and the table
(:mod:`sotekeskus.interop.avohilmo`), never a guess.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sotekeskus.domain.vocabulary import (
    ContactMode,
    ProfessionalGroup,
    ServiceArea,
    Status,
    Urgency,
    VisitNature,
)

SHIPPED_DIR = Path(__file__).parent / "codes"
_BOOL = ("true", "false")

#: Target columns of each table and the values each may take ("" = may be empty).
TABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "contact_mode": {"contact_mode": ("", *(m.value for m in ContactMode)), "episode": _BOOL},
    "service_type": {"service_area": tuple(a.value for a in ServiceArea)},
    "visit_nature": {"visit_nature": tuple(v.value for v in VisitNature),
                     "outside_access": _BOOL},
    "booking_status": {"status": tuple(s.value for s in Status)},
    "professional": {"professional_group": tuple(g.value for g in ProfessionalGroup)},
    "urgency": {"urgency": tuple(u.value for u in Urgency)},
}


class CodeMapError(ValueError):
    """A code-map file is malformed; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class CodeTable:
    """One code map: ``rows`` maps each code to its label and target values."""

    name: str
    path: Path
    notes: tuple[str, ...]  # the file's comment lines (code system, source)
    rows: Mapping[str, Mapping[str, str]]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.rows)

    def target(self, code: str, column: str) -> str:
        return self.rows[code][column]

    def describe(self) -> str:
        """``table <name> (<file>)`` for messages."""
        return f"table {self.name} ({self.path.name})"


def read_table(name: str, path: Path) -> CodeTable:
    """Read and check one map file."""
    if name not in TABLES:
        raise CodeMapError(f"{path}: no code table {name!r}; the tables are: "
                           + ", ".join(TABLES))
    targets = TABLES[name]
    expected = ["code", "label", *targets]
    notes: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodeMapError(f"{path}: cannot read the code map: {exc}") from None
    header: list[str] | None = None
    for number, record in enumerate(csv.reader(text.splitlines()), start=1):
        if not record or not "".join(record).strip():
            continue
        if record[0].lstrip().startswith("#"):
            notes.append(",".join(record).lstrip("# ").rstrip())
            continue
        fields = [f.strip() for f in record]
        if header is None:
            header = fields
            if header != expected:
                raise CodeMapError(f"{path}: line {number}: the header must be "
                                   f"{','.join(expected)} (found {','.join(header)})")
            continue
        if len(fields) != len(expected):
            raise CodeMapError(f"{path}: line {number}: expected {len(expected)} fields, "
                               f"found {len(fields)}")
        row = dict(zip(expected, fields, strict=True))
        code = row["code"]
        if not code:
            raise CodeMapError(f"{path}: line {number}: column code: a value is required")
        if code in rows:
            raise CodeMapError(f"{path}: line {number}: code {code!r} appears twice")
        for column, allowed in targets.items():
            if row[column] not in allowed:
                shown = ", ".join(a or "(empty)" for a in allowed)
                raise CodeMapError(f"{path}: line {number}: code {code}: column {column}: "
                                   f"{row[column]!r} is not allowed; allowed: {shown}")
        rows[code] = row
    if header is None:
        raise CodeMapError(f"{path}: no header line ({','.join(expected)})")
    if not rows:
        raise CodeMapError(f"{path}: the table has no codes")
    return CodeTable(name, path, tuple(notes), rows)


def load_maps(map_dir: Path | str | None = None) -> dict[str, CodeTable]:
    """Every code table: the shipped ones, each replaced by ``map_dir/<table>.csv`` when that
    file exists. Any other ``.csv`` file in ``map_dir`` is an error (a misspelt table name
    would otherwise be ignored silently)."""
    paths = {name: SHIPPED_DIR / f"{name}.csv" for name in TABLES}
    if map_dir is not None:
        folder = Path(map_dir)
        if not folder.is_dir():
            raise CodeMapError(f"{folder}: not a folder of code maps")
        for path in sorted(folder.glob("*.csv")):
            if path.stem not in TABLES:
                raise CodeMapError(f"{path}: not a code table; the tables are: "
                                   + ", ".join(f"{t}.csv" for t in TABLES))
            paths[path.stem] = path
    return {name: read_table(name, path) for name, path in paths.items()}
