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

Every filter of :class:`~sotekeskus.analytics.filters.AccessFilter` is a dimension here, so
:func:`access_counts_from_summaries` answers every access report and summary; at 10 M
episodes the cube has ~70 k rows and the wait distribution ~1 M, against 10 M episodes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.domain.indicators import AGE_GROUPS

if TYPE_CHECKING:
    import ibis.expr.types as ir

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


def add_summaries(con: duckdb.DuckDBPyConnection, book: RuleBook) -> None:
    """Create the summary tables from the ``episodes`` table of a snapshot being built."""
    import ibis

    from sotekeskus.analytics.access import access_counts
    from sotekeskus.analytics.derived import with_derived

    ib = ibis.duckdb.from_connection(con)
    e = with_derived(ib.table("episodes"), book)
    e = e.mutate(age_group=age_group(e))
    counts = access_counts(e, book, None, by_unit=True,
                           keys=("service_area", "professional_group", "age_group"))
    cube = counts.select(*DIMENSIONS, *COUNTS).order_by(list(DIMENSIONS))
    con.execute(f"CREATE TABLE {CUBE} AS {ibis.to_sql(cube, dialect='duckdb')}")
    a = e.filter(e.is_access & e.wait_days.notnull())
    waits = a.group_by([a.visit_month.name("month"), "unit_id", "service_area",
                        "professional_group", "age_group", "wait_days"]).aggregate(
        n=a.count()).order_by([*DIMENSIONS, "wait_days"])
    con.execute(f"CREATE TABLE {WAITS} AS {ibis.to_sql(waits, dialect='duckdb')}")
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


def _period(month: ir.StringValue, by: str) -> ir.StringValue:
    """The period label of a ``YYYY-MM`` month, as
    :func:`sotekeskus.analytics.periods.period_label` gives it for a timestamp."""
    if by == "month":
        return month
    year = month.substr(0, 4)
    if by == "quarter":
        return year + "-Q" + ((month.substr(5, 2).cast("int64") + 2) // 3).cast("string")
    if by == "year":
        return year
    from sotekeskus.analytics.periods import PERIODS, PeriodError

    raise PeriodError(f"period {by!r}: use one of {', '.join(PERIODS)}")


def _scoped(t: ir.Table, flt: AccessFilter, by: str) -> ir.Table:
    if flt.unit_ids is not None:
        t = t.filter(t.unit_id.isin(list(flt.unit_ids)))
    if flt.service_areas:
        t = t.filter(t.service_area.isin(list(flt.service_areas)))
    if flt.professional_groups:
        t = t.filter(t.professional_group.isin(list(flt.professional_groups)))
    if flt.age_group:
        t = t.filter(t.age_group == flt.age_group)
    t = flt.apply_months(t, t.month)
    return t.mutate(month=_period(t.month, by))


def access_counts_from_summaries(
    cube: ir.Table,
    waits: ir.Table,
    flt: AccessFilter | None = None,
    *,
    by_unit: bool = False,
    period: str = "month",
    keys: tuple[str, ...] = ("service_area", "professional_group"),
) -> ir.Table:
    """The same rows as :func:`sotekeskus.analytics.access.access_counts` over the
    episodes the tables were built from, for the same arguments."""
    import ibis

    flt = flt or AccessFilter()
    group = ["month", *keys] + (["unit_id"] if by_unit else [])
    c = _scoped(cube, flt, period)
    counts = c.group_by(group).aggregate(**{k: c[k].sum().cast("int64") for k in COUNTS})
    w = _scoped(waits, flt, period)
    h = w.group_by([*group, "wait_days"]).aggregate(_n=w.n.sum())
    h = h.mutate(
        _cum=h._n.sum().over(ibis.cumulative_window(group_by=group, order_by=h.wait_days)),
        _total=h._n.sum().over(ibis.window(group_by=group)),
    )
    med = h.group_by(group).aggregate(
        _lo=h.wait_days.min(where=h._cum >= (h._total + 1) // 2),
        _hi=h.wait_days.min(where=h._cum >= h._total // 2 + 1),
    )
    med = med.select(*group, median_wait_days=(med._lo + med._hi).cast("float64") / 2)
    joined = counts.left_join(med, group)
    return joined.select(*group, *COUNTS, "median_wait_days").order_by(group)
