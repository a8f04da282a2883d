"""The deadlines pages (issue 14 §5): the numbers on the page and in the downloads are the
deadline report's, each role sees its scope (managers: own units; analysts and admins:
suppressed; persons: managers only, audited), every language is complete."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from sotekeskus.analytics.case_legs import leg_instances
from sotekeskus.analytics.deadline_report import (
    DEADLINE_FIELDS,
    DeadlineFilter,
    deadline_rows,
    load_case_events,
    open_legs,
    suppress_rows,
)
from sotekeskus.domain.vocabulary import CaseType
from sotekeskus.rules import default_rulebook
from sotekeskus.store import audit
from tests.web.helpers import number, table_rows, visible_text
from tests.web.test_i18n import english_only, switch

CT = "child_family_assessment"
PERIOD = "month_from=2024-07&month_to=2025-06"
ON = date(2025, 6, 16)
FIGURES = ("completed", "within_limit", "within_limit_pct", "breaches", "median_days")
UNIT_NAMES = {"Keskustan terveysasema": "U1", "Pohjoisen terveysasema": "U2",
              "Kylän sote-asema": "U3"}


@pytest.fixture(scope="module")
def events(manage_store_url: str):  # type: ignore[no-untyped-def]
    return load_case_events(manage_store_url)


def flt(case_type: str = CT, units: tuple[str, ...] | None = None) -> DeadlineFilter:
    f = DeadlineFilter.parse("2024-07..2025-06", [case_type])
    return DeadlineFilter(f.month_from, f.month_to, f.case_types, units)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def page_figures(row: dict[str, str]) -> dict[str, object]:
    return {k: number(row[k]) for k in FIGURES}


def lib_figures(row: dict[str, object]) -> dict[str, object]:
    return {k: (None if row[k] is None else row[k] if isinstance(row[k], str)
                else float(row[k])) for k in FIGURES}  # type: ignore[arg-type]


# ------------------------------------------------------------------------ the library edit

def test_units_scope_the_legs_by_their_start_event(events) -> None:  # type: ignore[no-untyped-def]
    book = default_rulebook()
    everything = deadline_rows(events, book, flt(), by_unit=True)
    assert {r["unit_id"] for r in everything} == {"U1", "U2", "U3"}
    totals = deadline_rows(events, book, flt())
    for total in totals:
        parts = [r for r in everything if r["month"] == total["month"]]
        assert sum(r["completed"] for r in parts) == total["completed"]
        assert sum(r["within_limit"] for r in parts) == total["within_limit"]
    # one unit = the report of that unit's events alone (every test case stays in its unit)
    import pyarrow.compute as pc

    own = events.filter(pc.equal(events["unit_id"], "U1"))
    assert deadline_rows(events, book, flt(units=("U1",))) == deadline_rows(own, book, flt())
    assert open_legs(events, book, ON, flt(units=("U1",))).rows == \
        open_legs(own, book, ON, flt()).rows


# ------------------------------------------------------------------------ numbers

def test_page_numbers_are_the_reports_numbers(client, events) -> None:  # type: ignore[no-untyped-def]
    book = default_rulebook()
    page = client("leadership").get(f"/deadlines/{CT}?{PERIOD}")
    assert page.status_code == 200
    expected = deadline_rows(events, book, flt())
    shown = table_rows(page.text, "deadlines-by-month")
    assert len(shown) == len(expected) == 12
    for got, want in zip(shown, expected, strict=True):
        assert page_figures(got) == lib_figures(want)
    # the unit table shows the last month, per unit
    last = expected[-1]["month"]
    by_unit = [r for r in deadline_rows(events, book, flt(), by_unit=True) if r["month"] == last]
    shown_units = table_rows(page.text, "deadlines-by-unit")
    assert [UNIT_NAMES[r["unit_id"]] for r in shown_units] == [r["unit_id"] for r in by_unit]
    for got, want in zip(shown_units, by_unit, strict=True):
        assert page_figures(got) == lib_figures(want)
    # the open legs on the day
    waiting = open_legs(events, book, ON, DeadlineFilter(case_types=(CaseType(CT),)))
    shown_open = table_rows(page.text, "deadlines-open")
    assert [number(r["open"]) for r in shown_open] == [s["open"] for s in waiting.summary]
    assert [number(r["past_limit"]) for r in shown_open] == \
        [s["past_limit"] for s in waiting.summary]
    assert waiting.summary and waiting.summary[0]["open"] > 0


def test_a_hand_count_agrees(client, events) -> None:  # type: ignore[no-untyped-def]
    """Completed child and family assessments of 2025-03 counted from the leg instances by
    hand: end date in the month, within = end date ≤ the limit date."""
    legs = [r for r in leg_instances(events, default_rulebook()).to_pylist()
            if r["case_type"] == CT and r["end_date"] and r["rule_id"]
            and r["end_date"].strftime("%Y-%m") == "2025-03"]
    within = sum(r["end_date"] <= r["deadline"] for r in legs)
    rows = table_rows(client("leadership").get(f"/deadlines/{CT}?{PERIOD}").text,
                      "deadlines-by-month")
    march = next(r for r in rows if r["month"] in ("maalis 2025", "maalisk. 2025"))
    assert number(march["completed"]) == len(legs) > 0
    assert number(march["within_limit"]) == within


def test_exports_are_the_reports_rows(client, events) -> None:  # type: ignore[no-untyped-def]
    book = default_rulebook()
    c = client("leadership")
    got = csv_rows(c.get(f"/deadlines/{CT}/export/deadlines_by_unit.csv?{PERIOD}").text)
    want = deadline_rows(events, book, flt(), by_unit=True)
    assert len(got) == len(want) > 12
    for g, w in zip(got, want, strict=True):
        assert g["unit_id"] == w["unit_id"] and g["month"] == w["month"]
        assert int(g["completed"]) == w["completed"]
        assert float(g["within_limit_pct"]) == w["within_limit_pct"]
    everything = csv_rows(c.get(f"/deadlines/export/deadlines_all.csv?{PERIOD}").text)
    all_rows = deadline_rows(events, book, DeadlineFilter.parse("2024-07..2025-06"))
    assert [(r["month"], r["case_type"], r["from_event"], r["to_event"], int(r["completed"]))
            for r in everything] == [(r["month"], r["case_type"], r["from_event"],
                                      r["to_event"], r["completed"]) for r in all_rows]
    assert list(everything[0]) == list(DEADLINE_FIELDS)
    xlsx = c.get(f"/deadlines/{CT}/export/deadlines_by_month.xlsx?{PERIOD}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert c.get(f"/deadlines/{CT}/export/nope.csv").status_code == 404


def test_charts_draw_the_table_under_them(client, events) -> None:  # type: ignore[no-untyped-def]
    import json

    c = client("leadership")
    spec = json.loads(c.get(f"/deadlines/{CT}/chart/within.json?{PERIOD}").text)
    values = [v["value"] for v in (spec.get("data") or spec["layer"][0]["data"])["values"]]
    want = [r["within_limit_pct"] for r in deadline_rows(events, default_rulebook(), flt())]
    assert values == want
    svg = c.get(f"/deadlines/{CT}/chart/breaches.svg?{PERIOD}")
    assert svg.status_code == 200 and svg.text.lstrip().startswith("<svg")
    png = c.get(f"/deadlines/{CT}/chart/median.png?{PERIOD}&download=1")
    assert png.content[:4] == b"\x89PNG" and "attachment" in png.headers["content-disposition"]
    assert c.get(f"/deadlines/{CT}/chart/nope.svg").status_code == 404


def test_targets_judge_by_the_regions_goals(client, events) -> None:  # type: ignore[no-untyped-def]
    page = client("leadership").get(f"/deadlines/{CT}?{PERIOD}&judged_by=targets")
    want = deadline_rows(events, default_rulebook(), flt(), targets=True)
    shown = table_rows(page.text, "deadlines-by-month")
    assert [page_figures(r) for r in shown] == [lib_figures(r) for r in want]
    goals = table_rows(page.text, "deadlines-goals")
    assert [number(g["goal_pct"]) for g in goals] == [90.0, 94.0, 97.0, 100.0]
    chart = table_rows(page.text, "deadlines-chart-within")
    goal_key = "case_opened__assessed__goal"
    assert {number(r[goal_key]) for r in chart if r["month"].endswith("2024")} == {97.0}
    assert {number(r[goal_key]) for r in chart if r["month"].endswith("2025")} == {100.0}


def test_law_changes_are_marked(client) -> None:  # type: ignore[no-untyped-def]
    page = client("leadership").get(f"/deadlines/disability_application?{PERIOD}")
    assert "vpl675-disability-decision-3mo" in page.text
    assert '<time datetime="2025-01-01">' in page.text
    quiet = client("leadership").get(f"/deadlines/{CT}?{PERIOD}")
    assert 'id="h-law"' not in quiet.text


def test_bad_filters_are_400_pages_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    c = client("leadership")
    for url, field in ((f"/deadlines/{CT}?month_from=2025-13", "month_from"),
                       (f"/deadlines/{CT}?month_from=2025-06&month_to=2025-01", "month"),
                       (f"/deadlines/{CT}?on=2025-02-30", "on"),
                       (f"/deadlines/{CT}?judged_by=vibes", "judged_by"),
                       ("/deadlines/primary_access", "case_type"),
                       ("/deadlines/child_family", "case_type")):
        r = c.get(url)
        assert r.status_code == 400, url
        assert field in r.text, url
    assert "child_family_assessment" in c.get("/deadlines/child_family").text  # allowed codes


# ------------------------------------------------------------------------ roles

FOREIGN = ["/deadlines?unit=U2", f"/deadlines/{CT}?unit=U2", f"/deadlines/{CT}?unit=U1&unit=U3",
           f"/deadlines/{CT}/chart/within.svg?unit=U2",
           f"/deadlines/{CT}/export/deadlines_by_unit.csv?unit=U3",
           "/deadlines/export/deadlines_all.csv?unit=U2",
           f"/deadlines/{CT}/open?unit=U2",
           f"/deadlines/{CT}/export/deadlines_open_cases.csv?unit=U3"]


@pytest.mark.parametrize("url", FOREIGN)
def test_manager_cannot_reach_another_unit(client, url: str) -> None:  # type: ignore[no-untyped-def]
    r = client("manager").get(url)
    assert r.status_code == 403
    assert "Pohjoisen terveysasema" not in r.text


def test_manager_sees_own_units_unsuppressed(client, events) -> None:  # type: ignore[no-untyped-def]
    c = client("manager")
    page = c.get(f"/deadlines/{CT}?{PERIOD}")
    assert page.status_code == 200
    assert {r["unit_id"] for r in table_rows(page.text, "deadlines-by-unit")} == \
        {"Keskustan terveysasema"}
    assert "Pohjoisen terveysasema" not in page.text
    want = deadline_rows(events, default_rulebook(), flt(units=("U1",)))
    assert [page_figures(r) for r in table_rows(page.text, "deadlines-by-month")] == \
        [lib_figures(r) for r in want]
    assert any(isinstance(r["completed"], int) and r["completed"] < 5 for r in want)
    rows = csv_rows(c.get(f"/deadlines/{CT}/export/deadlines_by_unit.csv?{PERIOD}").text)
    assert rows and {r["unit_id"] for r in rows} == {"U1"}
    everything = csv_rows(c.get(f"/deadlines/export/deadlines_all.csv?{PERIOD}").text)
    region = deadline_rows(events, default_rulebook(), DeadlineFilter.parse("2024-07..2025-06"))
    assert sum(int(r["completed"]) for r in everything) < sum(r["completed"] for r in region)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_see_small_cells_suppressed(client, events, role: str) -> None:  # type: ignore[no-untyped-def]
    c = client(role)
    page = c.get(f"/deadlines/{CT}?{PERIOD}&unit=U3")
    assert page.status_code == 200
    want = suppress_rows(deadline_rows(events, default_rulebook(), flt(units=("U3",))))
    shown = table_rows(page.text, "deadlines-by-month")
    assert [page_figures(r) for r in shown] == [lib_figures(r) for r in want]
    assert any(r["completed"] == "<5" for r in want)
    assert "<5" in page.text
    rows = csv_rows(c.get(f"/deadlines/{CT}/export/deadlines_by_month.csv?{PERIOD}&unit=U3").text)
    small = [r for r in rows if r["completed"] == "<5"]
    assert small and all(r["within_limit_pct"] == "" and r["median_days"] == "" for r in small)
    assert all(r["completed"] == "<5" or int(r["completed"]) >= 5 for r in rows)


def test_leadership_sees_the_region_unsuppressed(client, events) -> None:  # type: ignore[no-untyped-def]
    rows = csv_rows(client("leadership").get(
        f"/deadlines/{CT}/export/deadlines_by_unit.csv?{PERIOD}").text)
    assert {r["unit_id"] for r in rows} == {"U1", "U2", "U3"}
    assert "<5" not in {r["completed"] for r in rows}


@pytest.mark.parametrize("role", ["leadership", "analyst", "admin"])
def test_person_level_open_cases_are_for_managers_only(client, role: str) -> None:  # type: ignore[no-untyped-def]
    c = client(role)
    assert c.get(f"/deadlines/{CT}/open").status_code == 403
    assert c.get(f"/deadlines/{CT}/export/deadlines_open_cases.csv").status_code == 403
    page = c.get(f"/deadlines/{CT}")
    assert f"/deadlines/{CT}/open" not in page.text
    assert "person_id" not in c.get(f"/deadlines/{CT}/export/deadlines_open.csv").text


def test_manager_reads_open_cases_audited(client, manage_app, events) -> None:  # type: ignore[no-untyped-def]
    c = client("manager")
    engine = manage_app.state.engine
    before = len(audit.events(engine, action=audit.READ_PERSONS))
    page = c.get(f"/deadlines/{CT}/open?on={ON}")
    assert page.status_code == 200
    rows = table_rows(page.text, "deadlines-open-cases")
    want = [r for r in open_legs(events, default_rulebook(), ON,
                                 DeadlineFilter(case_types=(CaseType(CT),))).rows
            if r["unit_id"] == "U1"]
    assert [r["case_id"] for r in rows] == [r["case_id"] for r in want] and want
    assert {r["unit_id"] for r in rows} == {"Keskustan terveysasema"}
    read = audit.events(engine, action=audit.READ_PERSONS)
    assert len(read) == before + 1
    assert read[0].target == "deadlines_open_cases" and f"persons={len(want)}" in read[0].detail
    export = c.get(f"/deadlines/{CT}/export/deadlines_open_cases.csv?on={ON}")
    assert [r["case_id"] for r in csv_rows(export.text)] == [r["case_id"] for r in want]
    assert audit.events(engine, action=audit.EXPORT_PERSONS)[0].target.startswith(
        "deadlines_open_cases")
    assert f"/deadlines/{CT}/open" in c.get(f"/deadlines/{CT}").text


def test_professionals_have_no_management_pages(manage_app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from sotekeskus.store.users import create_user
    from tests.web.conftest import sign_in

    create_user(manage_app.state.engine, "nurse-dl", "nurse-password-12", "professional",
                ["U1"])
    c = sign_in(TestClient(manage_app, base_url="https://testserver"), "nurse-dl",
                "nurse-password-12")
    assert c.get(f"/deadlines/{CT}").status_code == 403
    anon = TestClient(manage_app, base_url="https://testserver")
    assert anon.get("/deadlines", follow_redirects=False).status_code == 303


# ------------------------------------------------------------------------ languages

@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_pages_are_translated(client, lang: str) -> None:  # type: ignore[no-untyped-def]
    forbidden = english_only(lang) if lang != "en" else set()
    for role, paths in (("manager", ["/deadlines", f"/deadlines/{CT}",
                                     f"/deadlines/{CT}/open",
                                     "/deadlines/disability_application"]),
                        ("leadership", [f"/deadlines/{CT}?judged_by=targets",
                                        "/deadlines/specialist_referral"])):
        c = client(role)
        switch(c, lang)
        try:
            for path in paths:
                r = c.get(path)
                assert r.status_code == 200, path
                assert f'<html lang="{lang}">' in r.text
                leaked = [t for t in visible_text(r.text) if t in forbidden]
                assert not leaked, (lang, path, leaked)
        finally:
            switch(c, "fi")
