"""Many managers at once: latency of the dashboard and the situation picture under 1 and N
concurrent signed-in clients, in the same run, against the real server over loopback.

    .venv/bin/python bench/dashboard_load.py                       # 3 M episodes, 1 and 20 clients
    .venv/bin/python bench/dashboard_load.py --rows 10m --duration 60
    .venv/bin/python bench/dashboard_load.py --db path/to/store.db --clients 1,5,20

What it does:

1. Builds (or reuses) a region-sized store under ``bench/data/load-<rows>/``
   (``bench/load_store.py``) and the bench accounts in it: every fourth client a leadership
   account (all units), the others managers of two units each.
2. Starts the app as users do (``sotekeskus serve --insecure-cookies``, uvicorn) on
   127.0.0.1 and a free port, in a subprocess; waits for it; signs every client in over
   HTTP (its own cookie jar, CSRF token from the sign-in page).
3. **Cold**: the first request (the situation picture; a snapshot build included if the
   store changed since the last one).
4. **First-time filters**: a leadership client loads the dashboard once with each of six
   standard views (default, whole period, one unit, unit + physician, oral 65+, one month)
   and ``--distinct`` random filters (month window, unit, group, area, age group): the
   latency of *any* filter with nothing cached for it.
5. **Load phases**, one per ``--clients`` value, each ``--duration`` seconds: every client
   repeats a browsing cycle — the dashboard (default view, one unit, unit + professional
   group, area + age group, a month window, the htmx swap) with the five chart images each
   dashboard page loads, the situation picture and its polled panel. ``--fresh`` of the
   dashboard views use a filter never asked before (a cache miss by construction); the
   others repeat the client's own views. A page view's requests go one after the other (as
   a browser loads a page and its images); a client then waits ``--think`` seconds (uniform
   ±50 %) before its next view (0: a stress test, every client always busy). The 1-client
   phase issues exactly the same mix (one view at a time, the clients' cycles taken in
   turn), so the phases differ only in concurrency. ``--duration-1`` sets the 1-client
   phase's length (default: the same), so that it has enough views for a p95.

It prints p50 / p95 / max latency and the errors (non-200 answers, exceptions) per phase
and per page kind (for the first-time filters also the server process's CPU time per
request, which other load on the machine does not inflate), and the ratio of each phase's
p95 to the 1-client p95. Results are also written to ``bench/data/dashboard_load.json``.
Traffic goes only to 127.0.0.1; every loop is bounded by time and request count; the server
is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_store import HERE, ensure_store, parse_size  # noqa: E402

PASSWORD = "bench-load-Passw0rd-2026"
HOST = "127.0.0.1"
CHARTS = ("within", "median", "breaches", "targets", "channels")
AREAS = ("medical", "oral", "mental", "substance", "social")
GROUPS = ("physician", "nurse", "dentist", "psychologist")
AGE_GROUPS = ("0-22", "23-64", "65+")
MAX_VIEWS_PER_CLIENT = 20_000


# ---------------------------------------------------------------------------------------
# accounts and server
# ---------------------------------------------------------------------------------------
@dataclass
class Account:
    username: str
    role: str
    units: list[str]


def make_accounts(db: Path, n: int) -> tuple[list[Account], list[str], tuple[date, date]]:
    """``n`` bench accounts in the store (created if absent), the unit ids and the data's
    first and last visit dates."""
    from sqlalchemy import text

    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.users import UserError, create_user

    engine = make_engine(resolve_url(str(db)))
    upgrade(engine)
    with engine.connect() as conn:
        units = sorted(conn.execute(text("SELECT unit_id FROM units")).scalars())
        first, last = conn.execute(text(
            "SELECT min(visit_at), max(visit_at) FROM episodes")).one()
    accounts = []
    for i in range(n):
        if i % 4 == 0:
            acc = Account(f"bench-lead-{i:02d}", "leadership", [])
        else:
            acc = Account(f"bench-mgr-{i:02d}", "manager",
                          [units[(2 * i) % len(units)], units[(2 * i + 1) % len(units)]])
        try:
            create_user(engine, acc.username, PASSWORD, acc.role, acc.units)
        except UserError as exc:
            if "exists" not in str(exc) and "taken" not in str(exc):
                raise
        accounts.append(acc)
    engine.dispose()
    return accounts, units, (date.fromisoformat(str(first)[:10]),
                             date.fromisoformat(str(last)[:10]))


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server process so far (all its threads), from /proc
    (10 ms resolution)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("sotekeskus")
    cmd = [str(exe), "serve", "--db", str(db), "--host", HOST, "--port", str(port),
           "--insecure-cookies"]
    fh = log.open("wb")
    return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not ready after {timeout_s:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------
# clients
# ---------------------------------------------------------------------------------------
def months_between(first: date, last: date) -> list[str]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class Client:
    """One signed-in browser: a cookie jar and a browsing cycle."""

    index: int
    account: Account
    base: str
    all_units: list[str]
    months: list[str]
    fresh_share: float
    rng: random.Random = field(init=False)
    http: httpx.Client = field(init=False)
    seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(1000 + self.index)
        self.http = httpx.Client(base_url=self.base, timeout=120, follow_redirects=False)

    @property
    def units(self) -> list[str]:
        return self.account.units or self.all_units

    def sign_in(self) -> None:
        page = self.http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if not token:
            raise RuntimeError("no CSRF token on /login")
        resp = self.http.post("/login", data={"username": self.account.username,
                                              "password": PASSWORD,
                                              "csrf_token": token.group(1)})
        if resp.status_code not in (302, 303):
            raise RuntimeError(f"sign-in of {self.account.username}: {resp.status_code}")

    def fresh_filter(self) -> str:
        """A dashboard query string this client has not asked before."""
        for _ in range(1000):
            a, b = sorted(self.rng.sample(range(len(self.months)), 2))
            params: list[tuple[str, str]] = [("month_from", self.months[a]),
                                             ("month_to", self.months[b])]
            pick = self.rng.random()
            if pick < 0.4:
                params.append(("unit", self.rng.choice(self.units)))
            if 0.2 < pick < 0.6:
                params.append(("professional_group", self.rng.choice(GROUPS)))
            if pick > 0.5:
                params.append(("service_area", self.rng.choice(AREAS)))
            if self.rng.random() < 0.3:
                params.append(("age_group", self.rng.choice(AGE_GROUPS)))
            query = urlencode(params)
            if query not in self.seen:
                self.seen.add(query)
                return query
        raise RuntimeError("no fresh filter left")

    def views(self) -> list[str]:
        """The client's own repeated dashboard views (query strings)."""
        u = self.units
        last = self.months[-1]
        return ["", f"unit={u[0]}", f"unit={u[-1]}&professional_group=physician",
                "service_area=oral&age_group=65%2B",
                f"month_from={self.months[-13]}&month_to={last}&unit={u[0]}",
                "service_area=medical"]

    def cycle(self) -> Iterator[list[tuple[str, str, dict[str, str]]]]:
        """Page views forever, each a list of (kind, path, headers) requests made one after
        the other as a browser loads the page: a dashboard view with its five chart images
        (an htmx swap: the page part only), then the situation picture or its polled panel."""
        views = self.views()
        step = self.index  # clients start at different points of the cycle
        while True:
            query = views[step % len(views)]
            if self.rng.random() < self.fresh_share:
                query = self.fresh_filter()
            suffix = f"?{query}" if query else ""
            htmx = step % len(views) == len(views) - 1
            view = [("access", "/access" + suffix, {"HX-Request": "true"} if htmx else {})]
            if not htmx:
                view += [("chart", f"/access/chart/{name}.svg{suffix}", {}) for name in CHARTS]
            yield view
            if step % 2 == 0:
                yield [("situation", "/situation", {})]
            else:
                yield [("panel", "/situation/panel", {"HX-Request": "true"})]
            step += 1


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    detail: str = ""


def timed_get(client: Client, path: str, headers: dict[str, str]) -> tuple[float, bool, str]:
    t = time.perf_counter()
    try:
        resp = client.http.get(path, headers=headers)
        ok, detail = resp.status_code == 200, ("" if resp.status_code == 200
                                               else f"{resp.status_code} {path}")
    except httpx.HTTPError as exc:
        ok, detail = False, f"{type(exc).__name__} {path}"
    return time.perf_counter() - t, ok, detail


def run_phase(clients: list[Client], concurrency: int, duration_s: float,
              think_s: float) -> tuple[list[Sample], float]:
    """``concurrency`` threads for ``duration_s``; thread i drives clients i, i+c, … in turn,
    one page view at a time, pausing ``think_s`` (±50 %) after each view. Returns the
    samples (one per request) and the wall time."""
    samples: list[Sample] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration_s
    cycles = {c.index: c.cycle() for c in clients}

    def worker(mine: list[Client]) -> None:
        rng = random.Random(mine[0].index)
        count = 0
        while time.monotonic() < stop_at and count < MAX_VIEWS_PER_CLIENT * len(mine):
            client = mine[count % len(mine)]
            for kind, path, headers in next(cycles[client.index]):
                seconds, ok, detail = timed_get(client, path, headers)
                with lock:
                    samples.append(Sample(kind, seconds, ok, detail))
            count += 1
            if think_s > 0:
                time.sleep(think_s * rng.uniform(0.5, 1.5))

    groups = [clients[i::concurrency] for i in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(g,), daemon=True) for g in groups if g]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration_s + 300)
    return samples, time.perf_counter() - t0


def pctl(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def stats(samples: list[Sample]) -> dict[str, Any]:
    secs = [s.seconds for s in samples]
    return {"requests": len(samples), "errors": sum(not s.ok for s in samples),
            "p50_ms": pctl(secs, 50) * 1000, "p95_ms": pctl(secs, 95) * 1000,
            "max_ms": max(secs) * 1000 if secs else float("nan"),
            "mean_ms": statistics.fmean(secs) * 1000 if secs else float("nan")}


def line(name: str, st: dict[str, Any], extra: str = "") -> str:
    return (f"{name:34} {st['requests']:7d} {st['errors']:6d} {st['p50_ms']:8.0f} "
            f"{st['p95_ms']:8.0f} {st['max_ms']:8.0f}  {extra}")


# ---------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="3m", help="store size when --db is not given")
    ap.add_argument("--db", help="an existing SQLite store instead of bench/data/load-<rows>")
    ap.add_argument("--clients", default="1,20", help="concurrency of each phase")
    ap.add_argument("--duration", type=float, default=40.0, help="seconds per phase")
    ap.add_argument("--duration-1", type=float, default=None,
                    help="seconds of the 1-client phase (default: --duration)")
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean pause between a client's page views, seconds (0: stress)")
    ap.add_argument("--fresh", type=float, default=0.1,
                    help="share of dashboard views with a never-seen filter")
    ap.add_argument("--distinct", type=int, default=40,
                    help="dashboard loads with distinct filters, one client")
    ap.add_argument("--out", default=str(HERE / "data" / "dashboard_load.json"))
    args = ap.parse_args()

    phases = [int(c) for c in args.clients.split(",")]
    db = Path(args.db) if args.db else ensure_store(parse_size(args.rows))
    n = max(phases)
    accounts, units, (first, last) = make_accounts(db, n)
    months = months_between(first, last)
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = HERE / "data" / "dashboard_load.server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = start_server(db, port, log)
    results: dict[str, Any] = {"db": str(db), "clients": phases, "duration_s": args.duration,
                               "duration_1_s": args.duration_1, "think_s": args.think,
                               "fresh": args.fresh}
    try:
        t = time.perf_counter()
        wait_ready(base, proc)
        results["server_ready_s"] = time.perf_counter() - t
        clients = [Client(i, accounts[i], base, units, months, args.fresh) for i in range(n)]
        for c in clients:
            c.sign_in()
        seconds, ok, detail = timed_get(clients[0], "/situation", {})
        if not ok:
            raise RuntimeError(f"first situation picture failed: {detail}")
        results["cold_first_request_s"] = seconds
        # Any filter, asked for the first time: the standard views, then random ones
        # (client 0 is a leadership account: all units, the largest scope).
        lead = clients[0]
        standard = [("default (last 12 months)", ""),
                    ("whole period", f"month_from={months[0]}&month_to={months[-1]}"),
                    ("one unit", f"unit={units[0]}"),
                    ("unit + physician", f"unit={units[0]}&professional_group=physician"),
                    ("oral, 65+", "service_area=oral&age_group=65%2B"),
                    ("one month", f"month_from={months[-13]}&month_to={months[-13]}")]
        distinct, first_loads, cpu = [], {}, []
        queries = [(name, q) for name, q in standard] + [
            (f"random {i}", lead.fresh_filter()) for i in range(args.distinct)]
        for name, q in queries:
            lead.seen.add(q)
            c0 = server_cpu_s(proc.pid)
            s, ok, detail = timed_get(lead, "/access" + (f"?{q}" if q else ""), {})
            cpu.append(server_cpu_s(proc.pid) - c0)
            distinct.append(Sample("access", s, ok, detail))
            if not name.startswith("random"):
                first_loads[name] = s * 1000
        results["distinct_filters"] = stats(distinct)
        results["distinct_filters"]["server_cpu_p50_ms"] = pctl(cpu, 50) * 1000
        results["distinct_filters"]["server_cpu_p95_ms"] = pctl(cpu, 95) * 1000
        results["first_loads_ms"] = first_loads
        # Warm every client's own views once, with their charts (what the phases repeat).
        for c in clients:
            for q in c.views():
                timed_get(c, "/access" + (f"?{q}" if q else ""), {})
                for name in CHARTS:
                    timed_get(c, f"/access/chart/{name}.svg" + (f"?{q}" if q else ""), {})
            timed_get(c, "/situation", {})

        print(f"\nstore {db} ({len(units)} units, visits {first} – {last}); server {base}")
        print(f"server ready {results['server_ready_s']:.1f} s; first request (cold: "
              f"snapshot check or build) {results['cold_first_request_s']:.2f} s")
        print("first dashboard loads (nothing cached for the filter): " + ", ".join(
            f"{k} {v:.0f} ms" for k, v in first_loads.items()))
        print(f"phases of {args.duration:.0f} s (1 client: {args.duration_1 or args.duration:.0f}"
              f" s), think {args.think} s between page views, fresh filters "
              f"{args.fresh:.0%}\n")
        print(f"{'phase':34} {'reqs':>7} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'max ms':>8}")
        dst = results["distinct_filters"]
        print(line(f"first-time filters, 1 client (x{len(distinct)})", dst,
                   f"server CPU p50 {dst['server_cpu_p50_ms']:.0f} ms, "
                   f"p95 {dst['server_cpu_p95_ms']:.0f} ms"))
        base_p95 = None
        results["phases"] = {}
        for c in phases:
            length = args.duration_1 if c == 1 and args.duration_1 else args.duration
            samples, wall = run_phase(clients[:c] if c > 1 else clients, c, length, args.think)
            st = stats(samples)
            st["wall_s"] = wall
            st["throughput_rps"] = len(samples) / wall if wall else 0.0
            st["by_kind"] = {k: stats([s for s in samples if s.kind == k])
                             for k in sorted({s.kind for s in samples})}
            st["error_examples"] = sorted({s.detail for s in samples if not s.ok})[:5]
            if c == 1:
                base_p95 = st["p95_ms"]
            ratio = st["p95_ms"] / base_p95 if base_p95 else float("nan")
            st["p95_ratio_to_1_client"] = ratio
            results["phases"][str(c)] = st
            print(line(f"{c} client{'s' if c > 1 else ''}", st,
                       f"p95 {ratio:.1f}x 1-client, {st['throughput_rps']:.1f} req/s"))
            for kind, ks in st["by_kind"].items():
                print(line(f"  {kind}", ks))
            for example in st["error_examples"]:
                print(f"  error: {example}")
        Path(args.out).write_text(json.dumps(results, indent=2, default=str))
        print(f"\nresults: {args.out}")
    finally:
        stop_server(proc)
    errors = sum(p["errors"] for p in results.get("phases", {}).values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
