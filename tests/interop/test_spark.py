"""The access report on Apache Spark equals DuckDB's: on the hand-built files (an episode
file and an Avohilmo-style extract) and on a small synthetic region, through the CLI's
``--engine spark`` (the store exported to Parquet for Spark) and through a Parquet file."""

from __future__ import annotations

import json
import shutil

import pytest

from sotekeskus.cli import app

from ..conftest import DATA
from ..region_store import import_file, region_files

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("java"), reason="no Java for Spark")]

EXPECTED = json.loads((DATA / "access_hand_expected.json").read_text())
AVOHILMO = json.loads((DATA / "avohilmo_hand_expected.json").read_text())


def report(runner, *args: str) -> list[dict]:
    result = runner.invoke(app, ["report", "access", "-f", "json", "--no-suppress", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def test_hand_files_on_spark_equal_duckdb_and_the_hand_computed_rows(runner, sqlite_db,
                                                                     tmp_path):
    runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"), "--db", sqlite_db])
    spark = report(runner, "--db", sqlite_db, "--engine", "spark")
    assert spark == report(runner, "--db", sqlite_db) == EXPECTED["rows"]
    other = str(tmp_path / "avohilmo.db")
    runner.invoke(app, ["import", "avohilmo", str(DATA / "avohilmo_hand.csv"), "--db", other])
    assert report(runner, "--db", other, "--engine", "spark") == AVOHILMO["rows"]


def test_synthetic_region_on_spark_equals_duckdb(runner, tmp_path):
    first, second = region_files(tmp_path, residents=800)
    db = str(tmp_path / "region.db")
    import_file(first, db)
    for args in ((), ("--by-unit",), ("--service-area", "oral")):
        assert report(runner, "--db", db, "--engine", "spark", *args) == report(
            runner, "--db", db, *args)
    import_file(second, db)  # the store changed: the Parquet export follows it
    both = report(runner, "--db", db)
    assert report(runner, "--db", db, "--engine", "spark") == both
    assert report(runner, "--parquet", str(first), "--engine", "spark") == report(
        runner, "--parquet", str(first))


def test_spark_engine_is_listed_with_the_others(runner, sqlite_db):
    result = runner.invoke(app, ["report", "access", "--db", sqlite_db, "--engine", "hadoop"])
    assert result.exit_code == 2
    assert "duckdb, postgres, spark" in result.output
