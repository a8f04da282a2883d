"""The professional's risk list: a stored model applied to the store's episodes on a day.

**Who is scored** on day ``on`` (the list day):

* ``home_care``: every client aged 75 or over on ``on`` with a done visit in the 12 months
  before it — the cohort's own definition, index date = ``on``.
* ``readmission``: the store has no psychiatric inpatient stays (the episode contract lacks
  them), so the list uses the closest event the store has: persons with a done mental-health
  or substance-use visit in the 30 days before the index date ``on − 7`` (the list is made
  seven days after the index, as the model card says, so ``follow_up_7d`` is known);
  ``earlier_discharges`` is 0 for everyone. This is a documented proxy until a discharge
  feed exists; the model card's figures are from the synthetic cohort.

**Features** are computed exactly as in :mod:`~sotekeskus.pathways.models.cohorts` (visits in
the 12 months before the index date by area and urgency, home visits in 6 months, long-term
conditions diagnosed before it — 0 without ``diagnosis_codes`` — and age). The stored
parameters (scaler means and scales, coefficients, intercept) give each person's predicted
risk; a person is **listed** when it is at or above the stored threshold (the top 10 % of
the training predictions). A person's **unit** is the unit of their latest done visit
before the index date; the list of a unit holds the persons of that unit.

**Factors**: per person, the features whose contribution (standardised value ×
coefficient) raises the risk, largest first, at most three — with the person's own value of
the feature (the raw count, age or 0/1).

Nothing here writes or audits: :func:`risk_list` is the audited read.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Engine

from sotekeskus.pathways.errors import MissingDataError, PathwaysError
from sotekeskus.pathways.models.cohorts import FEATURES, _features_sql
from sotekeskus.pathways.models.evaluate import design
from sotekeskus.pathways.models.stored import StoredRun, check_model
from sotekeskus.pathways.periods import age_sql
from sotekeskus.pathways.source import EpisodeSource

TOP_FACTORS = 3
LIST_TARGET = "risk_list"
READMISSION_LOOKBACK_DAYS = 30
LIST_DELAY_DAYS = 7


def _index_sql(name: str, on: date) -> tuple[str, date]:
    visit = "status = 'done' AND visit_at IS NOT NULL"
    day = "CAST(visit_at AS DATE)"
    if name == "home_care":
        index = on
        age = age_sql("birth_date", f"DATE '{index.isoformat()}'")
        return (f"""SELECT DISTINCT person_id, DATE '{index.isoformat()}' AS index_date
                    FROM episodes WHERE {visit}
                      AND {day} BETWEEN DATE '{(index - timedelta(365)).isoformat()}'
                                    AND DATE '{(index - timedelta(1)).isoformat()}'
                      AND {age} >= 75""", index)
    index = on - timedelta(LIST_DELAY_DAYS)
    start = index - timedelta(READMISSION_LOOKBACK_DAYS)
    return (f"""SELECT DISTINCT person_id, DATE '{index.isoformat()}' AS index_date,
                       0 AS earlier_discharges
                FROM episodes WHERE {visit} AND service_area IN ('mental', 'substance')
                  AND {day} BETWEEN DATE '{start.isoformat()}'
                                AND DATE '{(index - timedelta(1)).isoformat()}'""", index)


def features(src: EpisodeSource, name: str, on: date) -> pa.Table:
    """One row per person scored on ``on`` (module docstring): ``person_id``,
    ``index_date``, ``unit_id`` and the model's features."""
    from sotekeskus.pathways.conditions import episode_conditions_sql, load_conditions

    check_model(name)
    con = src.con
    index_sql, index = _index_sql(name, on)
    con.execute(f"CREATE OR REPLACE TEMP TABLE __risk_index AS {index_sql}")
    extra = ", i.earlier_discharges" if name == "readmission" else ""
    feats = _features_sql("__risk_index", extra)
    if name == "readmission":
        feats = (f"SELECT *, CAST(follow_up_visits_7d > 0 AS INTEGER) AS follow_up_7d "
                 f"FROM ({feats})")
    if "diagnosis_codes" in src.columns("episodes"):
        con.register("__condition_ranges", load_conditions().ranges())
        coded = episode_conditions_sql("person_id, visit_at",
                                       "status = 'done' AND visit_at IS NOT NULL")
        conditions = f"""(SELECT count(DISTINCT condition_id) FROM ({coded}) c
                          WHERE c.person_id = f.person_id
                            AND CAST(c.visit_at AS DATE) < f.index_date)"""
    else:
        conditions = "0"
    age = age_sql("b.birth_date", "f.index_date")
    return con.execute(f"""
        WITH f AS ({feats}),
        b AS (SELECT person_id, max(birth_date) AS birth_date,
                     arg_max(unit_id, visit_at) AS unit_id
              FROM episodes WHERE status = 'done' AND visit_at IS NOT NULL
                AND CAST(visit_at AS DATE) < DATE '{index.isoformat()}'
              GROUP BY person_id)
        SELECT f.*, {age} AS age, {conditions} AS conditions, b.unit_id
        FROM f JOIN b USING (person_id)
        ORDER BY f.person_id""").to_arrow_table()


def score(table: pa.Table, name: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of :func:`features` with its ``risk``, ``listed`` and ``factors`` (list of
    ``(feature, value, contribution)``), highest risk first (ties by person id)."""
    if not table.num_rows:
        return []
    x, names = design(name, table)
    if names != list(parameters["features"]):
        raise PathwaysError(f"the stored {name} run has the features "
                            f"{', '.join(parameters['features'])}; this version computes "
                            f"{', '.join(names)}: run `sotekeskus models evaluate --db` again")
    z = (x - np.array(parameters["mean"])) / np.array(parameters["scale"])
    parts = z * np.array(parameters["coef"])
    logit = parts.sum(axis=1) + parameters["intercept"]
    risk = 1 / (1 + np.exp(-logit))
    raw = {f: table[f].to_pylist() for f in FEATURES[name]}
    rows = []
    for i, pid in enumerate(table["person_id"].to_pylist()):
        order = np.argsort(-parts[i], kind="stable")[:TOP_FACTORS]
        factors = [(names[j], raw[FEATURES[name][j]][i], round(float(parts[i][j]), 3))
                   for j in order if parts[i][j] > 0]
        rows.append({"person_id": pid, "unit_id": table["unit_id"][i].as_py(),
                     "index_date": table["index_date"][i].as_py(),
                     "age": table["age"][i].as_py(), "risk": round(float(risk[i]), 3),
                     "listed": bool(risk[i] >= parameters["threshold"]),
                     "factors": factors})
    rows.sort(key=lambda r: (-r["risk"], r["person_id"]))
    return rows


def listed(src: EpisodeSource, run: StoredRun, on: date,
           units: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The persons listed for consideration on ``on`` (of ``units``), highest risk first.
    Not audited: for the audited read use :func:`risk_list`."""
    if not src.has_table("episodes"):
        raise MissingDataError(f"{src.label} has no episodes")
    rows = [r for r in score(features(src, run.model, on), run.model, run.parameters)
            if r["listed"]]
    if units is not None:
        rows = [r for r in rows if r["unit_id"] in units]
    return rows


def audit_list(engine: Engine, rows: list[dict[str, Any]], *, model: str, on: date,
               actor: str, purpose: str, units: tuple[str, ...] | None) -> None:
    """The read's audit rows: a summary and one row per person shown (who, when, purpose,
    ``subject_person_id``), written in one transaction before the list is returned."""
    from sotekeskus.pathways.person_reads import record_person_reads

    scope = ",".join(units) if units else "all"
    record_person_reads(engine, actor=actor, target=f"{LIST_TARGET}:{model}",
                        detail=f"on={on.isoformat()}; units={scope}; persons={len(rows)}",
                        purpose=purpose, person_ids=[r["person_id"] for r in rows])


def risk_list(src: EpisodeSource, run: StoredRun, on: date, *, actor: str, purpose: str,
              audit_engine: Engine, units: tuple[str, ...] | None = None
              ) -> list[dict[str, Any]]:
    """An **authorised, audited read** of :func:`listed`: the caller has checked that
    ``actor`` may see the persons of ``units``; every person shown gets an audit row."""
    rows = listed(src, run, on, units)
    audit_list(audit_engine, rows, model=run.model, on=on, actor=actor, purpose=purpose,
               units=units)
    return rows
