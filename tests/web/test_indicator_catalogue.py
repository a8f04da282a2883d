"""The indicator catalogue is complete, and every consumer reads it (nothing retyped)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.suppression import COUNT_FIELDS, SUPPRESSED, suppress_row
from sotekeskus.domain.indicators import ACCESS_FIELDS, TARGET_FIELDS, pct
from sotekeskus.indicators.catalogue import (
    CATALOGUE,
    COMPUTATION_LIST,
    INDICATORS,
    LANGUAGES,
    by_report,
)
from sotekeskus.ingest.fhir_measure_report import INDICATORS as FHIR_INDICATORS
from sotekeskus.store.monitoring import COMPUTATIONS as STORE_COMPUTATIONS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("ind", INDICATORS, ids=lambda i: i.code)
def test_every_entry_is_complete(ind) -> None:
    for lang in LANGUAGES:
        assert ind.label[lang].strip(), (ind.code, lang)
    assert len({ind.label.fi, ind.label.sv}) == 2, "fi and sv labels are the same text"
    assert ind.definition.strip() and ind.population.strip()
    assert ind.unit in ("%", "d", "1")
    assert ind.grouping
    assert ind.disclosed_with, "every published figure has a disclosure rule"
    if ind.kind == "pct":
        assert ind.denominator, "a share names its denominator"
    if ind.kind == "count":
        assert ind.disclosed_with == ind.code, "a count is disclosed with itself"


def test_codes_are_unique_and_cover_the_access_report() -> None:
    assert len(CATALOGUE) == len(INDICATORS)
    access = {i.code for i in by_report("access")}
    assert access == set(ACCESS_FIELDS) | set(TARGET_FIELDS)


def test_numerators_and_denominators_are_the_engine_counts(store_url: str) -> None:
    """For every share, numerator ÷ denominator of the engine's own row is the published
    value: the catalogue names real fields, not prose."""
    rows = Analytics.open(store_url).access_report()
    assert rows
    shares = [i for i in by_report("access") if i.kind == "pct"]
    checked = 0
    for row in rows:
        for ind in shares:
            den = row[ind.denominator]
            if den is None:
                assert row[ind.code] is None
                continue
            assert ind.numerator in row, ind.code
            assert row[ind.code] == pct(row[ind.numerator], den), (ind.code, row)
            checked += 1
    assert checked > 50


def test_suppression_reads_the_catalogue() -> None:
    for ind in INDICATORS:
        assert ind.disclosed_with in COUNT_FIELDS
    row = {"visits": 3, "within_7d_pct": 66.7, "median_wait_days": 4.0, "_done": 40,
           "remote_share_pct": 20.0, "over_90d": 0}
    out = suppress_row(row)
    assert out["visits"] == SUPPRESSED and out["over_90d"] == SUPPRESSED
    assert out["within_7d_pct"] is None and out["median_wait_days"] is None
    assert out["remote_share_pct"] == 20.0  # its own denominator (_done) is not small
    # another report's counts ride on the same rule
    assert suppress_row({"completed": 2, "x_pct": 50.0}, {"completed": ("x_pct",)}) == {
        "completed": SUPPRESSED, "x_pct": None}


def test_fhir_and_monitoring_read_the_catalogue() -> None:
    assert set(FHIR_INDICATORS) == {i.code for i in INDICATORS if i.fhir}
    assert set(FHIR_INDICATORS) <= {i.code for i in by_report("access")}
    assert set(STORE_COMPUTATIONS) == {c.code for c in COMPUTATION_LIST}
    for comp in COMPUTATION_LIST:
        for lang in LANGUAGES:
            assert comp.label[lang].strip()
        if comp.indicator is None:
            continue
        ind = CATALOGUE[comp.indicator]
        expected = ("deadlines" if comp.leg else
                    "waiting" if comp.at_period_end else "access")
        assert ind.report == expected, comp.code


def test_web_labels_come_from_the_catalogue() -> None:
    from sotekeskus.web import i18n, labels

    for lang in LANGUAGES:
        token = i18n.current_language.set(lang)
        try:
            for ind in INDICATORS:
                assert labels.column_label(ind.code) == ind.label[lang]
        finally:
            i18n.current_language.reset(token)


def test_generated_catalogue_page_is_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_indicator_catalogue.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
