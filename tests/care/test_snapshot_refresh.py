"""Incremental refresh of the analytics snapshot: after random workdesk changes the snapshot
refreshed incrementally is the snapshot a full rebuild makes, row for row (episodes with
their derived columns, the summary tables, units), on SQLite and PostgreSQL; an import of
episodes, a rule-book change or a broken change log rebuild it in full."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import delete

from sotekeskus.analytics.derived import rulebook_fingerprint
from sotekeskus.analytics.source import (
    build_snapshot,
    changed_since,
    refresh_snapshot,
)
from sotekeskus.care.booking.appointments import book, record_no_show, record_visit
from sotekeskus.care.cases.commands import (
    AssessmentInput,
    Contact,
    assess,
    cancel,
    claim,
    open_case,
    resolve,
    route,
)
from sotekeskus.care.cases.queue import bookable_slots
from sotekeskus.care.errors import CareError
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.cli import app
from sotekeskus.rules import load_rulebook
from sotekeskus.store.episodes import data_version
from sotekeskus.store.models import EpisodeChange
from tests.care.conftest import NOW, OPERATOR, Region, add_slots, make_region

DATA = Path(__file__).resolve().parents[1] / "data"
TABLES = {"episodes": "episode_id", "access_cube": "*", "access_waits": "*",
          "units": "unit_id", "snapshot_meta": "*"}


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for table in TABLES:
            cols = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
            order = ", ".join(f'"{c}"' for c in cols)
            out[table] = con.execute(
                f"SELECT {order} FROM {table} ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def random_changes(region: Region, rng: random.Random, cases: list[int], when) -> None:  # type: ignore[no-untyped-def]
    """A handful of random workdesk steps: new contacts, claims and assessments, routing,
    booking, visits, no-shows, resolutions and cancellations (a refused step is skipped)."""
    nurse, physician = region.nurse, region.physician
    for _ in range(rng.randint(3, 8)):
        when[0] += timedelta(minutes=rng.randint(1, 30))
        now = when[0]
        step = rng.choice(["open", "open", "assess", "assess", "route", "book", "visit",
                           "no_show", "resolve", "cancel"])
        try:
            if step == "open" or not cases:
                with UnitOfWork(region.engine, OPERATOR, "contact") as uow:
                    channel = rng.choice(["phone", "chat", "message", "walk_in"])
                    cases.append(open_case(uow, Contact(
                        rng.choice(region.persons), channel, rng.choice(["U001", "U002"]),
                        "Tarve"), now=now).id)
                continue
            case_id = rng.choice(cases)
            with UnitOfWork(region.engine, nurse.actor, "care") as uow:
                if step == "assess":
                    claim(uow, nurse, case_id, now=now)
                    urgency = rng.choice(["non_urgent", "non_urgent", "urgent",
                                          "no_care_needed"])
                    assess(uow, nurse, case_id, AssessmentInput(
                        urgency, "Tarve", rng.choice(["medical", "medical", "oral"]),
                        rng.choice(["physician", "nurse"])), now=now)
                elif step == "route":
                    route(uow, nurse, case_id, now=now)
                elif step == "book":
                    slots = bookable_slots(uow, nurse, case_id, now=now)
                    if slots:
                        book(uow, nurse, case_id, rng.choice(slots).slot_id, now=now)
                elif step == "resolve":
                    resolve(uow, nurse, case_id, "Neuvottu", now=now)
                elif step == "cancel":
                    cancel(uow, nurse, case_id, "Peruttu", now=now)
            if step in ("visit", "no_show"):
                with UnitOfWork(region.engine, physician.actor, "visit") as uow:
                    later = now + timedelta(days=rng.randint(1, 3))
                    if step == "visit":
                        record_visit(uow, physician, case_id, now=later)
                    else:
                        record_no_show(uow, physician, case_id, now=later)
        except (CareError, PermissionError):
            pass  # not allowed in the case's state, or not this professional's: skip


@pytest.mark.parametrize("any_db", ["sqlite", "postgresql"], indirect=True)
def test_incremental_refresh_equals_a_full_rebuild(any_db: str, tmp_path: Path,
                                                   runner) -> None:  # type: ignore[no-untyped-def]
    from sotekeskus.store.database import resolve_url

    region = make_region(resolve_url(any_db), residents=8)
    try:
        add_slots(region, region.physician, "physician_in_person", mode="in_person",
                  end="12:00")
        add_slots(region, region.physician, "remote_physician", weekday=2, end="12:00")
        imported = runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                                       "--db", region.url])
        assert imported.exit_code == 0, imported.output
        book_ = load_rulebook()
        fp = rulebook_fingerprint(book_)
        snap, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
        version = f"{data_version(region.engine)}:{fp}"
        assert refresh_snapshot(region.url, region.engine, snap, version, book_) == "full"
        rng, cases, when = random.Random(12), [], [NOW]
        kinds = []
        for _ in range(8):
            random_changes(region, rng, cases, when)
            version = f"{data_version(region.engine)}:{fp}"
            kinds.append(refresh_snapshot(region.url, region.engine, snap, version, book_))
            build_snapshot(region.url, full, version, book_)
            got, want = rows(snap), rows(full)
            for table in TABLES:
                assert got[table] == want[table], table
        assert set(kinds) <= {"incremental", "current"} and kinds.count("incremental") >= 4
        assert rows(snap)["access_cube"], "the changes made access visits"
        # nothing changed: the snapshot is current
        assert refresh_snapshot(region.url, region.engine, snap, version, book_) == "current"
        # an import breaks the chain of logged bumps: a full rebuild
        lines = (DATA / "access_hand.csv").read_text(encoding="utf-8").splitlines()
        more = tmp_path / "more.csv"
        more.write_text("\n".join([lines[0]] + [line.replace("A", "B", 1)
                                                for line in lines[1:6]]) + "\n",
                        encoding="utf-8")
        again = runner.invoke(app, ["import", "episodes", str(more), "--db", region.url])
        assert again.exit_code == 0, again.output
        random_changes(region, rng, cases, when)
        version = f"{data_version(region.engine)}:{fp}"
        assert refresh_snapshot(region.url, region.engine, snap, version, book_) == "full"
        build_snapshot(region.url, full, version, book_)
        assert rows(snap) == rows(full)
        # ... and the workdesk after it is incremental again
        random_changes(region, rng, cases, when)
        version = f"{data_version(region.engine)}:{fp}"
        assert refresh_snapshot(region.url, region.engine, snap, version, book_) in (
            "incremental", "current")
        build_snapshot(region.url, full, version, book_)
        assert rows(snap) == rows(full)
        # another rule book: a full rebuild
        assert refresh_snapshot(region.url, region.engine, snap,
                                f"{data_version(region.engine)}:other", book_) == "full"
    finally:
        region.engine.dispose()


def test_the_change_log_chains_bumps_and_says_when_it_cannot(region: Region) -> None:
    v0 = data_version(region.engine)
    ids = []
    for i in range(3):
        with UnitOfWork(region.engine, OPERATOR, "contact") as uow:
            ids.append(open_case(uow, Contact(region.persons[i], "phone", "U001", "Tarve"),
                                 now=NOW).episode_id)
    v3 = data_version(region.engine)
    assert changed_since(region.engine, v0, v3) == set(ids)
    assert changed_since(region.engine, v3, v3) == set()
    assert changed_since(region.engine, v0, v3, limit=2) is None  # too many: rebuild
    assert changed_since(region.engine, "not-a-version", v3) is None
    assert changed_since(region.engine, v0, "not-reached") is None
    with region.engine.begin() as conn:  # a pruned log: the chain does not start
        conn.execute(delete(EpisodeChange))
    assert changed_since(region.engine, v0, v3) is None
