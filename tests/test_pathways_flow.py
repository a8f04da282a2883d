"""Patient flow: a hand-computed log, agreement with PM4Py, and bad input."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from sotekeskus.pathways.errors import EventLogError, PathwaysError
from sotekeskus.pathways.eventlog import read_event_log
from sotekeskus.pathways.flow import flow_from_table
from sotekeskus.pathways.synthlog import random_event_log, write_event_log_csv

DATA = Path(__file__).parent / "data"


# --- the hand-computed log (tests/data/README.md) ----------------------------------------


def test_hand_log_matches_the_hand_computed_json():
    flow = flow_from_table(read_event_log(DATA / "flow_hand.csv"))
    expected = json.loads((DATA / "flow_hand_expected.json").read_text())
    assert flow.to_dict() == expected
    assert list(flow.to_dict()) == ["edges", "variants", "start_activities", "end_activities"]


def test_hand_log_percentiles_case_durations_and_bottlenecks():
    flow = flow_from_table(read_event_log(DATA / "flow_hand.csv"))
    p90 = {(e.source, e.target): e.p90_hours for e in flow.edges}
    assert p90[("referral", "assessed")] == pytest.approx(38.4)
    assert p90[("assessed", "visit")] == pytest.approx(139.2)
    assert p90[("visit", "closed")] == pytest.approx(10.0)
    assert (flow.cases, flow.events) == (7, 23)
    assert flow.median_case_hours == pytest.approx(48.0)
    assert flow.p90_case_hours == pytest.approx(141.0)
    detail = flow.to_dict(detail=True)
    assert [(b["from"], b["to"], b["total_hours"], b["share_of_time_pct"])
            for b in detail["bottlenecks"]] == [
        ("assessed", "visit", 288.0, 66.7), ("referral", "assessed", 92.0, 21.3),
        ("assessed", "assessed", 24.0, 5.6), ("visit", "closed", 15.5, 3.6),
        ("referral", "closed", 12.0, 2.8)]
    assert detail["edges"][0] == {"from": "referral", "to": "assessed", "count": 5,
                                  "median_hours": 12.0, "p90_hours": 38.4,
                                  "total_hours": 92.0}


def test_ties_keep_file_order():
    log = read_event_log(DATA / "flow_hand.csv")
    flow = flow_from_table(log)
    variants = {tuple(v.activities) for v in flow.variants}
    assert ("referral", "assessed", "closed") in variants  # C3: assessed line first
    assert ("referral", "closed", "assessed") in variants  # C6: closed line first


def test_suppression_hides_small_counts_and_their_durations():
    flow = flow_from_table(read_event_log(DATA / "flow_hand.csv"))
    body = flow.to_dict(suppress=True)
    assert body["edges"][0] == {"from": "referral", "to": "assessed", "count": 5,
                                "median_hours": 12.0}
    assert body["edges"][1] == {"from": "assessed", "to": "visit", "count": "<5",
                                "median_hours": None}
    assert body["start_activities"] == {"referral": 7}
    assert body["end_activities"]["closed"] == "<5"


def test_an_empty_log_gives_an_empty_flow(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("case_id,activity,timestamp\n")
    flow = flow_from_table(read_event_log(path))
    assert flow.to_dict() == {"edges": [], "variants": [], "start_activities": {},
                              "end_activities": {}}


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "fragments"), [
    ("case_id,activity\nA,x\n", ["line 1", "column timestamp", "required column is missing"]),
    ("case_id,activity,timestamp,colour\nA,x,2025-01-01\n",
     ["line 1", "column colour", "unknown column", "case_id, activity, timestamp, resource"]),
    ("case_id,activity,timestamp\nA,x,2025-01-01T08:00\nA,y,2025-13-01T08:00\n",
     ["line 3", "column timestamp", "'2025-13-01T08:00'", "ISO 8601"]),
    ("case_id,activity,timestamp\nA,x,2025-01-01T08:00:00\nA,y,2025-02-30T08:00:00\n",
     ["line 3", "column timestamp", "'2025-02-30T08:00:00'", "ISO 8601"]),
    ("case_id,activity,timestamp\nA,x,2025-04-31 08:00:00\nA,y,2025-01-01T23:59:60\n",
     ["line 2", "'2025-04-31 08:00:00'", "line 3", "'2025-01-01T23:59:60'"]),
    ("case_id,activity,timestamp\nA,x,2025-01-01T08:00:00\nA,y,\n",
     ["line 3", "column timestamp", "a value is required"]),
    ("case_id,activity,timestamp\nA,x,yesterday\n",
     ["line 2", "column timestamp", "'yesterday'", "ISO 8601"]),
    ("case_id,activity,timestamp\nA,x,2025-01-01\n\n,y,2025-01-02\n",
     ["line 4", "column case_id", "a value is required"]),
    ("case_id,activity,timestamp\nA,,2025-01-01\n", ["line 2", "column activity"]),
    ("case_id,activity,timestamp\nA,x,2025-01-01\nB,y\n", ["line 3", "expected 3 fields"]),
    ("case_id,activity,timestamp\nA,\"a\nb\",2025-01-01\nB,y,soon\n",
     ["line 4", "'soon'"]),
    ("", ["the file is empty"]),
])
def test_bad_event_logs_name_line_column_and_value(tmp_path, text, fragments):
    path = tmp_path / "log.csv"
    path.write_text(text)
    with pytest.raises(EventLogError) as info:
        read_event_log(path)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("case_id,activity,timestamp\nA,käynti,2025-01-01\n".encode("latin-1"))
    with pytest.raises(EventLogError, match="line 2.*not UTF-8"):
        read_event_log(path)
    with pytest.raises(EventLogError, match="No such file"):
        read_event_log(tmp_path / "nope.csv")


def test_many_errors_are_counted_and_the_first_50_listed(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("case_id,activity,timestamp\n" + "A,x,bad\n" * 120)
    with pytest.raises(EventLogError) as info:
        read_event_log(path)
    assert info.value.total == 120 and len(info.value.errors) == 50
    assert "and 70 more error(s)" in str(info.value)


def test_a_relation_without_the_log_columns_is_rejected():
    with pytest.raises(PathwaysError, match="lacks column"):
        flow_from_table(pa.table({"case_id": ["a"], "activity": ["x"]}))


# --- agreement with PM4Py (test-only oracle; AGPL, not a run-time dependency) -----------


def _pm4py_log(log: pa.Table):  # type: ignore[no-untyped-def]
    pm4py = pytest.importorskip("pm4py")
    df = log.select(["case_id", "activity", "timestamp"]).to_pandas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm4py, pm4py.format_dataframe(df, case_id="case_id", activity_key="activity",
                                             timestamp_key="timestamp")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flow_agrees_with_pm4py_on_generated_logs(seed):
    log = random_event_log(3_000, seed=seed)
    pm4py, df = _pm4py_log(log)
    flow = flow_from_table(log)
    dfg, starts, ends = pm4py.discover_dfg(df)
    assert {(e.source, e.target): e.count for e in flow.edges} == dict(dfg)
    assert flow.start_activities == dict(starts)
    assert flow.end_activities == dict(ends)
    variants = pm4py.get_variants(df)
    assert {v.activities: v.count for v in flow.variants} == {
        tuple(k): int(v) for k, v in variants.items()}
    perf, _, _ = pm4py.discover_performance_dfg(df)
    assert set(perf) == {(e.source, e.target) for e in flow.edges}
    for e in flow.edges:
        p = perf[(e.source, e.target)]
        assert e.median_hours == pytest.approx(p["median"] / 3600, abs=1e-9)
        assert e.mean_hours == pytest.approx(p["mean"] / 3600, abs=1e-9)
        assert e.total_hours == pytest.approx(p["sum"] / 3600, rel=1e-12)


def test_ties_agree_with_pm4py():
    log = random_event_log(2_000, seed=7, tie_share=0.5)
    pm4py, df = _pm4py_log(log)
    flow = flow_from_table(log)
    variants = pm4py.get_variants(df)
    assert {v.activities: v.count for v in flow.variants} == {
        tuple(k): int(v) for k, v in variants.items()}


def test_p90_is_numpys_linear_percentile():
    log = random_event_log(2_000, seed=4)
    df = log.to_pandas().sort_values(["case_id", "timestamp", "seq"])
    df["next"] = df.groupby("case_id")["activity"].shift(-1)
    df["hours"] = (df.groupby("case_id")["timestamp"].shift(-1) - df["timestamp"]
                   ).dt.total_seconds() / 3600
    pairs = df.dropna(subset=["next"])
    expected = {k: float(np.percentile(g["hours"], 90))
                for k, g in pairs.groupby(["activity", "next"])}
    assert {(e.source, e.target): e.p90_hours for e in flow_from_table(log).edges
            } == pytest.approx(expected)


def test_csv_roundtrip_of_a_generated_log(tmp_path):
    log = random_event_log(500, seed=9)
    path = tmp_path / "log.csv"
    write_event_log_csv(log, str(path))
    back = read_event_log(path)
    assert flow_from_table(back).to_dict(detail=True) == flow_from_table(log).to_dict(detail=True)
