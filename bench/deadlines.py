"""Benchmark: case-events import and the deadline report at the synthetic region's size.

    .venv/bin/python bench/deadlines.py [--residents 126000] [--dir /tmp/bench-deadlines]

Generates the case events of a synthetic region (2019–2025), writes them as CSV, imports
them into a fresh SQLite store (and once more: the idempotent re-import), then times the
deadline report and the open cases on the last day. Prints one line per step.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import numpy as np

from sotekeskus.analytics.deadline_report import deadline_rows, load_case_events, open_legs
from sotekeskus.rules import load_rulebook
from sotekeskus.store.case_events import import_case_event_file
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.migrate import upgrade
from sotekeskus.synth import write_episodes
from sotekeskus.synth.calibration import DEFAULT_CALIBRATION
from sotekeskus.synth.case_events import generate_case_events
from sotekeskus.synth.population import generate_population
from sotekeskus.synth.strings import hex_ids
from sotekeskus.synth.timeline import Timeline
from sotekeskus.synth.units import UNIT_IDS, assign_units, municipality_weights


def timed(label: str, start: float) -> float:
    now = time.perf_counter()
    print(f"{label:<44} {now - start:7.2f} s", flush=True)
    return now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=126_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-deadlines"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    end = date(2025, 12, 31)
    timeline = Timeline.build(date(2019, 1, 1), end, DEFAULT_CALIBRATION)
    population = generate_population(args.residents, timeline, municipality_weights(),
                                     DEFAULT_CALIBRATION, np.random.default_rng(1))
    units = np.asarray(UNIT_IDS)[assign_units(population.municipality,
                                              np.random.default_rng(2))]
    events, _ = generate_case_events(population, timeline,
                                     hex_ids("P", population.id_numbers, 10), units, 1,
                                     args.residents)
    path = write_episodes(events, args.dir / "events.csv")
    t = timed(f"generate {events.num_rows:,} events", t)
    db = args.dir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    engine = make_engine(resolve_url(str(db)))
    upgrade(engine)
    book = load_rulebook()
    t = time.perf_counter()
    import_case_event_file(engine, path, book.legs())
    t = timed("import (new store)", t)
    import_case_event_file(engine, path, book.legs())
    t = timed("re-import (every row updated)", t)
    table = load_case_events(str(db))
    t = timed("load events from the store", t)
    rows = deadline_rows(table, book)
    t = timed(f"deadline report ({len(rows):,} rows)", t)
    waiting = open_legs(table, book, end)
    timed(f"open cases on {end} ({len(waiting.rows):,})", t)


if __name__ == "__main__":
    main()
