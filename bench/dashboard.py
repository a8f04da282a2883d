"""Page-load time of the web dashboards over a large store (issue 3: under 1 s for any filter).

Usage:
    .venv/bin/python bench/dashboard.py --db bench/data/10m/store.db [--repeat 5]

The app runs in-process (Starlette's TestClient: the whole request path — session, CSRF,
routing, analytics, Jinja2, charts — without a socket). For each page and filter it prints the
first (cold) and the median of the following loads. Charts are served as separate requests
(PNG/SVG) and are timed apart. A leadership account is created if absent.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time

from fastapi.testclient import TestClient

from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.monitoring import seed_region_indicators
from sotekeskus.store.users import UserError, create_user
from sotekeskus.web.app import create_app

USER, PASSWORD = "bench-leader", "bench-leader-password"


def pages(month_to: str, month_from: str, unit: str) -> list[tuple[str, str]]:
    return [
        ("dashboard, default (last 12 months)", "/access"),
        ("dashboard, whole period", f"/access?month_from=2019-01&month_to={month_to}"),
        ("dashboard, one unit", f"/access?unit={unit}"),
        ("dashboard, unit + physician", f"/access?unit={unit}&professional_group=physician"),
        ("dashboard, oral, 65+", "/access?service_area=oral&age_group=65%2B"),
        ("dashboard, one month", f"/access?month_from={month_from}&month_to={month_from}"),
        ("dashboard htmx swap", "/access?service_area=medical"),
        ("situation picture", "/situation"),
        ("situation panel (poll)", "/situation/panel"),
        ("monitoring indicators", "/monitoring"),
        ("chart SVG (as the page loads it)", "/access/chart/within.svg"),
        ("chart PNG", "/access/chart/within.png"),
        ("export xlsx (by unit)", "/access/export/access_by_unit.xlsx"),
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    url = resolve_url(args.db)
    engine = make_engine(url)
    upgrade(engine)
    try:
        create_user(engine, USER, PASSWORD, "leadership", ())
    except UserError:
        pass
    seed_region_indicators(engine)
    t0 = time.perf_counter()
    app = create_app(url, secure_cookies=False)
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on /login"
    resp = client.post("/login", data={"username": USER, "password": PASSWORD,
                                       "csrf_token": token.group(1)}, follow_redirects=False)
    assert resp.status_code in (302, 303), resp.status_code
    print(f"app start + sign-in: {time.perf_counter() - t0:.2f} s")
    an = app.state.analytics.get()
    first, last = an.date_range()
    units = an.units()
    month_to = last.strftime("%Y-%m")
    mid = f"{last.year - 1}-{last.month:02d}"
    rows = []
    for name, path in pages(month_to, mid, units[0]["unit_id"]):
        headers = {"HX-Request": "true"} if "htmx" in name else {}
        times = []
        for _ in range(args.repeat + 1):
            t = time.perf_counter()
            r = client.get(path, headers=headers)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
        rows.append((name, path, times[0], statistics.median(times[1:]), len(r.content)))
    print(f"\nstore {args.db}: data {first} – {last}, {len(units)} units\n")
    print(f"{'page':40} {'first s':>8} {'median s':>9} {'KB':>7}  path")
    for name, path, cold, warm, size in rows:
        print(f"{name:40} {cold:8.3f} {warm:9.3f} {size / 1024:7.0f}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
