"""Patient flow (process mining) over an event log, computed with DuckDB.

An event log has one row per event: ``case_id``, ``activity``, ``timestamp`` and ``seq`` (a
tie-breaker: the file order for a CSV log). Within a case the events are ordered by
``timestamp`` and then ``seq``, so events with the same timestamp keep their file order.
No artificial start or end node is added.

Definitions:
* **directly-follows edge** ``a → b``: an event ``a`` immediately followed by ``b`` in the
  same case; ``count`` = how many times; durations are the time from ``a``'s timestamp to
  ``b``'s in hours: ``median_hours`` (the mean of the two middle values when the count is
  even), ``p90_hours`` (the 90th percentile, linear interpolation between closest ranks, as
  ``numpy.percentile``), ``mean_hours`` and ``total_hours`` (the sum over all occurrences);
* **variant**: the sequence of activities of a case; ``count`` = cases following it;
* **start / end activities**: the first / last activity of each case, counted over cases;
* **bottleneck**: a transition where time is lost: edges ranked by ``total_hours`` (the
  case-time spent between the two activities, summed over cases), with its share of all
  time between consecutive events; ties by ``p90_hours``;
* **case duration**: last timestamp − first timestamp of a case, median and 90th percentile.

These agree with PM4Py's ``discover_dfg``, ``discover_performance_dfg``, ``get_variants``,
``get_start_activities`` and ``get_end_activities`` (``tests/test_pathways_flow.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.pathways.errors import PathwaysError

HOURS_DIGITS = 3  # published hours are rounded to 3 decimals (about 4 seconds)
LOG_COLUMNS = ("case_id", "activity", "timestamp", "seq")


@dataclass(frozen=True, slots=True)
class Edge:
    """A directly-follows relation ``source → target`` with its durations in hours."""

    source: str
    target: str
    count: int
    median_hours: float
    p90_hours: float
    mean_hours: float
    total_hours: float


@dataclass(frozen=True, slots=True)
class Variant:
    activities: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class Flow:
    """The patient flow of one event log (exact, unrounded, unsuppressed)."""

    cases: int
    events: int
    edges: list[Edge]
    variants: list[Variant]
    start_activities: dict[str, int]
    end_activities: dict[str, int]
    median_case_hours: float | None
    p90_case_hours: float | None
    activities: dict[str, int] = field(default_factory=dict)

    @property
    def total_transition_hours(self) -> float:
        return sum(e.total_hours for e in self.edges)

    def bottlenecks(self, n: int = 5) -> list[Edge]:
        """The ``n`` transitions with the most total time (see the module docstring)."""
        ranked = sorted(self.edges, key=lambda e: (-e.total_hours, -e.p90_hours,
                                                   e.source, e.target))
        return [e for e in ranked if e.total_hours > 0][:n]

    def to_dict(self, *, detail: bool = False, suppress: bool = False) -> dict[str, Any]:
        """The published form: ``{"edges", "variants", "start_activities",
        "end_activities"}``, hours rounded to 3 decimals. ``detail`` adds ``p90_hours`` to
        each edge and the keys ``cases``, ``events``, ``bottlenecks`` and ``case_hours``.
        ``suppress`` shows counts below 5 as ``"<5"`` and hides their durations."""

        def count(value: int) -> int | str:
            return SUPPRESSED if suppress and is_small(value) else value

        def hours(value: float | None, n: int) -> float | None:
            if value is None or (suppress and is_small(n)):
                return None
            return round(value, HOURS_DIGITS)

        def edge(e: Edge, extra: bool) -> dict[str, Any]:
            row: dict[str, Any] = {"from": e.source, "to": e.target, "count": count(e.count),
                                   "median_hours": hours(e.median_hours, e.count)}
            if extra:
                row["p90_hours"] = hours(e.p90_hours, e.count)
                row["total_hours"] = hours(e.total_hours, e.count)
            return row

        body: dict[str, Any] = {
            "edges": [edge(e, detail) for e in self.edges],
            "variants": [{"activities": list(v.activities), "count": count(v.count)}
                         for v in self.variants],
            "start_activities": {k: count(v) for k, v in self.start_activities.items()},
            "end_activities": {k: count(v) for k, v in self.end_activities.items()},
        }
        if detail:
            total = self.total_transition_hours
            body["cases"] = count(self.cases)
            body["events"] = count(self.events)
            body["case_hours"] = {"median": hours(self.median_case_hours, self.cases),
                                  "p90": hours(self.p90_case_hours, self.cases)}
            body["bottlenecks"] = [
                {**edge(e, True),
                 "share_of_time_pct": (None if suppress and is_small(e.count) or not total
                                       else round(100 * e.total_hours / total, 1))}
                for e in self.bottlenecks()
            ]
        return body


def flow_from_table(log: pa.Table) -> Flow:
    """:func:`discover_flow` over an Arrow event log (e.g. from ``read_event_log``)."""
    con = duckdb.connect()
    try:
        con.register("event_log", log)
        return discover_flow(con, "event_log")
    finally:
        con.close()


def discover_flow(con: duckdb.DuckDBPyConnection, relation: str = "event_log") -> Flow:
    """Directly-follows graph, variants, start/end activities and durations of the event
    log ``relation`` (a table or view with ``case_id, activity, timestamp, seq``)."""
    _check_columns(con, relation)
    order = "ORDER BY timestamp, seq"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __flow_pairs AS
        SELECT activity AS source,
               lead(activity) OVER w AS target,
               (epoch_us(lead(timestamp) OVER w) - epoch_us(timestamp)) / 3.6e9 AS hours
        FROM {relation}
        WINDOW w AS (PARTITION BY case_id {order})""")
    edges = [
        Edge(str(r[0]), str(r[1]), int(r[2]), float(r[3]), float(r[4]), float(r[5]),
             float(r[6]))
        for r in con.execute("""
            SELECT source, target, count(*) AS n, median(hours), quantile_cont(hours, 0.9),
                   avg(hours), sum(hours)
            FROM __flow_pairs WHERE target IS NOT NULL
            GROUP BY source, target ORDER BY n DESC, source, target""").fetchall()
    ]
    activities = {str(r[0]): int(r[1]) for r in con.execute(
        "SELECT source, count(*) AS n FROM __flow_pairs GROUP BY source "
        "ORDER BY n DESC, source").fetchall()}
    con.execute("DROP TABLE __flow_pairs")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __flow_cases AS
        SELECT case_id, list(activity {order}) AS acts,
               (epoch_us(max(timestamp)) - epoch_us(min(timestamp))) / 3.6e9 AS hours
        FROM {relation} GROUP BY case_id""")
    variants = [Variant(tuple(r[0]), int(r[1])) for r in con.execute(
        "SELECT acts, count(*) AS n FROM __flow_cases GROUP BY acts "
        "ORDER BY n DESC, acts").fetchall()]
    starts = _counts(con, "acts[1]")
    ends = _counts(con, "acts[-1]")
    row = con.execute("SELECT count(*), sum(len(acts)), median(hours), "
                      "quantile_cont(hours, 0.9) FROM __flow_cases").fetchone()
    con.execute("DROP TABLE __flow_cases")
    assert row is not None
    return Flow(
        cases=int(row[0]), events=int(row[1] or 0), edges=edges, variants=variants,
        start_activities=starts, end_activities=ends,
        median_case_hours=None if row[2] is None else float(row[2]),
        p90_case_hours=None if row[3] is None else float(row[3]),
        activities=activities,
    )


def _counts(con: duckdb.DuckDBPyConnection, expr: str) -> dict[str, int]:
    return {str(r[0]): int(r[1]) for r in con.execute(
        f"SELECT {expr} AS a, count(*) AS n FROM __flow_cases GROUP BY a "
        "ORDER BY n DESC, a").fetchall()}


def _check_columns(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    names: Sequence[str] = [c[0] for c in con.execute(
        f"SELECT * FROM {relation} LIMIT 0").description]
    missing = [c for c in LOG_COLUMNS if c not in names]
    if missing:
        raise PathwaysError(f"event log {relation!r} lacks column(s) {', '.join(missing)} "
                            f"(it has: {', '.join(names)})")
