"""Leg instances of the case events, each with the rule in force and its deadline.

A **leg instance** is one case's pair (start event → end event) of a leg of the rule book
(:class:`~sotekeskus.domain.rules.LegKey`), for every case that has the start event. It
carries:

* ``start_date`` / ``end_date``: calendar dates of the two events (``end_date`` NULL while
  the end event is missing); ``stop_date``: the first ``closed`` or ``cancelled`` event of
  the case (an open leg stops waiting then);
* ``rule_id``: the rule in force on ``start_date`` whose scope matches the case — age in
  completed years on ``start_date`` (reached age N ⇔ birth date + N years ≤ start date,
  months clamped), urgency and professional group (the latest non-empty value among the
  case's events, by time) — latest ``effective_from`` first; NULL when none is in scope;
* ``deadline``: the last on-time date of the end event (inclusive), computed by the pure
  domain (``Limit.deadline`` with the rule book's holiday calendar) once per distinct
  (rule, start date) and joined back: the weekday limits need the Finnish holidays;
* ``days``: ``end_date − start_date`` in calendar days.

Which rules judge a leg: the law (``legal`` rows) where the leg has any, else the region's
targets; with ``targets=True`` only the targets (legs without target rows are left out).

Scoping and joining run in DuckDB; only the deadline arithmetic runs in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from sotekeskus.domain.rules import LegKey, Rule, RuleBook, RuleKind
from sotekeskus.domain.vocabulary import EPISODE_CASE_TYPES, TERMINAL_EVENTS, CaseType


@dataclass(frozen=True)
class JudgedLeg:
    """A leg and the kind of rows that judge it."""

    leg: LegKey
    kind: RuleKind
    rules: tuple[Rule, ...]  # precedence order


def judged_legs(book: RuleBook, *, targets: bool = False,
                case_types: Iterable[CaseType] | None = None) -> list[JudgedLeg]:
    """The case-event legs to report and the rules of each (see the module docstring)."""
    wanted = set(case_types) if case_types is not None else None
    legal = set(book.legs(RuleKind.LEGAL))
    out = []
    for leg in book.legs():
        if leg.case_type in EPISODE_CASE_TYPES or (wanted is not None
                                                   and leg.case_type not in wanted):
            continue
        kind = RuleKind.TARGET if targets or leg not in legal else RuleKind.LEGAL
        rules = book.rules_for_leg(leg, kind)
        if rules:
            out.append(JudgedLeg(leg, kind, rules))
    return out


def _lit(value: object) -> str:
    text = str(value).replace("'", "''")
    return f"'{text}'"


def _scope_sql(rule: Rule) -> str:
    cond = [f"start_date >= DATE {_lit(rule.effective_from.isoformat())}"]
    if rule.effective_to is not None:
        cond.append(f"start_date < DATE {_lit(rule.effective_to.isoformat())}")
    if rule.age_from is not None:
        cond.append(f"CAST(birth_date + INTERVAL {int(rule.age_from)} YEAR AS DATE) "
                    "<= start_date")
    if rule.age_below is not None:
        cond.append(f"CAST(birth_date + INTERVAL {int(rule.age_below)} YEAR AS DATE) "
                    "> start_date")
    if rule.urgency is not None:
        cond.append(f"urgency = {_lit(rule.urgency.value)}")
    if rule.professional_groups is not None:
        groups = ", ".join(_lit(g.value) for g in sorted(rule.professional_groups))
        cond.append(f"professional_group IN ({groups})")
    return " AND ".join(cond)


def _rule_case(legs: list[JudgedLeg]) -> str:
    branches = []
    for judged in legs:
        leg = judged.leg
        where = (f"case_type = {_lit(leg.case_type.value)} AND from_event = "
                 f"{_lit(leg.from_event.value)} AND to_event = {_lit(leg.to_event.value)}")
        for rule in judged.rules:
            branches.append(f"WHEN {where} AND {_scope_sql(rule)} THEN {_lit(rule.id)}")
    if not branches:
        return "CAST(NULL AS VARCHAR)"
    return "CASE " + " ".join(branches) + " ELSE NULL END"


LEG_COLUMNS = ("case_id", "person_id", "unit_id", "case_type", "from_event", "to_event",
               "birth_date", "urgency", "professional_group", "start_date", "end_date",
               "stop_date", "rule_id", "kind", "deadline", "days")


def leg_instances(events: pa.Table, book: RuleBook, *, targets: bool = False,
                  case_types: Iterable[CaseType] | None = None) -> pa.Table:
    """Every leg instance of ``events`` (columns :data:`LEG_COLUMNS`); see the module doc."""
    legs = judged_legs(book, targets=targets, case_types=case_types)
    con = duckdb.connect()
    try:
        con.register("events", events)
        con.execute("CREATE TEMP TABLE legs (case_type VARCHAR, from_event VARCHAR, "
                    "to_event VARCHAR, kind VARCHAR)")
        if legs:
            con.executemany("INSERT INTO legs VALUES (?, ?, ?, ?)", [
                [j.leg.case_type.value, j.leg.from_event.value, j.leg.to_event.value,
                 j.kind.value] for j in legs])
        terminal = ", ".join(_lit(e.value) for e in sorted(TERMINAL_EVENTS))
        con.execute(f"""
            CREATE TEMP TABLE cases AS
            SELECT case_id, any_value(case_type) AS case_type,
                   any_value(person_id) AS person_id, any_value(birth_date) AS birth_date,
                   arg_max(urgency, "at") FILTER (WHERE urgency IS NOT NULL) AS urgency,
                   arg_max(professional_group, "at")
                       FILTER (WHERE professional_group IS NOT NULL) AS professional_group,
                   min(CAST("at" AS DATE)) FILTER (WHERE event IN ({terminal})) AS stop_date
            FROM events GROUP BY case_id""")
        con.execute("""
            CREATE TEMP TABLE inst AS
            SELECT c.case_id, c.person_id, s.unit_id, c.case_type, l.from_event, l.to_event,
                   c.birth_date, c.urgency, c.professional_group,
                   CAST(s."at" AS DATE) AS start_date, CAST(e."at" AS DATE) AS end_date,
                   c.stop_date, l.kind
            FROM cases c
            JOIN legs l ON l.case_type = c.case_type
            JOIN events s ON s.case_id = c.case_id AND s.event = l.from_event
            LEFT JOIN events e ON e.case_id = c.case_id AND e.event = l.to_event""")
        con.execute(f"CREATE TEMP TABLE judged AS SELECT *, {_rule_case(legs)} AS rule_id "
                    "FROM inst")
        by_id = {r.id: r for j in legs for r in j.rules}
        pairs = con.execute("SELECT DISTINCT rule_id, start_date FROM judged "
                            "WHERE rule_id IS NOT NULL").fetchall()
        deadlines = pa.table({
            "rule_id": pa.array([p[0] for p in pairs], pa.string()),
            "start_date": pa.array([p[1] for p in pairs], pa.date32()),
            "deadline": pa.array([by_id[p[0]].limit.deadline(p[1], book.holidays)
                                  for p in pairs], pa.date32()),
        })
        con.register("deadlines", deadlines)
        columns = ", ".join(f"j.{c}" for c in LEG_COLUMNS if c not in ("deadline", "days"))
        return con.execute(f"""
            SELECT {columns}, d.deadline,
                   CAST(date_diff('day', j.start_date, j.end_date) AS INTEGER) AS days
            FROM judged j LEFT JOIN deadlines d
              ON d.rule_id = j.rule_id AND d.start_date = j.start_date
            ORDER BY j.case_type, j.from_event, j.to_event, j.case_id""").to_arrow_table()
    finally:
        con.close()
