"""Fit and evaluate a risk model honestly: temporal split, AUROC and AUPRC with bootstrap
confidence intervals, calibration, a simple baseline and subgroup metrics (fairlearn).

* **Model**: logistic regression (scikit-learn) on the standardised features of
  :data:`~sotekeskus.pathways.models.cohorts.FEATURES` (counts as ``log1p``) — every
  prediction decomposes into per-feature contributions, which are the "main contributing
  factors" shown beside a person.
* **Temporal split**: trained on index dates before the test year, tested on the last
  year (``test_year``); nothing of the test year is seen in training.
* **Baseline**: the previous year's use — the number of visits in the 12 months before the
  index date, as a score.
* **Metrics** on the test year: AUROC, AUPRC (average precision), Brier score; 95 %
  intervals from ``bootstrap`` resamples of the test set (percentile method, seeded);
  calibration in ten groups of equal size by predicted risk (mean predicted vs observed).
* **Flagging**: a person is *listed for consideration* when the predicted risk is in the
  top ``flag_share`` (10 %) of the training predictions (the threshold is fixed on the
  training years). Subgroup metrics (fairlearn ``MetricFrame``) per age band, sex, language
  and municipality: count, outcome rate, AUROC, share listed, sensitivity (share of those
  with the outcome who were listed) and precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from sotekeskus.pathways.models.cohorts import FEATURES, SUBGROUPS, Cohort

COUNT_FEATURES = {"visits_12m", "urgent_12m", "mental_12m", "substance_12m", "social_12m",
                  "home_visits_6m", "earlier_discharges", "conditions"}
FLAG_SHARE = 0.10


@dataclass(frozen=True)
class Evaluation:
    name: str
    test_year: int
    train_rows: int
    test_rows: int
    train_rate: float
    test_rate: float
    metrics: dict[str, dict[str, float]]  # model / baseline → metric → value, _lo, _hi
    calibration: list[dict[str, float]]
    subgroups: dict[str, list[dict[str, Any]]]
    coefficients: dict[str, float]  # per standardised feature
    threshold: float
    listed_share_test: float
    #: What the professional's list applies (:mod:`sotekeskus.pathways.models.scoring`):
    #: ``features`` (design names), the scaler's ``mean`` and ``scale``, ``coef``,
    #: ``intercept`` and ``threshold``.
    parameters: dict[str, Any] = field(default_factory=dict)


def design(name: str, table: pa.Table) -> tuple[np.ndarray, list[str]]:
    """Feature matrix (``log1p`` of counts) and the column names."""
    cols = []
    names = []
    for feature in FEATURES[name]:
        x = table[feature].to_numpy(zero_copy_only=False).astype(float)
        if feature in COUNT_FEATURES:
            x, feature = np.log1p(x), f"log1p_{feature}"
        cols.append(x)
        names.append(feature)
    return np.column_stack(cols), names


def fit(name: str, table: pa.Table):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, _ = design(name, table)
    y = table["outcome"].to_numpy(zero_copy_only=False).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(x, y)
    return model


def contributions(model, name: str, table: pa.Table,  # type: ignore[no-untyped-def]
                  top: int = 3) -> list[list[tuple[str, float]]]:
    """Per row, the ``top`` features that raise the predicted log-odds the most (their
    standardised value × coefficient), largest first; only positive contributions."""
    x, names = design(name, table)
    scaler, logit = model[0], model[-1]
    parts = scaler.transform(x) * logit.coef_[0]
    out = []
    for row in parts:
        order = np.argsort(-row)[:top]
        out.append([(names[i], round(float(row[i]), 3)) for i in order if row[i] > 0])
    return out


def _bootstrap(y: np.ndarray, score: np.ndarray, metric, n: int,  # type: ignore[no-untyped-def]
               rng: np.random.Generator) -> tuple[float, float]:
    values = []
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() == y[idx].max():
            continue
        values.append(metric(y[idx], score[idx]))
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def evaluate(cohort: Cohort, test_year: int, *, bootstrap: int = 500, seed: int = 0,
             flag_share: float = FLAG_SHARE) -> Evaluation:
    from fairlearn.metrics import MetricFrame, selection_rate
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    table = cohort.table
    years = np.array([d.year for d in table["index_date"].to_pylist()])
    train, test = table.filter(pa.array(years < test_year)), table.filter(
        pa.array(years == test_year))
    if not train.num_rows or not test.num_rows:
        raise ValueError(f"{cohort.name}: no index events before or in {test_year}")
    model = fit(cohort.name, train)
    x_train, names = design(cohort.name, train)
    x_test, _ = design(cohort.name, test)
    y = test["outcome"].to_numpy(zero_copy_only=False).astype(int)
    risk = model.predict_proba(x_test)[:, 1]
    threshold = float(np.quantile(model.predict_proba(x_train)[:, 1], 1 - flag_share))
    baseline = test["visits_12m"].to_numpy(zero_copy_only=False).astype(float)
    rng = np.random.default_rng(seed)
    metrics: dict[str, dict[str, float]] = {}
    for label, score in (("model", risk), ("baseline", baseline)):
        row: dict[str, float] = {}
        for metric_name, fn in (("auroc", roc_auc_score), ("auprc", average_precision_score)):
            row[metric_name] = float(fn(y, score))
            row[f"{metric_name}_lo"], row[f"{metric_name}_hi"] = _bootstrap(
                y, score, fn, bootstrap, rng)
        metrics[label] = row
    metrics["model"]["brier"] = float(brier_score_loss(y, risk))
    order = np.argsort(risk, kind="stable")
    calibration = []
    for part in np.array_split(order, 10):
        calibration.append({"n": int(part.size), "mean_predicted": float(risk[part].mean()),
                            "observed": float(y[part].mean())})
    listed = (risk >= threshold).astype(int)

    def auroc(y_true: np.ndarray, y_score: np.ndarray) -> float:
        return float(roc_auc_score(y_true, y_score)) if len(set(y_true)) == 2 else float("nan")

    subgroups: dict[str, list[dict[str, Any]]] = {}
    for attribute in SUBGROUPS:
        groups = test[attribute].to_numpy(zero_copy_only=False).astype(str)
        frame_flag = MetricFrame(
            metrics={"listed": selection_rate,
                     "sensitivity": lambda t, p: recall_score(t, p, zero_division=0),
                     "precision": lambda t, p: precision_score(t, p, zero_division=0)},
            y_true=y, y_pred=listed, sensitive_features=groups)
        frame_score = MetricFrame(metrics={"auroc": auroc}, y_true=y, y_pred=risk,
                                  sensitive_features=groups)
        rows = []
        for group in sorted(set(groups)):
            mask = groups == group
            rows.append({
                "group": group, "n": int(mask.sum()), "outcome_rate": float(y[mask].mean()),
                "auroc": float(frame_score.by_group.loc[group, "auroc"]),
                "listed": float(frame_flag.by_group.loc[group, "listed"]),
                "sensitivity": float(frame_flag.by_group.loc[group, "sensitivity"]),
                "precision": float(frame_flag.by_group.loc[group, "precision"]),
            })
        subgroups[attribute] = rows
    coefficients = dict(zip(names, (float(c) for c in model[-1].coef_[0]), strict=True))
    coefficients["intercept"] = float(model[-1].intercept_[0])
    return Evaluation(
        name=cohort.name, test_year=test_year, train_rows=train.num_rows,
        test_rows=test.num_rows,
        train_rate=float(train["outcome"].to_numpy(zero_copy_only=False).mean()),
        test_rate=float(y.mean()), metrics=metrics, calibration=calibration,
        subgroups=subgroups, coefficients=coefficients, threshold=threshold,
        listed_share_test=float(listed.mean()),
        parameters={"features": names, "mean": [float(v) for v in model[0].mean_],
                    "scale": [float(v) for v in model[0].scale_],
                    "coef": [float(c) for c in model[-1].coef_[0]],
                    "intercept": float(model[-1].intercept_[0]), "threshold": threshold})
