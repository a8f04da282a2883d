"""Quarantine mode on both imports and the data-quality report, with exact counts."""

from __future__ import annotations

import json
from pathlib import Path

from sotekeskus.cli import app

from ..conftest import DATA

HEADER = ("episode_id,person_id,birth_date,unit_id,service_area,professional_group,urgency,"
          "contact_at,assessed_at,visit_at,contact_mode,status,plan_based")
ROWS = [
    # U1, 2025-03: 4 valid (one without assessment, one without contact mode, one urgent)
    "E1,P1,1980-01-01,U1,medical,physician,non_urgent,2025-03-03T08:00,2025-03-03T09:00,"
    "2025-03-10T10:00,in_person,done,false",
    "E2,P2,1980-01-01,U1,medical,physician,non_urgent,2025-03-03T08:00,,2025-03-11T10:00,"
    "phone,done,false",
    "E3,P3,1980-01-01,U1,medical,nurse,non_urgent,2025-03-03T08:00,2025-03-03T09:00,"
    "2025-03-12T10:00,,done,false",
    "E4,P4,1980-01-01,U1,medical,nurse,urgent,2025-03-03T08:00,2025-03-03T09:00,"
    "2025-03-03T10:00,in_person,done,false",
    # U1, 2025-03 rejected: an invalid code + an order violation on one row (line 6)
    "E5,P5,1980-01-01,U1,medical,doctor,non_urgent,2025-03-03T08:00,2025-03-02T09:00,"
    "2025-03-12T10:00,in_person,done,false",
    # U1: missing professional group (line 7)
    "E6,P6,1980-01-01,U1,medical,,non_urgent,2025-03-04T08:00,2025-03-04T09:00,"
    "2025-03-12T10:00,in_person,done,false",
    # U2, 2025-04: a duplicate id on two lines (8, 9) and a bad date (line 10)
    "E7,P7,1980-01-01,U2,oral,dentist,non_urgent,2025-04-01T08:00,2025-04-01T09:00,"
    "2025-04-20T10:00,in_person,done,false",
    "E7,P7,1980-01-01,U2,oral,dentist,non_urgent,2025-04-01T08:00,2025-04-01T09:00,"
    "2025-04-21T10:00,in_person,done,false",
    "E8,P8,1980-01-01,U2,oral,dentist,non_urgent,2025-04-31T08:00,,,,waiting,false",
    # U2, 2025-04 valid, waiting
    "E9,P9,1980-01-01,U2,oral,dental_hygienist,non_urgent,2025-04-02T08:00,2025-04-02T09:00,"
    ",,waiting,false",
    # a line the reader cannot split (line 12)
    "E10,P10,1980-01-01,U2",
]


def episodes_file(tmp_path: Path) -> Path:
    path = tmp_path / "episodes.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def dq(runner, db: str, *args: str) -> list[dict]:
    result = runner.invoke(app, ["report", "data-quality", "--db", db, "-f", "json",
                                 "--no-suppress", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def test_quarantine_imports_the_rest_and_counts_per_unit_and_month(runner, any_db, tmp_path):
    path = episodes_file(tmp_path)
    strict = runner.invoke(app, ["import", "episodes", str(path), "--db", any_db])
    assert strict.exit_code == 1 and "nothing was imported" in strict.output
    for _ in range(2):  # idempotent: the second run replaces the file's quarantine rows
        result = runner.invoke(app, ["import", "episodes", str(path), "--db", any_db,
                                     "--quarantine"])
        assert result.exit_code == 0, result.output
        assert "Imported 5 episodes" in result.stdout
        assert "Quarantined 6 rows" in result.stdout
    rows = {(r["unit_id"], r["month"]): r for r in dq(runner, any_db)}
    assert set(rows) == {("(unknown)", "(unknown)"), ("U1", "2025-03"), ("U2", "2025-04")}
    u1 = rows[("U1", "2025-03")]
    assert {k: u1[k] for k in ("episodes", "done_visits", "non_urgent_visits",
                               "without_assessment", "assessment_coverage_pct",
                               "missing_contact_mode", "rejected_rows", "invalid_codes",
                               "missing_values", "bad_dates", "order_violations",
                               "duplicates", "malformed", "missing_professional_group")} == {
        "episodes": 4, "done_visits": 4, "non_urgent_visits": 3, "without_assessment": 1,
        "assessment_coverage_pct": 66.7, "missing_contact_mode": 1, "rejected_rows": 2,
        "invalid_codes": 1, "missing_values": 1, "bad_dates": 0, "order_violations": 1,
        "duplicates": 0, "malformed": 0, "missing_professional_group": 1}
    u2 = rows[("U2", "2025-04")]
    assert (u2["episodes"], u2["done_visits"], u2["rejected_rows"], u2["duplicates"],
            u2["bad_dates"], u2["assessment_coverage_pct"]) == (1, 0, 3, 2, 1, None)
    unknown = rows[("(unknown)", "(unknown)")]
    assert (unknown["rejected_rows"], unknown["malformed"]) == (1, 1)


def test_rejected_rows_per_unit_and_professional_group(runner, sqlite_db, tmp_path):
    runner.invoke(app, ["import", "episodes", str(episodes_file(tmp_path)), "--db", sqlite_db,
                        "--quarantine"])
    rows = {(r["unit_id"], r["professional_group"]): r["rejected_rows"]
            for r in dq(runner, sqlite_db, "--by", "unit-group")}
    # E5's "doctor" and E6's empty group are not contract groups: (unknown)
    assert rows == {("U1", "(unknown)"): 2, ("U2", "dentist"): 3,
                    ("(unknown)", "(unknown)"): 1}


def test_rejected_rows_by_reason_name_column_and_reason(runner, sqlite_db, tmp_path):
    runner.invoke(app, ["import", "episodes", str(episodes_file(tmp_path)), "--db", sqlite_db,
                        "--quarantine"])
    rows = dq(runner, sqlite_db, "--by", "reason", "--unit", "U2")
    assert [(r["category"], r["column"], r["rejected_rows"]) for r in rows] == [
        ("duplicate", "episode_id", 2), ("bad_date", "contact_at", 1)]
    assert rows[1]["reason"] == "no such date or time of day"


def test_small_cells_are_suppressed_by_default(runner, sqlite_db, tmp_path):
    runner.invoke(app, ["import", "episodes", str(episodes_file(tmp_path)), "--db", sqlite_db,
                        "--quarantine"])
    result = runner.invoke(app, ["report", "data-quality", "--db", sqlite_db, "-f", "json"])
    row = [r for r in json.loads(result.stdout)["rows"] if r["unit_id"] == "U1"][0]
    assert row["non_urgent_visits"] == "<5" and row["assessment_coverage_pct"] is None


def test_avohilmo_quarantine_counts_code_and_contract_rejections(runner, any_db, tmp_path):
    lines = (DATA / "avohilmo_hand.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",R52,", ",R99,")  # V2: unmapped contact mode
    lines[12] = lines[12].replace("2025-03-03T09:00:00", "2025-13-03T09:00:00")  # N1: bad date
    lines[13] = lines[13].replace(",3221,", ",,")  # N2: no professional code
    path = tmp_path / "extract.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "avohilmo", str(path), "--db", any_db,
                                 "--quarantine"])
    assert result.exit_code == 0, result.output
    assert "Imported 10 episodes" in result.stdout  # 14 − R60 − 3 rejected
    assert "Quarantined 3 rows" in result.stdout
    reasons = dq(runner, any_db, "--by", "reason")
    assert sorted((r["column"], r["category"]) for r in reasons) == [
        ("KAYNTI_AMMATTI", "missing_value"), ("KAYNTI_YHTEYSTAPA", "invalid_code"),
        ("YHTEYDENOTTO_AJANKOHTA", "bad_date")]
    groups = {(r["unit_id"], r["professional_group"]): r["rejected_rows"]
              for r in dq(runner, any_db, "--by", "unit-group")}
    assert groups == {("TK01", "physician"): 1, ("TK01", "nurse"): 1,
                      ("TK01", "(unknown)"): 1}
    tk01 = dq(runner, any_db)[0]
    assert (tk01["rejected_rows"], tk01["missing_professional_group"]) == (3, 1)


def test_unknown_by_and_month_are_usage_errors(runner, sqlite_db, tmp_path):
    runner.invoke(app, ["import", "episodes", str(episodes_file(tmp_path)), "--db", sqlite_db,
                        "--quarantine"])
    result = runner.invoke(app, ["report", "data-quality", "--db", sqlite_db, "--by", "x"])
    assert result.exit_code == 2 and "unit-month, unit-group, reason" in result.output
    result = runner.invoke(app, ["report", "data-quality", "--db", sqlite_db,
                                 "--month", "2025-13"])
    assert result.exit_code == 2
