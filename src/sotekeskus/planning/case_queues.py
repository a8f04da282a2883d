"""Queues from the case-events file: specialist and social-welfare queues between two events.

A case-events queue is one leg of a case type that the rule book limits (planning.md §1),
written ``case_type/from_event-to_event[/unit_id]``, e.g. ``geriatrician/referral-visit`` or
``specialist_referral/assessed-treatment_started``. A case enters it at its first
``from_event``; it leaves it **served** at its first ``to_event`` (not before it entered), or
**left unserved** at its first ``cancelled`` or ``closed`` event when no ``to_event`` came;
otherwise it is still waiting. A case with urgency ``urgent`` is counted beside the queue,
as urgent episodes are. The legal and the target deadline of each case are the rule book's
(``RuleBook.case_deadline``: the rule in force on the start date for the case's age and
urgency). The entries have the columns of :func:`sotekeskus.planning.queues.queue_entries`
(``service_area`` holds the case type, ``professional_group`` the leg), so the weekly series,
the queue statistics, the simulation and the forecasts work on them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

import pyarrow as pa

from sotekeskus.domain.rules import LegKey, RuleBook, RuleKind
from sotekeskus.domain.vocabulary import CaseEvent, CaseType, Urgency
from sotekeskus.planning.queues import ENTRY_SCHEMA, QueueError, QueueId, day_number
from sotekeskus.planning.source import PlanningSource

ENDINGS = (CaseEvent.CANCELLED.value, CaseEvent.CLOSED.value)
URGENCIES = tuple(u.value for u in Urgency)


def case_legs(source: PlanningSource, case_types: Sequence[str] | None = None) -> list[LegKey]:
    """The legs of the rule book for case types of the case-events file."""
    from sotekeskus.planning.queues import CASE_TYPES

    wanted = [CaseType(c) for c in (case_types or CASE_TYPES)]
    return list(source.rulebook.legs(case_types=wanted))


def leg_of(queue: QueueId) -> LegKey:
    if not queue.is_case:
        raise QueueError(f"{queue} is not a case-events queue")
    start, end = queue.professional_group.split("-")
    return LegKey(CaseType(queue.service_area), CaseEvent(start), CaseEvent(end))


def _day(value: datetime | date | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return day_number(value)


def _deadlines(book: RuleBook, leg: LegKey) -> Callable[
        [RuleKind, date, date | None, Urgency | None], date | None]:
    """``RuleBook.case_deadline`` for one leg, with the rules sorted once and each rule's
    deadline from a start date remembered (case-events files have many cases a day)."""
    ordered = {kind: book.rules_for_leg(leg, kind) for kind in RuleKind}
    due: dict[tuple[str, date], date] = {}

    def deadline(kind: RuleKind, start: date, birth: date | None,
                 urgency: Urgency | None) -> date | None:
        if birth is None:
            return None
        for rule in ordered[kind]:
            if rule.in_force_on(start) and rule.applies_to_case(
                    leg.case_type, birth, start, urgency, None):
                key = (rule.id, start)
                if key not in due:
                    due[key] = rule.limit.deadline(start, book.holidays)
                return due[key]
        return None

    return deadline


def case_queue_entries(source: PlanningSource, legs: Sequence[LegKey] | None = None, *,
                       unit_ids: Sequence[str] | None = None) -> pa.Table:
    """Queue entries of the case-events legs (all the rule book's case legs by default);
    empty when the source has no case events."""
    if not source.has_case_events():
        return ENTRY_SCHEMA.empty_table()
    legs = list(legs) if legs is not None else case_legs(source)
    book = source.rulebook
    columns: dict[str, list[object]] = {name: [] for name in ENTRY_SCHEMA.names}
    for leg in legs:
        unit_filter = ""
        params: list[object] = [leg.from_event.value, leg.to_event.value, *ENDINGS,
                                leg.case_type.value]
        if unit_ids:
            unit_filter = f" AND unit_id IN ({', '.join('?' for _ in unit_ids)})"
            params += list(unit_ids)
        rows = source.con.execute(f"""
            SELECT case_id, any_value(unit_id), any_value(birth_date),
                   min("at") FILTER (WHERE event = ?) AS start_at,
                   min("at") FILTER (WHERE event = ?) AS done_at,
                   min("at") FILTER (WHERE event IN (?, ?)) AS end_at,
                   bool_or(coalesce(urgency, '') = 'urgent') AS urgent,
                   any_value(urgency) AS urgency
            FROM case_events WHERE case_type = ?{unit_filter}
            GROUP BY case_id ORDER BY case_id""", params).fetchall()
        label = f"{leg.from_event.value}-{leg.to_event.value}"
        deadline = _deadlines(book, leg)
        for _, unit, birth, start_at, done_at, end_at, urgent, urgency in rows:
            start = _day(start_at)
            if start is None:
                continue  # the case never entered this leg
            done = _day(done_at)
            ended = _day(end_at)
            served = done is not None and done >= start
            removal = done if served else (max(ended, start) if ended is not None else None)
            start_date = start_at.date() if isinstance(start_at, datetime) else start_at
            case_urgency = Urgency.URGENT if urgent else (
                Urgency(urgency) if urgency in URGENCIES else None)
            deadlines = [_day(deadline(kind, start_date, birth, case_urgency))
                         for kind in (RuleKind.LEGAL, RuleKind.TARGET)]
            columns["service_area"].append(leg.case_type.value)
            columns["professional_group"].append(label)
            columns["unit_id"].append(unit)
            columns["urgent"].append(bool(urgent))
            columns["arrival_day"].append(start)
            columns["removal_day"].append(removal)
            columns["served"].append(served)
            columns["legal_deadline_day"].append(deadlines[0])
            columns["target_deadline_day"].append(deadlines[1])
    return pa.table(columns, schema=ENTRY_SCHEMA)
