"""Benchmark: ``sotekeskus report access`` as a new process vs hand-written DuckDB SQL.

Issue 11's goal "Reports as new processes": over a 1 M-episode store, the whole process
``sotekeskus report access`` takes at most 1.5× a whole process that runs a hand-written
DuckDB SQL of the same report over the same data as Parquet.

* **data** — ``sotekeskus synth`` writes a region of ~1 M episodes as Parquet (plus its
  units), ``sotekeskus import units`` and ``import episodes`` load it into a SQLite store;
  all under ``--workdir`` (default ``bench/data/report-startup``, git-ignored), reused when
  present (``--regenerate`` forces).
* **first report** — the first ``sotekeskus report access`` after an import, once: it
  builds the DuckDB snapshot and compiles the report (not part of the goal, printed apart).
* **ours** — ``sotekeskus report access --db store.db`` (table on standard output, which
  goes to /dev/null), and the same with ``-f csv`` and ``-f json --no-suppress``.
* **floor** — ``python bench/report_startup.py --floor episodes.parquet``: a process that
  imports DuckDB, runs the hand-written SQL of ``bench/access_report.py`` (deadlines as a
  CASE over the dated rules) over the Parquet file, turns counts into the published
  percentages and prints the rows as CSV.

Each command runs ``--repeat`` times (default 7), alternating, after one untimed warm-up
each; the median and the best wall-clock seconds are printed side by side with the ratio.
The bench checks that ours (JSON, unsuppressed) and the floor give the same rows and exits
1 when they do not.

    .venv/bin/python bench/report_startup.py
    .venv/bin/python bench/report_startup.py --repeat 11
    .venv/bin/python bench/report_startup.py --src /tmp/before/src --workdir bench/data/rs-before

``--src`` runs every ``sotekeskus`` command with another source tree first on the path
(e.g. an older commit unpacked with ``git archive``), for before / after figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Residents that give ~1 M episodes over 2019-01-01 … 2026-11-25 (24.65 episodes each).
RESIDENTS = 40_600
DATE_FROM, DATE_TO, SEED = "2019-01-01", "2026-11-25", 1


def floor_main(parquet: str) -> None:
    """The hand-written report: one DuckDB SQL over the Parquet file, rows as CSV."""
    import duckdb

    sys.path.insert(0, str(HERE))
    from access_report import finish_floor, floor_sql

    literal = parquet.replace("'", "''")
    rows = duckdb.connect().execute(floor_sql(f"read_parquet('{literal}')")).fetchall()
    out = finish_floor(rows)
    columns = list(out[0]) if out else []
    lines = [",".join(columns)]
    lines += [",".join("" if r[c] is None else str(r[c]) for c in columns) for r in out]
    sys.stdout.write("\n".join(lines) + "\n")


def cli(args: argparse.Namespace) -> list[str]:
    if args.src:
        code = (f"import sys; sys.path.insert(0, {str(Path(args.src).resolve())!r}); "
                "from sotekeskus.cli import app; sys.argv[0] = 'sotekeskus'; app()")
        return [sys.executable, "-c", code]
    return [str(Path(sys.executable).with_name("sotekeskus"))]


def run(cmd: list[str], *, capture: bool = False) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, check=False, text=True,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return wall, proc.stdout if capture else ""


def prepare(args: argparse.Namespace, d: Path) -> dict[str, object]:
    parquet, store = d / "episodes.parquet", d / "store.db"
    meta_file = d / "prepared.json"
    if args.regenerate:
        shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True, exist_ok=True)
    if meta_file.exists() and parquet.exists() and store.exists():
        print(f"reusing {d}", flush=True)
        return dict(json.loads(meta_file.read_text()))
    for p in d.glob("store.db*"):
        p.unlink()
    base = cli(args)
    steps = {
        "synth": [*base, "synth", "--residents", str(args.residents), "--from", DATE_FROM,
                  "--to", DATE_TO, "--seed", str(SEED), "--out", str(parquet)],
        "import units": [*base, "import", "units", str(d / "episodes.units.csv"),
                         "--db", str(store)],
        "import episodes": [*base, "import", "episodes", str(parquet), "--db", str(store)],
    }
    meta: dict[str, object] = {}
    for name, cmd in steps.items():
        print(f"{name} …", flush=True)
        wall, _ = run(cmd)
        meta[f"{name}_s"] = round(wall, 2)
    import pyarrow.parquet as pq

    meta["episodes"] = pq.ParquetFile(parquet).metadata.num_rows
    meta_file.write_text(json.dumps(meta))
    return meta


def _value(v: object) -> object:
    if v is None or v == "":
        return None
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return v


def compare(ours_json: str, floor_csv: str) -> list[str]:
    """Differences between the CLI's JSON rows and the floor's CSV rows (published fields)."""
    ours = {(r["month"], r["service_area"], r["professional_group"]): r
            for r in json.loads(ours_json)["rows"]}
    lines = floor_csv.strip().splitlines()
    header = lines[0].split(",")
    problems, seen = [], set()
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        key = (row["month"], row["service_area"], row["professional_group"])
        seen.add(key)
        if key not in ours:
            problems.append(f"{key}: only in the floor")
            continue
        for field in header[3:]:
            mine, other = _value(ours[key].get(field)), _value(row[field])
            if mine != other:
                problems.append(f"{key} {field}: ours {mine!r} floor {other!r}")
    problems += [f"{k}: only in ours" for k in ours if k not in seen]
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--floor", metavar="PARQUET", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", default=str(HERE / "data" / "report-startup"))
    ap.add_argument("--residents", type=int, default=RESIDENTS)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--src", help="run sotekeskus from this source tree (before / after)")
    ap.add_argument("--out", help="write the figures as JSON here")
    args = ap.parse_args()
    if args.floor:
        floor_main(args.floor)
        return

    d = Path(args.workdir)
    meta = prepare(args, d)
    store, parquet = str(d / "store.db"), str(d / "episodes.parquet")
    base = cli(args)
    # a reused store may predate a migration: migrate (untimed) where the CLI can
    subprocess.run([*base, "migrate", "--db", store], check=False, capture_output=True)
    # first report after the import: snapshot build and compilation
    for p in d.glob("store.db.analytics.duckdb*"):
        p.unlink()
    first, _ = run([*base, "report", "access", "--db", store])

    commands = {
        "ours: report access (table)": [*base, "report", "access", "--db", store],
        "ours: report access -f csv": [*base, "report", "access", "--db", store, "-f", "csv"],
        "ours: -f json --no-suppress": [*base, "report", "access", "--db", store, "-f", "json",
                                        "--no-suppress"],
        "floor: hand-written SQL, Parquet": [sys.executable, str(Path(__file__).resolve()),
                                             "--floor", parquet],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, str] = {}
    for name, cmd in commands.items():  # warm-up: page cache, .pyc files
        _, outputs[name] = run(cmd, capture=True)
    for _ in range(args.repeat):
        for name, cmd in commands.items():
            times[name].append(run(cmd)[0])

    problems = compare(outputs["ours: -f json --no-suppress"],
                       outputs["floor: hand-written SQL, Parquet"])
    floor = statistics.median(times["floor: hand-written SQL, Parquet"])
    print(f"\n{meta.get('episodes', '?'):,} episodes; synth {meta.get('synth_s')} s, import "
          f"{meta.get('import episodes_s')} s; first report after the import (snapshot build "
          f"+ compile) {first:.2f} s; load average {os.getloadavg()[0]:.1f}")
    print(f"{'whole process':<36} {'median s':>9} {'best s':>8} {'× floor':>8}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:<36} {med:>9.3f} {min(values):>8.3f} {med / floor:>8.2f}")
    agreement = "OK" if not problems else f"MISMATCH ({len(problems)})"
    n_rows = len(outputs["floor: hand-written SQL, Parquet"].splitlines()) - 1
    print(f"ours (JSON, unsuppressed) vs floor: {agreement} over {n_rows} rows")
    for line in problems[:10]:
        print("    " + line)
    if args.out:
        Path(args.out).write_text(json.dumps(
            {"meta": meta, "first_report_s": first, "times_s": times,
             "agreement": agreement, "loadavg": os.getloadavg()}, indent=2))
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
