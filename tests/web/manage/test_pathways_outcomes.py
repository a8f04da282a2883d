"""Outcomes, experience, cost and the flow's statutory leg breaches on the management web:
the numbers are the library's (over the store, the CLI's way), each role sees its scope and
its suppression, and the new pages are complete in every language."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sotekeskus.cli import app
from sotekeskus.pathways.costs import EXAMPLE, cost_report, load_costs
from sotekeskus.pathways.leg_breaches import leg_breaches
from sotekeskus.pathways.outcomes import (
    nps,
    outcome_change,
    read_experience,
    read_measurements,
    suppress_outcomes,
)
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.rules import default_rulebook
from tests.web.helpers import table_rows, visible_text
from tests.web.test_i18n import english_only, switch

FROM, TO = date(2025, 1, 1), date(2025, 6, 30)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def raw(value: object) -> str:
    return "" if value is None else str(value)


@pytest.fixture(scope="module")
def files(region_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A measurements file (U001: 8 persons with PHQ-9 twice; U002: 3) and a survey file,
    imported into the web's store with the CLI (twice: the second import changes nothing)."""
    folder = tmp_path_factory.mktemp("outcomes")
    lines = ["person_id,instrument,measured_on,unit_id,service_area,answers"]
    for i in range(11):
        unit = "U001" if i < 8 else "U002"
        start = date(2025, 1, 10) + timedelta(days=i)
        lines.append(f"Q{i},phq9,{start},{unit},mental,{'|'.join(['2'] * 9)}")
        later = "|".join(["1"] * (i % 3 + 3) + ["0"] * (6 - i % 3))
        lines.append(f"Q{i},phq9,{start + timedelta(days=40)},{unit},mental,{later}")
    lines.append("Q20,who5,2025-02-01,U001,mental,3|3|3|3|3")
    measures = folder / "measures.csv"
    measures.write_text("\n".join(lines) + "\n", encoding="utf-8")
    survey = folder / "survey.csv"
    answers = ([("U001", "phone", s) for s in (10, 9, 9, 7, 3, 10)]
               + [("U001", "chat", s) for s in (8, 2)]
               + [("U002", "in_person", s) for s in (9, 9, 6, 10, 5)])
    survey.write_text("unit_id,channel,responded_on,score,comment\n" + "".join(
        f"{u},{c},2025-03-0{1 + k % 9},{s},free text {k}\n"
        for k, (u, c, s) in enumerate(answers)), encoding="utf-8")
    db = region_url.removeprefix("sqlite:///")
    runner = CliRunner()
    for _ in range(2):
        for args in (["import", "measures", str(measures)],
                     ["import", "experience", str(survey)]):
            result = runner.invoke(app, [*args, "--db", db])
            assert result.exit_code == 0, result.output
    assert "already imported" in result.output
    return {"measures": measures, "survey": survey}


def test_outcomes_are_the_librarys(region_client, files) -> None:  # type: ignore[no-untyped-def]
    want = outcome_change(read_measurements(files["measures"]), FROM, TO)
    c = region_client("leadership")
    query = f"from={FROM}&to={TO}"
    assert c.get(f"/pathways/outcomes?{query}").status_code == 200
    got = rows_of(c.get(f"/pathways/outcomes/export/outcomes.csv?{query}").text)
    assert [(r["unit_id"], r["instrument"], r["measured_both"], r["mean_change"])
            for r in got] == [(w["unit_id"], w["instrument"], raw(w["measured_both"]),
                               raw(w["mean_change"])) for w in want]
    analyst = rows_of(region_client("analyst").get(
        f"/pathways/outcomes/export/outcomes.csv?{query}").text)
    hidden = suppress_outcomes(want)
    assert [r["measured_both"] for r in analyst] == [raw(w["measured_both"]) for w in hidden]
    assert "<5" in {r["measured_both"] for r in analyst}
    manager = rows_of(region_client("manager").get(
        f"/pathways/outcomes/export/outcomes.csv?{query}").text)
    assert {r["unit_id"] for r in manager} == {"U001"}
    assert c.get("/pathways/outcomes?follow_up_days=0").status_code == 400


def test_experience_is_the_librarys(region_client, files) -> None:  # type: ignore[no-untyped-def]
    want = nps(read_experience(files["survey"]))
    c = region_client("leadership")
    page = c.get("/pathways/experience")
    assert page.status_code == 200 and "free text" not in page.text
    got = rows_of(c.get("/pathways/experience/export/experience.csv").text)
    assert [(r["unit_id"], r["channel"], r["responses"], r["nps"]) for r in got] == \
        [(w["unit_id"], w["channel"], raw(w["responses"]), raw(w["nps"])) for w in want]
    # U001 phone: 6 answers, promoters 10, 9, 9, 10 and one detractor (3): (4 − 1) / 6
    phone = next(r for r in got if (r["unit_id"], r["channel"]) == ("U001", "phone"))
    assert float(phone["nps"]) == 50.0
    analyst = rows_of(region_client("analyst").get(
        "/pathways/experience/export/experience.csv").text)
    chat = next(r for r in analyst if r["channel"] == "chat")
    assert chat["responses"] == "<5" and chat["nps"] == ""


def test_cost_is_the_librarys_with_the_example_labelled(region_client, region_url) -> None:  # type: ignore[no-untyped-def]
    src = EpisodeSource.from_store(region_url)
    try:
        want = cost_report(src, load_costs(EXAMPLE), FROM, TO)
    finally:
        src.close()
    c = region_client("leadership")
    page = c.get(f"/pathways/cost?from={FROM}&to={TO}")
    assert page.status_code == 200 and "Esimerkkihinnat." in page.text
    got = rows_of(c.get(f"/pathways/cost/export/cost.csv?from={FROM}&to={TO}").text)
    assert [(r["unit_id"], r["professional_group"], r["visits"], float(r["cost_eur"]))
            for r in got] == [(w["unit_id"], w["professional_group"], raw(w["visits"]),
                               w["cost_eur"]) for w in want]
    region = table_rows(page.text, "pathways-cost")[-1]
    assert region["visits"].replace("\u00a0", "").replace(" ", "") == str(want[-1]["visits"])
    manager = rows_of(region_client("manager").get(
        f"/pathways/cost/export/cost.csv?from={FROM}&to={TO}").text)
    assert {r["unit_id"] for r in manager} == {"U001"}
    prices = rows_of(c.get("/pathways/cost/export/cost_table.csv").text)
    assert len(prices) == 48


def test_the_flow_shows_the_statutory_leg_breaches(region_client, region_url) -> None:  # type: ignore[no-untyped-def]
    src = EpisodeSource.from_store(region_url)
    try:
        want = leg_breaches(src, default_rulebook(), "primary_access")
    finally:
        src.close()
    assert want and any(w["breached"] for w in want)
    c = region_client("leadership")
    page = c.get("/pathways/flow?case_type=primary_access")
    assert page.status_code == 200
    assert len(table_rows(page.text, "pathways-breaches")) == len(want)
    got = rows_of(c.get("/pathways/flow/export/flow_breaches.csv?case_type=primary_access"
                        ).text)
    assert [(r["from"], r["to"], int(r["judged"]), int(r["breached"]),
             float(r["breached_pct"])) for r in got] == \
        [(w["from"], w["to"], w["judged"], w["breached"], w["breached_pct"]) for w in want]
    edges = {(r["from"], r["to"]): r for r in rows_of(c.get(
        "/pathways/flow/export/flow_edges.csv?case_type=primary_access").text)}
    for w in want:
        assert edges[(w["from"], w["to"])]["leg_breached"] == str(w["breached"])
    svg = c.get("/pathways/flow/chart/graph.svg?case_type=primary_access").text
    late = next(w for w in want if w["breached"])
    assert "yli lakisääteisen välin" in svg and "#b3261e" in svg
    assert f"{late['breached']:,}".replace(",", "\u00a0") in svg or \
        str(late["breached"]) in svg


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_new_pathways_pages_are_translated(region_client, files, lang: str) -> None:  # type: ignore[no-untyped-def]
    forbidden = english_only(lang) if lang != "en" else set()
    c = region_client("manager")
    switch(c, lang)
    try:
        for path in ("/pathways/outcomes", "/pathways/experience", "/pathways/cost",
                     "/pathways/models", "/pathways/models/readmission",
                     "/pathways/models/home_care/list?purpose=check_records",
                     "/pathways/flow?case_type=primary_access"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert f'<html lang="{lang}">' in r.text
            leaked = [t for t in visible_text(r.text) if t in forbidden]
            assert not leaked, (lang, path, leaked)
    finally:
        switch(c, "fi")
