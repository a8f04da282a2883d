"""Waiting list (hoitojono) on a date D, defined once as an Ibis expression.

On D an episode is waiting when ``assessed_at`` is on or before D, it is non-urgent, it is
not cancelled, and either ``status = waiting`` or its visit date is after D. For each:
days waited so far = D − assessment date; the legal deadline of the rule in force on the
assessment date; days to deadline = deadline − D (negative: already past).

Summary per unit × professional group: ``waiting``; ``past_deadline`` (days to deadline
< 0); ``due_today`` (= 0); ``due_within_7d`` (0–7 days to deadline, the deadline falls today
or within the next 7 days, so the wait breaches the law within 7 days unless seen).
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from sotekeskus.analytics.derived import with_derived
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.domain.rules import RuleBook


def waiting_rows(episodes: ir.Table, book: RuleBook, on: date,
                 flt: AccessFilter | None = None) -> ir.Table:
    """Person-level rows of the waiting list on ``on``."""
    flt = flt or AccessFilter()
    e = flt.apply_scope(with_derived(episodes, book))
    day = ibis.date(on)
    assessed = e.assessed_at.date()
    e = e.filter(
        e.assessed_at.notnull(),
        assessed <= day,
        e.urgency == "non_urgent",
        e.status != "cancelled",
        (e.status == "waiting") | (e.visit_at.date() > day).fill_null(False),
    )
    e = e.mutate(
        assessed_on=e.assessed_at.date(),
        days_waited=day.delta(e.assessed_at.date(), unit="day"),
    )
    e = e.mutate(days_to_deadline=e.legal_deadline.delta(day, unit="day"))
    return e.select(
        "episode_id", "person_id", "unit_id", "service_area", "professional_group",
        "assessed_on", "days_waited", "legal_deadline", "days_to_deadline",
    ).order_by([ibis.desc("days_waited"), "episode_id"])


def waiting_summary(rows: ir.Table) -> ir.Table:
    """Counts per unit × professional group from :func:`waiting_rows`."""
    d = rows.days_to_deadline
    return rows.group_by(["unit_id", "professional_group"]).aggregate(
        waiting=rows.count(),
        past_deadline=(d < 0).fill_null(False).sum().cast("int64"),
        due_today=(d == 0).fill_null(False).sum().cast("int64"),
        due_within_7d=((d >= 0) & (d <= 7)).fill_null(False).sum().cast("int64"),
        longest_wait_days=rows.days_waited.max(),
    ).order_by(["unit_id", "professional_group"])
