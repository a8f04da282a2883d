"""The end-to-end CLI path a new user takes: synth → import → report; demo without serving."""

from __future__ import annotations

import json

from sotekeskus.analytics.engine import Analytics
from sotekeskus.cli import app


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
