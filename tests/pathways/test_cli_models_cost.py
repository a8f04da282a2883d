"""The CLI of the new pathways figures: ``report cost`` (hand-computed), ``models evaluate
--store`` (the stored run is the printed one), ``models marks`` (hand-made marks, suppressed
by default) and their usage errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sotekeskus.cli import app
from sotekeskus.cli import pathways as cli_pathways
from sotekeskus.pathways.models.stored import latest_run, record_mark
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.store.database import make_engine
from tests.pathways.test_marks_costs import _episodes


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


PRICES = ("contact_mode,professional_group,cost_eur,unit_id\n"
          "in_person,physician,100,\nphone,nurse,20,\nin_person,nurse,50,\n"
          "in_person,physician,130,U2\n")


def test_report_cost_json_hand_computed(runner, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    episodes = _episodes([
        ("A", "U1", "physician", "in_person", "done", "2025-01-10"),
        ("A", "U1", "nurse", "phone", "done", "2025-01-11"),
        ("B", "U1", "nurse", "phone", "done", "2025-02-01"),
        ("B", "U1", "nurse", "in_person", "done", "2025-02-02"),
        ("C", "U2", "physician", "in_person", "done", "2025-03-01"),
    ])
    monkeypatch.setattr(cli_pathways, "_source", lambda db: EpisodeSource.from_arrow(episodes))
    prices = tmp_path / "prices.csv"
    prices.write_text(PRICES, encoding="utf-8")
    args = ["report", "cost", "--from", "2025-01-01", "--to", "2025-12-31", "--costs",
            str(prices), "-f", "json"]
    exact = runner.invoke(app, [*args, "--no-suppress", "--residents", "1000"])
    assert exact.exit_code == 0, exact.output
    body = json.loads(exact.stdout)
    region = body["rows"][-1]
    assert region == {"unit_id": "all", "professional_group": "all", "visits": 5,
                      "persons": 3, "cost_eur": 320.0, "cost_per_visit": 64.0,
                      "cost_per_person": 106.67, "cost_per_resident": 0.32}
    assert json.loads(runner.invoke(app, args).stdout)["rows"][-1]["persons"] == "<5"
    csv = runner.invoke(app, [*args[:-2], "-f", "csv", "--no-suppress"]).stdout.splitlines()
    assert csv[0] == ("unit_id,professional_group,visits,persons,cost_eur,cost_per_visit,"
                      "cost_per_person")
    assert "U1,nurse,3,2,90.00,30.00,45.00" in csv
    example = runner.invoke(app, [*args[:6], "-f", "json"])
    assert example.exit_code == 0 and "EXAMPLE prices" in example.output
    assert json.loads(example.stdout)["cost_table"].endswith("costs-example.yaml")
    partial = tmp_path / "partial.csv"
    partial.write_text(PRICES.replace("phone,nurse,20,\n", ""), encoding="utf-8")
    missing = runner.invoke(app, [*args[:6], "--costs", str(partial)])
    assert missing.exit_code == 1 and "no price for unit U1, phone, nurse" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("contact_mode,professional_group,cost_eur\nfax,nurse,1\n", encoding="utf-8")
    result = runner.invoke(app, [*args[:6], "--costs", str(bad)])
    assert result.exit_code == 1 and "value 'fax'" in result.output
    assert runner.invoke(app, ["report", "cost", "--from", "2025-02-01", "--to",
                               "2025-01-01"]).exit_code == 2


def test_models_evaluate_store_and_marks(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "store.db"
    result = runner.invoke(app, ["models", "evaluate", "--residents", "1500", "--from",
                                 "2019-01-01", "--to", "2024-12-31", "--bootstrap", "50",
                                 "--store", "--db", str(db), "-f", "json"])
    assert result.exit_code == 0, result.output
    printed = {r["model"]: r for r in json.loads(result.stdout)["rows"]}
    engine = make_engine(f"sqlite:///{db}")
    run = latest_run(engine, "home_care")
    assert run is not None and run.created_by.startswith("cli:")
    assert round(run.evaluation["metrics"]["model"]["auroc"], 3) == \
        printed["home_care"]["auroc"]
    assert run.card.startswith("## Change in an older person's home-care need")
    assert run.parameters["threshold"] == run.evaluation["threshold"]
    for i, yes in enumerate([True] * 6 + [False] * 4 + [True]):
        record_mark(engine, model="home_care", run_id=run.id, person_id=f"P{i}",
                    unit_id="U1", list_day=date(2025, 1, 1), justified=yes, note=None,
                    marked_by="nurse")
    body = json.loads(runner.invoke(app, ["models", "marks", "--db", str(db), "-f",
                                          "json"]).stdout)
    rows = {r["model"]: r for r in body["rows"]}
    assert rows["home_care"] == {"model": "home_care", "marked": 11, "justified": 7,
                                 "not_justified": "<5", "justified_pct": None}
    assert rows["readmission"]["marked"] == "<5" and rows["readmission"][
        "justified_pct"] is None
    exact = json.loads(runner.invoke(app, ["models", "marks", "--db", str(db), "--model",
                                           "home_care", "--no-suppress", "-f",
                                           "json"]).stdout)
    assert exact["rows"] == [{"model": "home_care", "marked": 11, "justified": 7,
                              "not_justified": 4, "justified_pct": 63.6}]
    assert runner.invoke(app, ["models", "marks", "--db", str(db), "--model",
                               "crystal_ball"]).exit_code == 2
    assert runner.invoke(app, ["models", "marks", "--db", str(tmp_path / "none.db")]
                         ).exit_code == 1
    assert runner.invoke(app, ["models", "evaluate", "--db", str(db)]).exit_code == 2
