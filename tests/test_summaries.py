"""The snapshot's summary tables give exactly what the episodes give, for every filter.

``Analytics.open`` answers access reports and summaries from the pre-aggregated tables
(``analytics/summaries.py``); here the same questions are asked again with the summary path
switched off (the episode-level Ibis expressions over the same snapshot) on a generated
region, for filters on every dimension, every period and with and without units. The shared
spec tests check the same path against hand-computed rows.
"""

from __future__ import annotations

import dataclasses

import pytest

from sotekeskus.analytics import summaries
from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.filters import AccessFilter

from .region_store import import_file, region_files

FILTERS = [
    AccessFilter(),
    AccessFilter(unit_ids=("U001",)),
    AccessFilter(unit_ids=("U002", "U005"), professional_groups=("physician",)),
    AccessFilter(unit_ids=()),
    AccessFilter(service_areas=("oral",), age_group="65+"),
    AccessFilter(service_areas=("social",)),
    AccessFilter(service_areas=("medical", "mental"), age_group="0-22"),
    AccessFilter(age_group="23-64", month_from="2024-02", month_to="2024-11"),
    AccessFilter(month_from="2025-03", month_to="2025-03"),
    AccessFilter(month_to="2023-06", professional_groups=("nurse", "dentist")),
]


@pytest.fixture(scope="module")
def region_db(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("summaries")
    first, second = region_files(workdir)
    db = str(workdir / "store.db")
    import_file(first, db)
    import_file(second, db)
    return db


def test_the_snapshot_has_summary_tables(region_db):
    an = Analytics.open(region_db)
    with an._backend.reading() as gen:
        assert gen.has_table(summaries.CUBE) and gen.has_table(summaries.WAITS)
    assert summaries.summaries_current(an._backend.path)


def test_summary_tables_equal_the_episodes(region_db, monkeypatch):
    fast = Analytics.open(region_db)
    answers = {}
    for i, flt in enumerate(FILTERS):
        for by in ("month", "quarter", "year"):
            answers[("summary", i, by)] = fast.access_summary(flt, by=by)
        for by_unit in (False, True):
            answers[("report", i, by_unit)] = fast.access_report(flt, by_unit=by_unit)
    assert sum(len(rows) for rows in answers.values()) > 2000
    assert any(r["visits"] for r in answers[("report", 0, True)])

    monkeypatch.setattr(summaries, "can_answer", lambda flt: False)
    slow = Analytics.open(region_db)
    for (kind, i, option), rows in answers.items():
        flt = FILTERS[i]
        if kind == "summary":
            expected = slow.access_summary(flt, by=option)
        else:
            expected = slow.access_report(flt, by_unit=option)
        assert rows == expected, (kind, flt, option)


def test_a_new_filter_field_falls_back_to_the_episodes(monkeypatch):
    assert summaries.can_answer(AccessFilter())
    monkeypatch.setattr(summaries, "FILTER_FIELDS", frozenset({"month_from", "month_to"}))
    assert not summaries.can_answer(AccessFilter())


@pytest.mark.parametrize("by", ["week", "Q"])
def test_an_unknown_period_is_refused_on_both_paths(region_db, by):
    from sotekeskus.analytics.periods import PeriodError

    with pytest.raises(PeriodError, match="month, quarter, year"):
        Analytics.open(region_db).access_summary(by=by)


def test_every_filter_field_is_a_dimension():
    assert summaries.FILTER_FIELDS == {f.name for f in dataclasses.fields(AccessFilter)}


def test_medians_from_a_wait_distribution():
    """Group A: waits 1, 2, 2, 9 (n = 1, 2, 1) → (2 + 2) / 2; group B: 0, 0, 0, 5, 7
    → 0; group C: one visit waiting 30; D follows C with the same month, other unit."""
    import pyarrow as pa

    waits = pa.table({
        "month": ["2025-01"] * 3 + ["2025-02"] * 3 + ["2025-03", "2025-03"],
        "unit_id": ["U1"] * 3 + ["U1"] * 3 + ["U1", "U2"],
        "wait_days": [1, 2, 9, 0, 5, 7, 30, 4],
        "n": [1, 2, 1, 3, 1, 1, 1, 2],
    })
    assert summaries.medians(waits, ["month", "unit_id"]) == {
        ("2025-01", "U1"): 2.0, ("2025-02", "U1"): 0.0, ("2025-03", "U1"): 30.0,
        ("2025-03", "U2"): 4.0}
    even = pa.table({"month": ["m"] * 2, "wait_days": [3, 10], "n": [2, 2]})
    assert summaries.medians(even, ["month"]) == {("m",): 6.5}
    assert summaries.medians(even.slice(0, 0), ["month"]) == {}
