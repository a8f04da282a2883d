"""Benchmark: episode import and the full care-guarantee access report at 100 k, 1 M, 10 M rows.

For each size it compares, in the same run and on the same data:

* **ours** — ``Analytics.open(db).access_report()`` over the DuckDB snapshot of the store
  (Ibis expression from ``analytics/access.py``), also ``by_unit=True`` and over Parquet in
  place (``Analytics.from_parquet``);
* **naive pandas** — what an analyst would otherwise write: ``pd.read_parquet``, vectorised
  flags, one Python call per access visit for the legal deadline
  (``default_rulebook().deadline`` on a rebuilt ``Episode``, through ``df.apply(axis=1)``) and
  ``groupby().apply`` per group for the published fields;
* **floor** — the same counts hand-written as one DuckDB SQL query over the same snapshot
  table (and over the Parquet file), rules as a CASE, months as ``date + INTERVAL``.

Every step runs in its own child process, so that peak RSS is per step and one step's
memory does not inflate the next. Speed is measured here, never asserted in tests; the
bench asserts only that the numbers agree (prints OK / MISMATCH, exit code 1 on mismatch).

    .venv/bin/python bench/access_report.py                     # 100k, 1m, 10m
    .venv/bin/python bench/access_report.py --sizes 100k --repeat 5
    .venv/bin/python bench/access_report.py --skip-import-above 1m   # no 10 M import

Data goes to ``--workdir`` (default ``bench/data``, git-ignored); generated files are reused
when they match (``--regenerate`` to force). Results: ``<workdir>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
START, END, SEED = date(2019, 1, 1), date(2026, 11, 25), 1
ROWS_PER_RESIDENT = 3_106_372 / 126_000  # measured: 126 000 residents over START..END
KEYS = ("month", "service_area", "professional_group")
PUBLISHED = ("visits", "within_7d_pct", "within_14d_pct", "over_90d", "median_wait_days",
             "legal_breaches", "assessment_coverage_pct", "remote_share_pct")


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def repeat_timed(fn: Any, n: int, budget_s: float = float("inf")) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(max(1, n)):
        dt, out = timed(fn)
        times.append(dt)
        if sum(times) > budget_s:
            break
    return times, out


def norm(value: Any) -> Any:
    """JSON-able, comparable scalars (NaN → None, numpy → Python)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def published(rows: list[dict[str, Any]], keys: tuple[str, ...] = KEYS) -> dict[str, dict]:
    return {"|".join(str(r[k]) for k in keys): {f: norm(r.get(f)) for f in PUBLISHED}
            for r in rows}


def compare(ours: dict[str, dict], other: dict[str, dict]) -> list[str]:
    problems = []
    for key in sorted(set(ours) | set(other)):
        if key not in other:
            problems.append(f"{key}: missing in other")
        elif key not in ours:
            problems.append(f"{key}: extra in other")
        else:
            for f in PUBLISHED:
                if ours[key][f] != other[key][f]:
                    problems.append(f"{key} {f}: ours {ours[key][f]!r} other {other[key][f]!r}")
    return problems


# ---------------------------------------------------------------------------------------
# workers (each runs in a child process: python access_report.py --worker NAME ...)
# ---------------------------------------------------------------------------------------
def w_generate(a: argparse.Namespace) -> dict[str, Any]:
    from sotekeskus.synth import generate_region, write_episodes

    rows = a.rows
    residents = int(math.ceil(rows / ROWS_PER_RESIDENT * 1.03)) + 100
    t0 = time.perf_counter()
    while True:
        table = generate_region(residents, START, END, seed=SEED).episodes
        if table.num_rows >= rows:
            break
        residents = int(residents * 1.1) + 100
    generated = table.num_rows
    # Rows are in contact order: keep the first `rows` (drops the last days of the period).
    table = table.slice(0, rows)
    t_gen = time.perf_counter() - t0
    d = Path(a.dir)
    t_csv, _ = timed(lambda: write_episodes(table, d / "episodes.csv"))
    t_pq, _ = timed(lambda: write_episodes(table, d / "episodes.parquet"))
    return {"residents": residents, "generated": generated, "rows": table.num_rows,
            "generate_s": t_gen, "write_csv_s": t_csv, "write_parquet_s": t_pq,
            "csv_mb": (d / "episodes.csv").stat().st_size / 1e6,
            "parquet_mb": (d / "episodes.parquet").stat().st_size / 1e6,
            "last_contact": str(table.column("contact_at")[rows - 1]),
            "peak_rss_mb": peak_rss_mb()}


def fresh_store(d: Path) -> str:
    for p in d.glob("store.db*"):
        p.unlink()
    return str(d / "store.db")


def w_import(a: argparse.Namespace) -> dict[str, Any]:
    """The streaming import, as ``sotekeskus import episodes`` runs it (bench/import_speed.py
    compares it with SQLite's own .import)."""
    from sotekeskus.ingest.episode_file import EpisodeScan, open_episode_file
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.episodes import upsert_episodes
    from sotekeskus.store.migrate import upgrade

    d = Path(a.dir)
    db = fresh_store(d)
    engine = make_engine(resolve_url(db))
    upgrade(engine)
    rss_before = peak_rss_mb()
    src = d / ("episodes.parquet" if a.source == "parquet" else "episodes.csv")
    file = open_episode_file(src)
    t_total, result = timed(lambda: upsert_episodes(
        engine, EpisodeScan(file), file_name=src.name, expected_rows=file.estimated_rows()))
    assert result.inserted == a.rows, result
    return {"total_s": t_total, "rows": result.rows, "rss_before_mb": rss_before,
            "peak_rss_mb": peak_rss_mb(), "store_mb": (d / "store.db").stat().st_size / 1e6}


def w_fake_store(a: argparse.Namespace) -> dict[str, Any]:
    """Import skipped: an empty migrated store plus a snapshot written straight from the
    Parquet file with the snapshot's own SELECT, marked as current for that store."""
    import duckdb

    from sotekeskus.analytics.source import EPISODE_SELECT, snapshot_path
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.episodes import data_version
    from sotekeskus.store.migrate import upgrade

    d = Path(a.dir)
    db = fresh_store(d)
    url = resolve_url(db)
    engine = make_engine(url)
    upgrade(engine)
    path = snapshot_path(url)
    t = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE episodes AS " + EPISODE_SELECT.format(
        plan_based="coalesce(CAST(plan_based AS BOOLEAN), false)",
        source=f"read_parquet('{d / 'episodes.parquet'}')"))
    con.execute("CREATE TABLE units AS SELECT DISTINCT unit_id, unit_id AS name, "
                "'' AS municipality FROM episodes")
    con.execute("CREATE TABLE snapshot_meta AS SELECT ? AS data_version",
                [data_version(engine)])
    con.close()
    return {"snapshot_from_parquet_s": time.perf_counter() - t, "peak_rss_mb": peak_rss_mb()}


def w_ours(a: argparse.Namespace) -> dict[str, Any]:
    """Snapshot build (first open), then the full report and by_unit, warm, repeated."""
    import ibis

    from sotekeskus.analytics import access
    from sotekeskus.analytics.engine import Analytics
    from sotekeskus.analytics.source import snapshot_path
    from sotekeskus.store.database import resolve_url

    d = Path(a.dir)
    db = str(d / "store.db")
    snap = snapshot_path(resolve_url(db))
    existed = snap.exists()
    t_open, an = timed(lambda: Analytics.open(db))
    rss_open = peak_rss_mb()
    t_first, rows = timed(lambda: an.access_report())
    times, rows = repeat_timed(lambda: an.access_report(), a.repeat)
    t_first_u, urows = timed(lambda: an.access_report(by_unit=True))
    times_u, urows = repeat_timed(lambda: an.access_report(by_unit=True), a.repeat)

    # Where the time of one report goes (same calls as Analytics._run / access_report).
    con, book = ibis.duckdb.connect(str(snap), read_only=True), an.rulebook
    parts: dict[str, list[float]] = {"expr": [], "compile": [], "execute": [], "to_pylist": [],
                                     "finish_rows": []}
    for _ in range(max(1, a.repeat)):
        t0 = time.perf_counter()
        expr = access.access_counts(con.table("episodes"), book)
        t1 = time.perf_counter()
        sql = str(ibis.to_sql(expr, dialect="duckdb"))
        t2 = time.perf_counter()
        arrow = con.raw_sql(sql).to_arrow_table()
        t3 = time.perf_counter()
        records = arrow.to_pylist()
        t4 = time.perf_counter()
        access.finish_rows(records, book)
        t5 = time.perf_counter()
        for key, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            parts[key].append(dt)
    (d / "ours.json").write_text(json.dumps(published(rows)))
    (d / "ours_by_unit.json").write_text(json.dumps(
        published(urows, (*KEYS, "unit_id"))))
    return {"snapshot_existed": existed, "open_s": t_open, "rss_after_open_mb": rss_open,
            "first_report_s": t_first, "report_s": times, "report_rows": len(rows),
            "first_by_unit_s": t_first_u, "by_unit_s": times_u, "by_unit_rows": len(urows),
            "breakdown_s": {k: min(v) for k, v in parts.items()},
            "snapshot_mb": snap.stat().st_size / 1e6, "peak_rss_mb": peak_rss_mb()}


def w_parquet(a: argparse.Namespace) -> dict[str, Any]:
    from sotekeskus.analytics.engine import Analytics

    d = Path(a.dir)
    t_open, an = timed(lambda: Analytics.from_parquet(d / "episodes.parquet"))
    t_first, rows = timed(lambda: an.access_report())
    times, rows = repeat_timed(lambda: an.access_report(), a.repeat)
    (d / "ours_parquet.json").write_text(json.dumps(published(rows)))
    return {"open_s": t_open, "first_report_s": t_first, "report_s": times,
            "peak_rss_mb": peak_rss_mb()}


def floor_sql(source: str) -> str:
    """The access counts written by hand (rules of rules/*.yaml as CASE, latest first)."""
    return f"""
    WITH e AS (
      SELECT strftime(visit_at, '%Y-%m') AS month, service_area, professional_group,
             birth_date, CAST(assessed_at AS DATE) AS ad, CAST(visit_at AS DATE) AS vd,
             urgency = 'non_urgent' AND NOT coalesce(plan_based, false) AS base,
             coalesce(contact_mode IN ('phone', 'video', 'chat', 'e_service'), false) AS remote
      FROM {source} WHERE status = 'done'
    ), f AS (
      SELECT *, base AND ad IS NOT NULL AS acc, vd - ad AS wait,
        CASE
          WHEN ad >= DATE '2025-01-01' AND service_area IN ('medical', 'mental', 'substance')
            THEN CASE WHEN birth_date + INTERVAL 23 YEAR <= ad
                      THEN CAST(ad + INTERVAL 3 MONTH AS DATE) ELSE ad + 14 END
          WHEN ad >= DATE '2025-01-01' AND service_area = 'oral'
            THEN CASE WHEN birth_date + INTERVAL 23 YEAR <= ad
                      THEN CAST(ad + INTERVAL 6 MONTH AS DATE)
                      ELSE CAST(ad + INTERVAL 3 MONTH AS DATE) END
          WHEN ad >= DATE '2024-11-01' AND service_area = 'oral'
            THEN CAST(ad + INTERVAL 3 MONTH AS DATE)
          WHEN ad >= DATE '2023-09-01' AND service_area IN ('medical', 'mental', 'substance')
            THEN ad + 14
          WHEN ad >= DATE '2023-09-01' AND service_area = 'oral'
            THEN CAST(ad + INTERVAL 4 MONTH AS DATE)
          WHEN ad >= DATE '2005-03-01' AND service_area IN ('medical', 'mental', 'substance')
            THEN CAST(ad + INTERVAL 3 MONTH AS DATE)
          WHEN ad >= DATE '2005-03-01' AND service_area = 'oral'
            THEN CAST(ad + INTERVAL 6 MONTH AS DATE)
        END AS legal,
        CASE WHEN ad >= DATE '2023-01-01' AND service_area IN ('medical', 'mental', 'substance')
             THEN ad + 7 END AS target
      FROM e
    )
    SELECT month, service_area, professional_group,
           count(*) AS done,
           count(*) FILTER (remote) AS remote,
           count(*) FILTER (base) AS base,
           count(*) FILTER (acc) AS visits,
           count(*) FILTER (acc AND wait <= 7) AS within_7d,
           count(*) FILTER (acc AND wait <= 14) AS within_14d,
           count(*) FILTER (acc AND wait > 90) AS over_90d,
           median(wait) FILTER (acc) AS median_wait_days,
           count(*) FILTER (acc AND vd > legal) AS legal_breaches,
           count(*) FILTER (acc AND target IS NOT NULL) AS target_visits,
           count(*) FILTER (acc AND vd > target) AS target_misses
    FROM f GROUP BY ALL ORDER BY ALL
    """


def finish_floor(rows: list[tuple]) -> list[dict[str, Any]]:
    from sotekeskus.domain.indicators import pct

    out = []
    for (month, area, group, done, remote, base, visits, w7, w14, o90, med, breaches,
         _tv, _tm) in rows:
        out.append({"month": month, "service_area": area, "professional_group": group,
                    "visits": visits, "within_7d_pct": pct(w7, visits),
                    "within_14d_pct": pct(w14, visits), "over_90d": o90,
                    "median_wait_days": None if med is None else float(med),
                    "legal_breaches": None if area == "social" else breaches,
                    "assessment_coverage_pct": pct(visits, base),
                    "remote_share_pct": pct(remote, done)})
    return out


def w_floor(a: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    from sotekeskus.analytics.source import snapshot_path
    from sotekeskus.store.database import resolve_url

    d = Path(a.dir)
    out: dict[str, Any] = {}
    snap = snapshot_path(resolve_url(str(d / "store.db")))
    con = duckdb.connect(str(snap), read_only=True)
    sql = floor_sql("episodes")
    times, rows = repeat_timed(lambda: con.execute(sql).fetchall(), a.repeat + 1)
    out["snapshot_s"] = times[1:] or times  # first run discarded as warm-up
    (d / "floor.json").write_text(json.dumps(published(finish_floor(rows))))
    con.close()
    con = duckdb.connect()
    sql = floor_sql(f"read_parquet('{d / 'episodes.parquet'}')")
    times, rows = repeat_timed(lambda: con.execute(sql).fetchall(), a.repeat + 1)
    out["parquet_s"] = times[1:] or times
    (d / "floor_parquet.json").write_text(json.dumps(published(finish_floor(rows))))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def naive_pandas(path: Path, sample_rows: int | None = None) -> tuple[list[dict], dict]:
    """The access report as an analyst would write it in pandas, with no engine."""
    import pandas as pd

    from sotekeskus.domain.episode import Episode
    from sotekeskus.domain.indicators import pct
    from sotekeskus.domain.vocabulary import (
        ContactMode,
        ProfessionalGroup,
        ServiceArea,
        Status,
        Urgency,
    )
    from sotekeskus.rules import default_rulebook

    book = default_rulebook()
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    t["read"] = time.perf_counter() - t0
    if sample_rows is not None and sample_rows < len(df):
        df = df.sample(n=sample_rows, random_state=0)

    t0 = time.perf_counter()
    df = df[df["status"] == "done"].copy()
    df["month"] = df["visit_at"].dt.strftime("%Y-%m")
    df["plan_based"] = df["plan_based"].fillna(False).astype(bool)
    df["base"] = (df["urgency"] == "non_urgent") & ~df["plan_based"]
    df["access"] = df["base"] & df["assessed_at"].notna()
    df["wait"] = (df["visit_at"].dt.normalize() - df["assessed_at"].dt.normalize()).dt.days
    df["remote"] = df["contact_mode"].isin(["phone", "video", "chat", "e_service"])
    t["prepare"] = time.perf_counter() - t0

    def breach(row: Any) -> bool:
        ep = Episode(
            episode_id=row["episode_id"], person_id=row["person_id"],
            birth_date=row["birth_date"], unit_id=row["unit_id"],
            service_area=ServiceArea(row["service_area"]),
            professional_group=ProfessionalGroup(row["professional_group"]),
            urgency=Urgency(row["urgency"]), contact_at=row["contact_at"].to_pydatetime(),
            status=Status(row["status"]), assessed_at=row["assessed_at"].to_pydatetime(),
            visit_at=row["visit_at"].to_pydatetime(),
            contact_mode=ContactMode(row["contact_mode"]) if isinstance(
                row["contact_mode"], str) else None,
            plan_based=bool(row["plan_based"]))
        deadline = book.deadline(ep)
        return deadline is not None and ep.visit_at.date() > deadline

    t0 = time.perf_counter()
    df["breach"] = False
    acc = df["access"]
    if acc.any():
        df.loc[acc, "breach"] = df.loc[acc].apply(breach, axis=1)
    t["deadline_apply"] = time.perf_counter() - t0

    def summarise(g: Any) -> Any:
        a = g[g["access"]]
        n = len(a)
        area = g.name[1]
        return pd.Series({
            "visits": n,
            "within_7d_pct": pct(int((a["wait"] <= 7).sum()), n),
            "within_14d_pct": pct(int((a["wait"] <= 14).sum()), n),
            "over_90d": int((a["wait"] > 90).sum()),
            "median_wait_days": float(a["wait"].median()) if n else None,
            "legal_breaches": (int(a["breach"].sum())
                               if book.has_rules_for(ServiceArea(area)) else None),
            "assessment_coverage_pct": pct(n, int(g["base"].sum())),
            "remote_share_pct": pct(int(g["remote"].sum()), len(g)),
        }, dtype=object)

    t0 = time.perf_counter()
    out = df.groupby(list(KEYS)).apply(summarise).reset_index()
    rows = out.to_dict("records")
    t["groupby_apply"] = time.perf_counter() - t0
    t["access_visits"] = int(acc.sum())
    return rows, t


def w_pandas(a: argparse.Namespace) -> dict[str, Any]:
    d = Path(a.dir)
    runs = []
    rows: list[dict] = []
    for i in range(max(1, a.repeat)):
        t0 = time.perf_counter()
        rows, parts = naive_pandas(d / "episodes.parquet", a.sample_rows)
        parts["total"] = time.perf_counter() - t0
        runs.append(parts)
        if i == 0 and parts["total"] > a.pandas_repeat_budget:
            break
    if a.sample_rows is None:
        (d / "pandas.json").write_text(json.dumps(published(rows)))
    return {"runs": runs, "sample_rows": a.sample_rows, "peak_rss_mb": peak_rss_mb()}


WORKERS = {"generate": w_generate, "import": w_import, "fake_store": w_fake_store,
           "ours": w_ours, "parquet": w_parquet, "floor": w_floor, "pandas": w_pandas}


# ---------------------------------------------------------------------------------------
# orchestration
# ---------------------------------------------------------------------------------------
def run_worker(name: str, d: Path, rows: int, args: argparse.Namespace,
               **extra: Any) -> dict[str, Any]:
    out = d / f"_{name}.result.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--dir", str(d),
           "--rows", str(rows), "--repeat", str(args.repeat), "--out", str(out),
           "--pandas-repeat-budget", str(args.pandas_repeat_budget)]
    for k, v in extra.items():
        if v is not None:
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"worker {name} failed ({proc.returncode}) for {d}")
    result = json.loads(out.read_text())
    result["process_wall_s"] = wall
    return result


def cold(cmd: list[str], n: int, env: dict[str, str] | None = None) -> list[float]:
    times = []
    for _ in range(max(1, n)):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t)
    return times


def machine() -> dict[str, Any]:
    import duckdb
    import ibis
    import pandas as pd
    import pyarrow as pa

    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    return {"nproc": os.cpu_count(), "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
            "mem": sh("free -h | sed -n 2p"), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "ibis": ibis.__version__, "pandas": pd.__version__,
            "pyarrow": pa.__version__, "kernel": platform.release()}


def stats(times: list[float]) -> tuple[float, float]:
    return min(times), statistics.median(times)


def print_table(title: str, lines: list[tuple[str, float | None, float | None, int, str, str]],
                ours_s: float) -> None:
    print(f"\n=== {title} ===")
    print(f"{'step':<52} {'best s':>9} {'median s':>9} {'rows/s':>13} {'× ours':>8}  note")
    for step, best, med, rows, note, kind in lines:
        if best is None:
            print(f"{step:<52} {'—':>9} {'':>9} {'':>13} {'':>8}  {note}")
            continue
        ratio = f"{best / ours_s:.2f}" if kind == "query" and ours_s else ""
        rps = f"{rows / best:,.0f}" if best > 0 and rows else ""
        print(f"{step:<52} {best:>9.3f} {med if med is not None else best:>9.3f} "
              f"{rps:>13} {ratio:>8}  {note}")


def bench_size(rows: int, args: argparse.Namespace, problems: list[str]) -> dict[str, Any]:
    d = Path(args.workdir) / label(rows)
    d.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"rows": rows}
    meta = d / "generated.json"
    gen = json.loads(meta.read_text()) if meta.exists() else None
    if (args.regenerate or gen is None or gen.get("rows") != rows
            or not (d / "episodes.csv").exists() or not (d / "episodes.parquet").exists()):
        print(f"[{label(rows)}] generating …", flush=True)
        gen = run_worker("generate", d, rows, args)
        meta.write_text(json.dumps(gen))
    else:
        print(f"[{label(rows)}] reusing generated files in {d}", flush=True)
    res["generate"] = gen

    skip = args.skip_import_above is not None and rows > args.skip_import_above
    if skip:
        print(f"[{label(rows)}] import skipped; snapshot written from Parquet", flush=True)
        res["fake_store"] = run_worker("fake_store", d, rows, args)
    else:
        print(f"[{label(rows)}] import (CSV) …", flush=True)
        res["import"] = run_worker("import", d, rows, args, source="csv")
        if args.import_parquet:
            print(f"[{label(rows)}] import (Parquet) …", flush=True)
            res["import_parquet"] = run_worker("import", d, rows, args, source="parquet")
    print(f"[{label(rows)}] snapshot + our report …", flush=True)
    res["ours"] = run_worker("ours", d, rows, args)
    print(f"[{label(rows)}] our report over Parquet …", flush=True)
    res["parquet"] = run_worker("parquet", d, rows, args)
    print(f"[{label(rows)}] DuckDB SQL floor …", flush=True)
    res["floor"] = run_worker("floor", d, rows, args)

    # naive pandas: full data unless the estimate from a smaller size exceeds the budget
    est = None
    if args.pandas_rate:
        est = rows / args.pandas_rate
    sample = None
    if est is not None and est > args.pandas_budget:
        sample = max(100_000, int(args.pandas_budget / 3 * args.pandas_rate))
        sample = min(sample, rows)
    print(f"[{label(rows)}] naive pandas{' on a sample of ' + f'{sample:,}' if sample else ''}"
          f"{f' (estimate {est:.0f} s)' if est else ''} …", flush=True)
    res["pandas"] = run_worker("pandas", d, rows, args, sample_rows=sample)

    # cold processes: interpreter start + imports + open + report
    py = sys.executable
    store = str(d / "store.db")
    env = {**os.environ, "COLUMNS": "200"}
    res["cold"] = {
        "python_start_s": cold([py, "-c", "pass"], args.repeat),
        "import_engine_s": cold([py, "-c", "import sotekeskus.analytics.engine"], args.repeat),
        "report_s": cold([py, "-c", "from sotekeskus.analytics.engine import Analytics; "
                          f"Analytics.open({store!r}).access_report()"], args.repeat),
        "cli_csv_s": cold([str(Path(py).with_name("sotekeskus")), "report", "access", "--db",
                           store, "-f", "csv"], args.repeat, env),
    }

    # agreement
    ours = json.loads((d / "ours.json").read_text())
    checks = {"parquet": d / "ours_parquet.json", "floor (snapshot)": d / "floor.json",
              "floor (parquet)": d / "floor_parquet.json"}
    if sample is None:
        checks["pandas"] = d / "pandas.json"
    res["agreement"] = {}
    for name, path in checks.items():
        diff = compare(ours, json.loads(path.read_text()))
        res["agreement"][name] = "OK" if not diff else f"MISMATCH ({len(diff)})"
        print(f"[{label(rows)}] ours vs {name}: {res['agreement'][name]}"
              f" over {len(ours)} rows", flush=True)
        for line in diff[:10]:
            print("    " + line)
        if diff:
            problems.append(f"{label(rows)} {name}: {len(diff)} differences")

    summarise(res)
    # rate for the next size's pandas estimate (per input row, whole run)
    p = res["pandas"]["runs"][0]
    n_eff = sample or rows
    compute = p["total"] - p["read"]
    args.pandas_rate = rows / (p["read"] + compute * rows / n_eff)
    return res


def summarise(res: dict[str, Any]) -> None:
    rows = res["rows"]
    o = res["ours"]
    ours_best, ours_med = stats(o["report_s"])
    lines: list[tuple[str, float | None, float | None, int, str, str]] = []
    g = res["generate"]
    lines.append(("generate synthetic episodes", g["generate_s"], None, rows,
                  f"{g['residents']:,} residents", "other"))
    lines.append(("write CSV", g["write_csv_s"], None, rows, f"{g['csv_mb']:.0f} MB", "other"))
    lines.append(("write Parquet", g["write_parquet_s"], None, rows,
                  f"{g['parquet_mb']:.0f} MB", "other"))
    if "import" in res:
        i = res["import"]
        lines.append(("import CSV (streaming: checks + upsert)", i["total_s"], None, rows,
                      f"peak RSS {i['peak_rss_mb']:,.0f} MB, store {i['store_mb']:,.0f} MB",
                      "other"))
    if "import_parquet" in res:
        i = res["import_parquet"]
        lines.append(("import Parquet: total", i["total_s"], None, rows,
                      f"peak RSS {i['peak_rss_mb']:,.0f} MB", "other"))
    if "fake_store" in res:
        lines.append(("import", None, None, rows, "skipped (--skip-import-above)", "other"))
        lines.append(("snapshot written from Parquet (import skipped)",
                      res["fake_store"]["snapshot_from_parquet_s"], None, rows, "", "other"))
    lines.append(("first Analytics.open(db) (snapshot build)", o["open_s"], None, rows,
                  f"snapshot {o['snapshot_mb']:,.0f} MB"
                  + (" (already existed)" if o["snapshot_existed"] else ""), "other"))
    lines.append(("ours: first access_report() in process", o["first_report_s"], None, rows,
                  "incl. first Ibis compile", "query"))
    lines.append(("ours: access_report() [snapshot]", ours_best, ours_med, rows,
                  f"{o['report_rows']:,} rows out, n={len(o['report_s'])}", "query"))
    b, m = stats(o["by_unit_s"])
    lines.append(("ours: access_report(by_unit=True) [snapshot]", b, m, rows,
                  f"{o['by_unit_rows']:,} rows out", "query"))
    b, m = stats(res["parquet"]["report_s"])
    lines.append(("ours: access_report() [Parquet in place]", b, m, rows,
                  f"peak RSS {res['parquet']['peak_rss_mb']:,.0f} MB", "query"))
    b, m = stats(res["floor"]["snapshot_s"])
    lines.append(("floor: hand-written DuckDB SQL [snapshot]", b, m, rows, "", "query"))
    b, m = stats(res["floor"]["parquet_s"])
    lines.append(("floor: hand-written DuckDB SQL [Parquet]", b, m, rows, "", "query"))
    p = res["pandas"]
    totals = [r["total"] for r in p["runs"]]
    if p["sample_rows"]:
        r0 = p["runs"][0]
        factor = rows / p["sample_rows"]
        est = r0["read"] + (r0["total"] - r0["read"]) * factor
        res["pandas"]["extrapolated_s"] = est
        lines.append(("naive pandas (EXTRAPOLATED)", est, None, rows,
                      f"full read + compute on {p['sample_rows']:,} rows × {factor:.1f}",
                      "query"))
    else:
        b, m = stats(totals)
        lines.append(("naive pandas", b, m, rows, f"n={len(totals)}, peak RSS "
                      f"{p['peak_rss_mb']:,.0f} MB", "query"))
    best_run = min(p["runs"], key=lambda r: r["total"])
    parts = ", ".join(f"{k} {best_run[k]:.2f}" for k in
                      ("read", "prepare", "deadline_apply", "groupby_apply"))
    lines.append(("  pandas parts (s)", None, None, rows, parts
                  + f"; {best_run['access_visits']:,} access visits", "other"))
    bd = o["breakdown_s"]
    lines.append(("  ours parts (s)", None, None, rows,
                  ", ".join(f"{k} {v:.3f}" for k, v in bd.items()), "other"))
    c = res["cold"]
    for key, name in (("python_start_s", "cold: python -c pass"),
                      ("import_engine_s", "cold: import sotekeskus.analytics.engine"),
                      ("report_s", "cold: new process, open + access_report()"),
                      ("cli_csv_s", "cold: sotekeskus report access -f csv")):
        b, m = stats(c[key])
        lines.append((name, b, m, rows if key in ("report_s", "cli_csv_s") else 0, "",
                      "query" if key in ("report_s", "cli_csv_s") else "other"))
    print_table(f"{rows:,} episodes", lines, ours_best)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1m,10m")
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions (best, median)")
    ap.add_argument("--skip-import-above", type=parse_size, default=None,
                    help="skip the import for sizes above N rows (snapshot from Parquet)")
    ap.add_argument("--workdir", default=str(HERE / "data"))
    ap.add_argument("--regenerate", action="store_true", help="regenerate the data files")
    ap.add_argument("--import-parquet", action="store_true",
                    help="also time importing the Parquet file")
    ap.add_argument("--pandas-budget", type=float, default=300.0,
                    help="if naive pandas is estimated to take longer (s), run it on a "
                         "sample and extrapolate linearly")
    ap.add_argument("--pandas-repeat-budget", type=float, default=60.0,
                    help="do not repeat a pandas run that took longer than this (s)")
    # worker mode (internal)
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--source", default="csv", help=argparse.SUPPRESS)
    ap.add_argument("--sample-rows", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        result = WORKERS[args.worker](args)
        Path(args.out).write_text(json.dumps(result))
        return

    t_start = time.perf_counter()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    info = machine()
    print("machine:", json.dumps(info))
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    args.pandas_rate = None
    problems: list[str] = []
    results = {"machine": info, "argv": sys.argv, "sizes": []}
    for rows in sorted(sizes):
        results["sizes"].append(bench_size(rows, args, problems))
        (Path(args.workdir) / "results.json").write_text(json.dumps(results, indent=1))

    print("\n=== scaling: our full monthly report (snapshot, warm, best) ===")
    print(f"{'rows':>12} {'ours s':>8} {'rows/s':>13} {'floor s':>8} {'pandas s':>9} "
          f"{'pandas/ours':>11} {'ours/floor':>10} {'import s':>9} {'import rows/s':>13} "
          f"{'import RSS MB':>13}")
    for r in results["sizes"]:
        ours = min(r["ours"]["report_s"])
        floor = min(r["floor"]["snapshot_s"])
        pandas = r["pandas"].get("extrapolated_s") or min(x["total"] for x in r["pandas"]["runs"])
        imp = r.get("import")
        print(f"{r['rows']:>12,} {ours:>8.3f} {r['rows'] / ours:>13,.0f} {floor:>8.3f} "
              f"{pandas:>9.1f}{'*' if r['pandas'].get('extrapolated_s') else ' '}"
              f"{pandas / ours:>10.0f}× {ours / floor:>9.2f}× "
              + (f"{imp['total_s']:>9.1f} {r['rows'] / imp['total_s']:>13,.0f} "
                 f"{imp['peak_rss_mb']:>13,.0f}" if imp else f"{'skipped':>9}"))
    print("(* = extrapolated from a sample)")
    print(f"\ntotal bench wall time: {time.perf_counter() - t_start:.0f} s; "
          f"results in {Path(args.workdir) / 'results.json'}")
    if problems:
        print("MISMATCH:", "; ".join(problems))
        sys.exit(1)
    print("all agreement checks OK")


if __name__ == "__main__":
    main()
