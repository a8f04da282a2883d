"""Risk models: cohorts with a planted truth, honest evaluation, model cards."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sotekeskus.cli import app
from sotekeskus.pathways.models.cards import render, run, summary
from sotekeskus.pathways.models.cohorts import FEATURES, SUBGROUPS
from sotekeskus.pathways.models.evaluate import contributions, fit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return run(residents=12_000, start=date(2020, 1, 1), end=date(2023, 12, 31), seed=3,
               bootstrap=60)


def test_cohorts_have_features_subgroups_and_outcomes(result):
    for name, cohort in result.cohorts.items():
        table = cohort.table
        assert set(FEATURES[name]) | set(SUBGROUPS) | {"outcome", "index_date"} <= set(
            table.column_names)
        rate = np.mean(table["outcome"].to_numpy(zero_copy_only=False))
        assert 0.03 < rate < 0.5, (name, rate)
        assert min(d.year for d in table["index_date"].to_pylist()) == 2021
    ages = result.cohorts["home_care"].table["age"].to_numpy()
    assert ages.min() >= 75


def test_temporal_split_and_metrics(result):
    for ev in result.evaluations.values():
        assert ev.test_year == 2023 and ev.train_rows > 0 and ev.test_rows > 0
        m = ev.metrics["model"]
        assert m["auroc_lo"] <= m["auroc"] <= m["auroc_hi"]
        assert 0 < m["auprc"] < 1 and 0 < m["brier"] < 0.5
        assert sum(c["n"] for c in ev.calibration) == ev.test_rows
        assert {g["group"] for g in ev.subgroups["language"]} <= {"fi", "sv"}
        assert {g["group"] for g in ev.subgroups["sex"]} == {"female", "male"}
    home = result.evaluations["home_care"]
    assert home.metrics["model"]["auroc"] > 0.62  # it finds the planted signal
    # Planted: home visits, urgent visits, conditions and age raise the risk.
    for feature in ("log1p_home_visits_6m", "log1p_conditions", "age"):
        assert home.coefficients[feature] > 0, feature


def test_contributions_are_the_positive_factors(result):
    cohort = result.cohorts["home_care"]
    model = fit("home_care", cohort.table)
    factors = contributions(model, "home_care", cohort.table.slice(0, 50))
    assert len(factors) == 50
    for row in factors:
        values = [v for _, v in row]
        assert values == sorted(values, reverse=True) and all(v > 0 for v in values)


def test_cards_show_the_printed_figures(result, runner, tmp_path):
    text = render(result)
    for row in summary(result):
        assert f"{row['auroc']:.3f} ({row['auroc_ci']})" in text
    assert text.count("\n## ") == 2 and text.count("### Not intended for") == 2
    cards = tmp_path / "models.md"
    printed = runner.invoke(app, ["models", "evaluate", "--residents", "12000", "--from",
                                  "2020-01-01", "--to", "2023-12-31", "--seed", "3",
                                  "--bootstrap", "60", "--cards", str(cards)])
    assert printed.exit_code == 0, printed.output
    assert cards.read_text() == printed.stdout == text


@pytest.mark.parametrize("args", [["--residents", "10"], ["--from", "2023-01-01"],
                                  ["--bootstrap", "5"]])
def test_bad_options(runner, args):
    assert runner.invoke(app, ["models", "evaluate", *args]).exit_code == 2
