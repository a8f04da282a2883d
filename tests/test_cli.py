"""The end-to-end CLI path a new user takes: synth → import → report; demo without serving."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sotekeskus.analytics.cached_sql import SnapshotReader
from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.filters import AccessFilter, FilterError
from sotekeskus.cli import app
from sotekeskus.cli.common import Engine
from sotekeskus.domain.indicators import AGE_GROUPS
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea
from sotekeskus.report_output import RICH_MAX_ROWS, OutputFormat, to_text
from sotekeskus.rules import default_rulebook
from sotekeskus.store.database import resolve_url
from sotekeskus.store.migrate import heads

from .conftest import DATA


def test_synth_import_report_round_trip(runner, tmp_path):
    out = tmp_path / "region.csv"
    result = runner.invoke(app, ["synth", "--residents", "1500", "--from", "2024-01-01",
                                 "--to", "2024-12-31", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "region.units.csv").exists()
    db = str(tmp_path / "s.db")
    assert runner.invoke(app, ["import", "units", str(tmp_path / "region.units.csv"),
                               "--db", db]).exit_code == 0
    imported = runner.invoke(app, ["import", "episodes", str(out), "--db", db])
    assert imported.exit_code == 0, imported.output
    rows = json.loads(runner.invoke(app, ["report", "access", "--db", db, "-f", "json",
                                          "--no-suppress"]).stdout)["rows"]
    assert {r["month"][:4] for r in rows} == {"2024"}
    assert sum(r["visits"] for r in rows) > 1000
    units = Analytics.open(db).units()
    assert units[0]["unit_id"] == "U001" and units[0]["name"] != "U001"  # names from units file


def test_synth_is_deterministic_for_a_seed(runner, tmp_path):
    args = ["synth", "--residents", "500", "--from", "2024-01-01", "--to", "2024-03-31"]
    runner.invoke(app, [*args, "--seed", "5", "--out", str(tmp_path / "a.csv")])
    runner.invoke(app, [*args, "--seed", "5", "--out", str(tmp_path / "b.csv")])
    runner.invoke(app, [*args, "--seed", "6", "--out", str(tmp_path / "c.csv")])
    a, b, c = ((tmp_path / f"{n}.csv").read_bytes() for n in "abc")
    assert a == b and a != c


def test_synth_rejects_bad_options(runner, tmp_path):
    result = runner.invoke(app, ["synth", "--from", "2025-01-01", "--to", "2024-01-01",
                                 "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "--to is before --from" in result.output
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and ".csv or .parquet" in result.output


def test_demo_without_serving_ends_in_a_report(runner, tmp_path):
    args = ["demo", "--dir", str(tmp_path / "demo"), "--residents", "3000", "--from",
            "2025-01-01", "--to", "2025-06-30", "--no-serve"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Access report, 2025-05" in first.output and "Waiting on 2025-06-30" in first.output
    again = runner.invoke(app, args)  # reuses the region and the store
    assert again.exit_code == 0
    assert "Generating" not in again.output and "Imported" not in again.output


def test_import_units_requires_unit_id(runner, tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("id,name\nU1,Asema\n")
    result = runner.invoke(app, ["import", "units", str(path), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1 and "a column unit_id is required" in result.output


# ---- codes are checked everywhere (issue 11, defect 2.8) ------------------------------------

@pytest.fixture
def hand_store(runner, tmp_path):
    db = str(tmp_path / "hand.db")
    result = runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"), "--db", db])
    assert result.exit_code == 0, result.output
    return db


def _error(result) -> str:
    return " ".join(result.output.split())  # rich may wrap a long message


@pytest.mark.parametrize("command", [["report", "access"], ["report", "waiting"]])
@pytest.mark.parametrize("option,value,vocabulary", [
    ("--service-area", "medicl", ServiceArea),
    ("--professional-group", "doctor", ProfessionalGroup),
])
def test_an_unknown_code_is_an_error_listing_the_allowed_codes(runner, hand_store, command,
                                                                option, value, vocabulary):
    result = runner.invoke(app, [*command, "--db", hand_store, option, value, "-f", "json"])
    assert result.exit_code == 2, result.output
    message = _error(result)
    assert f"{option}: {value!r} is not a" in message
    assert "use one of " + ", ".join(v.value for v in vocabulary) in message
    assert "{" not in result.stdout  # no report, not even an empty one


def test_an_unknown_code_among_known_ones_and_a_suggestion(runner, hand_store):
    result = runner.invoke(app, ["report", "access", "--db", hand_store,
                                 "--service-area", "medical,medicl"])
    assert result.exit_code == 2
    assert "'medicl'" in result.output and "did you mean 'medical'?" in _error(result)


def test_an_unknown_age_group_lists_the_age_groups(runner, hand_store):
    result = runner.invoke(app, ["report", "access", "--db", hand_store, "--age-group", "65"])
    assert result.exit_code == 2
    assert "--age-group: '65' is not an age group" in _error(result)
    assert "use one of " + ", ".join(AGE_GROUPS) in _error(result)


@pytest.mark.parametrize("command", [["report", "access"], ["report", "waiting"]])
def test_an_unknown_unit_is_an_error_naming_the_known_units(runner, hand_store, command):
    result = runner.invoke(app, [*command, "--db", hand_store, "--unit", "U01,U99"])
    assert result.exit_code == 1, result.output
    assert "--unit: 'U99' is not a known unit; use one of U01, U02, U03" in _error(result)
    ok = runner.invoke(app, [*command, "--db", hand_store, "--unit", "U01", "-f", "json"])
    assert ok.exit_code == 0, ok.output


def test_an_unknown_unit_in_a_parquet_file_is_an_error_too(runner, tmp_path):
    parquet = tmp_path / "e.parquet"
    pq.write_table(pacsv.read_csv(DATA / "access_hand.csv"), parquet)
    result = runner.invoke(app, ["report", "access", "--parquet", str(parquet), "--unit", "X"])
    assert result.exit_code == 1 and "'X' is not a known unit" in _error(result)


@pytest.mark.parametrize("command", [["report", "access"], ["report", "waiting"],
                                     ["rules", "list"]])
def test_an_unknown_format_lists_the_formats(runner, hand_store, command):
    args = [*command, "-f", "xlsx"] + (["--db", hand_store] if command[0] == "report" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--format 'xlsx': use one of " + ", ".join(OutputFormat) in _error(result)


def test_an_unknown_engine_lists_the_engines(runner, hand_store):
    result = runner.invoke(app, ["report", "access", "--db", hand_store, "--engine", "hadoop"])
    assert result.exit_code == 2
    assert "--engine 'hadoop': use one of " + ", ".join(Engine) in _error(result)


def test_the_filter_itself_rejects_unknown_codes_for_every_caller():
    with pytest.raises(FilterError, match="use one of medical, oral") as caught:
        AccessFilter(service_areas=("medicl",))
    assert caught.value.field == "service_area" and caught.value.value == "medicl"
    with pytest.raises(FilterError, match="professional_group: 'Nurse'"):
        AccessFilter(professional_groups=("Nurse",))
    with pytest.raises(FilterError, match="unit: 'U9' is not a known unit; use one of U1, U2"):
        AccessFilter(unit_ids=("U1", "U9")).check_units(["U2", "U1"])
    AccessFilter(service_areas=tuple(ServiceArea), professional_groups=tuple(ProfessionalGroup))


# ---- a store path with a quote (issue 11, defect 2.10) ---------------------------------------

def test_a_store_path_with_a_quote_works_for_import_and_reports(runner, tmp_path):
    folder = tmp_path / "it's here"
    folder.mkdir()
    db = str(folder / "it's.db")
    units = folder / "unit's.csv"
    units.write_text("unit_id,name,municipality\nU01,Kirkonkylä,Ii\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "units", str(units), "--db", db]).exit_code == 0
    episodes = folder / "episode's.csv"
    episodes.write_bytes((DATA / "access_hand.csv").read_bytes())
    imported = runner.invoke(app, ["import", "episodes", str(episodes), "--db", db])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(app, ["report", "access", "--db", db, "-f", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    expected = json.loads((DATA / "access_hand_expected.json").read_text())["rows"]
    assert json.loads(result.stdout)["rows"] == expected
    waiting = runner.invoke(app, ["report", "waiting", "--db", db, "--on", "2025-03-20",
                                  "-f", "json", "--no-suppress"])
    assert waiting.exit_code == 0, waiting.output
    assert Analytics.open(db).units()[0]["name"] == "Kirkonkylä"
    parquet = folder / "it's.parquet"
    pq.write_table(pacsv.read_csv(episodes), parquet)
    from_file = runner.invoke(app, ["report", "access", "--parquet", str(parquet), "-f", "json",
                                    "--no-suppress"])
    assert from_file.exit_code == 0, from_file.output
    assert json.loads(from_file.stdout)["rows"] == expected


def test_a_postgres_database_name_with_a_quote_works_for_the_snapshot(runner, tmp_path,
                                                                     monkeypatch):
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    from .conftest import _pg_or_skip

    base = make_url(_pg_or_skip())
    name = f"t_{uuid.uuid4().hex[:8]} it's"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("SOTEKESKUS_ANALYTICS_DIR", str(tmp_path / "analytics's"))
    db = base.set(database=name).render_as_string(hide_password=False)
    try:
        imported = runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                                       "--db", db])
        assert imported.exit_code == 0, imported.output
        result = runner.invoke(app, ["report", "access", "--db", db, "-f", "json",
                                     "--no-suppress"])
        assert result.exit_code == 0, result.output
        expected = json.loads((DATA / "access_hand_expected.json").read_text())["rows"]
        assert json.loads(result.stdout)["rows"] == expected
    finally:
        from sqlalchemy import create_engine

        create_engine("postgresql+psycopg://").dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- reports as new processes (issue 11, section 3) -----------------------------------------

def _alembic_versions(db: str) -> set[str]:
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute("SELECT version_num FROM alembic_version")}
    finally:
        con.close()


def test_a_report_never_migrates_and_says_how_to(runner, tmp_path):
    from alembic import command

    from sotekeskus.store.migrate import alembic_config

    db = str(tmp_path / "old.db")
    command.upgrade(alembic_config(resolve_url(db)), "0001")  # a store of the first release
    for report in (["report", "access"], ["report", "waiting"]):
        result = runner.invoke(app, [*report, "--db", db])
        assert result.exit_code == 1
        assert "is at schema revision 0001" in _error(result)
        assert f"run `sotekeskus migrate --db {db}`" in _error(result)
    assert _alembic_versions(db) == {"0001"}  # the read path wrote nothing
    migrated = runner.invoke(app, ["migrate", "--db", db])
    assert migrated.exit_code == 0, migrated.output
    assert _alembic_versions(db) == set(heads())
    assert runner.invoke(app, ["report", "access", "--db", db]).exit_code == 0


def test_the_second_report_runs_cached_sql_with_the_same_rows(runner, hand_store):
    expected = json.loads((DATA / "access_hand_expected.json").read_text())["rows"]
    args = ["report", "access", "--db", hand_store, "-f", "json", "--no-suppress"]
    url = resolve_url(hand_store)
    assert SnapshotReader.open(url, default_rulebook()) is None  # no snapshot yet
    first = runner.invoke(app, args)  # full path: builds the snapshot, compiles, remembers
    reader = SnapshotReader.open(url, default_rulebook())
    assert reader is not None
    cached = reader.access_report(AccessFilter(), by_unit=False)
    reader.close()
    assert cached == Analytics.open(hand_store).access_report()
    second = runner.invoke(app, args)
    assert json.loads(first.stdout)["rows"] == json.loads(second.stdout)["rows"] == expected
    by_unit = ["report", "access", "--db", hand_store, "-f", "json", "--by-unit",
               "--service-area", "medical"]
    assert runner.invoke(app, by_unit).stdout == runner.invoke(app, by_unit).stdout


def test_cached_sql_is_not_used_once_the_store_changes(runner, hand_store, tmp_path):
    args = ["report", "access", "--db", hand_store, "-f", "json", "--no-suppress"]
    before = json.loads(runner.invoke(app, args).stdout)["rows"]
    more = tmp_path / "more.csv"
    lines = (DATA / "access_hand.csv").read_text().splitlines()
    more.write_text("\n".join([lines[0]] + [line.replace("A1,", "Z1,", 1)
                                            for line in lines[1:2]]) + "\n")
    assert runner.invoke(app, ["import", "episodes", str(more), "--db", hand_store]
                         ).exit_code == 0
    assert SnapshotReader.open(resolve_url(hand_store), default_rulebook()) is None  # stale
    after = json.loads(runner.invoke(app, args).stdout)["rows"]
    assert sum(r["visits"] for r in after) == sum(r["visits"] for r in before) + 1


def test_a_cached_report_imports_no_ibis_sqlalchemy_pandas_or_alembic(hand_store):
    probe = ("import sys\nfrom sotekeskus.cli import app\n"
             f"app(['report', 'access', '--db', {hand_store!r}], standalone_mode=False)\n"
             "heavy = {'ibis', 'sqlalchemy', 'pandas', 'alembic', 'pyarrow', 'fastapi'}\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n")
    # The first process compiles and remembers; a later one runs the cached SQL. (Retried:
    # in a working tree being edited, a changed source file makes the next run recompile.)
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              check=True)
        if done.stdout.strip().splitlines()[-1] == "[]":
            break
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_a_long_table_is_plain_aligned_text():
    rows = [{"unit_id": f"U{i:03d}", "visits": i * 10, "share": None if i % 2 else 12.25}
            for i in range(RICH_MAX_ROWS + 1)]
    text = to_text(rows, ["unit_id", "visits", "share"], title="Units")
    lines = text.splitlines()
    assert lines[:3] == ["Units", "unit_id  visits  share", "-------  ------  -----"]
    assert lines[3] == "U000          0   12.2"  # one decimal; numbers right-aligned
    assert lines[4] == "U001         10"  # an empty cell, trailing blanks dropped
    assert len(lines) == 3 + len(rows)


# ---- the generated CLI reference (issue 11, section 1) --------------------------------------

def test_the_checked_in_cli_reference_is_up_to_date():
    script = Path(__file__).resolve().parent.parent / "scripts" / "gen_cli_reference.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, (
        "docs/cli-reference.md is out of date; regenerate it with "
        ".venv/bin/python scripts/gen_cli_reference.py\n" + done.stdout[-3000:] + done.stderr)
