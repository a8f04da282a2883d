"""The deadline report for long-lived processes (the web app, the monitoring registry).

The figures are :mod:`sotekeskus.analytics.deadline_report`'s (the same calls the CLI
makes); this module only keeps them: the store's case events are read once per
**case-events version** (the store's meta key ``case_events_version``, which every
case-events import changes), and each answer is kept until the next import, computed once
even when several requests ask at the same moment
(:class:`~sotekeskus.analytics.result_cache.ResultCache`). The state hangs off the
process's :class:`~sotekeskus.analytics.service.AnalyticsHolder`.

Answers are exact and unsuppressed, as every analytics answer; the caller suppresses.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sotekeskus.analytics.deadline_report import (
    DeadlineFilter,
    OpenLegs,
    deadline_rows,
    load_case_events,
    open_legs,
)
from sotekeskus.analytics.result_cache import ResultCache
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.domain.indicators import pct
from sotekeskus.domain.rules import RuleBook
from sotekeskus.domain.vocabulary import CaseType

Rows = list[dict[str, Any]]

#: Figures of the deadline report that add up over months (a registry period sums them).
ADDITIVE = ("completed", "within_limit", "breaches")


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    version: str | None = None
    events: pa.Table | None = None
    cache: ResultCache = field(default_factory=lambda: ResultCache(max_rows=500_000))


_STATES: weakref.WeakKeyDictionary[AnalyticsHolder, _State] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def events_version(engine: Any) -> str:
    """The store's case-events version (``"none"`` before the first import)."""
    from sqlalchemy import select

    from sotekeskus.store.models import Meta

    with engine.connect() as conn:
        value = conn.execute(select(Meta.value).where(
            Meta.key == "case_events_version")).scalar()
    return str(value) if value else "none"


def _state(holder: AnalyticsHolder) -> _State:
    with _STATES_LOCK:
        state = _STATES.get(holder)
        if state is None:
            state = _STATES[holder] = _State()
        return state


def case_events(holder: AnalyticsHolder) -> tuple[str, pa.Table]:
    """The store's case events and their version (read again after an import)."""
    state = _state(holder)
    version = events_version(holder.store())
    with state.lock:
        if state.version != version or state.events is None:
            state.events = load_case_events(holder.db_url)
            state.version = version
            state.cache.clear()
        return version, state.events


def rulebook(holder: AnalyticsHolder) -> RuleBook:
    """The rule book the analytics use (the same rows judge the access report)."""
    return holder.get().rulebook  # type: ignore[no-any-return]


def _answer(holder: AnalyticsHolder, key: tuple[Hashable, ...],
            compute: Any) -> Rows:
    version, events = case_events(holder)
    return _state(holder).cache.get((version, *key), lambda: compute(events))


def report_rows(holder: AnalyticsHolder, flt: DeadlineFilter, *, targets: bool = False,
                by_unit: bool = False) -> Rows:
    """:func:`~sotekeskus.analytics.deadline_report.deadline_rows` of the store's events."""
    book = rulebook(holder)
    return _answer(holder, ("rows", flt, targets, by_unit),
                   lambda ev: deadline_rows(ev, book, flt, targets=targets, by_unit=by_unit))


def open_on(holder: AnalyticsHolder, on: date, flt: DeadlineFilter, *,
            targets: bool = False) -> OpenLegs:
    """:func:`~sotekeskus.analytics.deadline_report.open_legs` of the store's events."""
    book = rulebook(holder)

    def compute(ev: pa.Table) -> Rows:
        result = open_legs(ev, book, on, flt, targets=targets)
        return [{"rows": result.rows, "summary": result.summary}]

    answer = _answer(holder, ("open", on, flt, targets), compute)[0]
    return OpenLegs(on, [dict(r) for r in answer["rows"]],
                    [dict(r) for r in answer["summary"]])


def event_span(holder: AnalyticsHolder) -> tuple[date | None, date | None]:
    """The first and last day with a case event (``None`` without events)."""
    _, events = case_events(holder)
    if events.num_rows == 0:
        return None, None
    low, high = pc.min_max(events["at"]).values()
    return low.as_py().date(), high.as_py().date()


def leg_value(holder: AnalyticsHolder, leg: tuple[str, str, str], indicator: str,
              start: date, end: date, *, targets: bool = False) -> float | None:
    """A deadline figure of one leg over the months ``start`` … ``end`` (a registry period):
    the legs whose end event falls in those months; ``within_limit_pct`` = Σ within the
    limit ÷ Σ completed, counts summed; ``None`` when no leg was completed.
    Raises ``ValueError`` for a figure that does not add up over months (a median)."""
    if indicator not in ADDITIVE and indicator != "within_limit_pct":
        raise ValueError(f"{indicator}: a deadline figure of a period must be one of "
                         f"{', '.join((*ADDITIVE, 'within_limit_pct'))}")
    case_type, from_event, to_event = leg
    flt = DeadlineFilter(start.strftime("%Y-%m"), end.strftime("%Y-%m"),
                         (CaseType(case_type),))
    rows = [r for r in report_rows(holder, flt, targets=targets)
            if (r["from_event"], r["to_event"]) == (from_event, to_event)]
    sums = {name: sum(int(r[name]) for r in rows) for name in ADDITIVE}
    if not sums["completed"]:
        return None
    if indicator == "within_limit_pct":
        return pct(sums["within_limit"], sums["completed"])
    return float(sums[indicator])


def leg_goals(book: RuleBook, leg: tuple[str, str, str]) -> list[dict[str, Any]]:
    """The region's dated goals of one leg from its target rows, oldest first:
    ``{"rule_id", "effective_from", "goal_by", "goal_pct", "limit"}`` (``limit``: the
    rule's :class:`~sotekeskus.domain.rules.Limit`), e.g. Soite's child and family
    assessments within 90 days: 90 → 94 → 97 → 100 %."""
    from sotekeskus.domain.rules import LegKey, RuleKind
    from sotekeskus.domain.vocabulary import CaseEvent

    key = LegKey(CaseType(leg[0]), CaseEvent(leg[1]), CaseEvent(leg[2]))
    rows = [{"rule_id": r.id, "effective_from": r.effective_from, "goal_by": r.goal_by,
             "goal_pct": r.goal_pct, "limit": r.limit}
            for r in book.rules_for_leg(key, RuleKind.TARGET) if r.goal_pct is not None]
    return sorted(rows, key=lambda r: (r["effective_from"], r["rule_id"]))


def goal_in_force(goals: list[dict[str, Any]], month: str) -> float | None:
    """The goal share of the target row in force in ``month`` (``YYYY-MM``), if any."""
    first = date.fromisoformat(month + "-01")
    current = [g for g in goals if g["effective_from"] <= first]
    return float(current[-1]["goal_pct"]) if current else None
