"""Cost per visit and per resident from a cost table (``shared/docs/pathways.md``, "Cost").

**Cost table** (data, the region's own): CSV or YAML rows ``contact_mode``,
``professional_group``, ``cost_eur`` (euros per done visit, ≥ 0) and optionally
``unit_id`` (a unit's own price; empty = every unit). A visit's cost is the row of its
unit, contact mode and professional group, else the row of its contact mode and group
without a unit. A duplicate row, an unknown code (the allowed codes are listed) or a bad
number stops the load with the line, column and value. The shipped example
(``pathways/data/costs-example.yaml``) is **illustrative, not any region's prices**.

**Computed** over the done visits whose visit date lies in ``[date_from, date_to]``, per unit
× professional group, per unit (``professional_group`` = ``all``) and for the region
(``all``, ``all``): ``visits``, ``persons`` (distinct persons with such a visit),
``cost_eur`` (sum of the visits' costs), ``cost_per_visit`` = cost ÷ visits and
``cost_per_person`` = cost ÷ persons (euros, two decimals, half up). The episode contract
has no population register, so "per resident" is per resident **served** (a person with a
visit); given the region's population (``residents``), the region row also carries
``cost_per_resident`` = cost ÷ residents. A visit whose mode and group have no price is an
error naming the combinations (no cost is guessed).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.domain.vocabulary import ContactMode, ProfessionalGroup
from sotekeskus.pathways.errors import MissingDataError, RuleTableError
from sotekeskus.pathways.source import EpisodeSource

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "costs-example.yaml"
ALL = "all"
COLUMNS = ("unit_id", "professional_group", "visits", "persons", "cost_eur",
           "cost_per_visit", "cost_per_person")
TABLE_COLUMNS = ("contact_mode", "professional_group", "cost_eur")


def euros(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class CostTable:
    """Prices: (unit or None, contact mode, professional group) → euros per visit."""

    prices: dict[tuple[str | None, str, str], float]
    source: str

    def rows(self) -> list[dict[str, Any]]:
        return [{"unit_id": u or "", "contact_mode": m, "professional_group": g,
                 "cost_eur": c} for (u, m, g), c in sorted(
                     self.prices.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2]))]


def _records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".yaml", ".yml"):
        doc = yaml.safe_load(text)
        items = doc.get("costs") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise RuleTableError(f"{path}: expected a list of rows under 'costs'")
        return [(i, r if isinstance(r, dict) else {"": r}) for i, r in enumerate(items, 1)]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in TABLE_COLUMNS if c not in header]
    unknown = [c for c in header if c not in (*TABLE_COLUMNS, "unit_id")]
    if missing or unknown:
        raise RuleTableError(
            f"{path}: line 1: " + "; ".join(
                [f"column {c!r} is missing" for c in missing]
                + [f"unknown column {c!r}" for c in unknown])
            + "; columns: contact_mode, professional_group, cost_eur[, unit_id]")
    return [(i, {k.strip(): (v or "").strip() for k, v in r.items() if k})
            for i, r in enumerate(reader, 2)]


def load_costs(path: str | Path = EXAMPLE) -> CostTable:
    """Read a cost table (module docstring); :class:`RuleTableError` names line, column,
    value (``line`` = the CSV line, or the YAML row number)."""
    path = Path(path)
    try:
        records = _records(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleTableError(f"{path}: cannot read the cost table: {exc}") from exc
    modes = [m.value for m in ContactMode]
    groups = [g.value for g in ProfessionalGroup]
    prices: dict[tuple[str | None, str, str], float] = {}
    errors: list[str] = []
    for line, r in records:
        where = f"{path}: line {line}"
        mode, group = str(r.get("contact_mode", "")), str(r.get("professional_group", ""))
        unit = str(r.get("unit_id") or "").strip() or None
        if mode not in modes:
            errors.append(f"{where}, column contact_mode, value {mode!r}: unknown code; "
                          "allowed: " + ", ".join(modes))
        if group not in groups:
            errors.append(f"{where}, column professional_group, value {group!r}: unknown "
                          "code; allowed: " + ", ".join(groups))
        raw = str(r.get("cost_eur", "")).replace(",", ".")
        try:
            cost = float(raw)
            ok = cost >= 0 and cost == cost and cost != float("inf")
        except ValueError:
            ok, cost = False, 0.0
        if not ok:
            errors.append(f"{where}, column cost_eur, value {raw!r}: a number of euros ≥ 0")
        key = (unit, mode, group)
        if key in prices:
            errors.append(f"{where}: a second price for unit {unit or 'all'}, {mode}, {group}")
        prices[key] = cost
    if errors:
        raise RuleTableError("\n".join(errors[:20]))
    if not prices:
        raise RuleTableError(f"{path}: the cost table has no rows")
    return CostTable(prices, str(path))


def _add(rows: dict[tuple[str, str], dict[str, Any]], key: tuple[str, str], visits: int,
         cost: float) -> None:
    row = rows.setdefault(key, {"visits": 0, "cost": Decimal(0)})
    row["visits"] += visits
    row["cost"] += Decimal(str(cost)) * visits


def cost_report(src: EpisodeSource, table: CostTable, date_from: date, date_to: date,
                residents: int | None = None) -> list[dict[str, Any]]:
    """Cost rows (module docstring), sorted by unit and group, the region last."""
    if not src.has_table("episodes"):
        raise MissingDataError(f"{src.label} has no episodes")
    con = src.con
    where = (f"status = 'done' AND visit_at IS NOT NULL AND CAST(visit_at AS DATE) "
             f"BETWEEN DATE '{date_from.isoformat()}' AND DATE '{date_to.isoformat()}'")
    groups = con.execute(f"""
        SELECT unit_id, professional_group, contact_mode, count(*) FROM episodes
        WHERE {where} GROUP BY ALL ORDER BY ALL""").fetchall()
    persons: dict[tuple[str, str], int] = {}
    for unit, group, n in con.execute(f"""
            SELECT unit_id, professional_group, count(DISTINCT person_id) FROM episodes
            WHERE {where} GROUP BY GROUPING SETS ((unit_id, professional_group), (unit_id), ())
            """).fetchall():
        persons[(unit or ALL, group or ALL)] = int(n)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    missing: set[tuple[str, str, str]] = set()
    for unit, group, mode, n in groups:
        price = table.prices.get((unit, mode, group), table.prices.get((None, mode, group)))
        if price is None:
            missing.add((unit, mode, group))
            continue
        for key in ((unit, group), (unit, ALL), (ALL, ALL)):
            _add(rows, key, int(n), price)
    if missing:
        shown = sorted(missing)[:10]
        raise MissingDataError(
            f"the cost table {table.source} has no price for "
            + "; ".join(f"unit {u}, {m}, {g}" for u, m, g in shown)
            + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            + ": add a row for the contact mode and professional group")
    out = []
    for (unit, group), r in sorted(rows.items(), key=lambda kv: (
            kv[0][0] == ALL, kv[0][0], kv[0][1] == ALL, kv[0][1])):
        p = persons.get((unit, group), 0)
        cost = float(r["cost"])
        row = {"unit_id": unit, "professional_group": group, "visits": r["visits"],
               "persons": p, "cost_eur": euros(cost),
               "cost_per_visit": euros(cost / r["visits"]),
               "cost_per_person": euros(cost / p) if p else None}
        if unit == ALL and group == ALL and residents:
            row["cost_per_resident"] = euros(cost / residents)
        out.append(row)
    return out


def suppress(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fewer than 5 persons: the persons ``<5`` and the per-person cost hidden (the visits
    and costs of a cell are not about persons and stay)."""
    return [{**r, "persons": SUPPRESSED, "cost_per_person": None}
            if is_small(r["persons"]) else dict(r) for r in rows]


def region_costs(dirs: tuple[Path, ...] | list[Path] = ()) -> CostTable:
    """The region's cost table: ``costs.csv`` in the first of ``dirs`` (the configured
    rules folders) that has one, else the shipped example (:data:`EXAMPLE`)."""
    for folder in dirs:
        path = Path(folder) / "costs.csv"
        if path.is_file():
            return load_costs(path)
    return load_costs(EXAMPLE)
