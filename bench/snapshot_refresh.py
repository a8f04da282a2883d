"""What it costs to bring the analytics snapshot up to date after workdesk changes:
incremental refresh (re-project the changed episodes, recompute their summary groups) against
a full rebuild, on a store of ``--episodes`` imported episode rows, on SQLite and PostgreSQL.

    .venv/bin/python bench/snapshot_refresh.py                       # SQLite, 500 000 episodes
    .venv/bin/python bench/snapshot_refresh.py --episodes 200000 --skip-sqlite \\
        --pg postgresql://postgres@127.0.0.1:55432/postgres

Per database: builds the store (19 units, 20 000 residents, ``--episodes`` closed episodes
over 12 months written directly), makes the snapshot once (full), then for each batch size
K of ``--changes``, ``--repeat`` times: opens K contacts through the workdesk use case (one
unit of work each, so K data-version bumps) and times :func:`refresh_snapshot` (incremental) and
:func:`build_snapshot` (full) to the same version, checking that both files hold the same
rows; medians are reported. Writes ``bench/data/snapshot_refresh.json``. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
UNITS = [f"U{i:03d}" for i in range(1, 20)]
NOW = datetime(2025, 6, 16, 8, 0)


def build_store(url: str, episodes: int, seed: int = 3) -> Any:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from sotekeskus.care.persons import register_person
    from sotekeskus.domain.workflow.hetu import synthetic_hetu
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.models import Episode, Meta, Unit

    rnd = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add_all(Unit(unit_id=u, name=f"Asema {u}", municipality="K") for u in UNITS)
        session.add(Meta(key="data_version", value="bench-import"))
    with Session(engine) as session, session.begin():
        for i in range(200):  # residents the workdesk contacts are opened for
            register_person(session, synthetic_hetu(date(1950 + i % 60, 1 + i % 12,
                                                         1 + i % 28), 900 + i % 100),
                            name=f"Asukas {i}", synthetic_only=True, now=NOW)
    areas = ["medical"] * 6 + ["oral", "mental"]
    groups = {"medical": ["physician", "nurse"], "oral": ["dentist", "dental_hygienist"],
              "mental": ["psychologist", "nurse"]}
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for i in range(episodes):
            contact = NOW - timedelta(days=rnd.uniform(1, 365))
            assessed = contact + timedelta(minutes=rnd.uniform(5, 600))
            visit = assessed + timedelta(days=rnd.choice([0, 1, 2, 3, 7, 14, 30, 95]))
            area = rnd.choice(areas)
            batch.append({
                "episode_id": f"E{i}", "person_id": f"P{rnd.randrange(20_000)}",
                "birth_date": date(rnd.randint(1930, 2020), rnd.randint(1, 12),
                                   rnd.randint(1, 28)),
                "unit_id": rnd.choice(UNITS), "service_area": area,
                "professional_group": rnd.choice(groups[area]), "urgency": "non_urgent",
                "contact_at": contact, "assessed_at": assessed,
                "visit_at": visit if visit < NOW else None,
                "contact_mode": rnd.choice(["in_person", "phone"]) if visit < NOW else None,
                "status": "done" if visit < NOW else "waiting", "plan_based": False})
            if len(batch) == 10_000:
                conn.execute(insert(Episode), batch)
                batch = []
        if batch:
            conn.execute(insert(Episode), batch)
    return engine


def open_contacts(engine: Any, k: int, rnd: random.Random) -> None:
    from sqlalchemy import select

    from sotekeskus.care.cases.commands import Contact, open_case
    from sotekeskus.care.unit_of_work import UnitOfWork
    from sotekeskus.domain.access_policy import Actor, Role
    from sotekeskus.store.models import Person

    with engine.connect() as conn:
        persons = list(conn.execute(select(Person.id)).scalars())
    operator = Actor("cli:bench", Role.OPERATOR)
    for _ in range(k):
        with UnitOfWork(engine, operator, "bench contact") as uow:
            open_case(uow, Contact(rnd.choice(persons), rnd.choice(["phone", "chat"]),
                                   rnd.choice(UNITS), "Vaiva"), now=NOW)


def same_rows(a: Path, b: Path) -> bool:
    import duckdb

    out = []
    for path in (a, b):
        con = duckdb.connect(str(path), read_only=True)
        try:
            out.append([con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                        for t in ("episodes", "access_cube", "access_waits", "snapshot_meta")])
        finally:
            con.close()
    return out[0] == out[1]


def one_database(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    from sotekeskus.analytics.derived import rulebook_fingerprint
    from sotekeskus.analytics.source import build_snapshot, refresh_snapshot
    from sotekeskus.rules import load_rulebook
    from sotekeskus.store.episodes import data_version

    book = load_rulebook()
    fp = rulebook_fingerprint(book)
    t0 = time.perf_counter()
    engine = build_store(url, args.episodes)
    print(f"[{name}] store with {args.episodes} episodes in {time.perf_counter() - t0:.0f} s",
          flush=True)
    work = Path(tempfile.mkdtemp(prefix="sk-snapbench-"))
    snap, full = work / "inc.duckdb", work / "full.duckdb"
    t0 = time.perf_counter()
    kind = refresh_snapshot(url, engine, snap, f"{data_version(engine)}:{fp}", book)
    first = time.perf_counter() - t0
    rnd = random.Random(5)
    result: dict[str, Any] = {"episodes": args.episodes, "first_build_s": round(first, 3),
                              "first_kind": kind, "size_mb": round(
                                  snap.stat().st_size / 1e6, 1), "batches": []}
    for k in args.changes:
        incs, fulls, kinds, same = [], [], set(), True
        for _ in range(args.repeat):
            open_contacts(engine, k, rnd)
            version = f"{data_version(engine)}:{fp}"
            t0 = time.perf_counter()
            kinds.add(refresh_snapshot(url, engine, snap, version, book))
            incs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            build_snapshot(url, full, version, book)
            fulls.append(time.perf_counter() - t0)
            same = same and same_rows(snap, full)
        inc, whole = statistics.median(incs), statistics.median(fulls)
        row = {"changes": k, "kind": ",".join(sorted(kinds)),
               "incremental_s": [round(x, 3) for x in incs],
               "full_s": [round(x, 3) for x in fulls], "incremental_median_s": round(inc, 3),
               "full_median_s": round(whole, 3), "same_rows": same}
        result["batches"].append(row)
        print(f"[{name}] {k:>5} changes x{args.repeat}: {row['kind']} median "
              f"{inc * 1000:.0f} ms, full rebuild median {whole * 1000:.0f} ms "
              f"({whole / inc:.1f}x), same rows: {same}", flush=True)
    engine.dispose()
    for p in work.iterdir():
        p.unlink()
    work.rmdir()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=500_000)
    parser.add_argument("--changes", default="1,10,100,1000",
                        help="comma-separated batch sizes of workdesk changes")
    parser.add_argument("--repeat", type=int, default=3, help="refreshes per batch size")
    parser.add_argument("--pg", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    args.changes = [int(x) for x in args.changes.split(",")]
    load = os.getloadavg()
    results: dict[str, Any] = {"at": datetime.now().isoformat(timespec="seconds"),
                               "load_before": [round(x, 2) for x in load]}
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            results["sqlite"] = one_database("sqlite", url, args)
    if args.pg:
        import psycopg
        from sqlalchemy.engine import make_url

        base = make_url(args.pg)
        name = f"snapbench_{uuid.uuid4().hex[:8]}"
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            results["postgresql"] = one_database(
                "postgresql", base.set(database=name).render_as_string(hide_password=False),
                args)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out = HERE / "data" / "snapshot_refresh.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"load average before {results['load_before']}, after {results['load_after']}; "
          f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
