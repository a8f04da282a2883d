"""FHIR R4 bulk export and import: every resource valid R4, export → import gives the same
store and the same figures, bad resources are refused with file, line and element."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sotekeskus.cli import app
from sotekeskus.interop.fhir.validate import R4ValidationError, validate_r4
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.models import Episode, Unit

from ..conftest import DATA

COLUMNS = [c for c in Episode.__table__.columns.keys() if c != "import_id"]


def store_rows(db: str) -> tuple[list[tuple], list[tuple]]:
    engine = make_engine(resolve_url(db))
    try:
        with engine.connect() as conn:
            episodes = sorted(tuple(getattr(r, c) for c in COLUMNS)
                              for r in conn.execute(select(Episode)))
            units = sorted(tuple(r) for r in conn.execute(
                select(Unit.unit_id, Unit.name, Unit.municipality)))
    finally:
        engine.dispose()
    return episodes, units


def report(runner, db: str) -> list[dict]:
    result = runner.invoke(app, ["report", "access", "--db", db, "-f", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def export(runner, db: str, out: Path) -> None:
    result = runner.invoke(app, ["export", "fhir", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output


def resources(folder: Path, kind: str) -> list[dict]:
    return [json.loads(line) for line in (folder / f"{kind}.ndjson").read_text().splitlines()]


@pytest.fixture
def hand_export(runner, sqlite_db, tmp_path) -> Path:
    runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"), "--db", sqlite_db])
    out = tmp_path / "export"
    export(runner, sqlite_db, out)
    return out


def test_export_import_gives_the_same_store_and_figures(runner, any_db, tmp_path):
    first = any_db
    assert runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                               "--db", first]).exit_code == 0
    units = tmp_path / "units.csv"
    units.write_text("unit_id,name,municipality\nU01,Keskusta,Kokkola\n", encoding="utf-8")
    runner.invoke(app, ["import", "units", str(units), "--db", first])
    out = tmp_path / "export"
    export(runner, first, out)
    second = str(tmp_path / "second.db")
    result = runner.invoke(app, ["import", "fhir", str(out), "--db", second])
    assert result.exit_code == 0, result.output
    assert "Imported 23 episodes" in result.stdout
    assert store_rows(second) == store_rows(first)
    assert report(runner, second) == report(runner, first)
    again = runner.invoke(app, ["import", "fhir", str(out), "--db", second])
    assert "(0 new, 23 updated)" in again.stdout  # idempotent


def test_avohilmo_episodes_with_contract_v2_values_round_trip(runner, sqlite_db, tmp_path):
    runner.invoke(app, ["import", "avohilmo", str(DATA / "avohilmo_hand.csv"),
                        "--db", sqlite_db])
    out = tmp_path / "export"
    export(runner, sqlite_db, out)
    second = str(tmp_path / "second.db")
    assert runner.invoke(app, ["import", "fhir", str(out), "--db", second]).exit_code == 0
    assert store_rows(second) == store_rows(sqlite_db)
    v5 = [e for e in resources(out, "Encounter") if e["identifier"][0]["value"] == "V5"][0]
    assert {"system": "urn:oid:1.2.246.537.6.124", "code": "TH"} in [
        c for t in v5["type"] for c in t["coding"]]


def test_every_resource_is_valid_r4_and_persons_are_pseudonymised(hand_export):
    manifest = json.loads((hand_export / "export.json").read_text())
    assert manifest["fhirVersion"] == "4.0.1"
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts == {"Organization": 3, "Location": 3, "Patient": 23, "EpisodeOfCare": 23,
                      "Encounter": 21}  # A10 (waiting) and A11 (cancelled): no care event
    for kind in counts:
        for res in resources(hand_export, kind):
            validate_r4(res)
    for p in resources(hand_export, "Patient"):
        assert set(p) == {"resourceType", "id", "identifier", "birthDate"}
        assert p["identifier"][0]["system"] == "urn:sotekeskus:pseudonym"


def test_encounters_carry_the_hilmo_contact_mode_codes(hand_export):
    by_episode = {e["identifier"][0]["value"]: e for e in resources(hand_export, "Encounter")}
    codes = {k: [c["code"] for t in e.get("type", []) for c in t["coding"]]
             for k, e in by_episode.items()}
    assert codes["A1"] == ["R10", "in_person"]  # R10 visit at the unit
    assert codes["A2"] == ["R52", "phone"]  # R52 real-time remote contact (the map's phone)
    assert codes["A3"] == ["video"]  # no one-to-one Hilmo code for video in the shipped map
    assert by_episode["A2"]["class"]["code"] == "VR"
    assert by_episode["A1"]["period"]["start"] == "2025-03-10T09:00:00+02:00"


def test_r5_shaped_resources_are_not_r4(hand_export, runner, tmp_path):
    lines = (hand_export / "Encounter.ndjson").read_text().splitlines()
    bad = json.loads(lines[1])
    bad["class"] = [{"coding": [bad["class"]]}]  # R5: Encounter.class is 0..* CodeableConcept
    with pytest.raises(R4ValidationError, match="not valid FHIR R4"):
        validate_r4(bad)
    lines[1] = json.dumps(bad)
    (hand_export / "Encounter.ndjson").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["import", "fhir", str(hand_export),
                                 "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert "Encounter.ndjson line 2: Encounter/enc-A10" not in result.output  # A10 has none
    assert "Encounter.ndjson line 2:" in result.output and "not valid FHIR R4" in result.output
    assert "nothing was imported" in result.output


def test_broken_references_and_mappings_name_file_line_element(hand_export, runner, tmp_path):
    lines = (hand_export / "EpisodeOfCare.ndjson").read_text().splitlines()
    first = json.loads(lines[0])
    first["patient"]["reference"] = "Patient/nobody"
    third = json.loads(lines[2])
    third["status"] = "onhold"
    lines[0], lines[2] = json.dumps(first), json.dumps(third)
    (hand_export / "EpisodeOfCare.ndjson").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["import", "fhir", str(hand_export),
                                 "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert ("EpisodeOfCare.ndjson line 3, episode A11, column status: 'onhold' is not one of "
            "finished, waitlist, cancelled") in result.output


def test_contract_errors_name_the_episode_of_care_line(hand_export, runner, tmp_path):
    lines = (hand_export / "EpisodeOfCare.ndjson").read_text().splitlines()
    res = json.loads(lines[4])
    res["period"]["start"] = "2026-01-01T08:00:00+02:00"  # after its assessment and visit
    lines[4] = json.dumps(res)
    (hand_export / "EpisodeOfCare.ndjson").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["import", "fhir", str(hand_export),
                                 "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    ident = res["identifier"][0]["value"]
    assert (f"EpisodeOfCare.ndjson line 5, episode {ident}, column assessed_at"
            ) in result.output
    assert "assessment before contact" in result.output


def test_a_missing_file_is_named(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["import", "fhir", str(tmp_path / "empty"),
                                 "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert "missing file(s): Organization.ndjson, Patient.ndjson, EpisodeOfCare.ndjson" in (
        result.output)


def test_a_person_with_two_birth_dates_round_trips(runner, sqlite_db, tmp_path):
    header = (DATA / "access_hand.csv").read_text().splitlines()[0]
    rows = ["X1,P,1980-01-01,U1,medical,nurse,non_urgent,2025-03-01T08:00:00,,,,waiting,",
            "X2,P,1980-01-01,U1,medical,nurse,non_urgent,2025-03-02T08:00:00,,,,waiting,",
            "X3,P,1981-02-02,U1,medical,nurse,non_urgent,2025-03-03T08:00:00,,,,waiting,"]
    path = tmp_path / "e.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    runner.invoke(app, ["import", "episodes", str(path), "--db", sqlite_db])
    out = tmp_path / "export"
    export(runner, sqlite_db, out)
    assert [p["birthDate"] for p in resources(out, "Patient")] == ["1980-01-01"]
    second = str(tmp_path / "second.db")
    assert runner.invoke(app, ["import", "fhir", str(out), "--db", second]).exit_code == 0
    assert store_rows(second) == store_rows(sqlite_db)
