"""The two prediction cohorts of pathways.md, built on the synthetic region, with a planted
truth.

The episode contract has no psychiatric inpatient stays and no home-care decisions, so the
**index events and outcomes are synthetic** — drawn from a logistic model with the planted
coefficients of :data:`PLANTED` — while the **features are computed from the region's
episodes** (contract v1 and v2 columns) with DuckDB, exactly as they would be for real data.
Sex and language are not in the contract either; they are drawn per person (51 % women,
6 % Swedish-speaking) so that the subgroup evaluation has them; the planted outcome does not
depend on them.

* ``readmission`` (Eksote): index = a discharge from psychiatric inpatient care. Persons
  with a mental or substance visit in the 12 months before a random day of a year are
  discharged with a probability rising with that use; the outcome is **a return to
  psychiatric inpatient care within 90 days**.
* ``home_care`` (Päijät-Häme): index = 1 January and 1 July for every client aged 75 or
  over (a done visit in the previous 12 months); the outcome is **a change (increase) in the
  home-care need within 6 months**.

Features (:data:`FEATURES`): counts of done visits in the 12 months before the index date
(all, urgent, mental, substance, social, home visits in 6 months), age on the index date,
the number of long-term conditions diagnosed before it, earlier discharges in the cohort,
and for readmission whether a mental or substance visit followed within 7 days of the
discharge (``follow_up_7d``, known at discharge + 7 days: the list is made then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from sotekeskus.pathways.conditions import episode_conditions_sql, load_conditions
from sotekeskus.pathways.periods import age_sql
from sotekeskus.pathways.source import EpisodeSource

MODELS = ("readmission", "home_care")
FEATURES: dict[str, tuple[str, ...]] = {
    "readmission": ("age", "visits_12m", "urgent_12m", "mental_12m", "substance_12m",
                    "social_12m", "conditions", "earlier_discharges", "follow_up_7d"),
    "home_care": ("age", "visits_12m", "urgent_12m", "social_12m", "home_visits_6m",
                  "conditions"),
}
#: The planted logistic model: intercept and coefficients on the transformed features
#: (``log1p`` of counts, ``age_over_75`` = age − 75, indicators as 0/1).
PLANTED: dict[str, dict[str, float]] = {
    "readmission": {"intercept": -2.6, "log1p_earlier_discharges": 0.7,
                    "any_substance_12m": 0.8, "log1p_mental_12m": 0.35,
                    "log1p_urgent_12m": 0.3, "under_25": 0.4, "follow_up_7d": -0.6,
                    "any_social_12m": 0.3},
    "home_care": {"intercept": -3.2, "age_over_75": 0.07, "log1p_home_visits_6m": 0.8,
                  "log1p_urgent_12m": 0.35, "conditions": 0.3, "any_social_12m": 0.5},
}
SUBGROUPS = ("age_band", "sex", "language", "municipality")
WOMEN_SHARE, SWEDISH_SHARE = 0.51, 0.06


@dataclass(frozen=True)
class Cohort:
    name: str
    table: pa.Table  # person_id, index_date, features, subgroups, outcome
    truth: dict[str, Any]


def _person_attributes(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    persons = [r[0] for r in con.execute(
        "SELECT DISTINCT person_id FROM episodes ORDER BY person_id").fetchall()]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5E,)))
    con.register("__attributes", pa.table({
        "person_id": persons,
        "sex": np.where(rng.random(len(persons)) < WOMEN_SHARE, "female", "male"),
        "language": np.where(rng.random(len(persons)) < SWEDISH_SHARE, "sv", "fi"),
    }))


def _features_sql(index_table: str, extra: str = "") -> str:
    """Features of every (person_id, index_date) of ``index_table`` from the episodes."""
    visit = "e.status = 'done' AND e.visit_at IS NOT NULL"
    day = "CAST(e.visit_at AS DATE)"
    return f"""
        SELECT i.person_id, i.index_date {extra},
               count(*) FILTER (WHERE {day} BETWEEN i.index_date - 365 AND i.index_date - 1)
                   AS visits_12m,
               count(*) FILTER (WHERE {day} BETWEEN i.index_date - 365 AND i.index_date - 1
                                AND e.urgency = 'urgent') AS urgent_12m,
               count(*) FILTER (WHERE {day} BETWEEN i.index_date - 365 AND i.index_date - 1
                                AND e.service_area = 'mental') AS mental_12m,
               count(*) FILTER (WHERE {day} BETWEEN i.index_date - 365 AND i.index_date - 1
                                AND e.service_area = 'substance') AS substance_12m,
               count(*) FILTER (WHERE {day} BETWEEN i.index_date - 365 AND i.index_date - 1
                                AND e.service_area = 'social') AS social_12m,
               count(*) FILTER (WHERE {day} BETWEEN i.index_date - 182 AND i.index_date - 1
                                AND e.contact_mode = 'home_visit') AS home_visits_6m,
               count(*) FILTER (WHERE {day} BETWEEN i.index_date AND i.index_date + 7
                                AND e.service_area IN ('mental', 'substance'))
                   AS follow_up_visits_7d
        FROM {index_table} i LEFT JOIN episodes e
          ON e.person_id = i.person_id AND {visit}
         AND {day} BETWEEN i.index_date - 365 AND i.index_date + 7
        GROUP BY ALL"""


def _finish(con: duckdb.DuckDBPyConnection, name: str, features: str,
            rng: np.random.Generator) -> pa.Table:
    """Add age, conditions, subgroups; draw the planted outcome."""
    con.register("__condition_ranges", load_conditions().ranges())
    coded = episode_conditions_sql("person_id, visit_at",
                                   "status = 'done' AND visit_at IS NOT NULL")
    age = age_sql("b.birth_date", "f.index_date")
    table = con.execute(f"""
        WITH f AS ({features}),
        b AS (SELECT person_id, max(birth_date) AS birth_date,
                     arg_max(unit_id, visit_at) AS unit_id
              FROM episodes WHERE status = 'done' GROUP BY person_id),
        c AS ({coded})
        SELECT f.*, {age} AS age,
               (SELECT count(DISTINCT condition_id) FROM c
                WHERE c.person_id = f.person_id AND CAST(c.visit_at AS DATE) < f.index_date)
                   AS conditions,
               a.sex, a.language, coalesce(u.municipality, b.unit_id) AS municipality
        FROM f JOIN b USING (person_id) JOIN __attributes a USING (person_id)
        LEFT JOIN units u ON u.unit_id = b.unit_id
        ORDER BY f.index_date, f.person_id""").to_arrow_table()
    age_arr = table["age"].to_numpy()
    bands = np.select([age_arr < 25, age_arr < 45, age_arr < 65, age_arr < 75, age_arr < 85],
                      ["0-24", "25-44", "45-64", "65-74", "75-84"], "85+")
    table = table.append_column("age_band", pa.array(bands))
    x = transformed(name, table)
    planted = PLANTED[name]
    logit = planted["intercept"] + sum(coef * x[key] for key, coef in planted.items()
                                       if key != "intercept")
    outcome = rng.random(table.num_rows) < 1 / (1 + np.exp(-logit))
    return table.append_column("outcome", pa.array(outcome))


def transformed(name: str, table: pa.Table) -> dict[str, np.ndarray]:
    """The planted model's inputs from the cohort's columns."""
    col = {c: table[c].to_numpy(zero_copy_only=False).astype(float)
           for c in FEATURES[name] if c in table.column_names}
    out = {
        "log1p_urgent_12m": np.log1p(col["urgent_12m"]),
        "any_social_12m": (col["social_12m"] > 0).astype(float),
        "conditions": col["conditions"],
    }
    if name == "readmission":
        out.update({
            "log1p_earlier_discharges": np.log1p(col["earlier_discharges"]),
            "any_substance_12m": (col["substance_12m"] > 0).astype(float),
            "log1p_mental_12m": np.log1p(col["mental_12m"]),
            "under_25": (col["age"] < 25).astype(float),
            "follow_up_7d": col["follow_up_7d"],
        })
    else:
        out.update({"age_over_75": col["age"] - 75,
                    "log1p_home_visits_6m": np.log1p(col["home_visits_6m"])})
    return out


def readmission_cohort(src: EpisodeSource, units: pa.Table | None, start: date, end: date,
                       seed: int) -> Cohort:
    """Synthetic psychiatric discharges of ``start.year`` … ``end.year`` (module docstring)."""
    con = src.con
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x9A,)))
    _person_attributes(con, seed)
    _units(con, units)
    candidates = []
    for year in range(start.year, end.year + 1):
        days = (date(year, 12, 31) - date(year, 1, 1)).days + 1
        rows = con.execute(f"""
            SELECT person_id, count(*) FILTER (WHERE service_area = 'mental') AS mental,
                   count(*) FILTER (WHERE service_area = 'substance') AS substance
            FROM episodes WHERE status = 'done' AND service_area IN ('mental', 'substance')
              AND CAST(visit_at AS DATE) BETWEEN DATE '{year - 1}-01-01' AND DATE '{year}-12-31'
            GROUP BY person_id ORDER BY person_id""").fetchall()
        if not rows:
            continue
        mental = np.array([r[1] for r in rows], float)
        substance = np.array([r[2] for r in rows], float)
        p = 1 / (1 + np.exp(-(-3.0 + 0.35 * np.log1p(mental) + 0.9 * (substance > 0))))
        chosen = rng.random(len(rows)) < p
        offsets = rng.integers(0, days, size=len(rows))
        for (person, _, _), pick, off in zip(rows, chosen, offsets, strict=True):
            day = date.fromordinal(date(year, 1, 1).toordinal() + int(off))
            if pick and start <= day <= end:
                candidates.append((person, day))
    index = pa.table({"person_id": [c[0] for c in candidates],
                      "index_date": pa.array([c[1] for c in candidates], pa.date32())})
    con.register("__index", index)
    con.execute("""CREATE OR REPLACE TEMP TABLE __index_n AS
        SELECT *, row_number() OVER (PARTITION BY person_id ORDER BY index_date) - 1
            AS earlier_discharges FROM __index""")
    features = _features_sql("__index_n", ", i.earlier_discharges")
    features = (f"SELECT *, CAST(follow_up_visits_7d > 0 AS INTEGER) AS follow_up_7d "
                f"FROM ({features})")
    table = _finish(con, "readmission", features, rng)
    return Cohort("readmission", table, _truth("readmission", table))


def home_care_cohort(src: EpisodeSource, units: pa.Table | None, start: date, end: date,
                     seed: int) -> Cohort:
    """Clients aged 75+ on 1 January and 1 July (module docstring)."""
    con = src.con
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x4C,)))
    _person_attributes(con, seed)
    _units(con, units)
    dates = [date(y, m, 1) for y in range(start.year, end.year + 1) for m in (1, 7)
             if start <= date(y, m, 1) <= end]
    con.register("__dates", pa.table({"index_date": pa.array(dates, pa.date32())}))
    age = age_sql("e.birth_date", "d.index_date")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __index_h AS
        SELECT DISTINCT e.person_id, d.index_date FROM episodes e, __dates d
        WHERE e.status = 'done' AND CAST(e.visit_at AS DATE)
              BETWEEN d.index_date - 365 AND d.index_date - 1 AND {age} >= 75""")
    table = _finish(con, "home_care", _features_sql("__index_h"), rng)
    return Cohort("home_care", table, _truth("home_care", table))


def _units(con: duckdb.DuckDBPyConnection, unit_table: pa.Table | None) -> None:
    try:
        con.execute("SELECT unit_id, municipality FROM units LIMIT 0")
    except duckdb.Error:
        table = unit_table if unit_table is not None else pa.table(
            {"unit_id": pa.array([], pa.string()), "municipality": pa.array([], pa.string())})
        con.register("units", table.select(["unit_id", "municipality"]))


def _truth(name: str, table: pa.Table) -> dict[str, Any]:
    outcome = table["outcome"].to_numpy(zero_copy_only=False)
    return {"planted_coefficients": PLANTED[name], "index_events": table.num_rows,
            "outcome_rate": round(float(outcome.mean()), 4) if len(outcome) else None}
