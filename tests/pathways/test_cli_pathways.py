"""The pathways reports on the command line: formats, exit codes and messages."""

from __future__ import annotations

import json

import pytest

from sotekeskus.cli import app
from sotekeskus.cli import pathways as cli_pathways
from tests.pathways.helpers import DATA, source

HAND_LOG = str(DATA / "flow_hand.csv")


def test_flow_json_from_a_log_file_is_the_hand_computed_result(runner):
    result = runner.invoke(app, ["report", "flow", "--log", HAND_LOG, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(
        (DATA / "flow_hand_expected.json").read_text())


def test_flow_json_detail_adds_p90_and_bottlenecks(runner):
    result = runner.invoke(app, ["report", "flow", "--log", HAND_LOG, "-f", "json", "--detail"])
    body = json.loads(result.stdout)
    assert body["edges"][1]["p90_hours"] == 139.2
    assert body["bottlenecks"][0]["from"] == "assessed" and body["cases"] == 7


def test_flow_csv_and_table(runner):
    result = runner.invoke(app, ["report", "flow", "--log", HAND_LOG, "-f", "csv"])
    lines = result.stdout.splitlines()
    assert lines[0] == "from,to,count,median_hours,p90_hours,total_hours"
    assert lines[1] == "referral,assessed,5,12.000,38.400,92.000"
    table = runner.invoke(app, ["report", "flow", "--log", HAND_LOG])
    assert table.exit_code == 0
    assert "Bottlenecks" in table.stdout and "referral → assessed → visit → closed" in table.stdout


def test_flow_bad_log_names_the_line_and_value(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,activity,timestamp\nA,x,2025-01-01\nA,y,2025-02-30T10:00\n")
    result = runner.invoke(app, ["report", "flow", "--log", str(bad)])
    assert result.exit_code == 1
    assert "line 3" in result.output and "'2025-02-30T10:00'" in result.output
    missing = tmp_path / "missing.csv"
    missing.write_text("case,activity,timestamp\nA,x,2025-01-01\n")
    result = runner.invoke(app, ["report", "flow", "--log", str(missing)])
    assert result.exit_code == 1 and "column case_id" in result.output


@pytest.mark.parametrize("args", [
    ["--log", HAND_LOG, "--case-type", "primary_access"],
    ["--log", HAND_LOG, "--db", "x.db"],
    ["--log", HAND_LOG, "--format", "xml"],
])
def test_flow_usage_errors(runner, args):
    result = runner.invoke(app, ["report", "flow", *args])
    assert result.exit_code == 2, result.output


def test_flow_without_a_store_is_an_error(runner, tmp_path):
    result = runner.invoke(app, ["report", "flow", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no store" in result.output


@pytest.fixture
def hand_store(monkeypatch):
    monkeypatch.setattr(cli_pathways, "_source", lambda db: source("continuity_hand.csv"))


def test_continuity_json_suppressed_and_not(runner, hand_store):
    args = ["report", "continuity", "--from", "2025-01-01", "--to", "2025-03-31", "-f", "json"]
    exact = runner.invoke(app, [*args, "--no-suppress"])
    assert exact.exit_code == 0, exact.output
    assert json.loads(exact.stdout) == json.loads(
        (DATA / "continuity_hand_expected.json").read_text())
    suppressed = json.loads(runner.invoke(app, args).stdout)
    assert suppressed["units"][0] == {"unit_id": "U1", "professional_group": "nurse",
                                      "persons": "<5", "mean_coc": None}


def test_continuity_csv_keeps_three_decimals(runner, hand_store):
    result = runner.invoke(app, ["report", "continuity", "--from", "2025-01-01",
                                 "--to", "2025-03-31", "-f", "csv", "--no-suppress"])
    assert "U2,physician,8,18,0.563,0.750" in result.stdout


@pytest.mark.parametrize(("args", "code"), [
    (["--from", "2025-13-01", "--to", "2025-03-31"], 2),
    (["--from", "2025-03-31", "--to", "2025-01-01"], 2),
])
def test_continuity_bad_dates(runner, hand_store, args, code):
    assert runner.invoke(app, ["report", "continuity", *args]).exit_code == code


def test_clients_json_and_csv(runner, monkeypatch):
    monkeypatch.setattr(cli_pathways, "_source", lambda db: source("clients_hand.csv"))
    exact = runner.invoke(app, ["report", "clients", "--to", "2025-12-31", "-f", "json",
                                "--no-suppress"])
    assert exact.exit_code == 0, exact.output
    assert json.loads(exact.stdout) == json.loads(
        (DATA / "clients_hand_expected.json").read_text())
    suppressed = json.loads(runner.invoke(app, ["report", "clients", "--to", "2025-12-31",
                                                "-f", "json"]).stdout)
    assert suppressed["rows"][-1]["multi_service_2"] == "<5"
    csv = runner.invoke(app, ["report", "clients", "--to", "2025-12-31", "-f", "csv",
                              "--no-suppress"]).stdout.splitlines()
    assert csv[0].startswith("unit_id,age_group,clients,multi_service_2,")
    assert csv[-1] == "all,all,12,4,33.3,1,8.3,2,16.7,29,14,48.3"


def test_clients_default_end_is_the_last_visit(runner, monkeypatch):
    monkeypatch.setattr(cli_pathways, "_source", lambda db: source("clients_hand.csv"))
    body = json.loads(runner.invoke(app, ["report", "clients", "-f", "json"]).stdout)
    assert (body["from"], body["to"]) == ("2025-01-02", "2026-01-01")


def test_follow_up_json_and_options(runner, monkeypatch):
    monkeypatch.setattr(cli_pathways, "_source", lambda db: source("followup_hand.csv"))
    expected = json.loads((DATA / "followup_hand_expected.json").read_text())
    exact = runner.invoke(app, ["report", "follow-up", "--on", "2025-06-30", "-f", "json",
                                "--no-suppress"])
    assert exact.exit_code == 0, exact.output
    assert json.loads(exact.stdout) == {"on": "2025-06-30", "rows": expected["rows"]}
    only = json.loads(runner.invoke(app, [
        "report", "follow-up", "--on", "2025-06-30", "-f", "json", "--no-suppress",
        "--unit", "U2", "--condition", "diabetes"]).stdout)
    assert only["rows"] == [
        {"unit_id": "U2", "condition": "diabetes", "persons": 1, "lapsed": 1,
         "lapsed_pct": 100.0},
        {"unit_id": "all", "condition": "diabetes", "persons": 1, "lapsed": 1,
         "lapsed_pct": 100.0}]
    suppressed = json.loads(runner.invoke(app, ["report", "follow-up", "--on", "2025-06-30",
                                                "-f", "json"]).stdout)
    assert suppressed["rows"][0]["persons"] == "<5"


@pytest.mark.parametrize(("args", "code", "text"), [
    (["--condition", "gout"], 2, "allowed: diabetes"),
    (["--unit", "U9"], 1, "no such unit"),
    (["--on", "2025-02-30"], 2, "not a date"),
    (["--conditions", "/nonexistent.yaml"], 1, "cannot read"),
])
def test_follow_up_bad_options(runner, monkeypatch, args, code, text):
    monkeypatch.setattr(cli_pathways, "_source", lambda db: source("followup_hand.csv"))
    result = runner.invoke(app, ["report", "follow-up", *args])
    assert result.exit_code == code and text in result.output, result.output


def test_segments_json_and_transitions_csv(runner, monkeypatch):
    monkeypatch.setattr(cli_pathways, "_source", lambda db: source("segments_hand.csv"))
    expected = json.loads((DATA / "segments_hand_expected.json").read_text())
    result = runner.invoke(app, ["report", "segments", "--year", "2025", "-f", "json",
                                 "--no-suppress"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["segments"] == expected["profiles"] and body["population"] == 9
    assert [r for r in body["transitions"]["rows"] if r["persons"]] == expected[
        "transitions_2024_2025"]
    csv = runner.invoke(app, ["report", "segments", "--year", "2025", "-f", "csv",
                              "--transitions", "--no-suppress"]).stdout.splitlines()
    assert csv[0] == "from,to,persons" and "none,acute_episode,2" in csv
    suppressed = json.loads(runner.invoke(app, ["report", "segments", "--year", "2025",
                                                "-f", "json"]).stdout)
    assert suppressed["segments"][0]["persons"] == "<5"


def test_segments_bad_rule_file(runner, monkeypatch, tmp_path):
    monkeypatch.setattr(cli_pathways, "_source", lambda db: source("segments_hand.csv"))
    rules = tmp_path / "rules.yaml"
    rules.write_text("segments:\n  - id: rich\n    rule: income >= 3\n")
    result = runner.invoke(app, ["report", "segments", "--rules", str(rules)])
    assert result.exit_code == 1 and "unknown feature 'income'" in result.output


def test_outcomes_and_experience_on_the_cli(runner, tmp_path):
    result = runner.invoke(app, ["report", "outcomes", "--file", str(DATA / "outcomes_hand.csv"),
                                 "--from", "2025-01-01", "--to", "2025-06-30", "-f", "json",
                                 "--no-suppress"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["rows"][0]["mean_change"] == -5.4 and body["follow_up_days"] == 28
    csv = runner.invoke(app, ["report", "experience", "--file",
                              str(DATA / "experience_hand.csv"), "-f", "csv"]).stdout
    assert "U1,all,8,4,2,2,25.0" in csv and "U1,phone,<5,,,," in csv
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,channel,responded_on,score\nU1,fax,2025-01-01,3\n")
    result = runner.invoke(app, ["report", "experience", "--file", str(bad)])
    assert result.exit_code == 1 and "line 2, column channel, value 'fax'" in result.output
