"""The store's event log: episodes and case events as cases of a patient flow."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa
import pytest

from sotekeskus.cli import app
from sotekeskus.pathways.errors import MissingDataError, UnknownCodeError
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.pathways.store_log import store_flow
from tests.pathways.helpers import DATA, load_episodes

T = datetime.fromisoformat


def _case_events() -> pa.Table:
    rows = [  # case_id, case_type, event, at
        ("N1", "neuropsychiatric_assessment", "referral", "2025-01-01T08:00"),
        ("N1", "neuropsychiatric_assessment", "assessed", "2025-02-01T08:00"),
        ("N1", "neuropsychiatric_assessment", "decision", "2025-02-01T08:00"),
        ("N2", "neuropsychiatric_assessment", "decision", "2025-03-01T08:00"),
        ("N2", "neuropsychiatric_assessment", "referral", "2025-01-10T08:00"),
        ("N2", "neuropsychiatric_assessment", "assessed", "2025-03-01T08:00"),
        ("M1", "memory_examination", "referral", "2025-01-05T08:00"),
    ]
    return pa.table({
        "case_id": [r[0] for r in rows], "person_id": ["P"] * len(rows),
        "case_type": [r[1] for r in rows], "event": [r[2] for r in rows],
        "at": pa.array([T(r[3]) for r in rows], pa.timestamp("s")),
    })


def test_case_events_of_one_type_ties_in_vocabulary_order():
    src = EpisodeSource.from_arrow(load_episodes("continuity_hand.csv"), _case_events())
    flow = store_flow(src, "neuropsychiatric_assessment")
    # N1: assessed and decision share a timestamp → vocabulary order (assessed first).
    assert [(v.activities, v.count) for v in flow.variants] == [
        (("referral", "assessed", "decision"), 2)]
    edges = {(e.source, e.target): (e.count, e.median_hours) for e in flow.edges}
    assert edges == {("referral", "assessed"): (2, (31 * 24 + 50 * 24) / 2),
                     ("assessed", "decision"): (2, 0.0)}


def test_episode_case_types_use_their_service_areas():
    episodes = load_episodes("access_hand.csv")
    flow = store_flow(EpisodeSource.from_arrow(episodes), "oral_access")
    assert flow.cases == 4 and flow.start_activities == {"contact": 4}
    edges = {(e.source, e.target): (e.count, e.median_hours) for e in flow.edges}
    # O1–O4: assessed 30 min after contact; visits 121, 90, 58, 59 days and 30 min later.
    assert edges == {("contact", "assessed"): (4, 0.5),
                     ("assessed", "visit"): (4, (59 * 24 + 90 * 24) / 2 + 0.5)}


def test_unfiltered_flow_covers_episodes_and_case_events():
    src = EpisodeSource.from_arrow(load_episodes("access_hand.csv"), _case_events())
    flow = store_flow(src)
    assert flow.cases == 23 + 3
    # A8 has no assessment; A10 (waiting) and A11 (cancelled) end at their assessment.
    assert flow.end_activities == {"visit": 21, "assessed": 2, "decision": 2, "referral": 1}


def test_unknown_case_type_lists_the_allowed_ones():
    src = EpisodeSource.from_arrow(load_episodes("access_hand.csv"))
    with pytest.raises(UnknownCodeError, match="allowed: primary_access, oral_access"):
        store_flow(src, "dental")


def test_a_case_event_type_without_case_events_says_so():
    src = EpisodeSource.from_arrow(load_episodes("access_hand.csv"))
    with pytest.raises(MissingDataError, match="case events"):
        store_flow(src, "memory_examination")


def test_flow_from_an_imported_store(runner, tmp_path):
    db = str(tmp_path / "store.db")
    imported = runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                                   "--db", db])
    assert imported.exit_code == 0, imported.output
    args = ["report", "flow", "--db", db, "--case-type", "oral_access", "-f", "json"]
    exact = json.loads(runner.invoke(app, [*args, "--no-suppress"]).stdout)
    assert exact["variants"] == [{"activities": ["contact", "assessed", "visit"], "count": 4}]
    assert exact["edges"][0] == {"from": "assessed", "to": "visit", "count": 4,
                                 "median_hours": 1788.5}
    suppressed = json.loads(runner.invoke(app, args).stdout)
    assert suppressed["edges"][0] == {"from": "assessed", "to": "visit", "count": "<5",
                                      "median_hours": None}
    bad = runner.invoke(app, ["report", "flow", "--db", db, "--case-type", "dental"])
    assert bad.exit_code == 2 and "allowed:" in bad.output


def test_flow_of_case_events_in_a_store(runner, tmp_path):
    from sotekeskus.ingest.case_events import read_case_event_file
    from sotekeskus.store.case_events import upsert_case_events
    from sotekeskus.store.database import make_engine, resolve_url
    from sotekeskus.store.migrate import upgrade

    db = str(tmp_path / "store.db")
    assert runner.invoke(app, ["import", "episodes", str(DATA / "access_hand.csv"),
                               "--db", db]).exit_code == 0
    events = tmp_path / "events.csv"
    lines = ["case_id,person_id,birth_date,unit_id,case_type,event,at"]
    for i in range(6):  # 6 cases: referral → assessed after 10 + i days → decision a day later
        lines += [f"NP{i},P{i},1990-01-01,U01,neuropsychiatric_assessment,referral,"
                  f"2025-01-01T08:00:00",
                  f"NP{i},P{i},1990-01-01,U01,neuropsychiatric_assessment,assessed,"
                  f"2025-01-{11 + i:02d}T08:00:00",
                  f"NP{i},P{i},1990-01-01,U01,neuropsychiatric_assessment,decision,"
                  f"2025-01-{12 + i:02d}T08:00:00"]
    events.write_text("\n".join(lines) + "\n")
    engine = make_engine(resolve_url(db))
    upgrade(engine)
    upsert_case_events(engine, read_case_event_file(events))
    result = runner.invoke(app, ["report", "flow", "--db", db, "--case-type",
                                 "neuropsychiatric_assessment", "-f", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["variants"] == [{"activities": ["referral", "assessed", "decision"],
                                 "count": 6}]
    assert body["edges"] == [
        {"from": "assessed", "to": "decision", "count": 6, "median_hours": 24.0},
        {"from": "referral", "to": "assessed", "count": 6, "median_hours": 12.5 * 24}]
