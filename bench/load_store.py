"""A region-sized benchmark store under ``bench/data/`` (git-ignored), built once and reused.

    .venv/bin/python bench/load_store.py --rows 3m      # bench/data/load-3m/store.db
    .venv/bin/python bench/load_store.py --rows 10m

The synthetic region (``synth.generate_region``, 2019-01 … 2026-11, seed 1) is cut to exactly
``--rows`` episodes and written into a SQLite store through the store's own upsert, in slices
of ``--slice`` rows (one import each, so peak memory stays near one slice), plus the region's
unit list. A marker file records the row count; an existing complete store is reused.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
START, END, SEED = date(2019, 1, 1), date(2026, 11, 25), 1
ROWS_PER_RESIDENT = 3_106_372 / 126_000  # measured: 126 000 residents over START..END


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


def store_dir(rows: int, workdir: Path = HERE / "data") -> Path:
    return workdir / f"load-{label(rows)}"


def ensure_store(rows: int, workdir: Path = HERE / "data", slice_rows: int = 2_000_000,
                 log: bool = True) -> Path:
    """Path of a complete SQLite store with ``rows`` synthetic episodes (built if absent)."""
    d = store_dir(rows, workdir)
    db = d / "store.db"
    marker = d / "store.json"
    if db.exists() and marker.exists() and json.loads(marker.read_text()).get("rows") == rows:
        return db
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.episodes import upsert_episodes
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.units import upsert_units
    from sotekeskus.synth import generate_region

    d.mkdir(parents=True, exist_ok=True)
    for p in d.glob("store.db*"):
        p.unlink()
    marker.unlink(missing_ok=True)
    t0 = time.perf_counter()
    residents = int(math.ceil(rows / ROWS_PER_RESIDENT * 1.03)) + 100
    while True:
        region = generate_region(residents, START, END, seed=SEED)
        if region.episodes.num_rows >= rows:
            break
        residents = int(residents * 1.1) + 100
    table = region.episodes.slice(0, rows)  # contact order: drops the last days
    if log:
        print(f"generated {table.num_rows:,} episodes in {time.perf_counter() - t0:.1f} s",
              flush=True)
    engine = make_engine(resolve_url(str(db)))
    upgrade(engine)
    upsert_units(engine, region.units.to_pylist())
    for start in range(0, rows, slice_rows):
        t = time.perf_counter()
        part = table.slice(start, slice_rows)
        upsert_episodes(engine, part, file_name=f"synth-{label(rows)}-{start}",
                        sha256="-", imported_by="bench")
        if log:
            print(f"imported rows {start:,}–{start + part.num_rows:,} in "
                  f"{time.perf_counter() - t:.1f} s", flush=True)
    engine.dispose()
    marker.write_text(json.dumps({"rows": rows, "residents": residents, "seed": SEED,
                                  "start": str(START), "end": str(END)}))
    if log:
        print(f"store {db} ready in {time.perf_counter() - t0:.1f} s", flush=True)
    return db


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="3m", help="episodes, e.g. 3m, 10m (default 3m)")
    ap.add_argument("--slice", default="2m", help="rows per import (default 2m)")
    ap.add_argument("--workdir", default=str(HERE / "data"))
    args = ap.parse_args()
    db = ensure_store(parse_size(args.rows), Path(args.workdir), parse_size(args.slice))
    print(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
