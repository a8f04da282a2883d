"""Benchmark: the planning analyses on a region-sized data set.

In one run, on the same synthetic region (``generate_region(residents, seed)`` over
2019–2025, written once to ``<workdir>/planning_region.parquet``):

* **queue series** — the weekly series (arrivals, removals, size, waits, bins) of every
  queue (unit and pooled) over the whole history, ``planning.queues.weekly_series``;
* **simulation** — the largest pooled queue estimated from its history and simulated
  ``--replications`` times for ``--weeks`` weeks from today's list
  (``planning.simulation.simulate``): replications per second and simulated patients per
  second;
* **forecasts** — every queue's weekly arrivals (the last 156 weeks): ours
  (``planning.forecast.forecast_series``: SeasonalNaive, AutoETS, AutoARIMA, MSTL, each with
  a 3-origin × 13-week back-test) against a **naive pandas/statsmodels** version an analyst
  would write: per queue a boolean mask over the episode DataFrame, ``resample("W-MON")``,
  statsmodels Holt-Winters (additive trend and 52-week season) refitted at the same origins.
  Printed: seconds, series per second, mean MASE of each model and of the naive one, and
  how many series each beats the seasonal naive on.

Speed is measured here, never asserted in tests. Results: ``<workdir>/planning.json``.

    .venv/bin/python bench/planning.py                       # 126 000 residents
    .venv/bin/python bench/planning.py --queues pooled --replications 20
    .venv/bin/python bench/planning.py --models SeasonalNaive,AutoARIMA --no-naive \
        --skip-simulation                                    # the fast models alone
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def region_file(workdir: Path, residents: int, seed: int, regenerate: bool) -> Path:
    from sotekeskus.synth import generate_region, write_episodes

    path = workdir / f"planning_region_{residents}_{seed}.parquet"
    if path.exists() and not regenerate:
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    region = generate_region(residents=residents, start=date(2019, 1, 1),
                             end=date(2025, 12, 31), seed=seed)
    write_episodes(region.episodes, path)
    print(f"generated {region.episodes.num_rows:,} episodes in {time.perf_counter() - t:.1f} s")
    return path


def bench_series(source: Any) -> tuple[Any, Any, dict[str, Any]]:
    from sotekeskus.planning.queues import queue_entries, weekly_series

    t0 = time.perf_counter()
    entries = queue_entries(source, include_unassessed=True)
    t1 = time.perf_counter()
    series = weekly_series(entries, date(2019, 1, 7), date(2025, 12, 28))
    t2 = time.perf_counter()
    out = {"entries": entries.num_rows, "queues": int(series["queue_id"].nunique()),
           "weeks": int(series["week"].nunique()), "entries_s": round(t1 - t0, 2),
           "series_s": round(t2 - t1, 2)}
    print(f"queue series: {out['entries']:,} entries → {out['queues']} queues × "
          f"{out['weeks']} weeks: entries {out['entries_s']} s, series {out['series_s']} s")
    return entries, series, out


def bench_simulation(entries: Any, series: Any, replications: int, weeks: int) -> dict[str, Any]:
    from sotekeskus.planning.queues import QueueId
    from sotekeskus.planning.scenario import estimate_scenario
    from sotekeskus.planning.simulation import simulate

    pooled = series[series["unit_id"].isna()]
    largest = pooled.groupby("queue_id")["arrivals"].sum().idxmax()
    queue = QueueId.parse(largest)
    t0 = time.perf_counter()
    scenario, est = estimate_scenario(entries, queue, on=date(2025, 12, 31), weeks=weeks,
                                      target_days=90)
    t1 = time.perf_counter()
    result = simulate(scenario, replications=replications, seed=1)
    t2 = time.perf_counter()
    patients = est.waiting_now + sum(
        sum(scenario.weekly_arrivals[c]) for c in scenario.weekly_arrivals)
    sim_s = t2 - t1
    out = {"queue": largest, "start_list": est.waiting_now,
           "arrivals_per_week": round(est.arrivals_per_week["non_urgent"]
                                      + est.arrivals_per_week["urgent"], 1),
           "weeks": weeks, "replications": replications, "estimate_s": round(t1 - t0, 2),
           "simulate_s": round(sim_s, 2),
           "replications_per_s": round(replications / sim_s, 2),
           "patients_per_replication": int(patients),
           "patients_per_s": int(patients * replications / sim_s),
           "final_size_mean": round(float(result.weeks["size_mean"].iloc[-1]), 1)}
    print(f"simulation of {largest} ({out['start_list']:,} waiting, "
          f"~{out['arrivals_per_week']}/week, {weeks} weeks): {replications} replications in "
          f"{out['simulate_s']} s = {out['replications_per_s']} replications/s, "
          f"{out['patients_per_s']:,} patients/s (estimate {out['estimate_s']} s)")
    return out


def naive_forecasts(path: Path, queues: list[tuple[str, str, str | None]], start: date,
                    end: date, origins: int, step: int, test_horizon: int,
                    horizon: int) -> tuple[dict[str, float], float]:
    """Per queue: mask, resample, Holt-Winters; MASE from the same rolling origins."""
    import pandas as pd
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    t0 = time.perf_counter()
    df = pd.read_parquet(path, columns=["unit_id", "service_area", "professional_group",
                                        "urgency", "contact_at", "assessed_at", "plan_based"])
    df = df[(df["urgency"] == "non_urgent") & ~df["plan_based"].fillna(False)]
    df["arrival"] = df["assessed_at"].fillna(df["contact_at"])
    mase = {}
    for area, group, unit in queues:
        mask = (df["service_area"] == area) & (df["professional_group"] == group)
        if unit is not None:
            mask &= df["unit_id"] == unit
        weekly = (df.loc[mask].set_index("arrival").resample("W-MON", label="left",
                                                            closed="left").size())
        weekly = weekly[(weekly.index >= pd.Timestamp(start)) & (weekly.index <= pd.Timestamp(
            end - timedelta(days=6)))].astype(float)
        y = weekly.to_numpy()
        errs, scales = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for o in range(origins):
                cut = y.size - test_horizon - (origins - 1 - o) * step
                train, test = y[:cut], y[cut:cut + test_horizon]
                if train.size < 2 * 52 + 1:
                    break
                fit = ExponentialSmoothing(train, trend="add", seasonal="add",
                                           seasonal_periods=52).fit()
                errs.append(np.abs(test - fit.forecast(test.size)))
                scales.append(np.full(test.size, np.mean(np.abs(train[52:] - train[:-52]))))
            if errs:
                ExponentialSmoothing(y, trend="add", seasonal="add",
                                     seasonal_periods=52).fit().forecast(horizon)
                e, s = np.concatenate(errs), np.concatenate(scales)
                mase[f"{area}/{group}/{unit or 'all'}"] = float(np.mean(e / np.where(
                    s > 0, s, np.nan)))
    return mase, time.perf_counter() - t0


def bench_forecasts(path: Path, series: Any, which: str, models: list[str],
                    naive: bool = True) -> dict[str, Any]:
    from sotekeskus.planning.forecast import ForecastError, forecast_series

    end = date(2025, 12, 28)
    start = end - timedelta(weeks=156) + timedelta(days=1)
    frame = series[(series["week"] >= start) & (series["week"] <= end)]
    if which == "pooled":
        frame = frame[frame["unit_id"].isna()]
    elif which == "units":
        frame = frame[frame["unit_id"].notna()]
    ids = sorted(frame["queue_id"].unique())
    t0 = time.perf_counter()
    results, skipped = {}, 0
    for qid in ids:
        rows = frame[frame["queue_id"] == qid]
        try:
            results[qid] = forecast_series(qid, list(rows["week"]),
                                           rows["arrivals"].to_numpy(), horizon=26,
                                           models=models)
        except ForecastError:
            skipped += 1
    ours_s = time.perf_counter() - t0
    queues = []
    for qid in results:
        area, group, unit = qid.split("/")
        queues.append((area, group, None if unit == "all" else unit))
    naive_mase, naive_s = naive_forecasts(path, queues, start, end, 3, 13, 13, 26) \
        if naive else ({}, float("nan"))
    summary: dict[str, Any] = {"queues": len(ids), "forecast": len(results),
                               "skipped_short": skipped, "ours_s": round(ours_s, 1),
                               "ours_series_per_s": round(len(results) / ours_s, 2),
                               "naive_s": round(naive_s, 1),
                               "naive_series_per_s": round(len(naive_mase) / naive_s, 2)
                               if naive else None,
                               "models": {}}
    base = {q: r.backtests["SeasonalNaive"].mase for q, r in results.items()
            if "SeasonalNaive" in r.backtests}
    for model in models:
        values = {q: r.backtests[model].mase for q, r in results.items()
                  if model in r.backtests and np.isfinite(r.backtests[model].mase)}
        cover = [r.backtests[model].coverage for r in results.values() if model in r.backtests]
        summary["models"][model] = {
            "mean_mase": round(float(np.mean(list(values.values()))), 3) if values else None,
            "coverage_95_pct": round(100 * float(np.mean(cover)), 1) if cover else None,
            "beats_seasonal_naive": sum(1 for q, v in values.items() if q in base
                                        and v < base[q])}
    finite = {q: v for q, v in naive_mase.items() if np.isfinite(v)}
    if naive:
        summary["models"]["naive Holt-Winters"] = {
            "mean_mase": round(float(np.mean(list(finite.values()))), 3) if finite else None,
            "coverage_95_pct": None,
            "beats_seasonal_naive": sum(1 for q, v in finite.items()
                                        if q in base and v < base[q])}
    naive_text = (f", naive {summary['naive_s']} s ({summary['naive_series_per_s']} series/s)"
                  if naive else "")
    print(f"forecasts of {len(results)} queues ({which}; {skipped} too short): ours "
          f"{summary['ours_s']} s ({summary['ours_series_per_s']} series/s; "
          f"{', '.join(models)} with back-tests){naive_text}")
    for model, m in summary["models"].items():
        print(f"  {model:20} mean MASE {m['mean_mase']}  coverage {m['coverage_95_pct']} %  "
              f"beats SeasonalNaive on {m['beats_seasonal_naive']} of {len(base)}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=126_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=HERE / "data")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--queues", choices=("all", "pooled", "units"), default="all")
    parser.add_argument("--models", default="SeasonalNaive,AutoETS,AutoARIMA,MSTL")
    parser.add_argument("--no-naive", action="store_true",
                        help="skip the naive pandas/statsmodels forecasts")
    parser.add_argument("--skip-simulation", action="store_true")
    args = parser.parse_args()

    from sotekeskus.planning.source import PlanningSource

    path = region_file(args.workdir, args.residents, args.seed, args.regenerate)
    source = PlanningSource.from_parquet(path)
    entries, series, series_out = bench_series(source)
    sim_out = None if args.skip_simulation else bench_simulation(
        entries, series, args.replications, args.weeks)
    fc_out = bench_forecasts(path, series, args.queues, args.models.split(","),
                             naive=not args.no_naive)
    results = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                           "load_average": [round(x, 1) for x in os.getloadavg()]},
               "residents": args.residents, "series": series_out, "simulation": sim_out,
               "forecasts": fc_out}
    out = args.workdir / ("planning.json" if not args.no_naive else "planning_fast.json")
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"load average {results['machine']['load_average']}; results in {out}")


if __name__ == "__main__":
    main()
