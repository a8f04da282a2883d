"""Benchmark: importing an episode CSV, ours vs SQLite's own ``.import`` vs the previous
method, at 1 M and 10 M rows, with peak memory.

For each size, in the same run and on the same file:

* **sqlite3 .import** — the ``sqlite3`` command-line shell loading the CSV into a fresh
  database, one table with the 13 contract columns and ``episode_id`` as its primary key
  (the shell's defaults: rollback journal, ``synchronous=FULL``; no validation at all);
* **ours** — ``upsert_episodes(engine, EpisodeScan(open_episode_file(csv)))`` into a fresh
  migrated store (WAL), exactly what ``sotekeskus import episodes`` runs: every contract
  check, one transaction, idempotent upsert; and the same file again over it (every row an
  update);
* **previous** — the whole-file method this replaced (``read_episode_file`` into one Arrow
  table, then a staging table and ``INSERT … SELECT … ON CONFLICT``), taken from git at
  ``--previous-rev``; skipped above ``--previous-max`` rows (it needs ~0.9 KB per row).

Every step runs in its own child process, so peak RSS (``ru_maxrss``) is per step. The
steps alternate ``--repeat`` times (sqlite3, ours, sqlite3, ours, …) so that both see the
same machine load; the best time of each is compared.

    .venv/bin/python bench/import_speed.py                    # 1m
    .venv/bin/python bench/import_speed.py --sizes 1m,10m --repeat 1
    .venv/bin/python bench/import_speed.py --sizes 1m --postgres postgresql://…/any_db
                                          # (imports into a throw-away database there)

Data: ``bench/data/<size>/episodes.csv`` (the files of ``bench/access_report.py``,
generated with the synthetic region when missing). Results: ``bench/data/import.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PREVIOUS_REV = "94cd3df"  # last commit with the whole-file import
CONTRACT_DDL = (
    "CREATE TABLE episodes (episode_id VARCHAR(64) NOT NULL PRIMARY KEY, "
    "person_id VARCHAR(64) NOT NULL, birth_date DATE NOT NULL, unit_id VARCHAR(64) NOT NULL, "
    "service_area VARCHAR(16) NOT NULL, professional_group VARCHAR(32) NOT NULL, "
    "urgency VARCHAR(16) NOT NULL, contact_at DATETIME NOT NULL, assessed_at DATETIME, "
    "visit_at DATETIME, contact_mode VARCHAR(16), status VARCHAR(16) NOT NULL, "
    "plan_based BOOLEAN)")


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1_000}k"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", ".analytics.duckdb"):
        Path(str(path) + suffix).unlink(missing_ok=True)


# ---- workers (child processes) ----------------------------------------------------------
def w_ours(a: argparse.Namespace) -> dict[str, Any]:
    from sotekeskus.ingest.episode_file import EpisodeScan, open_episode_file
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.episodes import upsert_episodes
    from sotekeskus.store.migrate import upgrade

    url = a.db if "://" in a.db else resolve_url(a.db)
    if "://" not in a.db:
        fresh(Path(a.db))
    engine = make_engine(url)
    upgrade(engine)
    out: dict[str, Any] = {}
    for run in ("first", "again")[: 2 if a.again else 1]:
        t, c = time.perf_counter(), cpu_s()
        file = open_episode_file(a.csv)
        result = upsert_episodes(engine, EpisodeScan(file), file_name=Path(a.csv).name,
                                 expected_rows=file.estimated_rows())
        out[run] = {"s": time.perf_counter() - t, "cpu_s": cpu_s() - c, "rows": result.rows,
                    "inserted": result.inserted, "updated": result.updated,
                    "peak_rss_mb": peak_rss_mb()}
    out["peak_rss_mb"] = peak_rss_mb()
    if "://" not in a.db:
        out["store_mb"] = Path(a.db).stat().st_size / 1e6
    return out


def _previous_modules(rev: str) -> tuple[Any, Any]:
    """``ingest/episode_file.py`` and ``store/episodes.py`` as they were at ``rev``."""
    tmp = Path(tempfile.mkdtemp(prefix="previous-import-"))
    mods = []
    for name, rel in (("previous_episode_file", "src/sotekeskus/ingest/episode_file.py"),
                      ("previous_store_episodes", "src/sotekeskus/store/episodes.py")):
        text = subprocess.run(["git", "show", f"{rev}:{rel}"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        path = tmp / f"{name}.py"
        path.write_text(text)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        mods.append(module)
    return mods[0], mods[1]


def w_previous(a: argparse.Namespace) -> dict[str, Any]:
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    reader, writer = _previous_modules(a.previous_rev)
    fresh(Path(a.db))
    engine = make_engine(resolve_url(a.db))
    upgrade(engine)
    t, c = time.perf_counter(), cpu_s()
    batch = reader.read_episode_file(a.csv)
    t_read = time.perf_counter() - t
    result = writer.upsert_episodes(engine, batch.table, file_name=Path(a.csv).name,
                                    sha256=batch.sha256)
    return {"first": {"s": time.perf_counter() - t, "cpu_s": cpu_s() - c, "read_s": t_read,
                      "rows": result.rows, "peak_rss_mb": peak_rss_mb()},
            "peak_rss_mb": peak_rss_mb()}


def run_sqlite_import(csv: Path, db: Path) -> dict[str, Any]:
    fresh(db)
    script = f"{CONTRACT_DDL};\n.mode csv\n.import --skip 1 '{csv}' episodes\n"
    # Through a fresh Python child, so that its children's peak RSS is the shell's alone.
    probe = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
             "subprocess.run(['sqlite3', sys.argv[1]], input=sys.stdin.read(), text=True, "
             "check=True); r = resource.getrusage(resource.RUSAGE_CHILDREN); "
             "print(json.dumps({'s': time.perf_counter() - t, "
             "'cpu_s': r.ru_utime + r.ru_stime, 'peak_rss_mb': r.ru_maxrss / 1024}))")
    out = subprocess.run([sys.executable, "-c", probe, str(db)], input=script, text=True,
                         check=True, capture_output=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


WORKERS = {"ours": w_ours, "previous": w_previous}


def run_worker(name: str, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    fd, out = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--out", out,
           "--previous-rev", args.previous_rev]
    for key, value in extra.items():
        if isinstance(value, bool):
            cmd += [f"--{key}"] if value else []
        elif value is not None:
            cmd += [f"--{key}", str(value)]
    subprocess.run(cmd, check=True)
    result: dict[str, Any] = json.loads(Path(out).read_text())
    Path(out).unlink()
    return result


@contextlib.contextmanager
def throwaway_database(server_url: str) -> Any:
    """A fresh PostgreSQL database on the server of ``server_url``, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(server_url)
    name = f"sotekeskus_bench_import_{os.getpid()}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- orchestration -------------------------------------------------------------------------
def ensure_data(rows: int, workdir: Path) -> Path:
    d = workdir / label(rows)
    csv = d / "episodes.csv"
    meta = d / "generated.json"
    if csv.exists() and meta.exists() and json.loads(meta.read_text()).get("rows") == rows:
        return csv
    d.mkdir(parents=True, exist_ok=True)
    print(f"[{label(rows)}] generating {rows:,} episodes …", flush=True)
    subprocess.run([sys.executable, str(HERE / "access_report.py"), "--worker", "generate",
                    "--dir", str(d), "--rows", str(rows), "--out", str(meta)], check=True)
    return csv


def machine() -> dict[str, Any]:
    import duckdb
    import pyarrow as pa

    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    return {"nproc": os.cpu_count(), "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: "
                                               "-f2").strip(),
            "load": os.getloadavg(), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "pyarrow": pa.__version__,
            "sqlite3_cli": sh("sqlite3 --version").split(" ")[0],
            "sqlite_lib": __import__("sqlite3").sqlite_version}


def bench_size(rows: int, args: argparse.Namespace) -> dict[str, Any]:
    csv = ensure_data(rows, Path(args.workdir))
    d = csv.parent
    res: dict[str, Any] = {"rows": rows, "csv_mb": csv.stat().st_size / 1e6,
                           "sqlite": [], "ours": [], "previous": []}
    have_cli = shutil.which("sqlite3") is not None
    if not have_cli:
        print("sqlite3 command-line shell not found (apt-get install sqlite3): "
              "the .import comparison is skipped", flush=True)
    for i in range(args.repeat):
        if have_cli:
            print(f"[{label(rows)}] sqlite3 .import (run {i + 1}) …", flush=True)
            res["sqlite"].append(run_sqlite_import(csv, d / "sqlite_import.db"))
        print(f"[{label(rows)}] ours (run {i + 1}) …", flush=True)
        res["ours"].append(run_worker("ours", args, csv=csv, db=d / "import_store.db",
                                      again=(i == 0 and not args.no_again)))
    if rows <= args.previous_max:
        print(f"[{label(rows)}] previous method …", flush=True)
        res["previous"].append(run_worker("previous", args, csv=csv,
                                          db=d / "previous_store.db"))
    if args.postgres:
        print(f"[{label(rows)}] ours into PostgreSQL …", flush=True)
        with throwaway_database(args.postgres) as url:
            res["postgres"] = run_worker("ours", args, csv=csv, db=url)
    for name in ("sqlite_import.db", "import_store.db", "previous_store.db"):
        fresh(d / name)
    summarise(res)
    return res


def summarise(res: dict[str, Any]) -> None:
    rows = res["rows"]
    base = min((r["s"] for r in res["sqlite"]), default=None)
    print(f"\n=== {rows:,} episodes ({res['csv_mb']:,.0f} MB CSV) ===")
    print(f"{'step':<44} {'best s':>8} {'runs s':>18} {'rows/s':>10} {'× .import':>9} "
          f"{'CPU s':>7} {'peak RSS':>9}")

    def line(name: str, runs: list[dict[str, Any]]) -> None:
        if not runs:
            return
        best = min(runs, key=lambda r: r["s"])
        ratio = f"{best['s'] / base:.2f}" if base else "—"
        times = ", ".join(f"{r['s']:.1f}" for r in runs)
        print(f"{name:<44} {best['s']:>8.2f} {times:>18} {rows / best['s']:>10,.0f} "
              f"{ratio:>9} {best['cpu_s']:>7.1f} {best['peak_rss_mb']:>6,.0f} MB")

    line("sqlite3 .import (no checks, PK only)", res["sqlite"])
    line("ours: sotekeskus import (checks, upsert)", [r["first"] for r in res["ours"]])
    line("ours: the same file again (all updates)",
         [r["again"] for r in res["ours"] if "again" in r])
    line("previous: whole file in memory", [r["first"] for r in res["previous"]])
    if "postgres" in res:
        line("ours into PostgreSQL (COPY + upsert)", [res["postgres"]["first"]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1m")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=str(HERE / "data"))
    ap.add_argument("--previous-rev", default=PREVIOUS_REV)
    ap.add_argument("--previous-max", type=parse_size, default=parse_size("1m"),
                    help="run the previous method only up to this many rows")
    ap.add_argument("--no-again", action="store_true", help="skip the re-import run")
    ap.add_argument("--postgres", help="also import into this PostgreSQL database (URL)")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--csv", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--again", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        Path(args.out).write_text(json.dumps(WORKERS[args.worker](args)))
        return
    info = machine()
    print("machine:", json.dumps(info))
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    results: dict[str, Any] = {"machine": info, "argv": sys.argv, "sizes": []}
    for rows in sorted(parse_size(s) for s in args.sizes.split(",") if s.strip()):
        results["sizes"].append(bench_size(rows, args))
        (Path(args.workdir) / "import.json").write_text(json.dumps(results, indent=1))
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
