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
        con.execute("SET python_enable_replacements = false")
        con.register("event_log", log)
        return discover_flow(con, "event_log")
    finally:
        con.close()


def discover_flow(con: duckdb.DuckDBPyConnection, relation: str = "event_log") -> Flow:
    """Directly-follows graph, variants, start/end activities and durations of the event
    log ``relation`` (a table or view with ``case_id, activity, timestamp, seq``)."""
    _check_columns(con, relation)
    # Integer keys make the partitioned sort and the lists several times cheaper than text.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __flow_acts AS
        SELECT activity, CAST(row_number() OVER (ORDER BY activity) AS INTEGER) AS aid
        FROM (SELECT DISTINCT activity FROM {relation})""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __flow_ids AS
        SELECT case_id, row_number() OVER () AS cid
        FROM (SELECT DISTINCT case_id FROM {relation})""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __flow_events AS
        SELECT i.cid, a.aid, epoch_us(e.timestamp) AS ts, e.seq
        FROM {relation} e JOIN __flow_ids i ON e.case_id = i.case_id
        JOIN __flow_acts a ON e.activity = a.activity""")
    con.execute("DROP TABLE __flow_ids")
    # One window pass: each event's position in its case, and the next event.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE __flow_steps AS
        SELECT cid, aid, ts, row_number() OVER w AS pos, lead(aid) OVER w AS next_aid,
               (lead(ts) OVER w - ts) / 3.6e9 AS hours
        FROM __flow_events WINDOW w AS (PARTITION BY cid ORDER BY ts, seq)""")
    con.execute("DROP TABLE __flow_events")
    names = dict(con.execute("SELECT aid, activity FROM __flow_acts").fetchall())
    edges = [
        Edge(names[r[0]], names[r[1]], int(r[2]), float(r[3]), float(r[4]), float(r[5]),
             float(r[6]))
        for r in con.execute("""
            SELECT aid, next_aid, count(*) AS n, median(hours), quantile_cont(hours, 0.9),
                   avg(hours), sum(hours)
            FROM __flow_steps WHERE next_aid IS NOT NULL
            GROUP BY aid, next_aid""").fetchall()
    ]
    edges.sort(key=lambda e: (-e.count, e.source, e.target))
    activities = _named(con, "SELECT aid, count(*) FROM __flow_steps GROUP BY aid", names)
    # Per case: the activities in order. Unordered lists of (position, activity) are
    # gathered in parallel and sorted per case afterwards (cheaper than an ordered
    # aggregate).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE __flow_cases AS
        SELECT list_transform(list_grade_up(p), i -> a[i]) AS acts, hours FROM (
            SELECT list(aid) AS a, list(pos) AS p, (max(ts) - min(ts)) / 3.6e9 AS hours
            FROM __flow_steps GROUP BY cid)""")
    con.execute("DROP TABLE __flow_steps")
    variants = [Variant(tuple(names[a] for a in r[0]), int(r[1])) for r in con.execute(
        "SELECT acts, count(*) FROM __flow_cases GROUP BY acts").fetchall()]
    variants.sort(key=lambda v: (-v.count, v.activities))
    starts = _named(con, "SELECT acts[1], count(*) FROM __flow_cases GROUP BY 1", names)
    ends = _named(con, "SELECT acts[-1], count(*) FROM __flow_cases GROUP BY 1", names)
    row = con.execute("SELECT count(*), sum(len(acts)), median(hours), "
                      "quantile_cont(hours, 0.9) FROM __flow_cases").fetchone()
    con.execute("DROP TABLE __flow_cases")
    con.execute("DROP TABLE __flow_acts")
    assert row is not None
    return Flow(
        cases=int(row[0]), events=int(row[1] or 0), edges=edges, variants=variants,
        start_activities=starts, end_activities=ends,
        median_case_hours=None if row[2] is None else float(row[2]),
        p90_case_hours=None if row[3] is None else float(row[3]),
        activities=activities,
    )


def _named(con: duckdb.DuckDBPyConnection, sql: str, names: dict[int, str]) -> dict[str, int]:
    """``{activity: count}`` by count descending, then name."""
    pairs = [(names[r[0]], int(r[1])) for r in con.execute(sql).fetchall()]
    return dict(sorted(pairs, key=lambda p: (-p[1], p[0])))


def _check_columns(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    names: Sequence[str] = [c[0] for c in con.execute(
        f"SELECT * FROM {relation} LIMIT 0").description]
    missing = [c for c in LOG_COLUMNS if c not in names]
    if missing:
        raise PathwaysError(f"event log {relation!r} lacks column(s) {', '.join(missing)} "
                            f"(it has: {', '.join(names)})")
