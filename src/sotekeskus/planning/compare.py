"""A scenario set beside doing nothing: weekly rows and the answers a manager asks for.

Both runs use the same seed, so they see the same arrivals and cancellations; what differs
is the capacity. Every figure is the mean over the replications with its 95 % band (the
2.5 % and 97.5 % points of the replications' values).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from sotekeskus.planning.simulation import SimulationResult

WEEK_METRICS = ("size", "median_wait", "p90_wait", "share_over_legal", "share_over_target",
                "served", "served_median_wait", "cost")


def _value(x: Any) -> float | None:
    x = float(x)
    return None if np.isnan(x) else round(x, 3)


def weekly_rows(as_is: SimulationResult, scenario: SimulationResult) -> list[dict[str, Any]]:
    """One row per week: ``<metric>_as_is`` / ``_scenario`` with ``_lo`` and ``_hi``."""
    rows = []
    for i, week in enumerate(scenario.weeks["week"]):
        row: dict[str, Any] = {"week": week}
        for label, res in (("as_is", as_is), ("scenario", scenario)):
            for m in WEEK_METRICS:
                for part in ("mean", "lo", "hi"):
                    key = f"{m}_{label}" if part == "mean" else f"{m}_{label}_{part}"
                    row[key] = _value(res.weeks[f"{m}_{part}"].iloc[i])
        rows.append(row)
    return rows


def _band(values: np.ndarray) -> tuple[float, float, float]:
    return (float(values.mean()), float(np.percentile(values, 2.5)),
            float(np.percentile(values, 97.5)))


def answer_rows(as_is: SimulationResult, scenario: SimulationResult,
                target_days: float | None) -> list[dict[str, Any]]:
    """``question, as_is, scenario, how`` rows: costs, end state and when waits fall."""
    rows: list[dict[str, Any]] = []

    def add(question: str, a: Any, b: Any, how: str) -> None:
        rows.append({"question": question, "as_is": a, "scenario": b, "how": how})

    def fmt_band(v: tuple[float, float, float]) -> str:
        return f"{v[0]:,.0f} [{v[1]:,.0f}–{v[2]:,.0f}]"

    last = len(scenario.weeks) - 1
    end_week = scenario.weeks["week"].iloc[last]
    for m, label in (("size", "waiting at the end"), ("median_wait", "median wait at the end"),
                     ("share_over_legal", "share past the legal limit at the end"),
                     ("share_over_target", "share over the target at the end")):
        a = as_is.weeks.iloc[last]
        b = scenario.weeks.iloc[last]
        if m.startswith("share"):
            def show(r: Any, m: str = m) -> str:
                if np.isnan(r[f"{m}_mean"]):
                    return ""
                return (f"{100 * r[f'{m}_mean']:.1f} % [{100 * r[f'{m}_lo']:.1f}–"
                        f"{100 * r[f'{m}_hi']:.1f}]")
        else:
            def show(r: Any, m: str = m) -> str:
                if np.isnan(r[f"{m}_mean"]):
                    return ""
                return f"{r[f'{m}_mean']:,.0f} [{r[f'{m}_lo']:,.0f}–{r[f'{m}_hi']:,.0f}]"
        add(label, show(a), show(b), f"week of {end_week}, mean [95 % band]")
    if target_days is not None:
        for m, label in (("served_median_wait", "median wait of those seen"),
                         ("median_wait", "median wait of those waiting")):
            wa = as_is.first_week_below(m, target_days)
            wb = scenario.first_week_below(m, target_days)
            add(f"{label} below {target_days:g} days from", _week(wa), _week(wb),
                "first week whose mean is below the target and stays below")
    for name in scenario.served_by_stream:
        a_served = as_is.served_by_stream.get(name)
        add(f"patients served by {name}",
            "" if a_served is None else fmt_band(_band(a_served)),
            fmt_band(_band(scenario.served_by_stream[name])),
            "over the whole period, mean [95 % band]")
    add("cost", fmt_band(_band(as_is.total_cost)), fmt_band(_band(scenario.total_cost)),
        "patients served × cost per patient of their capacity, whole period")
    add("replications", as_is.replications, scenario.replications,
        "simulated futures behind each band")
    return rows


def _week(day: date | None) -> str:
    return "not within the period" if day is None else day.isoformat()
