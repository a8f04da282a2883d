"""End to end: a contract-v2 file from the synthetic region, imported into a store, gives
the same pathways figures from the store's snapshot as from the Arrow table itself."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sotekeskus.cli import app
from sotekeskus.pathways.clients import clients
from sotekeskus.pathways.continuity import continuity
from sotekeskus.pathways.followup import follow_up
from sotekeskus.pathways.segments import profiles
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.synth import generate_region, write_episodes
from sotekeskus.synth.clinical import with_clinical
from tests.pathways.helpers import DATA


@pytest.fixture(scope="module")
def region_store(tmp_path_factory):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    region = generate_region(residents=3_000, start=date(2023, 1, 1), end=date(2024, 12, 31),
                             seed=4)
    table = with_clinical(region.episodes, region.clinical)
    base = tmp_path_factory.mktemp("v2")
    write_episodes(table, base / "region.csv")
    db = str(base / "store.db")
    done = CliRunner().invoke(app, ["import", "episodes", str(base / "region.csv"),
                                    "--db", db])
    assert done.exit_code == 0, done.output
    return db, EpisodeSource.from_arrow(table)


def _json(runner, args):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, [*args, "-f", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_continuity_store_equals_arrow(runner, region_store):
    db, arrow = region_store
    body = _json(runner, ["report", "continuity", "--from", "2024-01-01", "--to",
                          "2024-12-31", "--db", db])
    rows = continuity(arrow, date(2024, 1, 1), date(2024, 12, 31)).rows
    assert body["units"] == [{k: r[k] for k in ("unit_id", "professional_group", "persons",
                                                "mean_coc")} for r in rows]
    assert len(rows) > 10


def test_clients_follow_up_and_segments_store_equal_arrow(runner, region_store):
    db, arrow = region_store
    body = _json(runner, ["report", "clients", "--to", "2024-12-31", "--db", db])
    assert body["rows"] == clients(arrow, date(2024, 12, 31)).rows
    body = _json(runner, ["report", "follow-up", "--on", "2024-12-31", "--db", db])
    assert body["rows"] == follow_up(arrow, date(2024, 12, 31)).rows
    assert any(r["lapsed"] for r in body["rows"])
    body = _json(runner, ["report", "segments", "--year", "2024", "--db", db])
    assert body["segments"] == profiles(arrow, 2024).rows


def test_a_v1_store_says_what_is_missing(runner, tmp_path):
    db = str(tmp_path / "v1.db")
    assert runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                               "--db", db]).exit_code == 0
    result = runner.invoke(app, ["report", "continuity", "--from", "2025-01-01", "--to",
                                 "2025-12-31", "--db", db])
    assert result.exit_code == 1 and "professional_id" in result.output
    result = runner.invoke(app, ["report", "follow-up", "--db", db])
    assert result.exit_code == 1 and "needs diagnosis_codes" in result.output


def test_a_long_running_process_sees_a_new_import(runner, tmp_path):
    db = str(tmp_path / "s.db")
    lines = (DATA / "continuity_hand.csv").read_text().splitlines()
    first = tmp_path / "first.csv"
    first.write_text("\n".join(lines[:20]) + "\n")
    assert runner.invoke(app, ["import", "episodes", str(first), "--db", db]).exit_code == 0
    before = EpisodeSource.from_store(db)  # kept open, as a web process would
    n_before = before.con.execute("SELECT count(*) FROM episodes").fetchone()
    rest = tmp_path / "all.csv"
    rest.write_text("\n".join(lines) + "\n")
    assert runner.invoke(app, ["import", "episodes", str(rest), "--db", db]).exit_code == 0
    after = EpisodeSource.from_store(db)
    assert after.con.execute("SELECT count(*) FROM episodes").fetchone() == (len(lines) - 1,)
    assert n_before == (19,)
    before.close()
    after.close()


@pytest.mark.parametrize(("name", "args", "key"), [
    ("continuity_hand", ["report", "continuity", "--from", "2025-01-01", "--to",
                         "2025-03-31"], "units"),
    ("clients_hand", ["report", "clients", "--to", "2025-12-31"], "rows"),
    ("followup_hand", ["report", "follow-up", "--on", "2025-06-30"], "rows"),
])
def test_hand_files_through_the_real_import(runner, tmp_path, name, args, key):
    """The hand-computed contract-v2 files import cleanly, and the reports over the store
    give the hand-computed figures."""
    db = str(tmp_path / "store.db")
    imported = runner.invoke(app, ["import", "episodes", str(DATA / f"{name}.csv"),
                                   "--db", db])
    assert imported.exit_code == 0, imported.output
    expected = json.loads((DATA / f"{name}_expected.json").read_text())
    assert _json(runner, [*args, "--db", db])[key] == expected[key]


def test_segments_hand_file_through_the_real_import(runner, tmp_path):
    db = str(tmp_path / "store.db")
    assert runner.invoke(app, ["import", "episodes", str(DATA / "segments_hand.csv"),
                               "--db", db]).exit_code == 0
    expected = json.loads((DATA / "segments_hand_expected.json").read_text())
    assert _json(runner, ["report", "segments", "--year", "2025", "--db", db]
                 )["segments"] == expected["profiles"]
