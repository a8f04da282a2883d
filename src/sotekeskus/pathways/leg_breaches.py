"""Statutory leg breaches on the patient flow: which transitions exceed the legal leg.

A transition ``a → b`` of a case (``b`` directly follows ``a``; the flow's edge) is **judged**
when ``a → b`` is a leg of the rule book's **legal** rows for the case's type and a rule is
in force for the case on the day of ``a`` (its scope: age on that day, urgency,
professional group; for episodes also the service area). It is **breached** when the date
of ``b`` is after the rule's deadline (``Limit.deadline`` from the date of ``a``, with the
rule book's holiday calendar — the same deadline the deadline reports use).

* Episodes (case types ``primary_access``, ``oral_access``): the legs ``contact →
  assessed`` and ``assessed → visit`` of the care guarantee (``RuleBook.rule_for``).
* Case events: every directly-follows pair of a case's events (ordered by time, then the
  vocabulary's event order) that is a legal leg of its case type
  (``RuleBook.case_rule_for``). Legs spanning several steps (e.g. referral → treatment
  started with an assessment between) are not transitions; ``sotekeskus report
  deadlines`` reports them.

Per edge: ``judged``, ``breached`` and ``breached_pct`` = breached ÷ judged (one decimal,
half up). Regional targets are not legal legs and are not counted here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.domain.indicators import pct
from sotekeskus.domain.rules import LEG_EVENTS, LegKey, RuleBook, RuleKind
from sotekeskus.domain.vocabulary import (
    EPISODE_CASE_TYPES,
    CaseEvent,
    CaseType,
    ProfessionalGroup,
    ServiceArea,
    Urgency,
)
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.pathways.store_log import _seq, check_case_type

COLUMNS = ("from", "to", "judged", "breached", "breached_pct")


def _enum(kind: Any, value: Any) -> Any:
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


def _episode_counts(src: EpisodeSource, book: RuleBook, kind: CaseType | None
                    ) -> dict[tuple[str, str], list[int]]:
    areas = sorted(a.value for t, s in EPISODE_CASE_TYPES.items()
                   if kind is None or t is kind for a in s)
    if not areas:
        return {}
    area_list = ", ".join(f"'{a}'" for a in areas)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for leg, (start_event, end_event) in LEG_EVENTS.items():
        rules = book.of(RuleKind.LEGAL, leg)
        if not rules:
            continue
        start_col = "contact_at" if start_event is CaseEvent.CONTACT else "assessed_at"
        end_col = "assessed_at" if end_event is CaseEvent.ASSESSED else "visit_at"
        done = "AND status = 'done'" if end_event is CaseEvent.VISIT else ""
        aged = any(r.age_from is not None or r.age_below is not None for r in rules)
        birth = "birth_date" if aged else "CAST(NULL AS DATE)"
        groups = src.con.execute(f"""
            SELECT service_area, urgency, professional_group, {birth},
                   CAST({start_col} AS DATE) AS s, CAST({end_col} AS DATE) AS e, count(*)
            FROM episodes
            WHERE {start_col} IS NOT NULL AND {end_col} IS NOT NULL
              AND {end_col} >= {start_col} AND service_area IN ({area_list}) {done}
            GROUP BY ALL""").fetchall()
        deadlines: dict[tuple[Any, ...], date | None] = {}
        key_edge = (start_event.value, end_event.value)
        for area, urgency, group, birth_date, start, end, n in groups:
            key = (area, urgency, group, birth_date, start)
            if key not in deadlines:
                rule = book.rule_for(
                    kind=RuleKind.LEGAL, leg=leg, service_area=ServiceArea(area),
                    urgency=_enum(Urgency, urgency), birth_date=birth_date or date(1900, 1, 1),
                    on=start, professional_group=_enum(ProfessionalGroup, group))
                deadlines[key] = (rule.limit.deadline(start, book.holidays)
                                  if rule is not None else None)
            deadline = deadlines[key]
            if deadline is None:
                continue
            counts[key_edge][0] += int(n)
            if end > deadline:
                counts[key_edge][1] += int(n)
    return counts


def _case_counts(src: EpisodeSource, book: RuleBook, kind: CaseType | None
                 ) -> dict[tuple[str, str], list[int]]:
    if (kind is not None and kind in EPISODE_CASE_TYPES) or not src.has_table("case_events"):
        return {}
    legs = {leg for leg in book.legs(RuleKind.LEGAL)
            if leg.case_type not in EPISODE_CASE_TYPES and (kind is None
                                                            or leg.case_type is kind)}
    if not legs:
        return {}
    cols = src.columns("case_events")
    urgency = "urgency" if "urgency" in cols else "NULL"
    group = "professional_group" if "professional_group" in cols else "NULL"
    where = "" if kind is None else f"WHERE case_type = '{kind.value}'"
    pairs = src.con.execute(f"""
        WITH ordered AS (
            SELECT case_id, CAST(case_type AS VARCHAR) AS case_type, birth_date,
                   CAST(event AS VARCHAR) AS a, CAST("at" AS DATE) AS s,
                   lead(CAST(event AS VARCHAR)) OVER w AS b,
                   lead(CAST("at" AS DATE)) OVER w AS e,
                   arg_max(CAST({urgency} AS VARCHAR), "at") OVER (PARTITION BY case_id)
                       AS urgency,
                   arg_max(CAST({group} AS VARCHAR), "at") OVER (PARTITION BY case_id)
                       AS professional_group
            FROM case_events {where}
            WINDOW w AS (PARTITION BY case_id ORDER BY "at", {_seq('event')}, event))
        SELECT case_type, a, b, birth_date, urgency, professional_group, s, e, count(*)
        FROM ordered WHERE b IS NOT NULL GROUP BY ALL""").fetchall()
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    deadlines: dict[tuple[Any, ...], date | None] = {}
    for case_type, a, b, birth_date, urg, grp, start, end, n in pairs:
        leg_type, a_event, b_event = (_enum(CaseType, case_type), _enum(CaseEvent, a),
                                      _enum(CaseEvent, b))
        if leg_type is None or a_event is None or b_event is None:
            continue
        leg = LegKey(leg_type, a_event, b_event)
        if leg not in legs:
            continue
        key = (leg, birth_date, urg, grp, start)
        if key not in deadlines:
            rule = book.case_rule_for(leg, kind=RuleKind.LEGAL,
                                      birth_date=birth_date or date(1900, 1, 1), on=start,
                                      urgency=_enum(Urgency, urg),
                                      professional_group=_enum(ProfessionalGroup, grp))
            deadlines[key] = (rule.limit.deadline(start, book.holidays)
                              if rule is not None else None)
        deadline = deadlines[key]
        if deadline is None:
            continue
        counts[(a, b)][0] += int(n)
        if end > deadline:
            counts[(a, b)][1] += int(n)
    return counts


def leg_breaches(src: EpisodeSource, book: RuleBook, case_type: str | None = None
                 ) -> list[dict[str, Any]]:
    """Judged and breached transitions per edge (module docstring), by edge."""
    kind = check_case_type(case_type)
    total: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    if src.has_table("episodes"):
        for part in (_episode_counts(src, book, kind),):
            for edge, (judged, breached) in part.items():
                total[edge][0] += judged
                total[edge][1] += breached
    for edge, (judged, breached) in _case_counts(src, book, kind).items():
        total[edge][0] += judged
        total[edge][1] += breached
    return [{"from": a, "to": b, "judged": j, "breached": x, "breached_pct": pct(x, j)}
            for (a, b), (j, x) in sorted(total.items()) if j]


def suppress(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counts below 5 are ``<5``; the share is hidden when either count is small."""
    out = []
    for r in rows:
        small = is_small(r["judged"]) or is_small(r["breached"])
        out.append({**r, "judged": SUPPRESSED if is_small(r["judged"]) else r["judged"],
                    "breached": SUPPRESSED if is_small(r["breached"]) else r["breached"],
                    "breached_pct": None if small else r["breached_pct"]})
    return out
