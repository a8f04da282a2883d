"""Lapsed follow-up (hidden care debt): persons with a long-term condition whose follow-up is
older than the protocol interval plus a grace period.

Definitions (``shared/docs/pathways.md``; the conditions and intervals are data,
:mod:`sotekeskus.pathways.conditions`), on a reference date ``on``:

* a **visit** is a done episode with a ``visit_at`` date on or before ``on``;
* a person **has** a condition when any visit carries a diagnosis code of it;
* **follow-up** of the condition: the last *curative* visit carrying one of its codes
  (``visit_nature`` SH, or not recorded; TH health-promotion visits do not count), or the
  person's last visit that made or updated a care plan (``care_plan`` true, whatever its
  codes), whichever is later; with neither, the first visit with the condition's code;
* **due** = follow-up date + the condition's interval in calendar months (clamped to the
  month's end) + its grace days; the follow-up has **lapsed** when ``due`` < ``on``, and
  ``days_overdue`` = ``on`` − ``due``;
* only **current clients** count: persons with a visit in the ``lookback_months`` (36) months
  before ``on`` (``on`` included), because the contract does not record deaths or moves;
* **unit**: the unit of the person's last visit carrying the condition's code (the unit
  that follows the condition up).

Counts per unit × condition (and per condition over the region, ``unit_id`` = ``"all"``):
``persons`` with the condition, ``lapsed``, ``lapsed_pct`` (one decimal, half up).

The person-level **worklist** (:func:`follow_up_worklist`) is an authorised read: the caller
has checked that ``actor`` may see the persons of ``units`` (``domain.access_policy``);
every call writes one audit row (who, when, purpose, scope, number of persons — never the
persons) before the list is returned, and every row carries its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.domain.indicators import pct
from sotekeskus.pathways.conditions import ConditionTable, episode_conditions_sql, load_conditions
from sotekeskus.pathways.errors import MissingDataError, PathwaysError, UnknownCodeError
from sotekeskus.pathways.periods import add_months
from sotekeskus.pathways.source import EpisodeSource

ALL = "all"
LOOKBACK_MONTHS = 36
COLUMNS = ("unit_id", "condition", "persons", "lapsed", "lapsed_pct")
WORKLIST_COLUMNS = ("person_id", "condition", "unit_id", "follow_up_basis", "last_follow_up",
                    "due", "days_overdue", "reason")
WORKLIST_TARGET = "follow_up_worklist"
PURPOSE = "Lapsed follow-up"


@dataclass(frozen=True)
class FollowUp:
    on: date
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)  # assumptions forced by missing columns


def _check_conditions(table: ConditionTable, conditions: Iterable[str] | None) -> list[str]:
    if conditions is None:
        return list(table.ids())
    chosen = list(conditions)
    unknown = [c for c in chosen if c not in table.ids()]
    if unknown:
        raise UnknownCodeError(f"condition {', '.join(map(repr, unknown))}: unknown; "
                               f"allowed: {', '.join(table.ids())}")
    return chosen


def _prepare(src: EpisodeSource, on: date, table: ConditionTable,
             lookback_months: int) -> list[str]:
    """Create the temp table ``__follow_up`` (one row per current client × condition)."""
    src.require(["diagnosis_codes"], PURPOSE)
    if not src.has_values("diagnosis_codes"):
        raise MissingDataError(
            f"{PURPOSE} needs diagnosis_codes, and no done visit in {src.label} has one; "
            "import episodes with diagnosis_codes (episode contract version 2)")
    notes = []
    nature = "visit_nature" if src.has_values("visit_nature") else "NULL"
    plan = "care_plan" if src.has_values("care_plan") else "NULL"
    if nature == "NULL":
        notes.append("visit_nature is not in the data: every visit with the code counts as "
                     "curative")
    if plan == "NULL":
        notes.append("care_plan is not in the data: care plans are not counted as follow-up")
    con = src.con
    con.register("__condition_ranges", table.ranges())
    con.register("__protocols", table.protocols())
    day = f"DATE '{on.isoformat()}'"
    since = f"DATE '{add_months(on, -lookback_months).isoformat()}'"
    visit = f"status = 'done' AND visit_at IS NOT NULL AND CAST(visit_at AS DATE) <= {day}"
    coded = episode_conditions_sql(
        f"person_id, unit_id, visit_at, {nature} AS visit_nature", visit)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __follow_up AS
        WITH coded AS ({coded}),
        per_condition AS (
            SELECT person_id, condition_id,
                   min(CAST(visit_at AS DATE)) AS first_coded,
                   max(CAST(visit_at AS DATE)) FILTER (
                       WHERE visit_nature IS NULL OR visit_nature <> 'TH') AS last_curative,
                   arg_max(unit_id, (visit_at, episode_id)) AS unit_id
            FROM coded GROUP BY person_id, condition_id
        ),
        plans AS (
            SELECT person_id, max(CAST(visit_at AS DATE)) AS last_plan FROM episodes
            WHERE {visit} AND {plan} IS TRUE GROUP BY person_id
        ),
        current_clients AS (
            SELECT DISTINCT person_id FROM episodes
            WHERE {visit} AND CAST(visit_at AS DATE) > {since}
        ),
        basis AS (
            SELECT c.*, p.last_plan,
                   CASE WHEN p.last_plan IS NOT NULL AND (c.last_curative IS NULL
                             OR p.last_plan > c.last_curative) THEN 'care_plan'
                        WHEN c.last_curative IS NOT NULL THEN 'curative_visit'
                        ELSE 'first_diagnosis' END AS follow_up_basis
            FROM per_condition c LEFT JOIN plans p USING (person_id)
            WHERE c.person_id IN (SELECT person_id FROM current_clients)
        )
        SELECT b.person_id, b.condition_id, b.unit_id, b.follow_up_basis,
               CASE b.follow_up_basis WHEN 'care_plan' THEN b.last_plan
                    WHEN 'curative_visit' THEN b.last_curative ELSE b.first_coded END
                   AS last_follow_up,
               CAST(CAST(last_follow_up + to_months(p.interval_months) AS DATE)
                    + p.grace_days AS DATE) AS due,
               {day} - due AS days_overdue,
               p.interval_months, p.grace_days
        FROM basis b JOIN __protocols p USING (condition_id)""")
    return notes


def follow_up(src: EpisodeSource, on: date, table: ConditionTable | None = None, *,
              units: Iterable[str] | None = None, conditions: Iterable[str] | None = None,
              lookback_months: int = LOOKBACK_MONTHS) -> FollowUp:
    """Persons with each condition and those whose follow-up has lapsed, per unit."""
    table = table or load_conditions()
    chosen = _check_conditions(table, conditions)
    notes = _prepare(src, on, table, lookback_months)
    unit_list = sorted(set(units)) if units is not None else None
    records = src.con.execute("""
        SELECT unit_id, condition_id, count(*) AS persons,
               count(*) FILTER (WHERE days_overdue > 0) AS lapsed,
               grouping(unit_id) AS all_units
        FROM __follow_up
        WHERE list_contains(?, condition_id) AND (? OR list_contains(?, unit_id))
        GROUP BY GROUPING SETS ((unit_id, condition_id), (condition_id))""",
        [chosen, unit_list is None, unit_list or []]).fetchall()
    order = {c: i for i, c in enumerate(table.ids())}
    rows = [
        {"unit_id": ALL if r[4] else r[0], "condition": r[1], "persons": int(r[2]),
         "lapsed": int(r[3]), "lapsed_pct": pct(int(r[3]), int(r[2]))}
        for r in sorted(records, key=lambda r: (r[4], r[0] or "", order[r[1]]))
    ]
    src.con.execute("DROP TABLE __follow_up")
    return FollowUp(on, rows, notes)


def suppress(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``persons`` or ``lapsed`` below 5 shown as ``"<5"`` and ``lapsed_pct`` hidden."""
    out = []
    for row in rows:
        r = dict(row)
        for count in ("persons", "lapsed"):
            if is_small(row[count]):
                r[count] = SUPPRESSED
                r["lapsed_pct"] = None
        out.append(r)
    return out


def follow_up_worklist(
    src: EpisodeSource, on: date, *, actor: str, purpose: str, audit_engine: Engine,
    units: Iterable[str] | None, table: ConditionTable | None = None,
    conditions: Iterable[str] | None = None, limit: int | None = None,
    language: str = "en", lookback_months: int = LOOKBACK_MONTHS,
) -> list[dict[str, Any]]:
    """The persons whose follow-up has lapsed, oldest gap first, each with its reason.

    An **authorised, audited read**: the caller has checked that ``actor`` may see the
    persons of ``units`` (``None`` = the whole region); ``purpose`` (why the list is needed)
    is required and is written with the actor, the scope and the number of persons to the
    audit log before the list is returned, with one row per person shown
    (``subject_person_id``; :mod:`sotekeskus.pathways.person_reads`)."""
    from sotekeskus.pathways.person_reads import record_person_reads

    if not actor.strip():
        raise PathwaysError("the worklist needs the actor (who reads it) for the audit log")
    if not purpose.strip():
        raise PathwaysError("the worklist needs a purpose (why it is read) for the audit log")
    table = table or load_conditions()
    chosen = _check_conditions(table, conditions)
    _prepare(src, on, table, lookback_months)
    unit_list = sorted(set(units)) if units is not None else None
    records = src.con.execute("""
        SELECT person_id, condition_id, unit_id, follow_up_basis, last_follow_up, due,
               days_overdue, interval_months, grace_days
        FROM __follow_up
        WHERE days_overdue > 0 AND list_contains(?, condition_id)
          AND (? OR list_contains(?, unit_id))
        ORDER BY days_overdue DESC, person_id, condition_id""",
        [chosen, unit_list is None, unit_list or []]).fetchall()
    src.con.execute("DROP TABLE __follow_up")
    if limit is not None:
        records = records[:limit]
    record_person_reads(
        audit_engine, actor=actor, target=WORKLIST_TARGET, purpose=purpose.strip(),
        detail=f"on={on.isoformat()}; units={','.join(unit_list) if unit_list else 'all'}; "
               f"conditions={','.join(chosen)}; persons={len(records)}; "
               f"purpose={purpose.strip()}",
        person_ids=[r[0] for r in records])
    basis_text = {"curative_visit": "last curative visit with the condition's code",
                  "care_plan": "last care plan", "first_diagnosis":
                  "no follow-up since the first visit with the condition's code"}
    rows = []
    for r in records:
        condition = table.get(r[1])
        last: date = r[4]
        due: date = r[5]
        rows.append({
            "person_id": r[0], "condition": r[1], "unit_id": r[2], "follow_up_basis": r[3],
            "last_follow_up": last, "due": due, "days_overdue": int(r[6]),
            "reason": (f"{condition.name(language)} ({condition.codes_text()}): "
                       f"{basis_text[r[3]]} on {last.isoformat()}; protocol "
                       f"{r[7]} months + {r[8]} days' grace → due {due.isoformat()}, "
                       f"{int(r[6])} days overdue on {on.isoformat()}"),
        })
    return rows


def due_date(last: date, interval_months: int, grace_days: int) -> date:
    """The due date of :func:`follow_up` for one person (the same arithmetic in Python)."""
    return add_months(last, interval_months) + timedelta(days=grace_days)
