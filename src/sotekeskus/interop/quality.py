"""The data-quality report: how completely a region records what the access statistic needs.

Per unit × month (``month`` = ``YYYY-MM`` of the visit, else of the contact; for rejected
rows the same from the raw text, ``(unknown)`` when unreadable):

From the stored episodes —
* ``episodes``: episodes of the unit and month;
* ``done_visits``: of them ``status = done``;
* ``non_urgent_visits``: done, non-urgent, not plan-based (THL's coverage denominator);
* ``without_assessment``: of those, no ``assessed_at`` (no care-need assessment recorded);
* ``assessment_coverage_pct``: (non_urgent_visits − without_assessment) ÷ non_urgent_visits,
  in percent, one decimal — the ``assessment_coverage_pct`` of the access report;
* ``missing_contact_mode``: done visits without a contact mode.

From the quarantine (rows rejected by ``--quarantine`` imports; a row counts once however
many rules it breaks) —
* ``rejected_rows``; and the rejected rows with at least one reason of each category:
  ``invalid_codes`` (a code outside the vocabulary or the code map), ``missing_values``
  (a required value empty), ``bad_dates`` (not a date, no such date, year out of range,
  bad offset), ``order_violations`` (assessment before contact, visit before assessment,
  born after the contact), ``duplicates``, ``malformed`` (a line the CSV reader cannot
  split), ``other``;
* ``missing_professional_group``: rejected rows whose professional group is empty.

``by="unit-group"`` counts the rejected rows (all, and per category) per unit × professional
group (the contract group when it could be told from the row, else ``(unknown)``).
``by="reason"`` lists instead, per unit, every (category, column, reason) with its count of
rejected rows. Counts are exact; the CLI suppresses small cells unless ``--no-suppress``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sotekeskus.domain.indicators import pct
from sotekeskus.interop.quarantine import CATEGORIES

if TYPE_CHECKING:
    from sqlalchemy import Engine

UNKNOWN = "(unknown)"
CATEGORY_FIELDS = {"invalid_code": "invalid_codes", "missing_value": "missing_values",
                   "bad_date": "bad_dates", "order": "order_violations",
                   "duplicate": "duplicates", "malformed": "malformed", "other": "other"}
UNIT_MONTH_COLUMNS = ("unit_id", "month", "episodes", "done_visits", "non_urgent_visits",
                      "without_assessment", "assessment_coverage_pct", "missing_contact_mode",
                      "rejected_rows", *CATEGORY_FIELDS.values(), "missing_professional_group")
REASON_COLUMNS = ("unit_id", "category", "column", "reason", "rejected_rows")
GROUP_COLUMNS = ("unit_id", "professional_group", "rejected_rows", *CATEGORY_FIELDS.values())
#: Count fields → the figures derived from them (for small-cell suppression).
SUPPRESSION = {**{c: () for c in UNIT_MONTH_COLUMNS[2:] if c != "assessment_coverage_pct"},
               "non_urgent_visits": ("assessment_coverage_pct",)}
BY = ("unit-month", "unit-group", "reason")


def _month_sql(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"substr(CAST({column} AS TEXT), 1, 7)"
    return f"to_char({column}, 'YYYY-MM')"


def _row_key() -> str:
    return "file_name || ':' || CAST(coalesce(line, -1) AS VARCHAR(12))"


def data_quality(engine: Engine, by: str = "unit-month", units: tuple[str, ...] | None = None,
                 month: str | None = None) -> list[dict[str, Any]]:
    """The report's rows (see the module docstring), sorted by unit and month."""
    if by not in BY:
        raise ValueError(f"by {by!r}: use one of {', '.join(BY)}")
    from sqlalchemy import text

    dialect = engine.dialect.name
    key = _row_key()
    with engine.connect() as conn:
        if by == "reason":
            rows = conn.execute(text(
                "SELECT coalesce(unit_id, :u) AS unit_id, category, column_name, reason, "
                f"count(DISTINCT {key}) AS n FROM quarantine "
                + ("WHERE coalesce(month, :u) = :m " if month else "")
                + "GROUP BY coalesce(unit_id, :u), category, column_name, reason "
                "ORDER BY 1, 5 DESC, 2, 3, 4"), {"u": UNKNOWN, "m": month}).all()
            out = [{"unit_id": r[0], "category": r[1], "column": r[2], "reason": r[3],
                    "rejected_rows": int(r[4])} for r in rows]
            return [r for r in out if not units or r["unit_id"] in units]
        if by == "unit-group":
            per_category = ", ".join(
                f"count(DISTINCT CASE WHEN category = '{c}' THEN {key} END)"
                for c in CATEGORIES)
            rows = conn.execute(text(
                "SELECT coalesce(unit_id, :u), coalesce(professional_group, :u), "
                f"count(DISTINCT {key}), {per_category} FROM quarantine "
                + ("WHERE coalesce(month, :u) = :m " if month else "")
                + "GROUP BY coalesce(unit_id, :u), coalesce(professional_group, :u) "
                "ORDER BY 1, 2"), {"u": UNKNOWN, "m": month}).all()
            out = []
            for unit, group, n, *counts in rows:
                r: dict[str, Any] = {"unit_id": unit, "professional_group": group,
                                     "rejected_rows": int(n)}
                r.update({CATEGORY_FIELDS[c]: int(v)
                          for c, v in zip(CATEGORIES, counts, strict=True)})
                out.append(r)
            return [r for r in out if not units or r["unit_id"] in units]
        m = _month_sql(dialect, "coalesce(visit_at, contact_at)")
        stored = conn.execute(text(
            f"SELECT unit_id, {m} AS month, count(*) AS episodes, "
            "sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status = 'done' AND urgency = 'non_urgent' AND NOT "
            "coalesce(plan_based, false) THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status = 'done' AND urgency = 'non_urgent' AND NOT "
            "coalesce(plan_based, false) AND assessed_at IS NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status = 'done' AND contact_mode IS NULL THEN 1 ELSE 0 END) "
            f"FROM episodes GROUP BY unit_id, {m}")).all()
        per_category = ", ".join(
            f"count(DISTINCT CASE WHEN category = '{c}' THEN {key} END)" for c in CATEGORIES)
        rejected = conn.execute(text(
            f"SELECT coalesce(unit_id, :u), coalesce(month, :u), count(DISTINCT {key}), "
            f"{per_category}, count(DISTINCT CASE WHEN category = 'missing_value' AND "
            f"column_name IN ('professional_group', 'KAYNTI_AMMATTI') THEN {key} END) "
            "FROM quarantine GROUP BY coalesce(unit_id, :u), coalesce(month, :u)"),
            {"u": UNKNOWN}).all()
    table: dict[tuple[str, str], dict[str, Any]] = {}

    def row(unit: str, mon: str) -> dict[str, Any]:
        if (unit, mon) not in table:
            table[(unit, mon)] = {c: 0 for c in UNIT_MONTH_COLUMNS}
            table[(unit, mon)].update(unit_id=unit, month=mon)
        return table[(unit, mon)]

    for unit, mon, n, done, base, without, no_mode in stored:
        r = row(unit, mon or UNKNOWN)
        r.update(episodes=int(n), done_visits=int(done or 0), non_urgent_visits=int(base or 0),
                 without_assessment=int(without or 0), missing_contact_mode=int(no_mode or 0))
    for unit, mon, n, *counts in rejected:
        r = row(unit, mon)
        r["rejected_rows"] = int(n)
        for category, value in zip(CATEGORIES, counts[:-1], strict=True):
            r[CATEGORY_FIELDS[category]] = int(value)
        r["missing_professional_group"] = int(counts[-1])
    out = []
    for (unit, mon), r in sorted(table.items()):
        if units and unit not in units:
            continue
        if month and mon != month:
            continue
        r["assessment_coverage_pct"] = pct(r["non_urgent_visits"] - r["without_assessment"],
                                           r["non_urgent_visits"])
        out.append(r)
    return out
