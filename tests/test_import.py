"""Episode import: the contract (v1 and v2 columns), precise errors, all-or-nothing,
idempotency, streaming and a busy store (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from sotekeskus.cli import app
from sotekeskus.ingest.episode_file import EpisodeScan, open_episode_file, read_episode_file
from sotekeskus.ingest.errors import EpisodeFileError, StoreBusyError
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.episodes import data_version, upsert_episodes
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import Episode, ImportRun

from .conftest import DATA

HEADER = ("episode_id,person_id,birth_date,unit_id,service_area,professional_group,urgency,"
          "contact_at,assessed_at,visit_at,contact_mode,status,plan_based")
GOOD = ("E1,P1,1980-01-01,U1,medical,physician,non_urgent,2025-03-10T08:00:00,"
        "2025-03-10T08:30:00,2025-03-24T10:00:00,in_person,done,false")
V2 = ",diagnosis_codes,visit_nature,professional_id,care_plan"


def write(tmp_path: Path, *lines: str, name: str = "f.csv", header: str = HEADER,
          end: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes((end.join([header, *lines]) + end).encode("utf-8"))
    return path


def engine_of(db: str):  # type: ignore[no-untyped-def]
    engine = make_engine(resolve_url(db))
    upgrade(engine)
    return engine


def count(db: str) -> int:
    with engine_of(db).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Episode)).scalar_one())


def episode(db: str, episode_id: str) -> Episode:
    with engine_of(db).connect() as conn:
        return conn.execute(select(Episode).where(Episode.episode_id == episode_id)).one()


def errors_of(path: Path) -> list[str]:
    with pytest.raises(EpisodeFileError) as info:
        read_episode_file(path)
    return [str(e) for e in info.value.errors]


def imported(runner, path: Path, db: str) -> str:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["import", "episodes", str(path), "--db", db])
    assert result.exit_code == 0, result.output
    return str(result.output)


def refused(runner, path: Path, db: str) -> str:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["import", "episodes", str(path), "--db", db])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return str(result.output)


# ---- all-or-nothing and idempotent --------------------------------------------------------
def test_import_hand_file_and_reimport_is_idempotent(runner, any_db):
    assert "23 new, 0 updated" in imported(runner, DATA / "access_hand.csv", any_db)
    assert count(any_db) == 23
    assert "0 new, 23 updated" in imported(runner, DATA / "access_hand.csv", any_db)
    assert count(any_db) == 23
    with engine_of(any_db).connect() as conn:
        runs = conn.execute(select(ImportRun).order_by(ImportRun.id)).all()
    assert [(r.rows, r.inserted, r.updated) for r in runs] == [(23, 23, 0), (23, 0, 23)]
    assert len(runs[0].sha256) == 64


def test_reimport_updates_changed_row(runner, tmp_path, any_db):
    imported(runner, write(tmp_path, GOOD, name="a.csv"), any_db)
    changed = GOOD.replace("2025-03-24T10:00:00", "2025-03-20T10:00:00").replace(
        "in_person", "video")
    imported(runner, write(tmp_path, changed, name="b.csv"), any_db)
    row = episode(any_db, "E1")
    assert row.visit_at.day == 20 and row.contact_mode == "video"
    assert count(any_db) == 1


# ---- the contract: every column in the header ---------------------------------------------
def test_file_without_assessed_at_column_is_refused_and_cannot_blank_the_store(
        runner, tmp_path, any_db):
    imported(runner, write(tmp_path, GOOD, name="a.csv"), any_db)
    header = HEADER.replace(",assessed_at", "")
    line = GOOD.replace(",2025-03-10T08:30:00", "")
    out = refused(runner, write(tmp_path, line, header=header, name="b.csv"), any_db)
    assert "line 1, column assessed_at: required column is missing from the header" in out
    assert episode(any_db, "E1").assessed_at is not None


@pytest.mark.parametrize("column", ["visit_at", "contact_mode", "plan_based"])
def test_every_optional_v1_column_must_be_in_the_header(tmp_path, column):
    names = HEADER.split(",")
    i = names.index(column)
    values = GOOD.split(",")
    path = write(tmp_path, ",".join(values[:i] + values[i + 1:]),
                 header=",".join(names[:i] + names[i + 1:]))
    assert any(e.startswith(f"line 1, column {column}: required column is missing")
               for e in errors_of(path))


def test_columns_in_any_order_and_a_bom_are_accepted(tmp_path):
    names, values = HEADER.split(","), GOOD.split(",")
    order = list(reversed(range(len(names))))
    path = tmp_path / "rev.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (",".join(names[i] for i in order) + "\n"
                                       + ",".join(values[i] for i in order) + "\n").encode())
    row = read_episode_file(path).table.to_pylist()[0]
    assert row["episode_id"] == "E1" and row["visit_at"].day == 24
    assert read_episode_file(path).table.column_names == names  # contract order


# ---- contract version 2 --------------------------------------------------------------------
V2_GOOD = GOOD + ",e11.9 | I10|t90,SH,D7,TRUE"


def test_v2_columns_are_stored_normalised_and_reach_the_snapshot(runner, tmp_path, any_db):
    imported(runner, write(tmp_path, V2_GOOD, header=HEADER + V2), any_db)
    row = episode(any_db, "E1")
    assert (row.diagnosis_codes, row.visit_nature, row.professional_id, row.care_plan) == (
        "E11.9|I10|T90", "SH", "D7", True)
    from sotekeskus.analytics.engine import Analytics
    from sotekeskus.analytics.source import snapshot_path

    Analytics.open(any_db)
    con = duckdb.connect(str(snapshot_path(resolve_url(any_db))), read_only=True)
    got = con.execute("SELECT diagnosis_codes, visit_nature, professional_id, care_plan "
                      "FROM episodes").fetchall()
    con.close()
    assert got == [("E11.9|I10|T90", "SH", "D7", True)]


def test_v1_reimport_keeps_v2_values_and_v2_empty_values_clear_them(runner, tmp_path, any_db):
    imported(runner, write(tmp_path, V2_GOOD, header=HEADER + V2, name="v2.csv"), any_db)
    imported(runner, write(tmp_path, GOOD.replace("in_person", "phone"), name="v1.csv"), any_db)
    row = episode(any_db, "E1")
    assert row.contact_mode == "phone"  # the v1 columns were updated ...
    assert (row.diagnosis_codes, row.professional_id, row.care_plan) == (
        "E11.9|I10|T90", "D7", True)  # ... the v2 ones kept
    imported(runner, write(tmp_path, GOOD + ",,,,", header=HEADER + V2, name="e.csv"), any_db)
    row = episode(any_db, "E1")
    assert (row.diagnosis_codes, row.visit_nature, row.professional_id, row.care_plan) == (
        None, None, None, None)


def test_a_subset_of_v2_columns_is_accepted(tmp_path):
    path = write(tmp_path, GOOD + ",D1", header=HEADER + ",professional_id")
    table = read_episode_file(path).table
    assert table.column_names[-1] == "professional_id"
    assert table.column("professional_id").to_pylist() == ["D1"]


@pytest.mark.parametrize(("value", "column", "message"), [
    ("E11.9|banana,SH,D1,true", "diagnosis_codes", "not a list of ICD-10 / ICPC-2 codes"),
    ("E11||I10,SH,D1,true", "diagnosis_codes", "not a list of ICD-10 / ICPC-2 codes"),
    ("E11,XX,D1,true", "visit_nature", "unknown code; allowed: SH, TH"),
    ("E11,SH,D1,yes", "care_plan", "unknown code; allowed: true, false"),
    ("E11,SH,D\x071,true", "professional_id", "contains a control character"),
])
def test_bad_v2_values_are_refused(tmp_path, value, column, message):
    errors = errors_of(write(tmp_path, f"{GOOD},{value}", header=HEADER + V2))
    assert len(errors) == 1
    assert errors[0].startswith(f"line 2, episode E1, column {column}, value ")
    assert message in errors[0]


def test_parquet_view_has_v2_columns_even_when_the_file_has_none(tmp_path):
    from sotekeskus.analytics.source import EPISODE_SELECT

    path = tmp_path / "v1.parquet"
    pq.write_table(read_episode_file(DATA / "access_hand.csv").table, path)
    con = duckdb.connect()
    rows = con.execute(EPISODE_SELECT.format(
        plan_based="plan_based", source=f"read_parquet('{path}')")).to_arrow_table()
    assert rows.num_rows == 23
    assert rows.column("care_plan").null_count == 23
    assert rows.schema.field("care_plan").type == pa.bool_()


# ---- errors that name line, episode, column and value ---------------------------------------
BAD_CASES = {
    "unknown column": (
        HEADER + ",ssn", [GOOD + ",123"], "line 1, column ssn: unknown column"),
    "unknown code": (
        HEADER, [GOOD.replace("physician", "surgeon")],
        "line 2, episode E1, column professional_group, value 'surgeon': unknown code; "
        "allowed: physician, nurse"),
    "done without visit": (
        HEADER, [GOOD.replace("2025-03-24T10:00:00", "")],
        "line 2, episode E1, column visit_at, value '': status 'done' requires visit_at"),
    "visit before contact": (
        HEADER, [GOOD.replace("2025-03-24T10:00:00", "2025-03-01T10:00:00")],
        "line 2, episode E1, column visit_at, value '2025-03-01T10:00:00': visit before "
        "contact"),
    "duplicate id": (
        HEADER, [GOOD, GOOD.replace("P1", "P2")],
        "line 3, episode E1, column episode_id, value 'E1': duplicate episode_id in this "
        "file (also on line 2)"),
    "bad date-time": (
        HEADER, [GOOD.replace("2025-03-24T10:00:00", "24.3.2025 10:00")],
        "line 2, episode E1, column visit_at, value '24.3.2025 10:00': not an ISO 8601 "
        "date-time"),
    "impossible date": (
        HEADER, [GOOD.replace("1980-01-01", "1980-02-30")],
        "line 2, episode E1, column birth_date, value '1980-02-30': no such date"),
    "missing required value": (
        HEADER, [GOOD.replace(",P1,", ",,")],
        "line 2, episode E1, column person_id, value '': a value is required"),
    "missing episode id": (
        HEADER, [GOOD.replace("E1,", ",", 1)],
        "line 2, column episode_id, value '': a value is required"),
    "bad plan_based": (
        HEADER, [GOOD.replace(",false", ",yes")],
        "line 2, episode E1, column plan_based, value 'yes': unknown code; allowed: true, "
        "false"),
    "wrong field count": (
        HEADER, [GOOD, "E2,P2,1980-01-01"],
        "line 3, value 'E2,P2,1980-01-01': expected 13 fields, found 3"),
    "unclosed quote": (
        HEADER, [GOOD, GOOD.replace("E1", "E2").replace(",U1,", ',"U1,')],
        "line 3, value "),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_file_is_rejected_precisely_and_changes_nothing(case, runner, tmp_path, sqlite_db):
    header, lines, expected = BAD_CASES[case]
    imported(runner, DATA / "access_hand.csv", sqlite_db)
    version = data_version(engine_of(sqlite_db))
    out = refused(runner, write(tmp_path, *lines, header=header), sqlite_db)
    assert expected in out
    assert "nothing was imported" in out
    assert count(sqlite_db) == 23
    assert data_version(engine_of(sqlite_db)) == version


def test_non_utf8_file_names_the_line(tmp_path, runner, sqlite_db):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\n" + GOOD + "\n" + GOOD.replace("E1", "E2").replace(
        "P1", "Pää") + "\n").encode("latin-1"))
    out = refused(runner, path, sqlite_db)
    assert "line 3" in out and "not UTF-8 (byte 0xe4" in out
    assert count(sqlite_db) == 0


def test_error_list_is_capped_at_50_with_a_count(tmp_path):
    lines = [GOOD.replace("E1", f"E{i}").replace("medical", "x") for i in range(120)]
    with pytest.raises(EpisodeFileError) as info:
        read_episode_file(write(tmp_path, *lines))
    assert info.value.total == 120
    assert len(info.value.errors) == 50
    assert str(info.value.errors[0]).startswith("line 2, episode E0, column service_area")
    assert "and 70 more error(s)" in info.value.render()


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path):
    bad = GOOD.replace("E1", "E9").replace("medical", "dental")
    quoted = GOOD.replace("E1", "E2").replace(",U1,", ',"U\n1",')
    path = tmp_path / "f.csv"
    path.write_text("\n".join([HEADER, GOOD, "", quoted, bad]) + "\n", encoding="utf-8")
    errors = errors_of(path)
    # header 1, E1 2, blank 3, E2 on 4-5 (an id cannot hold a line break), E9 on 6
    assert errors == [
        "line 4, episode E2, column unit_id, value 'U\\n1': contains a control character "
        "(NUL, tab, line break …); an id is printable text",
        "line 6, episode E9, column service_area, value 'dental': unknown code; "
        "allowed: medical, oral, mental, substance, social"]


def test_header_with_spaces_around_names_is_accepted(tmp_path):
    path = write(tmp_path, GOOD, header=HEADER.replace(",", " , ") + " ")
    assert read_episode_file(path).table.num_rows == 1


def test_header_name_with_inner_space_is_an_unknown_column(tmp_path):
    errors = errors_of(write(tmp_path, GOOD, header=HEADER.replace("unit_id", "unit id")))
    assert any(e.startswith("line 1, column unit id: unknown column") for e in errors)
    assert any(e.startswith("line 1, column unit_id: required column is missing")
               for e in errors)


def test_cr_only_line_endings_are_read_and_lines_counted(tmp_path):
    ok = write(tmp_path, GOOD, GOOD.replace("E1", "E2"), end="\r", name="ok.csv")
    assert read_episode_file(ok).table.column("episode_id").to_pylist() == ["E1", "E2"]
    bad = write(tmp_path, GOOD, GOOD.replace("E1", "E2").replace("oral", "x").replace(
        "medical", "dental"), end="\r", name="bad.csv")
    assert errors_of(bad)[0].startswith("line 3, episode E2, column service_area")


@pytest.mark.parametrize("value", ["infinity", "-infinity", "inf", "nan", "NaN", "epoch",
                                   "2025-3-24", "2025-03-24T1:00", "2025-03-24T24:00:00",
                                   "99999-01-01T00:00:00", "2025-03-24T10:00:00+99:99",
                                   "2025-03-24T10:00:00+0200", "2025-03-24T10:00:00 +02:00",
                                   "20250324T100000", "now", "2025-03-24T10:00:00.5.5"])
def test_strict_iso_8601_date_times(tmp_path, value):
    errors = errors_of(write(tmp_path, GOOD.replace("2025-03-24T10:00:00", value)))
    assert len(errors) == 1
    assert errors[0].startswith(f"line 2, episode E1, column visit_at, value {value!r}: ")
    assert ("not an ISO 8601 date-time" in errors[0] or "UTC offset not allowed" in errors[0]
            or "no such date or time" in errors[0])


@pytest.mark.parametrize(("value", "message"), [
    ("2999-03-24T10:00:00", "year outside 1900–2100"),
    ("2025-02-29T10:00:00", "no such date or time of day"),
    ("2025-03-24T10:00:00+15:00", "UTC offset not allowed"),
])
def test_date_times_out_of_range(tmp_path, value, message):
    errors = errors_of(write(tmp_path, GOOD.replace("2025-03-24T10:00:00", value)))
    assert errors == [f"line 2, episode E1, column visit_at, value {value!r}: {message}"
                      + ("" if message != "UTC offset not allowed" else
                         ": use Z or ±HH:MM between -14:00 and +14:00")]


@pytest.mark.parametrize("value", ["infinity", "nan", "1980-1-1", "99999-01-01", "1800-01-01"])
def test_birth_date_is_strict(tmp_path, value):
    errors = errors_of(write(tmp_path, GOOD.replace("1980-01-01", value)))
    assert len(errors) == 1 and errors[0].startswith(
        f"line 2, episode E1, column birth_date, value {value!r}: ")


@pytest.mark.parametrize(("column", "value", "message"), [
    ("episode_id", "E\x001", "contains a control character"),
    ("person_id", "P\x071", "contains a control character"),
    ("unit_id", "U\t1", "contains a control character"),
    ("person_id", "\x85P", "contains a control character"),
    ("person_id", "nan", "not an id"),
    ("unit_id", "-inf", "not an id"),
    ("episode_id", "Infinity", "not an id"),
    ("person_id", "P" * 65, "longer than 64 characters"),
])
def test_ids_must_be_printable_text(tmp_path, column, value, message):
    values = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    values[column] = value
    errors = errors_of(write(tmp_path, ",".join(values.values())))
    assert len(errors) == 1
    assert f"column {column}, value {value[:57]!r}" in errors[0] or \
        f"column {column}, value {(value[:57] + '...')!r}" in errors[0]
    assert message in errors[0]


@pytest.mark.parametrize("value", ["infinity", "nan", "inf"])
def test_non_numbers_in_coded_fields_list_the_codes(tmp_path, value):
    errors = errors_of(write(tmp_path, GOOD.replace("in_person", value)))
    assert errors == [f"line 2, episode E1, column contact_mode, value {value!r}: unknown "
                      "code; allowed: in_person, home_visit, phone, video, chat, e_service"]


def test_header_only_file_is_a_clean_zero_row_import(runner, tmp_path, any_db):
    imported(runner, DATA / "access_hand.csv", any_db)
    version = data_version(engine_of(any_db))
    out = imported(runner, write(tmp_path), any_db)
    assert "Imported 0 episodes" in out and "(0 new, 0 updated)" in out
    assert count(any_db) == 23
    assert data_version(engine_of(any_db)) == version  # nothing changed: no snapshot rebuild


def test_empty_file_is_refused(tmp_path, runner, sqlite_db):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "line 1: the file is empty" in refused(runner, path, sqlite_db)


# ---- date-times: offsets and the autumn fall-back hour ------------------------------------
def test_offsets_are_converted_to_finnish_local_time(tmp_path):
    line = GOOD.replace("2025-03-10T08:30:00", "2025-03-10T06:30:00Z").replace(
        "2025-03-24T10:00:00", "2025-03-24T10:00:00+02:00")
    row = read_episode_file(write(tmp_path, line)).table.to_pylist()[0]
    assert row["assessed_at"].hour == 8  # UTC 06:30 = EET 08:30 in March
    assert row["visit_at"].hour == 10


# On 2025-10-26 Finnish clocks go back from 04:00 EEST (+03) to 03:00 EET (+02): local
# 03:00-03:59 happens twice. Contact at 00:30Z = 03:30 EEST; assessment at 03:10+02:00 =
# 01:10Z, 40 minutes later though its local time is earlier; the visit at local 03:20 is
# either 00:20Z or 01:20Z, and 01:20Z is after the assessment.
DST_CONTACT, DST_ASSESSED, DST_VISIT = (
    "2025-10-26T00:30:00Z", "2025-10-26T03:10:00+02:00", "2025-10-26T03:20:00")


def test_order_checks_compare_instants_in_the_autumn_fall_back_hour(tmp_path, runner,
                                                                    sqlite_db):
    line = GOOD.replace("2025-03-10T08:00:00", DST_CONTACT).replace(
        "2025-03-10T08:30:00", DST_ASSESSED).replace("2025-03-24T10:00:00", DST_VISIT)
    imported(runner, write(tmp_path, line), sqlite_db)
    row = episode(sqlite_db, "E1")
    assert (row.contact_at.hour, row.contact_at.minute) == (3, 30)  # local wall-clock time
    assert (row.assessed_at.hour, row.assessed_at.minute) == (3, 10)
    assert (row.visit_at.hour, row.visit_at.minute) == (3, 20)


def test_order_checks_still_refuse_a_wrong_order_around_the_fall_back_hour(tmp_path):
    line = GOOD.replace("2025-03-10T08:00:00", DST_CONTACT).replace(
        "2025-03-10T08:30:00", DST_ASSESSED).replace("2025-03-24T10:00:00",
                                                     "2025-10-26T01:05:00Z")
    assert errors_of(write(tmp_path, line)) == [
        "line 2, episode E1, column visit_at, value '2025-10-26T01:05:00Z': visit before "
        "assessment (assessed_at is later)"]
    # local 03:20 is at the latest 01:20Z: before an assessment at 01:30Z
    line = GOOD.replace("2025-03-10T08:00:00", DST_CONTACT).replace(
        "2025-03-10T08:30:00", "2025-10-26T01:30:00Z").replace("2025-03-24T10:00:00",
                                                               DST_VISIT)
    assert errors_of(write(tmp_path, line)) == [
        f"line 2, episode E1, column visit_at, value {DST_VISIT!r}: visit before assessment "
        "(assessed_at is later)"]


def test_spring_forward_local_times_are_compared_as_written(tmp_path):
    line = GOOD.replace("2025-03-10T08:00:00", "2025-03-30T02:50:00").replace(
        "2025-03-10T08:30:00", "2025-03-30T03:10:00").replace("2025-03-24T10:00:00",
                                                              "2025-03-30T04:05:00")
    assert read_episode_file(write(tmp_path, line)).table.num_rows == 1


# ---- streaming: batches, rollback, duplicates across batches ------------------------------
def test_bad_row_in_the_middle_of_a_large_file_imports_nothing(tmp_path, runner, any_db):
    lines = [GOOD.replace("E1", f"E{i}") for i in range(5000)]
    lines[3210] = lines[3210].replace("medical", "dental")
    out = refused(runner, write(tmp_path, *lines), any_db)
    assert "line 3212, episode E3210, column service_area, value 'dental'" in out
    assert count(any_db) == 0


def test_invalid_row_after_written_batches_rolls_everything_back(tmp_path, any_db):
    engine = engine_of(any_db)
    upsert_episodes(engine, read_episode_file(DATA / "access_hand.csv").table,
                    file_name="hand")
    before = data_version(engine)
    lines = [GOOD.replace("E1", f"E{i}") for i in range(100)]
    lines[95] = lines[95].replace("urgent", "soon")
    scan = EpisodeScan(open_episode_file(write(tmp_path, *lines)), batch_rows=10)
    with pytest.raises(EpisodeFileError, match="line 97, episode E95, column urgency"):
        upsert_episodes(engine, scan, file_name="f.csv")
    assert count(any_db) == 23
    assert data_version(engine) == before


def test_duplicate_ids_in_different_batches_are_found_and_nothing_is_written(tmp_path,
                                                                            any_db):
    lines = [GOOD.replace("E1", f"E{i}") for i in range(60)]
    lines[55] = lines[55].replace("E55", "E3")
    engine = engine_of(any_db)
    scan = EpisodeScan(open_episode_file(write(tmp_path, *lines)), batch_rows=16)
    with pytest.raises(EpisodeFileError) as info:
        upsert_episodes(engine, scan, file_name="f.csv")
    assert [str(e) for e in info.value.errors] == [
        "line 5, episode E3, column episode_id, value 'E3': duplicate episode_id in this "
        "file (also on line 57)",
        "line 57, episode E3, column episode_id, value 'E3': duplicate episode_id in this "
        "file (also on line 5)"]
    assert count(any_db) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportRun)).scalar_one() == 0


def test_a_crash_mid_write_leaves_the_previous_state(tmp_path, any_db):
    engine = engine_of(any_db)
    upsert_episodes(engine, read_episode_file(DATA / "access_hand.csv").table,
                    file_name="hand")

    class Crashing:
        columns = list(read_episode_file(DATA / "access_hand.csv").table.column_names)
        sha256 = ""

        def __iter__(self):  # type: ignore[no-untyped-def]
            table = read_episode_file(DATA / "access_hand.csv").table
            yield table.to_batches()[0].slice(0, 5)
            raise RuntimeError("disk on fire")

        def duplicates_error(self) -> Exception:
            return ValueError()

    with pytest.raises(RuntimeError, match="disk on fire"):
        upsert_episodes(engine, Crashing(), file_name="x")
    assert count(any_db) == 23
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportRun)).scalar_one() == 1


def test_large_load_rebuilds_the_stores_indexes_inside_the_transaction(monkeypatch, runner,
                                                                        tmp_path, any_db):
    from sqlalchemy import inspect, text

    from sotekeskus.store import episodes as repo

    engine = engine_of(any_db)
    with engine.begin() as conn:  # an index a later feature might add
        conn.execute(text("CREATE INDEX ix_test_person ON episodes (person_id)"))
    monkeypatch.setattr(repo, "REBUILD_INDEXES_ABOVE", 10)
    lines = [GOOD.replace("E1", f"E{i}") for i in range(50)]
    imported(runner, write(tmp_path, *lines), any_db)
    names = {ix["name"] for ix in inspect(engine_of(any_db)).get_indexes("episodes")}
    assert "ix_test_person" in names
    assert count(any_db) == 50


def test_the_episodes_table_has_no_secondary_indexes(any_db):
    from sqlalchemy import inspect

    assert inspect(engine_of(any_db)).get_indexes("episodes") == []


# ---- Parquet --------------------------------------------------------------------------------
def test_parquet_import_matches_csv(tmp_path, runner, sqlite_db):
    csv_table = read_episode_file(DATA / "access_hand.csv").table
    path = tmp_path / "hand.parquet"
    pq.write_table(csv_table, path)
    imported(runner, path, sqlite_db)
    assert read_episode_file(path).table.equals(csv_table)
    assert count(sqlite_db) == 23


def test_parquet_with_unknown_column_is_rejected(tmp_path):
    table = read_episode_file(DATA / "access_hand.csv").table
    table = table.append_column("extra", pa.array(["x"] * table.num_rows))
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    assert any("column extra: unknown column" in e for e in errors_of(path))


def test_parquet_errors_name_the_row_and_episode(tmp_path):
    table = read_episode_file(DATA / "access_hand.csv").table
    ids = table.column("episode_id").to_pylist()
    person = table.column("person_id").to_pylist()
    person[4] = "nan"
    table = table.set_column(1, "person_id", pa.array(person))
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    assert errors_of(path) == [f"row 5, episode {ids[4]}, column person_id, value 'nan': "
                               "not an id: nan / inf is what a spreadsheet writes for a "
                               "missing number"]


# ---- a busy store -----------------------------------------------------------------------------
def _hold_write_lock(db: str) -> sqlite3.Connection:
    engine_of(db)  # migrated
    con = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")
    return con


def test_import_into_a_store_another_writer_holds_fails_clearly(tmp_path, sqlite_db, runner):
    holder = _hold_write_lock(sqlite_db)
    try:
        engine = engine_of(sqlite_db)
        with pytest.raises(StoreBusyError, match="the store is busy"):
            upsert_episodes(engine, EpisodeScan(open_episode_file(write(tmp_path, GOOD))),
                            file_name="f.csv", busy_timeout_s=0.2)
        from sotekeskus.store import episodes as repo

        original = repo.BUSY_TIMEOUT_S
        repo.BUSY_TIMEOUT_S = 0.2
        try:
            result = runner.invoke(app, ["import", "episodes", str(write(tmp_path, GOOD)),
                                         "--db", sqlite_db])
        finally:
            repo.BUSY_TIMEOUT_S = original
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert "the store is busy" in result.output and "Traceback" not in result.output
    assert count(sqlite_db) == 0


def test_import_waits_for_a_writer_that_finishes_in_time(tmp_path, sqlite_db):
    holder = _hold_write_lock(sqlite_db)
    release = threading.Timer(0.3, holder.rollback)
    release.start()
    started = time.monotonic()
    try:
        result = upsert_episodes(engine_of(sqlite_db),
                                 EpisodeScan(open_episode_file(write(tmp_path, GOOD))),
                                 file_name="f.csv", busy_timeout_s=10)
    finally:
        release.join()
        holder.close()
    assert result.inserted == 1
    assert time.monotonic() - started >= 0.25


def test_postgres_import_waits_for_another_import_then_fails_clearly(tmp_path, pg_db):
    from sqlalchemy import text

    engine = engine_of(pg_db)
    with engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(hashtext('sotekeskus.import'))"))
        with pytest.raises(StoreBusyError, match="the store is busy"):
            upsert_episodes(engine, EpisodeScan(open_episode_file(write(tmp_path, GOOD))),
                            file_name="f.csv", busy_timeout_s=0.2)
        other.execute(text("SELECT pg_advisory_unlock(hashtext('sotekeskus.import'))"))
    assert count(pg_db) == 0


# ---- the fast path agrees with the rules ------------------------------------------------
def test_fast_clean_test_never_passes_a_row_that_breaks_a_rule():
    """``scan_sql`` counts a row's errors only when its cheap clean test fails: that test
    must never pass a row that breaks a rule (every value below is tried in every column)."""
    from sotekeskus.ingest.episode_checks import errors_sql, scan_sql

    values = ["", " ", "E1", " P1 ", "nan", "-inf", "x" * 65, "P\x00", "U\t1", "\x85",
              "medical", "oral", "physician", "urgent", "non_urgent", "in_person", "done",
              "waiting", "true", "FALSE", "yes", "1980-01-01", "1980-1-1", "1899-12-31",
              "1980-02-30", "2025-03-10T08:00:00", "2025-03-10 08:00", "2025-03-10",
              "2025-03-10T24:00:00", "2025-03-10T08:00:00Z", "2025-03-10T08:00:00+02:00",
              "2025-03-10T08:00:00+99:99", "2025-10-26T03:30:00", "2025-10-26T00:30:00Z",
              "2025-10-26T03:10:00+02:00", "2999-01-01T00:00:00", "2025-03-1 T08:00:00",
              "E11.9|I10", "e11 | t90", "E11||I10", "SH", "TH", "sh", "D1"]
    clean = GOOD + ",E11.9|I10|T90,SH,D7,true"  # passes the fast test as it is
    good = dict(zip((HEADER + V2).split(","), clean.split(","), strict=True))
    columns = list(good)
    rows = []
    for column in columns:
        for value in values:
            row = dict(good)
            row[column] = value
            rows.append(row)
    for i, value in enumerate(values):  # pairs of date-times too
        row = dict(good)
        row["visit_at"], row["assessed_at"] = value, values[(i * 7) % len(values)]
        rows.append(row)
    table = pa.Table.from_pylist(rows)
    con = duckdb.connect()
    con.register("src", table)
    scanned = con.execute(scan_sql("src", columns)).to_arrow_table().column(
        "__errors").to_pylist()
    con.register("numbered", table.append_column("__ordinal", pa.array(range(len(rows)))))
    errors = errors_sql("numbered", columns)
    counts = dict(con.execute(f"SELECT __ordinal, count(*) FROM ({errors}) GROUP BY 1"
                              ).fetchall())
    assert [counts.get(i, 0) for i in range(len(rows))] == scanned
    assert scanned.count(0) > 100 and sum(scanned) > 100
