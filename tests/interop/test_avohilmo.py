"""Avohilmo-style import: the hand-built extract's access report, code maps as data, errors
naming line, id, column, value (and the code table), all-or-nothing, idempotency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sotekeskus.cli import app
from sotekeskus.interop.codes import CodeMapError, load_maps
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.models import Episode

from ..conftest import DATA

HAND = DATA / "avohilmo_hand.csv"
EXPECTED = json.loads((DATA / "avohilmo_hand_expected.json").read_text())
LINES = HAND.read_text(encoding="utf-8").splitlines()
HEADER = LINES[0]


def extract(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "extract.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def episodes(db: str) -> int:
    engine = make_engine(resolve_url(db))
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Episode)).scalar_one())
    finally:
        engine.dispose()


def report(runner, db: str) -> list[dict]:
    result = runner.invoke(app, ["report", "access", "--db", db, "-f", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def test_hand_extract_gives_the_hand_computed_report(runner, any_db):
    result = runner.invoke(app, ["import", "avohilmo", str(HAND), "--db", any_db])
    assert result.exit_code == 0, result.output
    assert f"Imported {EXPECTED['imported']} episodes" in result.stdout
    assert f"Left out {EXPECTED['excluded']} rows" in result.stdout
    assert report(runner, any_db) == EXPECTED["rows"]


def test_reimport_updates_never_duplicates(runner, sqlite_db):
    for _ in range(2):
        result = runner.invoke(app, ["import", "avohilmo", str(HAND), "--db", sqlite_db])
        assert result.exit_code == 0, result.output
    assert "(0 new, 13 updated)" in result.stdout
    assert episodes(sqlite_db) == 13
    assert report(runner, sqlite_db) == EXPECTED["rows"]


def test_mapped_values_in_the_store(runner, sqlite_db):
    runner.invoke(app, ["import", "avohilmo", str(HAND), "--db", sqlite_db])
    engine = make_engine(resolve_url(sqlite_db))
    with engine.connect() as conn:
        rows = {r.episode_id: r for r in conn.execute(select(Episode))}
    engine.dispose()
    assert "V8" not in rows  # R60: not an episode
    assert (rows["V2"].contact_mode, rows["V3"].contact_mode) == ("phone", "e_service")
    assert rows["V4"].status == "done" and rows["V4"].contact_mode == "home_visit"
    assert rows["V5"].visit_nature == "TH" and rows["V5"].plan_based is True
    assert rows["V1"].visit_nature == "SH" and rows["V1"].plan_based is False
    assert rows["V6"].urgency == "urgent"
    assert (rows["V9"].status, rows["V9"].visit_at) == ("cancelled", None)  # 9: no-show
    assert rows["V10"].status == "cancelled"
    assert (rows["V11"].status, rows["V11"].visit_at) == ("waiting", None)  # 3: booked
    assert rows["N2"].professional_group == "nurse"  # 3221


def test_unmapped_code_names_code_table_line_id_column(runner, sqlite_db, tmp_path):
    bad = LINES[2].replace(",R52,", ",R99,")
    path = extract(tmp_path, LINES[1], bad, LINES[3])
    result = runner.invoke(app, ["import", "avohilmo", str(path), "--db", sqlite_db])
    assert result.exit_code == 1
    assert ("line 3, episode V2, column KAYNTI_YHTEYSTAPA, value 'R99': code not in table "
            "contact_mode (contact_mode.csv); known codes: R10, R20, R52, R56, R60"
            ) in result.output
    assert "nothing was imported" in result.output
    assert not Path(sqlite_db).exists() or episodes(sqlite_db) == 0


def test_every_coded_column_is_checked_and_counted(runner, sqlite_db, tmp_path):
    rows = [LINES[1].replace(",T11,", ",T99,"), LINES[2].replace(",2211,", ",99999,"),
            LINES[3].replace(",kiireeton,", ",K,"), LINES[4].replace(",SH,", ",XX,"),
            LINES[5].replace(",R10,T11,TH,221,7,", ",R10,T11,TH,221,77,"),
            LINES[6].replace(",kiireellinen,", ",,")]
    result = runner.invoke(app, ["import", "avohilmo", str(extract(tmp_path, *rows)),
                                 "--db", sqlite_db])
    assert result.exit_code == 1
    text = result.output
    assert "6 error(s)" in text
    for where in ("line 2, episode V1, column KAYNTI_PALVELUMUOTO, value 'T99': code not in "
                  "table service_type",
                  "line 3, episode V2, column KAYNTI_AMMATTI, value '99999': code not in "
                  "table professional",
                  "line 4, episode V3, column HTA_KIIREELLISYYS, value 'K': code not in "
                  "table urgency",
                  "line 5, episode V4, column KAYNTI_LUONNE, value 'XX': code not in "
                  "table visit_nature",
                  "line 6, episode V5, column AJANVARAUS_TILA, value '77': code not in "
                  "table booking_status",
                  "line 7, episode V6, column HTA_KIIREELLISYYS, value '': a value is "
                  "required"):
        assert where in text, where


def test_cancellation_time_on_a_realised_visit_is_an_error(runner, sqlite_db, tmp_path):
    bad = LINES[1].rstrip(",") + ",2025-03-09T10:00:00"
    result = runner.invoke(app, ["import", "avohilmo", str(extract(tmp_path, bad)),
                                 "--db", sqlite_db])
    assert result.exit_code == 1
    assert ("line 2, episode V1, column PERUUTUS_AJANKOHTA, value '2025-03-09T10:00:00': a "
            "cancellation time on a visit whose AJANVARAUS_TILA does not map to cancelled"
            ) in result.output


def test_contract_errors_come_back_in_the_extracts_lines_and_names(runner, sqlite_db,
                                                                   tmp_path):
    # line 3 is R60 (left out), so the bad row is the mapped file's 2nd row but line 4 here
    bad_date = LINES[12].replace("2025-03-03T09:00:00", "2025-13-03T09:00:00")
    late = LINES[1].replace("2025-03-10T09:00:00", "2025-03-01T09:00:00")
    result = runner.invoke(app, ["import", "avohilmo", str(extract(
        tmp_path, LINES[1], LINES[8], bad_date, late.replace("V1,", "V1b,"))),
        "--db", sqlite_db])
    assert result.exit_code == 1
    assert ("line 4, episode N1, column YHTEYDENOTTO_AJANKOHTA, value '2025-13-03T09:00:00': "
            "no such date or time of day") in result.output
    assert ("line 5, episode V1b, column KAYNTI_ALKOI, value '2025-03-01T09:00:00': visit "
            "before contact (YHTEYDENOTTO_AJANKOHTA is later)") in result.output


def test_duplicate_visit_ids_name_both_lines(runner, sqlite_db, tmp_path):
    result = runner.invoke(app, ["import", "avohilmo", str(extract(
        tmp_path, LINES[1], LINES[8], LINES[2], LINES[1])), "--db", sqlite_db])
    assert result.exit_code == 1
    assert "line 2, episode V1, column KAYNTI_TUNNISTE, value 'V1': duplicate" in result.output
    assert "also on line 5" in result.output


def test_header_must_have_every_extract_column_and_no_other(runner, sqlite_db, tmp_path):
    header = HEADER.replace("KAYNTI_LUONNE", "LUONNE")
    result = runner.invoke(app, ["import", "avohilmo", str(extract(tmp_path, header=header)),
                                 "--db", sqlite_db])
    assert result.exit_code == 1
    assert "line 1, column LUONNE: unknown column" in result.output
    assert "line 1, column KAYNTI_LUONNE: required column is missing" in result.output


def test_region_map_folder_replaces_a_shipped_table(runner, sqlite_db, tmp_path):
    maps = tmp_path / "maps"
    maps.mkdir()
    shipped = (load_maps()["professional"].path).read_text(encoding="utf-8")
    (maps / "professional.csv").write_text(
        "# table: professional, region additions (TK10 codes, checked by the region)\n"
        + shipped.split("\ncode,")[1].join(["code,", ""]) + "22110,Yleislääkärit,physician\n",
        encoding="utf-8")
    row = LINES[1].replace(",221,", ",22110,")
    path = extract(tmp_path, row)
    assert runner.invoke(app, ["import", "avohilmo", str(path), "--db", sqlite_db]
                         ).exit_code == 1
    result = runner.invoke(app, ["import", "avohilmo", str(path), "--map", str(maps),
                                 "--db", sqlite_db])
    assert result.exit_code == 0, result.output
    assert episodes(sqlite_db) == 1


def test_bad_map_files_are_refused_with_file_and_line(tmp_path):
    (tmp_path / "contactmode.csv").write_text("code,label\n")
    with pytest.raises(CodeMapError, match="contactmode.csv: not a code table"):
        load_maps(tmp_path)
    (tmp_path / "contactmode.csv").unlink()
    (tmp_path / "contact_mode.csv").write_text(
        "# local\ncode,label,contact_mode,episode\nR10,x,in_person,true\nR52,y,telepathy,true\n")
    with pytest.raises(CodeMapError, match=r"line 4: code R52: column contact_mode: "
                                           r"'telepathy' is not allowed"):
        load_maps(tmp_path)
    (tmp_path / "contact_mode.csv").write_text(
        "code,label,contact_mode,episode\nR10,x,in_person,true\nR10,y,phone,true\n")
    with pytest.raises(CodeMapError, match="line 3: code 'R10' appears twice"):
        load_maps(tmp_path)


def test_every_shipped_table_names_its_source():
    for table in load_maps().values():
        assert any(note.startswith("source:") or "LOCAL CONVENTION" in note
                   for note in table.notes), table.name
