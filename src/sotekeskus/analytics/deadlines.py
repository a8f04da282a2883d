"""Compile dated rules (``domain/rules.py``) into one Ibis expression per episode.

The expression is a CASE over the rules of one kind and leg, latest ``effective_from``
first, so the first matching branch is the rule in force on the start date for the
person's age on that date (reached age N ⇔ birth_date + N years ≤ date, months clamped).
Calendar months use the engine's date + INTERVAL, which clamps to month end on DuckDB,
PostgreSQL and Spark alike. The result is the last on-time date, or NULL where no rule
applies (e.g. ``social``).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from sotekeskus.domain.rules import Leg, Limit, Rule, RuleBook, RuleKind


def _as_date(value: ir.Value) -> ir.DateValue:
    """Engines return a timestamp for date + interval while Ibis types it as a date and would
    drop a plain cast; going through timestamp forces a real CAST(... AS DATE)."""
    return value.cast("timestamp").cast("date")


def _limit_expr(limit: Limit, start: ir.DateValue) -> ir.DateValue:
    if limit.days is not None:
        return _as_date(start + ibis.interval(days=limit.days))
    if limit.months is not None:
        return _as_date(start + ibis.interval(months=limit.months))
    raise NotImplementedError(
        "weekday limits are evaluated in Python (domain.calendar.add_weekdays) only")


def _scope(rule: Rule, e: ir.Table, start: ir.DateValue) -> ir.BooleanValue:
    cond = e.service_area.isin(sorted(a.value for a in rule.service_areas))
    if rule.urgency is not None:
        cond &= e.urgency == rule.urgency.value
    cond &= start >= ibis.date(rule.effective_from)
    if rule.effective_to is not None:
        cond &= start < ibis.date(rule.effective_to)
    if rule.age_from is not None:
        cond &= (e.birth_date + ibis.interval(years=rule.age_from)).cast("date") <= start
    if rule.age_below is not None:
        cond &= (e.birth_date + ibis.interval(years=rule.age_below)).cast("date") > start
    if rule.professional_groups is not None:
        cond &= e.professional_group.isin(sorted(g.value for g in rule.professional_groups))
    return cond


def deadline_expr(rules: Sequence[Rule], e: ir.Table, start: ir.DateValue) -> ir.DateValue:
    """Deadline date under ``rules`` (already in precedence order), NULL if none applies."""
    if not rules:
        return ibis.null().cast("date")
    branches = [(_scope(r, e, start), _limit_expr(r.limit, start)) for r in rules]
    return ibis.cases(*branches, else_=ibis.null().cast("date"))


def legal_deadline(book: RuleBook, e: ir.Table) -> ir.DateValue:
    """Legal deadline of the assessment → first care event leg."""
    return deadline_expr(book.of(RuleKind.LEGAL, Leg.ASSESSMENT_TO_VISIT), e,
                         e.assessed_at.date())


def target_deadline(book: RuleBook, e: ir.Table) -> ir.DateValue:
    """Regional-target deadline of the assessment → first care event leg."""
    return deadline_expr(book.of(RuleKind.TARGET, Leg.ASSESSMENT_TO_VISIT), e,
                         e.assessed_at.date())
