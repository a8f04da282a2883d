"""Episode import: contract checks, all-or-nothing, idempotency (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from sotekeskus.cli import app
from sotekeskus.ingest.episode_file import read_episode_file
from sotekeskus.ingest.errors import EpisodeFileError
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import Episode, ImportRun

from .conftest import DATA

HEADER = ("episode_id,person_id,birth_date,unit_id,service_area,professional_group,urgency,"
          "contact_at,assessed_at,visit_at,contact_mode,status,plan_based")
GOOD = ("E1,P1,1980-01-01,U1,medical,physician,non_urgent,2025-03-10T08:00:00,"
        "2025-03-10T08:30:00,2025-03-24T10:00:00,in_person,done,false")


def write(tmp_path: Path, *lines: str, name: str = "f.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def count(db: str) -> int:
    engine = make_engine(resolve_url(db))
    upgrade(engine)
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Episode)).scalar_one())


def errors_of(path: Path) -> list[str]:
    with pytest.raises(EpisodeFileError) as info:
        read_episode_file(path)
    return [str(e) for e in info.value.errors]


def test_import_hand_file_and_reimport_is_idempotent(runner, any_db):
    result = runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                                 "--db", any_db])
    assert result.exit_code == 0, result.output
    assert "23 new, 0 updated" in result.output
    assert count(any_db) == 23
    again = runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                                "--db", any_db])
    assert again.exit_code == 0, again.output
    assert "0 new, 23 updated" in again.output
    assert count(any_db) == 23
    with make_engine(resolve_url(any_db)).connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportRun)).scalar_one() == 2


def test_reimport_updates_changed_row(runner, tmp_path, any_db):
    first = write(tmp_path, GOOD, name="a.csv")
    changed = write(tmp_path, GOOD.replace("2025-03-24T10:00:00", "2025-03-20T10:00:00")
                    .replace("in_person", "video"), name="b.csv")
    assert runner.invoke(app, ["import", "episodes", str(first), "--db", any_db]).exit_code == 0
    assert runner.invoke(app, ["import", "episodes", str(changed), "--db", any_db]).exit_code == 0
    with make_engine(resolve_url(any_db)).connect() as conn:
        row = conn.execute(select(Episode.visit_at, Episode.contact_mode)).one()
    assert row.visit_at.day == 20 and row.contact_mode == "video"
    assert count(any_db) == 1


BAD_CASES = {
    "missing column": (
        HEADER.replace(",urgency", ""),
        [GOOD.replace(",non_urgent", "")],
        "line 1, column urgency: required column is missing",
    ),
    "unknown column": (
        HEADER + ",ssn",
        [GOOD + ",123"],
        "line 1, column ssn: unknown column",
    ),
    "unknown code": (
        HEADER, [GOOD.replace("physician", "surgeon")],
        "line 2, column professional_group, value 'surgeon': unknown code",
    ),
    "done without visit": (
        HEADER, [GOOD.replace("2025-03-24T10:00:00", "")],
        "line 2, column visit_at, value '': status 'done' requires visit_at",
    ),
    "visit before contact": (
        HEADER, [GOOD.replace("2025-03-24T10:00:00", "2025-03-01T10:00:00")],
        "line 2, column visit_at, value '2025-03-01T10:00:00': visit before contact",
    ),
    "duplicate id": (
        HEADER, [GOOD, GOOD.replace("P1", "P2")],
        "line 3, column episode_id, value 'E1': duplicate episode_id in this file (also on line 2)",
    ),
    "bad date-time": (
        HEADER, [GOOD.replace("2025-03-24T10:00:00", "24.3.2025 10:00")],
        "line 2, column visit_at, value '24.3.2025 10:00': not a valid ISO 8601 date-time",
    ),
    "impossible date": (
        HEADER, [GOOD.replace("1980-01-01", "1980-02-30")],
        "line 2, column birth_date, value '1980-02-30': not a valid date",
    ),
    "missing required value": (
        HEADER, [GOOD.replace(",P1,", ",,")],
        "line 2, column person_id, value '': a value is required",
    ),
    "bad plan_based": (
        HEADER, [GOOD.replace(",false", ",yes")],
        "line 2, column plan_based, value 'yes': unknown code; allowed: true, false",
    ),
    "wrong field count": (
        HEADER, [GOOD, "E2,P2,1980-01-01"],
        "line 3, value 'E2,P2,1980-01-01': expected 13 fields, found 3",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_file_is_rejected_precisely_and_changes_nothing(case, runner, tmp_path, sqlite_db):
    header, lines, expected = BAD_CASES[case]
    ok = runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                             "--db", sqlite_db])
    assert ok.exit_code == 0
    path = write(tmp_path, *lines, header=header)
    result = runner.invoke(app, ["import", "episodes", str(path), "--db", sqlite_db])
    assert result.exit_code == 1
    assert expected in result.output
    assert "nothing was imported" in result.output
    assert count(sqlite_db) == 23


def test_non_utf8_file_names_the_line(tmp_path, runner, sqlite_db):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\n" + GOOD + "\n" + GOOD.replace("E1", "E2").replace(
        "P1", "Pää") + "\n").encode("latin-1"))
    result = runner.invoke(app, ["import", "episodes", str(path), "--db", sqlite_db])
    assert result.exit_code == 1
    assert "line 3" in result.output and "not UTF-8" in result.output
    assert count(sqlite_db) == 0


def test_bad_row_in_the_middle_of_a_large_file_imports_nothing(tmp_path, runner, any_db):
    lines = [GOOD.replace("E1", f"E{i}") for i in range(5000)]
    lines[3210] = lines[3210].replace("medical", "dental")
    path = write(tmp_path, *lines)
    result = runner.invoke(app, ["import", "episodes", str(path), "--db", any_db])
    assert result.exit_code == 1
    assert "line 3212, column service_area, value 'dental'" in result.output
    assert count(any_db) == 0


def test_error_list_is_capped_at_50_with_a_count(tmp_path):
    lines = [GOOD.replace("E1", f"E{i}").replace("medical", "x") for i in range(120)]
    with pytest.raises(EpisodeFileError) as info:
        read_episode_file(write(tmp_path, *lines))
    assert info.value.total == 120
    assert len(info.value.errors) == 50
    assert "and 70 more error(s)" in info.value.render()


def test_optional_columns_may_be_left_out_and_bom_is_accepted(tmp_path):
    header = ("episode_id,person_id,birth_date,unit_id,service_area,professional_group,"
              "urgency,contact_at,status")
    path = tmp_path / "min.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (header + "\nE1,P1,1980-01-01,U1,oral,dentist,urgent,"
                                       "2025-01-01T10:00,waiting\n").encode())
    table = read_episode_file(path).table
    assert table.num_rows == 1
    row = table.to_pylist()[0]
    assert row["assessed_at"] is None and row["plan_based"] is False


def test_offsets_are_converted_to_finnish_local_time(tmp_path):
    line = GOOD.replace("2025-03-10T08:30:00", "2025-03-10T06:30:00Z").replace(
        "2025-03-24T10:00:00", "2025-03-24T10:00:00+02:00")
    row = read_episode_file(write(tmp_path, line)).table.to_pylist()[0]
    assert row["assessed_at"].hour == 8  # UTC 06:30 = EET 08:30 in March
    assert row["visit_at"].hour == 10


def test_parquet_import_matches_csv(tmp_path, runner, sqlite_db):
    csv_table = read_episode_file(DATA / "access_hand.csv").table
    path = tmp_path / "hand.parquet"
    pq.write_table(csv_table, path)
    result = runner.invoke(app, ["import", "episodes", str(path), "--db", sqlite_db])
    assert result.exit_code == 0, result.output
    assert read_episode_file(path).table.equals(csv_table)


def test_parquet_with_unknown_column_is_rejected(tmp_path):
    table = read_episode_file(DATA / "access_hand.csv").table
    table = table.append_column("extra", pa.array(["x"] * table.num_rows))
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    assert any("column extra: unknown column" in e for e in errors_of(path))


def test_large_load_rebuilds_indexes_inside_the_transaction(monkeypatch, runner, tmp_path,
                                                             any_db):
    from sqlalchemy import inspect

    from sotekeskus.store import episodes as repo

    monkeypatch.setattr(repo, "REBUILD_INDEXES_ABOVE", 10)
    lines = [GOOD.replace("E1", f"E{i}") for i in range(50)]
    result = runner.invoke(app, ["import", "episodes", str(write(tmp_path, *lines)),
                                 "--db", any_db])
    assert result.exit_code == 0, result.output
    engine = make_engine(resolve_url(any_db))
    names = {ix["name"] for ix in inspect(engine).get_indexes("episodes")}
    assert {"ix_episodes_person_id", "ix_episodes_unit_id",
            "ix_episodes_status_urgency"} <= names
    assert count(any_db) == 50


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path):
    bad = GOOD.replace("E1", "E9").replace("medical", "dental")
    quoted = GOOD.replace("E1", "E2").replace(",U1,", ',"U\n1",')
    path = tmp_path / "f.csv"
    path.write_text("\n".join([HEADER, GOOD, "", quoted, bad]) + "\n", encoding="utf-8")
    errors = errors_of(path)
    # header 1, E1 2, blank 3, E2 on 4-5, E9 on 6
    assert any(e.startswith("line 6, column service_area, value 'dental'") for e in errors)
