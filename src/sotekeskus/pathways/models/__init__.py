"""Prediction models with model cards (``shared/docs/pathways.md``, "Prediction"):
``cohorts`` (the two cohorts on the synthetic region, planted truth), ``evaluate``
(temporal split, AUROC / AUPRC with bootstrap intervals, calibration, baseline, fairlearn
subgroups, per-person contributing factors) and ``cards`` (``sotekeskus models evaluate``).
"""
