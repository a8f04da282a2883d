"""Shared parts of the HTTP load benches (``bench/workdesk.py``, ``bench/front_door.py``):
a free local port, the latency summary (p50 / p95 / max in milliseconds), the real server
(``sotekeskus serve``) around one load run, the double-booking count, and the per-database
run (SQLite in a temporary directory, PostgreSQL in a throw-away database) that writes
``bench/data/<stem>.json``. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard_load import start_server, stop_server, wait_ready  # noqa: E402

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"

DOUBLE_BOOKINGS = (
    "SELECT count(*) FROM (SELECT slot_id FROM appointments WHERE status = 'booked' "
    "GROUP BY slot_id HAVING count(*) > 1) x")
"""Slots holding more than one live (``booked``) appointment: must be 0."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def summary(values: list[float]) -> dict[str, float | int]:
    """Count, median, 95th percentile (nearest rank, index ``int(0.95 n)``) and maximum of
    latencies given in seconds, reported in milliseconds (one decimal)."""
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {"n": len(values), "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p95_ms": q(0.95), "max_ms": round(1000 * ordered[-1], 1)}


def serve_and_load(db_arg: str, log: Path,
                   load: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """Start ``sotekeskus serve`` on ``db_arg`` (a path or a URL) on a free port, wait until
    it answers, run ``load(base_url)`` and stop the server whatever happens."""
    port = free_port()
    proc = start_server(db_arg, port, log)  # type: ignore[arg-type]  # a path or a URL
    base = f"http://{HOST}:{port}"
    try:
        wait_ready(base, proc)
        return load(base)
    finally:
        stop_server(proc)


def run_databases(args: argparse.Namespace, stem: str,
                  one_database: Callable[[str, str, str, argparse.Namespace],
                                         dict[str, Any]]) -> None:
    """Run ``one_database(name, url, db_arg, args)`` on SQLite (unless ``--skip-sqlite``)
    and on a fresh database on the ``--pg`` server (dropped afterwards); write and print
    ``bench/data/<stem>.json``."""
    (HERE / "data").mkdir(exist_ok=True)
    results: dict[str, Any] = {"clients": args.clients, "duration_s": args.duration,
                               "think_s": args.think, "cpus": os.cpu_count(),
                               "load_average_at_start": os.getloadavg()}
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
            path = Path(tmp) / f"{stem}.db"
            results["sqlite"] = one_database("sqlite", f"sqlite:///{path}", str(path), args)
    if args.pg:
        import psycopg
        from sqlalchemy.engine import make_url

        base = make_url(args.pg)
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        dbname = f"bench_{stem}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        url = base.set(database=dbname).render_as_string(hide_password=False)
        try:
            results["postgresql"] = one_database("postgresql", url, url, args)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    out = HERE / "data" / f"{stem}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps(results, indent=2, default=str))
