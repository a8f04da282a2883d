"""Transparent client segments: a readable rule table (``data/segments.yaml``), each
segment's profile, and how people move between segments from one year to the next.

Definitions:
* **population of year Y**: persons with a done visit in Y − 2 … Y (the region's recent
  clients; residents who used no service are not in the data);
* **features** of a person in year Y (:data:`FEATURES`): ``age`` in completed years on
  31 December Y; ``contacts`` = done visits dated in Y, ``urgent_contacts`` of them urgent,
  ``service_areas`` = their distinct service areas, ``social_contacts`` = those in the
  social area, ``home_visits`` = those with contact mode home_visit; ``conditions`` = the
  long-term conditions of the conditions table (:mod:`sotekeskus.pathways.conditions`) on
  any visit up to 31 December Y (0 for everyone when the data has no ``diagnosis_codes``,
  with a note);
* **segment**: the first rule of the table that holds, top to bottom; **overlays** (e.g.
  social need) are flagged independently;
* **profile** of a segment in Y: ``persons``, ``share_pct`` of the population,
  ``mean_age``, ``contacts_per_person`` (visits in Y ÷ persons), the service mix (each
  area's share of the segment's visits in Y, ``<area>_pct``), ``median_wait_days`` of its
  access visits in Y (done, non-urgent, assessed, not plan-based: visit date − assessment
  date), and each overlay's share (``<overlay>_pct``). Means and shares have one decimal,
  rounded half up;
* **transitions** Y → Y + 1: persons by (segment in Y, segment in Y + 1), with ``none`` for
  a person outside that year's population.

A segment describes a group for planning. Nothing here labels a person in a person-level
view: the functions return counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.domain.indicators import pct
from sotekeskus.domain.vocabulary import ServiceArea
from sotekeskus.pathways.conditions import ConditionTable, episode_conditions_sql, load_conditions
from sotekeskus.pathways.errors import RuleTableError
from sotekeskus.pathways.numbers import round_half_up
from sotekeskus.pathways.periods import age_sql
from sotekeskus.pathways.rule_expr import rule_to_sql
from sotekeskus.pathways.rule_table import check_keys, check_unique, entry_id, names, read_table
from sotekeskus.pathways.source import EpisodeSource

FEATURES = ("age", "contacts", "urgent_contacts", "service_areas", "social_contacts",
            "home_visits", "conditions")
NONE = "none"
AREAS = tuple(a.value for a in ServiceArea)
POPULATION_YEARS = 3  # the year and the two before


@dataclass(frozen=True)
class Segment:
    id: str
    names: dict[str, str]
    rule: str
    sql: str

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names.get("en") or self.id


@dataclass(frozen=True)
class SegmentTable:
    segments: tuple[Segment, ...]
    overlays: tuple[Segment, ...]
    source: str

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.segments)


@dataclass(frozen=True)
class Profiles:
    year: int
    rows: list[dict[str, Any]]
    population: int
    notes: list[str] = field(default_factory=list)


def load_segments(path: str | Path | None = None) -> SegmentTable:
    """The shipped rule table, or a region's own file."""
    doc, source = read_table(path, "segments.yaml", "segment table")
    return parse_segments(doc, source)


def parse_segments(doc: Any, source: str) -> SegmentTable:
    if not isinstance(doc, dict) or not isinstance(doc.get("segments"), list):
        raise RuleTableError(f"{source}: expected a mapping with a list 'segments'")
    check_keys(doc, ("segments", "overlays"), source)
    seen: set[str] = set()

    def items(key: str) -> tuple[Segment, ...]:
        out = []
        for i, item in enumerate(doc.get(key) or [], start=1):
            where = f"{source}: {key} {i}"
            if not isinstance(item, dict):
                raise RuleTableError(f"{where}: expected a mapping with id, name, rule")
            sid = entry_id(item.get("id"), where, reserved=NONE)
            where = f"{source}: {key[:-1]} {sid!r}"
            check_unique(sid, where, seen)
            check_keys(item, ("id", "name", "rule"), where)
            rule = item.get("rule")
            if isinstance(rule, bool):
                rule = "true" if rule else "false"
            if not isinstance(rule, str):
                raise RuleTableError(f"{where}: the rule must be text, e.g. 'contacts >= 1'")
            out.append(Segment(sid, names(item.get("name"), where), rule,
                               rule_to_sql(rule, FEATURES, where)))
        return tuple(out)

    segments = items("segments")
    if not segments:
        raise RuleTableError(f"{source}: no segments")
    return SegmentTable(segments, items("overlays"), source)


def _features(src: EpisodeSource, year: int, conditions: ConditionTable) -> list[str]:
    """Create ``__seg_features_<year>``: one row per person of the year's population."""
    notes: list[str] = []
    start, end = f"DATE '{year}-01-01'", f"DATE '{year}-12-31'"
    pop_start = f"DATE '{year - POPULATION_YEARS + 1}-01-01'"
    visit = "status = 'done' AND visit_at IS NOT NULL"
    if src.has_values("diagnosis_codes"):
        src.con.register("__condition_ranges", conditions.ranges())
        coded = episode_conditions_sql("person_id", f"{visit} AND CAST(visit_at AS DATE) <= {end}")
        condition_sql = (f"SELECT person_id, count(DISTINCT condition_id) AS conditions "
                         f"FROM ({coded}) GROUP BY person_id")
    else:
        notes.append("diagnosis_codes is not in the data: conditions = 0 for everyone")
        condition_sql = "SELECT NULL::VARCHAR AS person_id, 0 AS conditions WHERE FALSE"
    age = age_sql("p.birth_date", end)
    src.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __seg_features_{year} AS
        WITH population AS (
            SELECT person_id, max(birth_date) AS birth_date FROM episodes
            WHERE {visit} AND CAST(visit_at AS DATE) BETWEEN {pop_start} AND {end}
            GROUP BY person_id
        ), in_year AS (
            SELECT person_id, count(*) AS contacts,
                   count(*) FILTER (WHERE urgency = 'urgent') AS urgent_contacts,
                   count(DISTINCT service_area) AS service_areas,
                   count(*) FILTER (WHERE service_area = 'social') AS social_contacts,
                   count(*) FILTER (WHERE contact_mode = 'home_visit') AS home_visits
            FROM episodes WHERE {visit} AND CAST(visit_at AS DATE) BETWEEN {start} AND {end}
            GROUP BY person_id
        ), cond AS ({condition_sql})
        SELECT p.person_id, {age} AS age,
               coalesce(y.contacts, 0) AS contacts,
               coalesce(y.urgent_contacts, 0) AS urgent_contacts,
               coalesce(y.service_areas, 0) AS service_areas,
               coalesce(y.social_contacts, 0) AS social_contacts,
               coalesce(y.home_visits, 0) AS home_visits,
               coalesce(c.conditions, 0) AS conditions
        FROM population p LEFT JOIN in_year y USING (person_id)
        LEFT JOIN cond c USING (person_id)""")
    return notes


def _assign(src: EpisodeSource, year: int, table: SegmentTable,
            conditions: ConditionTable) -> list[str]:
    """Create ``__segments_<year>``: features + ``segment`` + one boolean per overlay."""
    notes = _features(src, year, conditions)
    case = "CASE " + " ".join(f"WHEN {s.sql} THEN '{s.id}'" for s in table.segments) + \
        f" ELSE '{NONE}' END"
    overlays = "".join(f", {o.sql} AS overlay_{o.id}" for o in table.overlays)
    src.con.execute(f"CREATE OR REPLACE TEMP TABLE __segments_{year} AS "
                    f"SELECT *, {case} AS segment{overlays} FROM __seg_features_{year}")
    src.con.execute(f"DROP TABLE __seg_features_{year}")
    return notes


def profiles(src: EpisodeSource, year: int, table: SegmentTable | None = None,
             conditions: ConditionTable | None = None) -> Profiles:
    """Each segment's size and profile in ``year`` (rows in the table's order)."""
    table = table or load_segments()
    notes = _assign(src, year, table, conditions or load_conditions())
    start, end = f"DATE '{year}-01-01'", f"DATE '{year}-12-31'"
    overlay_cols = "".join(f", count(*) FILTER (WHERE overlay_{o.id}) AS {o.id}"
                           for o in table.overlays)
    base = {r[0]: r[1:] for r in src.con.execute(f"""
        SELECT segment, count(*), avg(age), sum(contacts) {overlay_cols}
        FROM __segments_{year} GROUP BY segment""").fetchall()}
    area_counts: dict[tuple[str, str], int] = {
        (r[0], r[1]): int(r[2]) for r in src.con.execute(f"""
            SELECT s.segment, e.service_area, count(*) FROM episodes e
            JOIN __segments_{year} s USING (person_id)
            WHERE e.status = 'done' AND e.visit_at IS NOT NULL
              AND CAST(e.visit_at AS DATE) BETWEEN {start} AND {end}
            GROUP BY s.segment, e.service_area""").fetchall()}
    waits = dict(src.con.execute(f"""
        SELECT s.segment, median(CAST(e.visit_at AS DATE) - CAST(e.assessed_at AS DATE))
        FROM episodes e JOIN __segments_{year} s USING (person_id)
        WHERE e.status = 'done' AND e.urgency = 'non_urgent' AND e.assessed_at IS NOT NULL
          AND NOT coalesce(e.plan_based, FALSE) AND e.visit_at IS NOT NULL
          AND CAST(e.visit_at AS DATE) BETWEEN {start} AND {end}
        GROUP BY s.segment""").fetchall())
    src.con.execute(f"DROP TABLE __segments_{year}")
    population = sum(int(v[0]) for v in base.values())
    rows = []
    for seg in table.segments:
        b = base.get(seg.id)
        persons = int(b[0]) if b else 0
        visits = int(b[2] or 0) if b else 0
        row: dict[str, Any] = {
            "segment": seg.id, "persons": persons, "share_pct": pct(persons, population),
            "mean_age": round_half_up(float(b[1]), 1) if b and b[1] is not None else None,
            "contacts_per_person": (round_half_up(visits / persons, 1) if persons else None),
        }
        for area in AREAS:
            row[f"{area}_pct"] = pct(area_counts.get((seg.id, area), 0), visits)
        wait = waits.get(seg.id)
        row["median_wait_days"] = None if wait is None else float(wait)
        for i, o in enumerate(table.overlays):
            flagged = int(b[3 + i]) if b else 0
            row[o.id] = flagged
            row[f"{o.id}_pct"] = pct(flagged, persons)
        rows.append(row)
    return Profiles(year, rows, population, notes)


def transitions(src: EpisodeSource, year: int, table: SegmentTable | None = None,
                conditions: ConditionTable | None = None) -> list[dict[str, Any]]:
    """Persons by segment in ``year`` and in ``year + 1`` (``none``: outside that year's
    population); every pair of the table's segments plus ``none``, in the table's order."""
    table = table or load_segments()
    conditions = conditions or load_conditions()
    _assign(src, year, table, conditions)
    _assign(src, year + 1, table, conditions)
    counts = {(r[0], r[1]): int(r[2]) for r in src.con.execute(f"""
        SELECT coalesce(a.segment, '{NONE}'), coalesce(b.segment, '{NONE}'), count(*)
        FROM __segments_{year} a FULL OUTER JOIN __segments_{year + 1} b USING (person_id)
        GROUP BY ALL""").fetchall()}
    src.con.execute(f"DROP TABLE __segments_{year}")
    src.con.execute(f"DROP TABLE __segments_{year + 1}")
    ids = list(table.ids()) + [NONE]
    return [{"from": a, "to": b, "persons": counts.get((a, b), 0)}
            for a in ids for b in ids if (a, b) != (NONE, NONE)]


def profile_columns(table: SegmentTable) -> list[str]:
    return (["segment", "persons", "share_pct", "mean_age", "contacts_per_person"]
            + [f"{a}_pct" for a in AREAS] + ["median_wait_days"]
            + [c for o in table.overlays for c in (o.id, f"{o.id}_pct")])


def suppress_profiles(rows: list[dict[str, Any]], table: SegmentTable
                      ) -> list[dict[str, Any]]:
    """A segment of fewer than 5 persons: ``"<5"`` and every figure hidden; an overlay
    count below 5: ``"<5"`` and its share hidden."""
    out = []
    for r in rows:
        if is_small(r["persons"]):
            out.append({k: (v if k == "segment" else SUPPRESSED if k == "persons" else None)
                        for k, v in r.items()})
            continue
        row = dict(r)
        for o in table.overlays:
            if is_small(row[o.id]):
                row[o.id], row[f"{o.id}_pct"] = SUPPRESSED, None
        out.append(row)
    return out


def suppress_transitions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counts below 5 (0–4) shown as ``"<5"``."""
    return [{**r, "persons": SUPPRESSED} if is_small(r["persons"]) else dict(r) for r in rows]
