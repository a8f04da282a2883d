"""Episode contract version 2 for the synthetic region: diagnosis codes, visit nature,
pseudonymous professionals and care plans, with a planted truth.

Computed from the generated episode table and the seed alone (its own random stream), so the
version-1 columns — and every existing seed's episode file — stay exactly as they were.

The model:
* **Long-term conditions** per person, drawn once from age-banded prevalences (age at the
  start of the data) — diabetes, hypertension, asthma, COPD, coronary heart disease and
  atrial fibrillation. The figures are rounded, plausible orders of magnitude for Finnish
  adults (diagnosed diabetes ~6–7 % of adults, rising to ~18 % at 75+; hypertension about a
  quarter of those aged 45–64 and half of those 75+; asthma ~7–10 %; …); they are a demo
  calibration, not registry statistics (``PREVALENCE``).
* **Done episodes only** carry v2 values; waiting and cancelled ones have none.
* ``visit_nature``: social-welfare episodes have none (not Avohilmo); otherwise TH (health
  promotion) for part of nurse and hygienist visits (child health clinics: 60 % of nurse
  visits under 7), SH (curative) for the rest.
* ``diagnosis_codes`` on SH visits: a plan-based medical visit of a person with conditions
  is a control visit with one of their conditions (ICD-10 from physicians; half of nurses
  record ICPC-2) and makes or updates a care plan with probability 0.3; other medical visits
  carry an acute code (85 %) and, for persons with conditions, one of those 25 % of the
  time; mental, substance and oral visits carry codes of their own area. TH visits carry a
  Z code.
* ``professional_id``: each unit × professional group has a roster sized by its volume
  (one professional per ~1 500 visits a year, 1–40); every person has an own professional
  there, seen on a visit with the unit's planted **continuity probability** (uniform
  0.35–0.85, in the truth), otherwise a random member of the roster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CONDITIONS = ("diabetes", "hypertension", "asthma", "copd", "coronary_heart_disease",
              "atrial_fibrillation")
AGE_BANDS = (0, 18, 45, 65, 75)  # lower bounds
#: Share of persons with the condition, by age band 0-17, 18-44, 45-64, 65-74, 75+.
PREVALENCE: dict[str, tuple[float, ...]] = {
    "diabetes": (0.003, 0.015, 0.08, 0.15, 0.18),
    "hypertension": (0.0, 0.05, 0.25, 0.45, 0.55),
    "asthma": (0.05, 0.07, 0.09, 0.10, 0.10),
    "copd": (0.0, 0.002, 0.03, 0.07, 0.09),
    "coronary_heart_disease": (0.0, 0.002, 0.03, 0.10, 0.18),
    "atrial_fibrillation": (0.0, 0.002, 0.01, 0.05, 0.12),
}
ICD10 = {"diabetes": "E11.9", "hypertension": "I10", "asthma": "J45.9", "copd": "J44.9",
         "coronary_heart_disease": "I25.1", "atrial_fibrillation": "I48.0"}
ICPC2 = {"diabetes": "T90", "hypertension": "K86", "asthma": "R96", "copd": "R95",
         "coronary_heart_disease": "K76", "atrial_fibrillation": "K78"}
ACUTE = ("J06.9", "M54.5", "R10.4", "N39.0", "L30.9", "J20.9", "R51", "H66.9", "B34.9",
         "S93.4")
AREA_CODES = {"mental": ("F32.1", "F41.1", "F43.2", "F33.1", "F90.0"),
              "substance": ("F10.2", "F11.2", "F12.2", "F19.2"),
              "oral": ("K02.1", "K05.1", "K04.0", "K08.8")}
TH_CODES = ("Z00.0", "Z00.1", "Z23")
VISITS_PER_PROFESSIONAL_YEAR = 1_500
CARE_PLAN_SHARE = 0.3
GROUP_CODES = {"physician": "PH", "nurse": "NU", "dentist": "DE", "dental_hygienist": "DH",
               "psychologist": "PS", "social_worker": "SW", "therapist": "TE", "other": "OT"}


def _np(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(column.to_numpy(zero_copy_only=False))


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    encoded = pc.dictionary_encode(column).combine_chunks()
    return (encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
            encoded.dictionary.to_pylist())


def _strings(index: np.ndarray, vocabulary: list[str]) -> pa.Array:
    """Strings ``vocabulary[index]``, null where ``index`` < 0."""
    mask = index < 0
    return pa.DictionaryArray.from_arrays(
        pa.array(np.where(mask, 0, index).astype(np.int32), mask=mask),
        pa.array(vocabulary, pa.string())).cast(pa.string())


def clinical_columns(episodes: pa.Table, seed: int) -> tuple[pa.Table, dict[str, Any]]:
    """The four v2 columns for ``episodes`` (same rows, same order) and the planted truth."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xC1,)))
    n = episodes.num_rows
    person, _ = _codes(episodes["person_id"])
    unit, units = _codes(episodes["unit_id"])
    group, groups = _codes(episodes["professional_group"])
    area = _np(episodes["service_area"]).astype(str)
    done = _np(episodes["status"]).astype(str) == "done"
    plan = _np(episodes["plan_based"]).astype(bool)
    visit = _np(episodes["visit_at"].cast(pa.timestamp("s"))).astype("datetime64[D]")
    contact = _np(episodes["contact_at"].cast(pa.timestamp("s"))).astype("datetime64[D]")
    birth = _np(episodes["birth_date"]).astype("datetime64[D]")
    start = np.datetime64(contact.min() if n else "2019-01-01", "D")
    n_persons = int(person.max()) + 1 if n else 0

    # --- persons: age at the start of the data, conditions -----------------------------
    person_birth = np.empty(n_persons, dtype="datetime64[D]")
    person_birth[person] = birth
    age0 = (np.asarray(start - person_birth).astype(np.int64) / 365.25).astype(np.int64)
    band = np.searchsorted(np.asarray(AGE_BANDS), np.maximum(age0, 0), side="right") - 1
    has = np.zeros((n_persons, len(CONDITIONS)), dtype=bool)
    for j, name in enumerate(CONDITIONS):
        has[:, j] = rng.random(n_persons) < np.asarray(PREVALENCE[name])[band]
    n_cond = has.sum(axis=1)

    # --- visit nature -------------------------------------------------------------------
    is_nurse = np.asarray(groups, dtype=object)[group] == "nurse"
    is_hyg = np.asarray(groups, dtype=object)[group] == "dental_hygienist"
    age_at_visit = ((visit - birth).astype(np.int64) / 365.25)
    p_th = np.where(is_nurse, np.where(age_at_visit < 7, 0.6, 0.15),
                    np.where(is_hyg, 0.3, 0.03))
    social = area == "social"
    th = done & ~social & (rng.random(n) < p_th)
    sh = done & ~social & ~th
    nature = np.where(th, 1, np.where(sh, 0, -1))

    # --- diagnosis codes: a condition code and/or an area code ---------------------------
    medical = area == "medical"
    own = n_cond[person] > 0
    pick = rng.random(n)
    chosen = np.full(n, -1, dtype=np.int64)  # which of the person's conditions
    k = np.floor(pick * np.maximum(n_cond[person], 1)).astype(np.int64)
    seen = np.zeros(n, dtype=np.int64)
    for j in range(len(CONDITIONS)):
        hit = has[person, j]
        chosen = np.where(hit & (seen == k) & (chosen < 0), j, chosen)
        seen += hit
    control = sh & medical & plan & own
    with_condition = control | (sh & medical & ~plan & own & (rng.random(n) < 0.25))
    icpc = is_nurse & (rng.random(n) < 0.5)
    condition_vocab = [ICD10[c] for c in CONDITIONS] + [ICPC2[c] for c in CONDITIONS]
    cond_index = np.where(with_condition & (chosen >= 0),
                          chosen + np.where(icpc, len(CONDITIONS), 0), -1)
    other_vocab = list(ACUTE) + [c for a in ("mental", "substance", "oral")
                                 for c in AREA_CODES[a]] + list(TH_CODES)
    offsets = {"acute": 0}
    pos = len(ACUTE)
    for a in ("mental", "substance", "oral"):
        offsets[a] = pos
        pos += len(AREA_CODES[a])
    offsets["th"] = pos
    other = np.full(n, -1, dtype=np.int64)
    acute = sh & medical & ~control & (rng.random(n) < 0.85)
    other = np.where(acute, rng.integers(0, len(ACUTE), n), other)
    for a in ("mental", "substance", "oral"):
        codes = AREA_CODES[a]
        other = np.where(sh & (area == a), offsets[a] + rng.integers(0, len(codes), n), other)
    other = np.where(th & (rng.random(n) < 0.7),
                     offsets["th"] + rng.integers(0, len(TH_CODES), n), other)
    # Combined vocabulary: every "<condition>|<other>" pair, a condition alone, other alone.
    nc, no = len(condition_vocab), len(other_vocab)
    combined = ([f"{c}|{o}" for c in condition_vocab for o in other_vocab]
                + condition_vocab + other_vocab)
    diagnosis = np.where(
        (cond_index >= 0) & (other >= 0), cond_index * no + other,
        np.where(cond_index >= 0, nc * no + cond_index,
                 np.where(other >= 0, nc * no + nc + other, -1)))

    # --- care plans -----------------------------------------------------------------------
    care_plan = np.where(done & ~social, np.where(control & (rng.random(n) < CARE_PLAN_SHARE),
                                                  1, 0), -1)

    # --- professionals ----------------------------------------------------------------------
    span_days = int(np.ptp(visit[done]).astype(np.int64)) if done.any() else 0
    years = max(1.0, span_days / 365.25)
    cell = unit * len(groups) + group
    volume = np.bincount(cell[done], minlength=len(units) * len(groups))
    roster = np.clip(np.round(volume / years / VISITS_PER_PROFESSIONAL_YEAR), 1, 40
                     ).astype(np.int64)
    continuity = np.round(rng.uniform(0.35, 0.85, size=len(units)), 3)
    # A person's own professional in a cell: a fixed hash of (person, cell).
    own_prof = ((person.astype(np.uint64) * np.uint64(2654435761) + cell.astype(np.uint64)
                 * np.uint64(40503)) % roster[cell].astype(np.uint64)).astype(np.int64)
    random_prof = np.floor(rng.random(n) * roster[cell]).astype(np.int64)
    prof = np.where(rng.random(n) < continuity[unit], own_prof, random_prof)
    prof_vocab: list[str] = []
    base = np.zeros(len(units) * len(groups), dtype=np.int64)
    for u, uid in enumerate(units):
        for g, gname in enumerate(groups):
            c = u * len(groups) + g
            base[c] = len(prof_vocab)
            prof_vocab += [f"{uid}-{GROUP_CODES.get(gname, 'XX')}{i + 1:02d}"
                           for i in range(int(roster[c]))]
    prof_index = np.where(done, base[cell] + prof, -1)

    table = pa.table({
        "diagnosis_codes": _strings(np.where(done, diagnosis, -1), combined),
        "visit_nature": _strings(nature, ["SH", "TH"]),
        "professional_id": _strings(prof_index, prof_vocab),
        "care_plan": pa.array(care_plan == 1, mask=care_plan < 0),
    })
    truth = {
        "prevalence_by_age_band": {c: dict(zip(
            ["0-17", "18-44", "45-64", "65-74", "75+"], PREVALENCE[c], strict=True))
            for c in CONDITIONS},
        "persons_with_condition": {c: int(has[:, j].sum()) for j, c in enumerate(CONDITIONS)},
        "persons": n_persons,
        "continuity_probability_by_unit": {u: float(continuity[i])
                                           for i, u in enumerate(units)},
        "professionals_by_unit_group": {
            f"{u}/{g}": int(roster[i * len(groups) + j])
            for i, u in enumerate(units) for j, g in enumerate(groups)
            if volume[i * len(groups) + j]},
        "care_plan_share_of_control_visits": CARE_PLAN_SHARE,
    }
    return table, truth


def with_clinical(episodes: pa.Table, clinical: pa.Table) -> pa.Table:
    """The episode table with the v2 columns appended (contract version 2)."""
    for name in clinical.column_names:
        episodes = episodes.append_column(name, clinical[name])
    return episodes
