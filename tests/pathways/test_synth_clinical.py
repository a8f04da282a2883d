"""Contract-v2 columns of the synthetic region (synth/clinical.py) and what the pathways
analyses find in them."""

from __future__ import annotations

import re
from datetime import date

import pyarrow.compute as pc
import pytest

from sotekeskus.pathways.continuity import continuity
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.synth import generate_region
from sotekeskus.synth.clinical import CONDITIONS, clinical_columns, with_clinical

DIAGNOSIS = re.compile(r"[A-Z]\d{2}(\.?[0-9A-Z]{1,2})?|-\d{2}")  # the import's rule


@pytest.fixture(scope="module")
def region():  # type: ignore[no-untyped-def]
    return generate_region(residents=6_000, start=date(2023, 1, 1), end=date(2024, 12, 31),
                           seed=21)


def test_same_seed_same_columns_and_v1_untouched(region):
    again, _ = clinical_columns(region.episodes, 21)
    assert again.equals(region.clinical)
    assert region.clinical.num_rows == region.episodes.num_rows
    assert "diagnosis_codes" not in region.episodes.column_names
    other, _ = clinical_columns(region.episodes, 22)
    assert not other.equals(region.clinical)


def test_values_follow_the_contract(region):
    e = with_clinical(region.episodes, region.clinical)
    done = pc.equal(e["status"], "done")
    for col in ("diagnosis_codes", "visit_nature", "professional_id", "care_plan"):
        assert pc.all(pc.is_null(e[col].filter(pc.invert(done)))).as_py(), col
    assert set(pc.unique(e["visit_nature"].drop_null()).to_pylist()) == {"SH", "TH"}
    social = pc.equal(e["service_area"], "social")
    assert pc.all(pc.is_null(e["visit_nature"].filter(social))).as_py()
    codes = {c for v in pc.unique(e["diagnosis_codes"].drop_null()).to_pylist()
             for c in v.split("|")}
    assert all(DIAGNOSIS.fullmatch(c) for c in codes)
    ids = pc.unique(e["professional_id"].drop_null()).to_pylist()
    assert ids and max(map(len, ids)) <= 64
    # Care plans only on plan-based control visits.
    plans = e.filter(pc.fill_null(e["care_plan"], False))
    assert plans.num_rows and pc.all(plans["plan_based"]).as_py()


def test_prevalence_is_planted(region):
    truth = region.truth["clinical"]
    shares = {c: truth["persons_with_condition"][c] / truth["persons"] for c in CONDITIONS}
    assert 0.15 < shares["hypertension"] < 0.30
    assert 0.03 < shares["diabetes"] < 0.09
    assert shares["atrial_fibrillation"] < shares["diabetes"] < shares["hypertension"]


def test_continuity_follows_the_planted_probability():
    """Two visits of a person share their professional with probability
    Σⱼ pⱼ² = (q + (1 − q)/R)² + (R − 1)((1 − q)/R)² (q: the unit's planted continuity,
    R: the roster) — the expected COC."""
    region = generate_region(residents=40_000, start=date(2024, 1, 1),
                             end=date(2024, 12, 31), seed=5)  # rosters of several
    src = EpisodeSource.from_arrow(with_clinical(region.episodes, region.clinical))
    rows = continuity(src, date(2024, 1, 1), date(2024, 12, 31)).rows
    truth = region.truth["clinical"]
    checked = 0
    for r in rows:
        roster = truth["professionals_by_unit_group"][f"{r['unit_id']}/{r['professional_group']}"]
        if r["persons"] < 100 or roster < 2:
            continue
        q = truth["continuity_probability_by_unit"][r["unit_id"]]
        expected = (q + (1 - q) / roster) ** 2 + (roster - 1) * ((1 - q) / roster) ** 2
        assert abs(r["mean_coc"] - expected) < 0.06, (r, q, roster, expected)
        checked += 1
    assert checked >= 3
