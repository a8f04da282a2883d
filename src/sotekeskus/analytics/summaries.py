"""Pre-aggregated summary tables in the snapshot: the access figures without scanning episodes.

Built with the snapshot (:func:`add_summaries`, called by
:func:`sotekeskus.analytics.source.build_snapshot`) from the same Ibis definitions as the
report itself:

* ``access_cube`` — per visit month × unit × service area × professional group × age group
  (age on the contact date, :data:`~sotekeskus.domain.indicators.AGE_GROUPS`): the counts of
  :func:`sotekeskus.analytics.access.access_counts` (done, remote, base, visits, within_7d,
  within_14d, over_90d, legal_breaches, target_visits, target_misses). All are sums, so any
  filter on those dimensions and any coarser grouping add them up exactly.
* ``access_waits`` — per the same keys × wait in days: the number of access visits. The
  median is not a sum, but it is exact from this distribution: the k-th smallest wait is
  the first wait whose running count reaches k; the median is the mean of the
  ⌊(n+1)/2⌋-th and the (⌊n/2⌋+1)-th.
* ``summary_meta`` — the :func:`summary_format` the tables were built with. A snapshot of
  another format (older code, other age groups) is rebuilt on open.

An incremental refresh (:func:`sotekeskus.analytics.source.refresh_snapshot`) recomputes the
rows of every (month, unit, service area, professional group) a changed episode was or is
in, from the same :func:`summary_selects` over those episodes only.

Every filter of :class:`~sotekeskus.analytics.filters.AccessFilter` is a dimension here, so
:func:`access_counts` answers every access report and summary; at 10 M
episodes the cube has ~70 k rows and the wait distribution ~1 M, against 10 M episodes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.domain.indicators import AGE_GROUPS

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

    from sotekeskus.domain.rules import RuleBook

CUBE = "access_cube"
WAITS = "access_waits"
META = "summary_meta"
#: Bump when the tables' layout changes.
LAYOUT = 1
COUNTS = ("done", "remote", "base", "visits", "within_7d", "within_14d", "over_90d",
          "legal_breaches", "target_visits", "target_misses")
DIMENSIONS = ("month", "unit_id", "service_area", "professional_group", "age_group")
#: The filter fields the tables can answer (all of them, today).
FILTER_FIELDS = frozenset({"month_from", "month_to", "unit_ids", "service_areas",
                           "professional_groups", "age_group"})


@lru_cache(maxsize=1)
def summary_format() -> str:
    """Changes when the definitions the tables are built from change: this module, the
    access counts, the derived columns and deadlines, and the age groups."""
    from sotekeskus.analytics import access, deadlines, derived

    h = hashlib.sha256(f"{LAYOUT}:{sorted(AGE_GROUPS.items())}".encode())
    for module in (access, deadlines, derived):
        h.update(inspect.getsource(module).encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def age_group(e: ir.Table) -> ir.StringValue:
    """The age group on the contact date, by the same comparisons as
    :meth:`AccessFilter.apply_scope` (``birth_date + lo years <= contact date <
    birth_date + hi years``)."""
    import ibis

    day = e.contact_at.date()
    cases = []
    for name, (lo, hi) in AGE_GROUPS.items():
        cond = e.birth_date + ibis.interval(years=lo) <= day
        if hi is not None:
            cond = cond & (e.birth_date + ibis.interval(years=hi) > day)
        cases.append((cond, name))
    return ibis.cases(*cases, else_=ibis.null().cast("string"))


def summary_selects(con: duckdb.DuckDBPyConnection, book: RuleBook,
                    table: str = "episodes") -> tuple[str, str]:
    """The SELECTs of the cube and of the wait distribution over the episodes in ``table``
    (a snapshot's ``episodes`` or a subset of it with the same columns)."""
    import ibis

    from sotekeskus.analytics.access import access_counts
    from sotekeskus.analytics.derived import with_derived

    ib = ibis.duckdb.from_connection(con)
    e = with_derived(ib.table(table), book)
    e = e.mutate(age_group=age_group(e))
    counts = access_counts(e, book, None, by_unit=True,
                           keys=("service_area", "professional_group", "age_group"))
    cube = counts.select(*DIMENSIONS, *COUNTS).order_by(list(DIMENSIONS))
    # Plain BIGINT counts: DuckDB sums integers as HUGEINT, which is much slower to read.
    casts = ", ".join(f"CAST({k} AS BIGINT) AS {k}" for k in COUNTS)
    cube_sql = (f"SELECT {', '.join(DIMENSIONS)}, {casts} "
                f"FROM ({ibis.to_sql(cube, dialect='duckdb')})")
    a = e.filter(e.is_access & e.wait_days.notnull())
    waits = a.group_by([a.visit_month.name("month"), "unit_id", "service_area",
                        "professional_group", "age_group", "wait_days"]).aggregate(
        n=a.count()).order_by([*DIMENSIONS, "wait_days"])
    return cube_sql, str(ibis.to_sql(waits, dialect="duckdb"))


def add_summaries(con: duckdb.DuckDBPyConnection, book: RuleBook) -> None:
    """Create the summary tables from the ``episodes`` table of a snapshot being built."""
    cube_sql, waits_sql = summary_selects(con, book)
    con.execute(f"CREATE TABLE {CUBE} AS {cube_sql}")
    con.execute(f"CREATE TABLE {WAITS} AS {waits_sql}")
    con.execute(f"CREATE TABLE {META} AS SELECT ? AS format", [summary_format()])


def summaries_current(path: Path) -> bool:
    """Whether the snapshot at ``path`` has summary tables of the current format."""
    if not path.exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        row = con.execute(f"SELECT format FROM {META}").fetchone()
        return bool(row) and str(row[0]) == summary_format()
    except duckdb.Error:
        return False
    finally:
        con.close()


def can_answer(flt: AccessFilter | None) -> bool:
    """Whether every field of the filter is a dimension of the summary tables."""
    names = {f.name for f in dataclasses.fields(AccessFilter)}
    return names <= FILTER_FIELDS


PERIOD_SQL = {
    "month": "month",
    "quarter": "substr(month, 1, 4) || '-Q' || CAST((CAST(substr(month, 6, 2) AS INTEGER) + 2)"
               " // 3 AS VARCHAR)",
    "year": "substr(month, 1, 4)",
}


def _where(flt: AccessFilter) -> tuple[str, list[Any]]:
    """The filter as a WHERE clause over the summary tables' dimensions, with parameters
    (the same selections as :meth:`AccessFilter.apply_scope` and ``apply_months``)."""
    parts, params = [], []
    for column, values, empty_means_none in (
            ("unit_id", flt.unit_ids, True), ("service_area", flt.service_areas, False),
            ("professional_group", flt.professional_groups, False)):
        if values is None or (not values and not empty_means_none):
            continue
        if not values:
            parts.append("false")
            continue
        parts.append(f"{column} IN ({', '.join('?' for _ in values)})")
        params.extend(values)
    for clause, value in (("age_group = ?", flt.age_group), ("month >= ?", flt.month_from),
                          ("month <= ?", flt.month_to)):
        if value:
            parts.append(clause)
            params.append(value)
    return " AND ".join(parts) or "true", params


def access_counts(
    fetch: Callable[[str, list[Any]], pa.Table],
    flt: AccessFilter | None = None,
    *,
    by_unit: bool = False,
    period: str = "month",
    keys: tuple[str, ...] = ("service_area", "professional_group"),
) -> list[dict[str, Any]]:
    """The same rows as :func:`sotekeskus.analytics.access.access_counts` over the episodes
    the tables were built from, for the same arguments. ``fetch(sql, params)`` runs DuckDB
    SQL on the snapshot and returns an Arrow table.

    Two queries: the counts summed over the filter's cells of ``access_cube``, and the wait
    distribution summed over the same cells of ``access_waits``, ordered by group and wait;
    each group's median is then read off its running count (:func:`medians`)."""
    if period not in PERIOD_SQL:
        from sotekeskus.analytics.periods import PERIODS, PeriodError

        raise PeriodError(f"period {period!r}: use one of {', '.join(PERIODS)}")
    unknown = set(keys) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"keys: {sorted(unknown)[0]!r} is not a summary dimension")
    where, params = _where(flt or AccessFilter())
    group = ["month", *keys, *(["unit_id"] if by_unit else [])]
    cols = ", ".join(group)
    inner = ", ".join([f"{PERIOD_SQL[period]} AS month", *group[1:]])
    sums = ", ".join(f"CAST(sum({k}) AS BIGINT) AS {k}" for k in COUNTS)
    counts = fetch(f"SELECT {inner}, {sums} FROM {CUBE} WHERE {where} "
                   f"GROUP BY ALL ORDER BY {cols}", params).to_pylist()
    waits = fetch(f"SELECT {inner}, wait_days, CAST(sum(n) AS BIGINT) AS n FROM {WAITS} "
                  f"WHERE {where} GROUP BY ALL ORDER BY {cols}, wait_days", params)
    found = medians(waits, group)
    for row in counts:
        row["median_wait_days"] = found.get(tuple(row[g] for g in group))
    return counts


def medians(waits: pa.Table, group: list[str]) -> dict[tuple[Any, ...], float]:
    """Median wait per group from ``waits`` (columns ``group``, ``wait_days``, ``n`` ≥ 1),
    sorted by group and wait: the mean of the ⌊(t+1)/2⌋-th and the (⌊t/2⌋+1)-th smallest
    wait of the group's t visits, each the first wait whose running count reaches it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = waits.num_rows
    if rows == 0:
        return {}
    n = waits.column("n").to_numpy()
    wait = waits.column("wait_days").to_numpy()
    change = np.zeros(rows - 1, dtype=bool)
    for g in group:  # a new group starts where any key differs from the row before
        col = waits.column(g)
        after, before_ = col.slice(1), col.slice(0, rows - 1)
        differs = pc.if_else(pc.and_(pc.is_null(after), pc.is_null(before_)), False,
                             pc.fill_null(pc.not_equal(after, before_), True))
        change |= differs.to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.concatenate(([True], change)))
    ends = np.concatenate((starts[1:], [waits.num_rows])) - 1
    running = np.cumsum(n)
    before = running[starts] - n[starts]
    total = running[ends] - before
    lo = wait[np.searchsorted(running, before + (total + 1) // 2, side="left")]
    hi = wait[np.searchsorted(running, before + total // 2 + 1, side="left")]
    values = (lo + hi) / 2
    heads = waits.select(group).take(pa.array(starts)).to_pylist()
    return {tuple(h[g] for g in group): float(v)
            for h, v in zip(heads, values.tolist(), strict=True)}
