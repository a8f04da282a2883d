"""The planning analyses for long-lived processes (the web app): a planning source scoped to
units, and the answers kept per data version.

Every figure is :mod:`sotekeskus.planning`'s (the same calls as ``sotekeskus report queues``,
``plan queue|simulate|forecast`` and ``report care-debt``). This module only

* opens a :class:`~sotekeskus.planning.source.PlanningSource` over the analytics snapshot
  the process already keeps (attached read-only under a name of its own, as the snapshot
  backend does, so a rebuilt snapshot is never confused with the old one), with the
  episodes and case events of the given units only (``None``: the whole region) — a
  manager's queues are their own units' and a pooled queue is pooled over those;
* keeps each answer per (episodes version, case-events version, units, question), computed
  once even when several requests ask at the same moment.

Answers are exact and unsuppressed; the caller suppresses.
"""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sotekeskus.analytics import deadline_service
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.planning.source import PlanningSource

Units = tuple[str, ...] | None
_aliases = itertools.count(1)


class _Memo:
    """A small LRU of computed objects, one computation per key at a time."""

    def __init__(self, size: int = 48) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            future = self._pending.get(key)
            owner = future is None
            if owner:
                future = self._pending[key] = Future()
        assert future is not None
        if not owner:
            return future.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                self._pending.pop(key, None)
            future.set_exception(exc)
            raise
        with self._lock:
            self._pending.pop(key, None)
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        future.set_result(value)
        return value


_MEMOS: weakref.WeakKeyDictionary[AnalyticsHolder, _Memo] = weakref.WeakKeyDictionary()
_MEMOS_LOCK = threading.Lock()


def _memo(holder: AnalyticsHolder) -> _Memo:
    with _MEMOS_LOCK:
        memo = _MEMOS.get(holder)
        if memo is None:
            memo = _MEMOS[holder] = _Memo()
        return memo


def versions(holder: AnalyticsHolder) -> tuple[str, str]:
    """(episodes version of the snapshot, case-events version)."""
    return holder.get().data_version, deadline_service.events_version(holder.store())


def answer(holder: AnalyticsHolder, key: tuple[Hashable, ...], compute: Callable[[], Any]
           ) -> Any:
    """``compute()`` kept per data version under ``key``."""
    return _memo(holder).get((*versions(holder), *key), compute)


@contextmanager
def scoped_connection(holder: AnalyticsHolder, unit_ids: Units = None
                      ) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with the views ``episodes`` (the analytics snapshot's,
    of ``unit_ids``; ``None``: every unit) and the table ``case_events`` (the store's, of
    the same units). The snapshot is attached read-only under a name of its own (a hard
    link, unlinked at once), so a rebuilt snapshot is never confused with the old one."""
    from sotekeskus.analytics.source import snapshot_path

    holder.get().data_version  # noqa: B018 - builds the snapshot, follows changes
    path = snapshot_path(holder.db_url)
    alias = path.with_name(f"{path.name}.p{os.getpid()}-{next(_aliases)}")
    try:
        os.link(path, alias)
    except OSError:
        alias = path
    con = duckdb.connect()
    try:
        con.execute("SET python_enable_replacements = false")
        literal = str(alias).replace("'", "''")
        con.execute(f"ATTACH '{literal}' AS snap (READ_ONLY)")
    finally:
        if alias != path:
            alias.unlink(missing_ok=True)
    try:
        where = ""
        if unit_ids is not None:
            listed = ", ".join("'" + u.replace("'", "''") + "'" for u in unit_ids) or "NULL"
            where = f" WHERE unit_id IN ({listed})"
        con.execute(f"CREATE VIEW episodes AS SELECT * FROM snap.episodes{where}")
        _, events = deadline_service.case_events(holder)
        if unit_ids is not None:
            events = events.filter(pc.is_in(events["unit_id"],
                                            pa.array(list(unit_ids), pa.string())))
        con.register("case_events", events)
        yield con
    finally:
        con.close()


@contextmanager
def source(holder: AnalyticsHolder, unit_ids: Units = None) -> Iterator[PlanningSource]:
    """The store's episodes (and case events) of ``unit_ids`` as a planning source."""
    with scoped_connection(holder, unit_ids) as con:
        yield PlanningSource(con, holder.get().rulebook, "the store")


def entries(holder: AnalyticsHolder, unit_ids: Units = None) -> pa.Table:
    """Every queue entry of the units: episode queues (an episode without a recorded
    assessment enters on its contact date, as the CLI's default) and case-events queues."""
    from sotekeskus.planning.case_queues import case_queue_entries
    from sotekeskus.planning.queues import queue_entries

    def compute() -> pa.Table:
        with source(holder, unit_ids) as src:
            return pa.concat_tables([queue_entries(src, include_unassessed=True),
                                     case_queue_entries(src)])

    return answer(holder, ("entries", unit_ids), compute)


def last_date(holder: AnalyticsHolder, unit_ids: Units = None) -> date | None:
    """The last contact, assessment or visit date of the units' episodes."""
    def compute() -> date | None:
        with source(holder, unit_ids) as src:
            return src.last_date()

    return answer(holder, ("last_date", unit_ids), compute)  # type: ignore[no-any-return]


def series(holder: AnalyticsHolder, unit_ids: Units, start: date, end: date) -> Any:
    """:func:`~sotekeskus.planning.queues.weekly_series` of every queue, units and pooled,
    with the median and 90th percentile (a pandas DataFrame; do not modify)."""
    from sotekeskus.planning.queues import weekly_series

    return answer(holder, ("series", unit_ids, start, end),
                  lambda: weekly_series(entries(holder, unit_ids), start, end, units=True,
                                        pooled=True, quantiles=True))


def queue_plan(holder: AnalyticsHolder, unit_ids: Units, queue: Any, *,
               target_wait_days: float, on: date | None, by: date | None) -> Any:
    """:func:`~sotekeskus.planning.queue_plan.plan_queue` of one queue."""
    from sotekeskus.planning.queue_plan import plan_queue

    return answer(holder, ("plan", unit_ids, str(queue), target_wait_days, on, by),
                  lambda: plan_queue(entries(holder, unit_ids), queue,
                                     target_wait_days=target_wait_days, on=on, by=by))


def simulation(holder: AnalyticsHolder, unit_ids: Units, spec: Any) -> tuple[Any, Any, Any]:
    """``(Estimates, doing nothing, the scenario)`` of a
    :class:`~sotekeskus.planning.scenario_file.ScenarioSpec` (the same seed for both runs)."""
    from sotekeskus.planning.scenario import estimate_scenario, without_extras
    from sotekeskus.planning.simulation import simulate

    def compute() -> tuple[Any, Any, Any]:
        day = spec.on or last_date(holder, unit_ids)
        scenario, estimates = estimate_scenario(
            entries(holder, unit_ids), spec.queue, on=day, weeks=spec.weeks,
            target_days=spec.target_wait_days, own_cost_per_patient=spec.own_cost_per_patient,
            extras=spec.extra_capacity, arrivals_factor=spec.arrivals_factor,
            own_capacity_per_week=spec.own_capacity_per_week)
        as_is = simulate(without_extras(scenario), spec.replications, spec.seed)
        result = (simulate(scenario, spec.replications, spec.seed) if spec.extra_capacity
                  else as_is)
        return estimates, as_is, result

    return answer(holder, ("simulate", unit_ids, spec), compute)  # type: ignore[no-any-return]


def forecast(holder: AnalyticsHolder, unit_ids: Units, queue: Any, what: str, *,
             horizon: int, end: date, history_weeks: int = 156,
             models: Sequence[str] | None = None) -> tuple[Any, Any]:
    """``(the weekly history, SeriesForecast)`` of one queue's weekly ``what`` (arrivals,
    served, removals, urgent_arrivals), as ``sotekeskus plan forecast`` computes it."""
    from datetime import timedelta

    from sotekeskus.planning.forecast import MODELS, forecast_series
    from sotekeskus.planning.queues import QueueError, weekly_series

    chosen = tuple(models or MODELS)

    def compute() -> tuple[Any, Any]:
        start = end - timedelta(weeks=history_weeks) + timedelta(days=1)
        weekly = weekly_series(entries(holder, unit_ids), start, end)
        rows = weekly[weekly["queue_id"] == str(queue)]
        if rows.empty:
            raise QueueError(f"no queue {queue} in the data")
        active = (rows["arrivals"] + rows["size"] + rows["removals"]).to_numpy() > 0
        if not active.any():
            raise QueueError(f"{queue}: no entries in the history")
        rows = rows.iloc[int(active.argmax()):].reset_index(drop=True)
        result = forecast_series(str(queue), list(rows["week"]), rows[what].to_numpy(),
                                 horizon=horizon, models=chosen)
        return rows[["week", what]].copy(), result

    return answer(holder, ("forecast", unit_ids, str(queue), what, horizon, end,  # type: ignore[no-any-return]
                           history_weeks, chosen), compute)


def care_debt(holder: AnalyticsHolder, *, window_from: str, window_to: str, measure: str,
              fit_until: str = "2020-03") -> list[dict[str, Any]]:
    """:func:`~sotekeskus.planning.care_debt.pandemic_deficit` of the whole region, as
    ``sotekeskus report care-debt`` computes it (catch-up to the last whole month)."""
    from datetime import timedelta

    from sotekeskus.planning.care_debt import monthly_counts, pandemic_deficit

    def compute() -> list[dict[str, Any]]:
        last = last_date(holder, None)
        if last is None:
            return []
        whole = last if (last + timedelta(days=1)).day == 1 else \
            last.replace(day=1) - timedelta(days=1)
        with source(holder, None) as src:
            counts = monthly_counts(src, measure)
        return pandemic_deficit(counts, window_from=window_from, window_to=window_to,
                                fit_until=fit_until, data_until=whole.strftime("%Y-%m"),
                                skip_first_months=3 if measure == "visits" else 0)

    rows: list[dict[str, Any]] = answer(
        holder, ("care_debt", window_from, window_to, measure, fit_until), compute)
    return [dict(r) for r in rows]


def backlog(holder: AnalyticsHolder, unit_ids: Units, *, on: date, clear_by: date | None,
            target_wait_days: float | None) -> list[dict[str, Any]]:
    """:func:`~sotekeskus.planning.care_debt.backlog_debt` of the units' episode queues."""
    from sotekeskus.planning.care_debt import backlog_debt
    from sotekeskus.planning.queues import CASE_TYPES

    def compute() -> list[dict[str, Any]]:
        table = entries(holder, unit_ids)
        episodes_only = table.filter(pc.invert(pc.is_in(
            table["service_area"], pa.array(list(CASE_TYPES), pa.string()))))
        return backlog_debt(episodes_only, on=on, clear_by=clear_by,
                            target_wait_days=target_wait_days)

    rows: list[dict[str, Any]] = answer(
        holder, ("backlog", unit_ids, on, clear_by, target_wait_days), compute)
    return [dict(r) for r in rows]
