"""The pathways analyses for long-lived processes (the web app).

Every figure is :mod:`sotekeskus.pathways`' (the same calls as ``sotekeskus report clients |
continuity | follow-up | segments | flow``). This module opens an
:class:`~sotekeskus.pathways.source.EpisodeSource` over the process's analytics snapshot
(:func:`~sotekeskus.analytics.planning_service.scoped_connection`) and keeps each answer per
data version, computed once per question at a time.

Clients, continuity, follow-up and segments are computed over the **whole region** (their
definitions are region-wide: the top 10 % of clients, a person's home unit, the unit that
follows a condition up); a caller scoped to some units shows those units' rows. The patient
flow is computed from the episodes and case events of the units asked (a case belongs to
the unit of its events).

Answers are exact and unsuppressed; the caller suppresses. The follow-up **worklist** is
never kept: each call is an audited read (:func:`worklist`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sotekeskus.analytics.planning_service import Units, answer, scoped_connection
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.pathways.source import EpisodeSource


@contextmanager
def source(holder: AnalyticsHolder, unit_ids: Units = None) -> Iterator[EpisodeSource]:
    with scoped_connection(holder, unit_ids) as con:
        yield EpisodeSource(con, "the store")


def last_visit(holder: AnalyticsHolder) -> date | None:
    """The last visit date of the region's episodes (the pathways reports' default day)."""
    def compute() -> date | None:
        with source(holder) as src:
            row = src.con.execute("SELECT CAST(max(visit_at) AS DATE) FROM episodes "
                                  "WHERE status = 'done'").fetchone()
        return row[0] if row else None

    return answer(holder, ("pathways_last_visit",), compute)  # type: ignore[no-any-return]


def clients(holder: AnalyticsHolder, end: date) -> Any:
    """:func:`~sotekeskus.pathways.clients.clients` of the 12 months ending on ``end``."""
    from sotekeskus.pathways.clients import clients as compute

    def run() -> Any:
        with source(holder) as src:
            return compute(src, end)

    return answer(holder, ("clients", end), run)


def continuity(holder: AnalyticsHolder, date_from: date, date_to: date) -> Any:
    """:func:`~sotekeskus.pathways.continuity.continuity` of the period."""
    from sotekeskus.pathways.continuity import continuity as compute

    def run() -> Any:
        with source(holder) as src:
            return compute(src, date_from, date_to)

    return answer(holder, ("continuity", date_from, date_to), run)


def follow_up(holder: AnalyticsHolder, on: date) -> Any:
    """:func:`~sotekeskus.pathways.followup.follow_up` on ``on`` (every unit, condition)."""
    from sotekeskus.pathways.followup import follow_up as compute

    def run() -> Any:
        with source(holder) as src:
            return compute(src, on)

    return answer(holder, ("follow_up", on), run)


def worklist(holder: AnalyticsHolder, on: date, *, actor: str, purpose: str, audit_engine: Any,
             units: Iterable[str] | None, conditions: Iterable[str] | None,
             language: str) -> list[dict[str, Any]]:
    """:func:`~sotekeskus.pathways.followup.follow_up_worklist`: an authorised read the
    library writes to the audit log (the caller has asked the access policy)."""
    from sotekeskus.pathways.followup import follow_up_worklist

    with source(holder) as src:
        return follow_up_worklist(src, on, actor=actor, purpose=purpose,
                                  audit_engine=audit_engine, units=units,
                                  conditions=conditions, language=language)


def segments(holder: AnalyticsHolder, year: int) -> tuple[Any, list[dict[str, Any]]]:
    """(:func:`~sotekeskus.pathways.segments.profiles` of ``year``, the transitions from
    ``year − 1`` to ``year``)."""
    from sotekeskus.pathways.segments import load_segments, profiles, transitions

    def run() -> tuple[Any, list[dict[str, Any]]]:
        table = load_segments()
        with source(holder) as src:
            result = profiles(src, year, table)
        with source(holder) as src:
            moves = transitions(src, year - 1, table)
        return result, moves

    return answer(holder, ("segments", year), run)  # type: ignore[no-any-return]


def flow(holder: AnalyticsHolder, unit_ids: Units, case_type: str | None) -> Any:
    """:func:`~sotekeskus.pathways.store_log.store_flow` of the units' episodes and case
    events (of ``case_type``; every one when ``None``)."""
    from sotekeskus.pathways.store_log import store_flow

    def run() -> Any:
        with source(holder, unit_ids) as src:
            return store_flow(src, case_type)

    return answer(holder, ("flow", unit_ids, case_type), run)


def leg_breaches(holder: AnalyticsHolder, unit_ids: Units, case_type: str | None
                 ) -> list[dict[str, Any]]:
    """:func:`~sotekeskus.pathways.leg_breaches.leg_breaches` of the units' episodes and
    case events under the process's rule book."""
    from sotekeskus.pathways.leg_breaches import leg_breaches as compute

    def run() -> list[dict[str, Any]]:
        with source(holder, unit_ids) as src:
            return compute(src, holder.get().rulebook, case_type)

    return answer(holder, ("leg_breaches", unit_ids, case_type), run)  # type: ignore[no-any-return]


def costs(holder: AnalyticsHolder, table: Any, date_from: date, date_to: date
          ) -> list[dict[str, Any]]:
    """:func:`~sotekeskus.pathways.costs.cost_report` of the region's done visits."""
    from sotekeskus.pathways.costs import cost_report

    def run() -> list[dict[str, Any]]:
        with source(holder) as src:
            return cost_report(src, table, date_from, date_to)

    key = ("costs", table.source, tuple(sorted(table.prices.items(), key=str)), date_from,
           date_to)
    return answer(holder, key, run)  # type: ignore[no-any-return]


def risk_scores(holder: AnalyticsHolder, run_: Any, on: date) -> list[dict[str, Any]]:
    """Every person listed by the stored run ``run_`` on ``on`` (all units; not audited —
    the page's read is: :func:`~sotekeskus.pathways.models.scoring.audit_list`)."""
    from sotekeskus.pathways.models.scoring import listed

    def run() -> list[dict[str, Any]]:
        with source(holder) as src:
            return listed(src, run_, on)

    return answer(holder, ("risk_scores", run_.model, run_.id, on), run)  # type: ignore[no-any-return]
