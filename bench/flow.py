"""Benchmark: patient flow (process mining) with sotekeskus vs PM4Py at 1 M and 10 M events.

The same event-log CSV (``sotekeskus.pathways.synthlog.random_event_log``: a referral
pathway, ~5.9 events per case, rows in global time order, some equal timestamps) is given to

* **ours, from CSV** — ``read_event_log`` (validation with line numbers) + ``flow_from_table``
  (DuckDB: directly-follows graph with median / p90 / total hours, variants, start and end
  activities, case durations);
* **ours, in memory** — ``flow_from_table`` on the Arrow table already loaded (the compute
  alone; what the store path costs after the snapshot);
* **PM4Py** — ``pandas.read_csv`` + ``pm4py.format_dataframe`` + ``discover_dfg`` +
  ``discover_performance_dfg`` + ``get_variants`` + ``get_start_activities`` /
  ``get_end_activities``: the same figures, p90 excepted (PM4Py has none).

Each step runs in its own child process (peak RSS per step). PM4Py is skipped at sizes above
``--pm4py-max`` and stopped after ``--pm4py-timeout`` seconds (reported as such). The bench
checks that both give the same edges, counts, medians, variants and start/end activities
(prints OK / MISMATCH; exit code 1 on a mismatch). Speed is measured here, never in tests.

    .venv/bin/python bench/flow.py                       # 1m and 10m
    .venv/bin/python bench/flow.py --sizes 100k --repeat 3
    .venv/bin/python bench/flow.py --pm4py-max 1m         # PM4Py only at 1 M

Data goes to ``--workdir`` (default ``bench/data``, git-ignored); results to
``<workdir>/flow_results.json``. PM4Py is AGPL-3.0 and only a dev extra: the bench runs
without it (and says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EVENTS_PER_CASE = 5.909  # measured mean of random_event_log


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n >= 1_000_000 else f"{n // 1_000}k"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- child steps ------------------------------------------------------------------------
def child_ours(csv_path: str, out: str) -> None:
    from sotekeskus.pathways.eventlog import read_event_log
    from sotekeskus.pathways.flow import flow_from_table

    t0 = time.perf_counter()
    log = read_event_log(csv_path)
    t1 = time.perf_counter()
    flow = flow_from_table(log)
    t2 = time.perf_counter()
    flow_from_table(log)
    t3 = time.perf_counter()
    result = {
        "read_s": t1 - t0, "compute_s": t2 - t1, "compute_again_s": t3 - t2,
        "total_s": t2 - t0, "peak_mb": peak_mb(), "events": log.num_rows,
        "cases": flow.cases,
        "edges": {f"{e.source}\t{e.target}": [e.count, e.median_hours * 3600]
                  for e in flow.edges},
        "variants": {"\t".join(v.activities): v.count for v in flow.variants},
        "start": flow.start_activities, "end": flow.end_activities,
    }
    Path(out).write_text(json.dumps(result))


def child_pm4py(csv_path: str, out: str) -> None:
    import warnings

    import pandas as pd

    warnings.simplefilter("ignore")
    import pm4py  # noqa: E402 - AGPL, dev extra only

    t0 = time.perf_counter()
    df = pd.read_csv(csv_path, dtype={"case_id": str, "activity": str, "resource": str})
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601")
    df = pm4py.format_dataframe(df, case_id="case_id", activity_key="activity",
                                timestamp_key="timestamp")
    t1 = time.perf_counter()
    dfg, start, end = pm4py.discover_dfg(df)
    perf, _, _ = pm4py.discover_performance_dfg(df)
    variants = pm4py.get_variants(df)
    starts = pm4py.get_start_activities(df)
    ends = pm4py.get_end_activities(df)
    t2 = time.perf_counter()
    result = {
        "read_s": t1 - t0, "compute_s": t2 - t1, "total_s": t2 - t0, "peak_mb": peak_mb(),
        "edges": {f"{a}\t{b}": [int(n), float(perf[(a, b)]["median"])]
                  for (a, b), n in dfg.items()},
        "variants": {"\t".join(k): int(v) for k, v in variants.items()},
        "start": {k: int(v) for k, v in starts.items()},
        "end": {k: int(v) for k, v in ends.items()},
        "start_dfg": {k: int(v) for k, v in start.items()},
    }
    Path(out).write_text(json.dumps(result))


# ---- parent -----------------------------------------------------------------------------
def make_log(path: Path, events: int) -> None:
    sys.path.insert(0, str(HERE.parent / "src"))
    from sotekeskus.pathways.synthlog import random_event_log, write_event_log_csv

    log = random_event_log(max(1, round(events / EVENTS_PER_CASE)), seed=1)
    write_event_log_csv(log, str(path))


def run_child(step: str, csv_path: Path, out: Path, timeout: float | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", step, str(csv_path), str(out)]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return {"skipped": f"stopped after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"skipped": "failed: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(out.read_text())
    result["wall_s"] = time.perf_counter() - started
    out.unlink()
    return result


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    problems = []
    if set(ours["edges"]) != set(theirs["edges"]):
        problems.append("edge sets differ")
    for key, (n, median) in ours["edges"].items():
        other = theirs["edges"].get(key)
        if other and (n != other[0] or abs(median - other[1]) > 1e-3):
            problems.append(f"edge {key!r}: ours {n}/{median}, PM4Py {other}")
    if ours["variants"] != theirs["variants"]:
        problems.append("variants differ")
    if ours["start"] != theirs["start"] or ours["end"] != theirs["end"]:
        problems.append("start/end activities differ")
    return problems[:10]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["1m", "10m"])
    parser.add_argument("--workdir", type=Path, default=HERE / "data")
    parser.add_argument("--repeat", type=int, default=1, help="runs of our steps (best kept)")
    parser.add_argument("--pm4py-max", default="10m", help="largest size given to PM4Py")
    parser.add_argument("--pm4py-timeout", type=float, default=1800.0)
    parser.add_argument("--child", nargs=3, metavar=("STEP", "CSV", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, csv_path, out = args.child
        {"ours": child_ours, "pm4py": child_pm4py}[step](csv_path, out)
        return 0

    try:
        import pm4py  # noqa: F401

        have_pm4py = True
    except ImportError:
        have_pm4py = False
        print("PM4Py is not installed (pip install -e '.[dev]'): only our figures.")
    args.workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(),
                                           "python": platform.python_version()}}
    exit_code = 0
    for size in [parse_size(s) for s in args.sizes]:
        csv_path = args.workdir / f"flow_{label(size)}.csv"
        if not csv_path.exists():
            print(f"writing {csv_path} …", flush=True)
            make_log(csv_path, size)
        out = args.workdir / f"flow_{label(size)}.step.json"
        runs = [run_child("ours", csv_path, out, None) for _ in range(args.repeat)]
        ours = min(runs, key=lambda r: r.get("total_s", float("inf")))
        row: dict[str, Any] = {"events": ours.get("events"), "cases": ours.get("cases"),
                               "csv_mb": round(csv_path.stat().st_size / 1e6, 1)}
        row["ours"] = {k: round(v, 2) for k, v in ours.items()
                       if k in ("read_s", "compute_s", "compute_again_s", "total_s", "peak_mb")}
        if not have_pm4py:
            row["pm4py"] = {"skipped": "not installed"}
        elif size > parse_size(args.pm4py_max):
            row["pm4py"] = {"skipped": f"above --pm4py-max {args.pm4py_max}"}
        else:
            theirs = run_child("pm4py", csv_path, out, args.pm4py_timeout)
            if "skipped" in theirs:
                row["pm4py"] = theirs
            else:
                row["pm4py"] = {k: round(v, 2) for k, v in theirs.items()
                                if k in ("read_s", "compute_s", "total_s", "peak_mb")}
                problems = compare(ours, theirs)
                row["agreement"] = "OK" if not problems else "MISMATCH: " + "; ".join(problems)
                if problems:
                    exit_code = 1
        results[label(size)] = row
        print(json.dumps({label(size): row}, indent=2), flush=True)
    (args.workdir / "flow_results.json").write_text(json.dumps(results, indent=2))
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
