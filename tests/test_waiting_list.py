"""Waiting list on a date, hand-computed from access_hand.csv plus a few waiting episodes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sotekeskus.analytics.engine import Analytics
from sotekeskus.cli import app
from sotekeskus.store import audit
from sotekeskus.store.database import make_engine, resolve_url

from .conftest import DATA

HEADER = ("episode_id,person_id,birth_date,unit_id,service_area,professional_group,urgency,"
          "contact_at,assessed_at,visit_at,contact_mode,status,plan_based")
EXTRA = [
    # waiting since 2025-03-01, age 45 -> 3 months -> deadline 2025-06-01
    "W1,PW1,1980-01-01,U01,medical,physician,non_urgent,2025-03-01T08:00,2025-03-01T08:10,,,waiting,",
    # waiting since 2025-03-05, age 20 -> 14 days -> deadline 2025-03-19
    "W2,PW2,2005-01-01,U01,medical,nurse,non_urgent,2025-03-05T08:00,2025-03-05T08:10,,,waiting,",
    # oral, age 25, assessed 2025-01-02 -> 6 months -> 2025-07-02
    "W3,PW3,2000-01-01,U02,oral,dentist,non_urgent,2025-01-02T08:00,2025-01-02T08:10,,,waiting,",
    # social: waits, but no legal deadline
    "W4,PW4,1990-01-01,U03,social,social_worker,non_urgent,2025-03-02T08:00,2025-03-02T08:10,,,waiting,",
    # assessed after D: not yet on the list
    "W5,PW5,1990-01-01,U01,medical,physician,non_urgent,2025-03-21T08:00,2025-03-21T08:10,,,waiting,",
    # urgent: never on the list
    "W6,PW6,1990-01-01,U01,medical,physician,urgent,2025-03-10T08:00,2025-03-10T08:10,,,waiting,",
    # assessed 2025-03-12 (age 20, 14 d -> 2025-03-26), deadline within 7 days of D
    "W7,PW7,2005-01-01,U01,medical,nurse,non_urgent,2025-03-12T08:00,2025-03-12T08:10,,,waiting,",
]
ON = date(2025, 3, 20)

# From access_hand.csv, waiting on 2025-03-20 because their visit is later than D:
#   A4 assessed 2025-03-10, age 23 -> 3 months -> 2025-06-10 (visit 03-31)
#   O2 assessed 2024-12-31 -> 2025-03-31 (visit 03-31)
#   B1 assessed 2025-03-09 age 22 -> 14 d -> 2025-03-23 (visit 04-01)
#   B2 assessed 2025-03-10 age 23 -> 3 months -> 2025-06-10 (visit 04-01)
# A5 was seen on 2025-03-20 itself (not > D); A10 waits since 2025-03-07 (age 40 -> 2025-06-07).
EXPECTED = {
    "A10": (13, date(2025, 6, 7), 79),
    "A4": (10, date(2025, 6, 10), 82),
    "B1": (11, date(2025, 3, 23), 3),
    "B2": (10, date(2025, 6, 10), 82),
    "O2": (79, date(2025, 3, 31), 11),
    "W1": (19, date(2025, 6, 1), 73),
    "W2": (15, date(2025, 3, 19), -1),
    "W3": (77, date(2025, 7, 2), 104),
    "W4": (18, None, None),
    "W7": (8, date(2025, 3, 26), 6),
}


@pytest.fixture
def db(runner, tmp_path, any_db):
    extra = tmp_path / "extra.csv"
    extra.write_text("\n".join([HEADER, *EXTRA]) + "\n")
    for path in (DATA / "access_hand.csv", extra):
        result = runner.invoke(app, ["import", "episodes", str(path), "--db", any_db])
        assert result.exit_code == 0, result.output
    return any_db


def test_waiting_rows_match_hand_computation(db):
    wl = Analytics.open(db).waiting_list(ON)
    got = {r["episode_id"]: (r["days_waited"], r["legal_deadline"], r["days_to_deadline"])
           for r in wl.rows}
    assert got == EXPECTED
    assert wl.past_deadline == 1  # W2
    assert wl.due_within_7d == 2  # B1 (3 days), W7 (6 days)


def test_summary_by_unit_and_group(db):
    summary = {(r["unit_id"], r["professional_group"]): r
               for r in Analytics.open(db).waiting_list(ON).summary}
    nurse = summary[("U01", "nurse")]
    assert (nurse["waiting"], nurse["past_deadline"], nurse["due_within_7d"]) == (4, 1, 2)
    assert summary[("U01", "physician")]["waiting"] == 3
    assert summary[("U03", "social_worker")]["past_deadline"] == 0


def test_cli_json_totals_and_person_listing_is_audited(runner, db):
    result = runner.invoke(app, ["report", "waiting", "--db", db, "--on", "2025-03-20",
                                 "-f", "json", "--persons", "--no-suppress"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["waiting"], body["past_deadline"], body["due_within_7d"]) == (10, 1, 2)
    assert body["persons"][0]["episode_id"] == "W2"  # nearest (already passed) deadline first
    events = audit.events(make_engine(resolve_url(db)), action=audit.READ_PERSONS)
    assert events and events[0].target == "waiting_list" and "persons=10" in events[0].detail


def test_summary_suppresses_small_counts_by_default(runner, db):
    result = runner.invoke(app, ["report", "waiting", "--db", db, "--on", "2025-03-20",
                                 "-f", "json"])
    body = json.loads(result.stdout)
    assert (body["waiting"], body["past_deadline"], body["due_within_7d"]) == (10, "<5", "<5")
    nurse = next(r for r in body["summary"]
                 if (r["unit_id"], r["professional_group"]) == ("U01", "nurse"))
    assert nurse["waiting"] == "<5" and nurse["longest_wait_days"] == 15


def test_summary_only_is_not_audited(runner, db):
    result = runner.invoke(app, ["report", "waiting", "--db", db, "--on", "2025-03-20",
                                 "--no-suppress"])
    assert result.exit_code == 0
    assert "past the legal deadline: 1" in result.stdout
    assert audit.events(make_engine(resolve_url(db)), action=audit.READ_PERSONS) == []


def test_bad_date_is_a_usage_error(runner, db):
    result = runner.invoke(app, ["report", "waiting", "--db", db, "--on", "20.3.2025"])
    assert result.exit_code == 2 and "not a date" in result.output
