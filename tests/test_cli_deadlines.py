"""``sotekeskus import events`` and ``sotekeskus report deadlines|deadlines-open``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sotekeskus.cli import app
from sotekeskus.domain.vocabulary import EVENT_CASE_TYPES

DATA = Path(__file__).parent / "data"
HAND = DATA / "deadlines_hand.csv"


@pytest.fixture(autouse=True)
def _no_region_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOTEKESKUS_RULES_DIR", raising=False)


def _text(result) -> str:
    return " ".join(result.output.split())


def expected(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture
def store(runner, tmp_path: Path) -> str:
    db = str(tmp_path / "events.db")
    result = runner.invoke(app, ["import", "events", str(HAND), "--db", db])
    assert result.exit_code == 0, result.output
    assert "Imported 37 case events of 19 cases" in result.output
    assert "(37 new, 0 updated)" in result.output
    return db


def test_reimport_updates_never_duplicates(runner, store: str) -> None:
    result = runner.invoke(app, ["import", "events", str(HAND), "--db", store])
    assert result.exit_code == 0 and "(0 new, 37 updated)" in result.output


def test_a_bad_file_is_refused_naming_line_case_column_value(runner, store: str,
                                                             tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HAND.read_text(encoding="utf-8")
                   + "Z9,PZ,2015-01-01,U1,child_welfare,notification,2025-01-01,,\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["import", "events", str(bad), "--db", store])
    assert result.exit_code == 1
    text = _text(result)
    assert "nothing was imported" in text
    assert ("line 39, case Z9, column case_type, value 'child_welfare': unknown case type; "
            "allowed: " + ", ".join(EVENT_CASE_TYPES)) in text
    report = runner.invoke(app, ["report", "deadlines", "--db", store, "-f", "json",
                                 "--no-suppress"])
    assert json.loads(report.output) == expected("deadlines_hand_expected.json")


def test_report_json_is_exactly_the_hand_computed_rows(runner, store: str) -> None:
    result = runner.invoke(app, ["report", "deadlines", "--db", store, "-f", "json",
                                 "--no-suppress"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected("deadlines_hand_expected.json")
    targets = runner.invoke(app, ["report", "deadlines", "--db", store, "-f", "json",
                                  "--no-suppress", "--targets"])
    assert json.loads(targets.output) == expected("deadlines_hand_targets_expected.json")


def test_report_suppresses_small_cells_by_default(runner, store: str) -> None:
    result = runner.invoke(app, ["report", "deadlines", "--db", store, "-f", "json",
                                 "--month", "2025-06", "--case-type", "elderly_service"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"rows": [{
        "month": "2025-06", "case_type": "elderly_service", "from_event": "decision",
        "to_event": "service_started", "completed": "<5", "within_limit": "<5",
        "within_limit_pct": None, "breaches": "<5", "median_days": None}]}


def test_report_csv(runner, store: str) -> None:
    result = runner.invoke(app, ["report", "deadlines", "--db", store, "-f", "csv",
                                 "--no-suppress", "--month", "2025-04"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["case_type"] for r in rows] == ["child_welfare_notification",
                                              "memory_examination", "specialist_referral"]
    assert rows[0]["median_days"] == "12.5" and rows[0]["within_limit_pct"] == "100.0"


def test_open_cases_with_persons_are_audited(runner, store: str) -> None:
    result = runner.invoke(app, ["report", "deadlines-open", "--db", store, "--on",
                                 "2025-06-25", "--persons", "--no-suppress", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected("deadlines_hand_open_expected.json")
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.models import AuditEvent

    with make_engine(resolve_url(store)).connect() as conn:
        actions = conn.execute(select(AuditEvent.action, AuditEvent.target,
                                      AuditEvent.detail)).all()
    assert any(a == "read_person_level" and t == "deadlines_open" and "persons=7" in d
               for a, t, d in actions)


def test_open_cases_summary_is_suppressed(runner, store: str) -> None:
    result = runner.invoke(app, ["report", "deadlines-open", "--db", store, "--on",
                                 "2025-06-25", "-f", "json"])
    body = json.loads(result.output)
    assert body["open"] == 7 and body["past_limit"] == "<5" and body["due_within_7d"] == "<5"
    assert "persons" not in body
    assert body["summary"][2] == {
        "case_type": "older_person_assessment", "from_event": "contact",
        "to_event": "assessment_started", "open": "<5", "past_limit": "<5",
        "due_within_7d": "<5", "longest_days": None}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--month", "2025-6"], 2, "--month: '2025-6' is not a month YYYY-MM"),
        (["--case-type", "oral_access"], 2, "--case-type: 'oral_access' is not a case type "
                                            "of the case-events file; use one of "
                                            + ", ".join(EVENT_CASE_TYPES)),
        (["-f", "xlsx"], 2, "--format 'xlsx': use one of"),
    ],
)
def test_bad_options(runner, store: str, args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, ["report", "deadlines", "--db", store, *args])
    assert result.exit_code == code
    assert message in _text(result)


def test_missing_store_and_missing_file(runner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "deadlines", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no store at" in _text(result)
    result = runner.invoke(app, ["report", "deadlines-open", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1 and "import case events first" in _text(result)
    result = runner.invoke(app, ["import", "events", str(tmp_path / "nope.csv"), "--db",
                                 str(tmp_path / "s.db")])
    assert result.exit_code == 1 and "no such file" in _text(result)


def test_a_store_without_case_events_reports_no_rows(runner, tmp_path: Path) -> None:
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    db = str(tmp_path / "empty.db")
    upgrade(make_engine(resolve_url(db)))  # a store at the newest schema, no case events
    result = runner.invoke(app, ["report", "deadlines", "--db", db, "-f", "json"])
    assert result.exit_code == 0 and json.loads(result.output) == {"rows": []}
