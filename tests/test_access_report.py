"""Access report against hand-computed figures, suppression, filters, formats, engines."""

from __future__ import annotations

import csv
import io
import json

import pytest

from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.filters import AccessFilter, FilterError
from sotekeskus.cli import app

from .conftest import DATA

EXPECTED = json.loads((DATA / "access_hand_expected.json").read_text())


@pytest.fixture
def hand_db(runner, any_db):
    result = runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                                 "--db", any_db])
    assert result.exit_code == 0, result.output
    return any_db


def report(runner, *args: str) -> list[dict]:
    result = runner.invoke(app, ["report", "access", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def test_json_no_suppress_matches_hand_computed_rows(runner, hand_db):
    assert report(runner, "--db", hand_db, "--format", "json", "--no-suppress") == EXPECTED["rows"]


def test_targets_reported_apart_from_legal_breaches(runner, hand_db):
    rows = report(runner, "--db", hand_db, "-f", "json", "--no-suppress", "--with-targets")
    got = {f"{r['month']}|{r['service_area']}|{r['professional_group']}": r for r in rows}
    for key, expected in EXPECTED["targets"].items():
        for field, value in expected.items():
            assert got[key][field] == value, (key, field)
    assert got["2025-03|medical|physician"]["legal_breaches"] == 3


def test_default_json_and_csv_suppress_small_cells(runner, hand_db):
    rows = report(runner, "--db", hand_db, "-f", "json")
    oral = next(r for r in rows if r["service_area"] == "oral")
    assert oral["visits"] == "<5" and oral["over_90d"] == "<5" and oral["legal_breaches"] == "<5"
    assert oral["within_7d_pct"] is None and oral["median_wait_days"] is None
    assert oral["remote_share_pct"] is None  # 4 done episodes
    physician = next(r for r in rows if r["month"] == "2025-03" and
                     r["service_area"] == "medical")
    assert physician["visits"] == 6 and physician["within_7d_pct"] == 16.7
    assert physician["over_90d"] == "<5" and physician["legal_breaches"] == "<5"
    assert physician["remote_share_pct"] == 44.4  # 9 done episodes: shown
    result = runner.invoke(app, ["report", "access", "--db", hand_db, "-f", "csv"])
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(table[0]) == ["month", "service_area", "professional_group", "visits",
                              "within_7d_pct", "within_14d_pct", "over_90d",
                              "median_wait_days", "legal_breaches",
                              "assessment_coverage_pct", "remote_share_pct"]
    oral_csv = next(r for r in table if r["service_area"] == "oral")
    assert oral_csv["visits"] == "<5" and oral_csv["within_7d_pct"] == ""
    social = next(r for r in table if r["service_area"] == "social")
    assert social["legal_breaches"] == ""  # no rule: null, not a small count
    assert social["visits"] == "<5"


def test_social_legal_breaches_null_in_json_empty_in_csv(runner, hand_db):
    rows = report(runner, "--db", hand_db, "-f", "json", "--no-suppress", "--month", "2025-03")
    assert next(r for r in rows if r["service_area"] == "social")["legal_breaches"] is None
    result = runner.invoke(app, ["report", "access", "--db", hand_db, "-f", "csv",
                                 "--no-suppress", "--month", "2025-03"])
    social = next(r for r in csv.DictReader(io.StringIO(result.stdout))
                  if r["service_area"] == "social")
    assert social["legal_breaches"] == ""
    assert social["visits"] == "1"


def test_month_and_unit_filters(runner, hand_db):
    rows = report(runner, "--db", hand_db, "-f", "json", "--no-suppress", "--month", "2025-03")
    assert {r["month"] for r in rows} == {"2025-03"} and len(rows) == 3
    rows = report(runner, "--db", hand_db, "-f", "json", "--no-suppress", "--unit", "U02")
    assert [(r["service_area"], r["visits"]) for r in rows] == [("oral", 4)]
    rows = report(runner, "--db", hand_db, "-f", "json", "--no-suppress", "--by-unit",
                  "--month", "2025-03")
    assert [r["unit_id"] for r in rows] == ["U01", "U02", "U03"]


def test_table_output_shows_suppressed_marker(runner, hand_db):
    result = runner.invoke(app, ["report", "access", "--db", hand_db, "--month", "2025-03"])
    assert result.exit_code == 0
    assert "<5" in result.stdout and "16.7" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["--month", "2025-13"], "--month: '2025-13' is not a month YYYY-MM"),
    (["--format", "xml"], "--format 'xml'"),
    (["--age-group", "old"], "--age-group: 'old'"),
])
def test_bad_options_are_usage_errors(runner, sqlite_db, args, message):
    result = runner.invoke(app, ["report", "access", "--db", sqlite_db, *args])
    assert result.exit_code == 2
    assert message in result.output


def test_empty_store_gives_no_rows(runner, sqlite_db, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text((DATA / "access_hand.csv").read_text().splitlines()[0] + "\n")
    assert runner.invoke(app, ["import", "episodes", str(empty), "--db", sqlite_db]
                         ).exit_code == 0
    assert report(runner, "--db", sqlite_db, "-f", "json") == []


def test_missing_store_file_is_an_error_not_an_empty_report(runner, tmp_path):
    missing = tmp_path / "typo.db"
    result = runner.invoke(app, ["report", "access", "--db", str(missing)])
    assert result.exit_code == 1 and "no store at" in result.output
    assert not missing.exists()


def test_filter_rejects_bad_month():
    with pytest.raises(FilterError):
        AccessFilter(month_from="2025-3")


def test_age_group_filter_uses_age_on_contact_date(runner, hand_db):
    rows = report(runner, "--db", hand_db, "-f", "json", "--no-suppress", "--age-group", "0-22",
                  "--month", "2025-03")
    # A3 (21), O3 (14) are under 23 on their contact dates; A4 turned 23 on its contact day.
    assert [(r["service_area"], r["visits"]) for r in rows] == [("medical", 1), ("oral", 1)]


def test_parquet_source_matches_store(runner, hand_db, tmp_path):
    import pyarrow.parquet as pq

    from sotekeskus.ingest.episode_file import read_episode_file

    path = tmp_path / "hand.parquet"
    pq.write_table(read_episode_file(DATA / "access_hand.csv").table, path)
    assert Analytics.from_parquet(path).access_report() == Analytics.open(hand_db).access_report()


def test_snapshot_refreshes_after_a_new_import(runner, sqlite_db, tmp_path):
    assert runner.invoke(app, ["migrate", "--db", sqlite_db]).exit_code == 0  # reads never do
    an = Analytics.open(sqlite_db)
    assert an.access_report() == []
    runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"), "--db", sqlite_db])
    an.refresh_if_stale(force=True)
    assert len(an.access_report()) == 7


def test_postgres_in_database_engine_agrees(runner, pg_db):
    runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"), "--db", pg_db])
    in_pg = Analytics.on_postgres(pg_db).access_report(by_unit=True)
    snapshot = Analytics.open(pg_db).access_report(by_unit=True)
    assert in_pg == snapshot
    public = [{k: v for k, v in r.items() if not k.startswith("_") and k not in (
        "unit_id", "target_misses", "within_target_pct")} for r in
        Analytics.on_postgres(pg_db).access_report()]
    assert public == EXPECTED["rows"]


def test_summary_by_quarter_and_year_sums_the_months(hand_db):
    an = Analytics.open(hand_db)
    year = {r["month"]: r for r in an.access_summary(by="year")}
    assert sorted(year) == ["2022", "2023", "2025"]
    # 2025: medical physician 6 + oral 4 + social 1 + medical nurse (April) 2
    assert year["2025"]["visits"] == 13
    assert year["2025"]["_within_7d"] == 2  # A1 (7 d) and S1 (4 d)
    quarters = {r["month"]: r["visits"] for r in an.access_summary(by="quarter")}
    assert quarters == {"2022-Q2": 2, "2023-Q4": 3, "2025-Q1": 11, "2025-Q2": 2}


def test_summary_rejects_unknown_period(hand_db):
    from sotekeskus.analytics.periods import PeriodError

    with pytest.raises(PeriodError):
        Analytics.open(hand_db).access_summary(by="week")


def test_snapshot_is_reused_by_a_new_process(sqlite_db, runner):
    """The snapshot's version must be stable across processes (no per-process hashing)."""
    import subprocess
    import sys

    from sotekeskus.analytics.source import snapshot_path
    from sotekeskus.store.database import resolve_url

    runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"), "--db", sqlite_db])
    Analytics.open(sqlite_db)
    path = snapshot_path(resolve_url(sqlite_db))
    before = path.stat().st_mtime_ns
    code = ("from sotekeskus.analytics.engine import Analytics; "
            f"Analytics.open({sqlite_db!r}).access_report()")
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", code], check=True,
                       env={**__import__("os").environ, "PYTHONHASHSEED": seed})
    assert path.stat().st_mtime_ns == before


def test_summary_over_social_only_has_null_legal_breaches(hand_db):
    an = Analytics.open(hand_db)
    social = an.access_summary(AccessFilter(service_areas=("social",)))
    assert [(r["month"], r["visits"], r["legal_breaches"]) for r in social] == [
        ("2025-03", 1, None)]
    both = an.access_summary(AccessFilter(service_areas=("social", "oral"),
                                          month_from="2025-03", month_to="2025-03"))
    assert both[0]["legal_breaches"] == 1  # O1; social adds no breach but oral has rules
