"""The deadline report over the case events (planning.md §1) and the open cases on a date.

**Completed legs** (:func:`deadline_rows`), one row per month × case type × leg, a leg
belonging to the month of its **end** event; only leg instances with a rule in scope on the
start date count (legs with none in scope are not reported):

* ``completed``: leg instances whose end event is in the month;
* ``within_limit``: of those, end date ≤ deadline (the last day is on time);
  ``within_limit_pct`` = within_limit ÷ completed in percent, one decimal, half up;
* ``breaches`` = completed − within_limit;
* ``median_days``: median of end date − start date in calendar days (the mean of the two
  middle values when the count is even).

**Open legs on a date D** (:func:`open_legs`): start date ≤ D, no end event on or before D,
the case not closed or cancelled on or before D, and a rule in scope. For each: days so far
(D − start date), the limit date, days to it; ``past_limit`` when D is after the limit date,
``due_within_7d`` when the limit date is D … D + 7.

Small cells: :func:`suppress_rows` — any published count below 5 becomes ``"<5"``;
``completed`` below 5 also hides ``within_limit_pct`` and ``median_days`` (their
denominator), as in the access report.

This module is the API the management web page calls: :class:`DeadlineFilter`,
:func:`load_case_events` (from the store), :func:`deadline_rows`, :func:`open_legs`,
:func:`suppress_rows`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sotekeskus.analytics.case_legs import leg_instances
from sotekeskus.analytics.filters import FilterError, unknown_code
from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.domain.indicators import median, pct
from sotekeskus.domain.rules import RuleBook
from sotekeskus.domain.vocabulary import EVENT_CASE_TYPES, CaseType

#: Published fields of one deadline-report row, in order.
DEADLINE_FIELDS: tuple[str, ...] = (
    "month", "case_type", "from_event", "to_event", "completed", "within_limit",
    "within_limit_pct", "breaches", "median_days",
)
#: Fields of one open-legs summary row (per case type × leg).
OPEN_SUMMARY_FIELDS: tuple[str, ...] = (
    "case_type", "from_event", "to_event", "open", "past_limit", "due_within_7d",
    "longest_days",
)
#: Fields of one open leg (person level: audited where shown).
OPEN_FIELDS: tuple[str, ...] = (
    "case_id", "person_id", "unit_id", "case_type", "from_event", "to_event", "started_on",
    "days_so_far", "limit_date", "days_to_limit", "status",
)
_COUNTS = ("completed", "within_limit", "breaches", "open", "past_limit", "due_within_7d")
_DERIVED = {"completed": ("within_limit_pct", "median_days"), "open": ("longest_days",)}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class DeadlineFilter:
    """Selection for the deadline report: months of the end event (``YYYY-MM``,
    inclusive), case types (of the case-events file) and units (a leg belongs to the unit
    of its start event; ``None``: every unit)."""

    month_from: str | None = None
    month_to: str | None = None
    case_types: tuple[CaseType, ...] | None = field(default=None)
    unit_ids: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, month: str | None = None,
              case_types: Iterable[str] | None = None) -> DeadlineFilter:
        """From ``--month YYYY-MM`` (or ``YYYY-MM..YYYY-MM``) and case-type codes; raises
        :class:`FilterError` naming the value (and the allowed codes)."""
        month_from = month_to = None
        if month:
            parts = month.split("..")
            if len(parts) > 2 or not all(_MONTH.match(p) for p in parts):
                raise FilterError(f"month: {month!r} is not a month YYYY-MM "
                                  "(or a range YYYY-MM..YYYY-MM)", field="month", value=month)
            month_from, month_to = parts[0], parts[-1]
            if month_from > month_to:
                raise FilterError(f"month: {month!r} ends before it starts", field="month",
                                  value=month)
        chosen = None
        if case_types:
            allowed = tuple(c.value for c in EVENT_CASE_TYPES)
            values = [v.strip() for raw in case_types for v in raw.split(",") if v.strip()]
            for value in values:
                if value not in allowed:
                    raise unknown_code("case_type", value, "a case type of the case-events "
                                       "file", allowed)
            chosen = tuple(CaseType(v) for v in dict.fromkeys(values))
        return cls(month_from, month_to, chosen)


def load_case_events(db: str | None = None) -> pa.Table:
    """Every case event of the store named by ``db`` (see ``store.database``); a SQLite
    store is read by DuckDB's sqlite scanner, PostgreSQL through SQLAlchemy."""
    from sotekeskus.store.case_events import all_events
    from sotekeskus.store.database import make_engine, resolve_url, sqlite_path

    url = resolve_url(db)
    engine = make_engine(url)
    path = sqlite_path(url)
    if path is None or not path.exists() or not _has_events_table(engine):
        return all_events(engine)
    import duckdb

    from sotekeskus.analytics.source import load_extension
    from sotekeskus.ingest.case_events import SCHEMA

    con = duckdb.connect()
    try:
        load_extension(con, "sqlite")
        source = str(path).replace("'", "''")
        table = con.execute(f"""
            SELECT CAST(case_id AS VARCHAR) AS case_id, CAST(person_id AS VARCHAR) AS person_id,
                   CAST(birth_date AS DATE) AS birth_date, CAST(unit_id AS VARCHAR) AS unit_id,
                   CAST(case_type AS VARCHAR) AS case_type, CAST(event AS VARCHAR) AS event,
                   CAST("at" AS TIMESTAMP) AS "at", CAST(urgency AS VARCHAR) AS urgency,
                   CAST(professional_group AS VARCHAR) AS professional_group
            FROM sqlite_scan('{source}', 'case_events')""").to_arrow_table()
    finally:
        con.close()
    return table.cast(SCHEMA)


def _has_events_table(engine: Any) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(engine).has_table("case_events"))


def _in_units(legs: pa.Table, flt: DeadlineFilter) -> pa.Table:
    if flt.unit_ids is None:
        return legs
    return legs.filter(pc.is_in(legs["unit_id"], pa.array(flt.unit_ids, pa.string())))


def _months(flt: DeadlineFilter, month: str) -> bool:
    return not ((flt.month_from and month < flt.month_from)
                or (flt.month_to and month > flt.month_to))


def deadline_rows(events: pa.Table, book: RuleBook, flt: DeadlineFilter | None = None, *,
                  targets: bool = False, by_unit: bool = False) -> list[dict[str, Any]]:
    """Completed legs per month × case type × leg (unsuppressed); see the module docstring.
    ``by_unit``: per month × unit (of the start event) × case type × leg, with ``unit_id``."""
    flt = flt or DeadlineFilter()
    legs = _in_units(leg_instances(events, book, targets=targets, case_types=flt.case_types),
                     flt)
    unit = "unit_id" if by_unit else "CAST(NULL AS VARCHAR)"
    con = duckdb.connect()
    try:
        con.register("legs", legs)
        groups = con.execute(f"""
            SELECT strftime(end_date, '%Y-%m') AS month, {unit} AS unit, case_type,
                   from_event, to_event, count(*) AS completed,
                   CAST(sum(CASE WHEN end_date <= deadline THEN 1 ELSE 0 END) AS INTEGER),
                   list(days ORDER BY days) AS days
            FROM legs WHERE rule_id IS NOT NULL AND end_date IS NOT NULL
            GROUP BY ALL ORDER BY month, unit, case_type, from_event, to_event""").fetchall()
    finally:
        con.close()
    rows = []
    for month, unit_id, case_type, from_event, to_event, completed, within, days in groups:
        if not _months(flt, month):
            continue
        rows.append({
            "month": month, **({"unit_id": unit_id} if by_unit else {}),
            "case_type": case_type, "from_event": from_event,
            "to_event": to_event, "completed": int(completed), "within_limit": int(within),
            "within_limit_pct": pct(int(within), int(completed)),
            "breaches": int(completed) - int(within), "median_days": median(days),
        })
    return rows


@dataclass(frozen=True)
class OpenLegs:
    """Open legs on a date: one row per leg instance (person level) and the summary per
    case type × leg."""

    on: date
    rows: list[dict[str, Any]]
    summary: list[dict[str, Any]]

    @property
    def past_limit(self) -> int:
        return sum(r["status"] == "past_limit" for r in self.rows)

    @property
    def due_within_7d(self) -> int:
        return sum(r["status"] == "due_within_7d" for r in self.rows)


def open_legs(events: pa.Table, book: RuleBook, on: date,
              flt: DeadlineFilter | None = None, *, targets: bool = False) -> OpenLegs:
    """Legs waiting for their end event on ``on``; nearest limit first."""
    flt = flt or DeadlineFilter()
    legs = _in_units(leg_instances(events, book, targets=targets, case_types=flt.case_types),
                     flt)
    day = pa.scalar(on, pa.date32())
    waiting = pc.and_(
        pc.and_(pc.is_valid(legs["rule_id"]), pc.less_equal(legs["start_date"], day)),
        pc.and_(pc.fill_null(pc.greater(legs["end_date"], day), True),
                pc.fill_null(pc.greater(legs["stop_date"], day), True)))
    rows = []
    for r in legs.filter(waiting).to_pylist():
        to_limit = (r["deadline"] - on).days
        status = ("past_limit" if to_limit < 0 else
                  "due_within_7d" if to_limit <= 7 else "within_limit")
        rows.append({
            "case_id": r["case_id"], "person_id": r["person_id"], "unit_id": r["unit_id"],
            "case_type": r["case_type"], "from_event": r["from_event"],
            "to_event": r["to_event"], "started_on": r["start_date"],
            "days_so_far": (on - r["start_date"]).days, "limit_date": r["deadline"],
            "days_to_limit": to_limit, "status": status,
        })
    rows.sort(key=lambda r: (r["days_to_limit"], r["case_type"], r["case_id"]))
    summary: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["case_type"], r["from_event"], r["to_event"])
        s = summary.setdefault(key, {"case_type": key[0], "from_event": key[1],
                                     "to_event": key[2], "open": 0, "past_limit": 0,
                                     "due_within_7d": 0, "longest_days": 0})
        s["open"] += 1
        s["past_limit"] += r["status"] == "past_limit"
        s["due_within_7d"] += r["status"] == "due_within_7d"
        s["longest_days"] = max(s["longest_days"], r["days_so_far"])
    return OpenLegs(on, rows, [summary[k] for k in sorted(summary)])


def suppress_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy of ``rows`` with counts below 5 shown as ``"<5"`` and the figures computed
    from a small ``completed`` (``within_limit_pct``, ``median_days``) or ``open``
    (``longest_days``) hidden."""
    out = []
    for row in rows:
        copy = dict(row)
        for name in _COUNTS:
            if name in copy and is_small(copy[name]):
                for derived in _DERIVED.get(name, ()):
                    if derived in copy:
                        copy[derived] = None
                copy[name] = SUPPRESSED
        out.append(copy)
    return out
