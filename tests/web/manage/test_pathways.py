"""The clients-and-pathways pages (issue 16 §9) on a small synthetic region with the
contract-v2 columns: the numbers are the pathways library's (computed here straight from
the store, the CLI's way), each role sees its scope, the person-level worklist is only for
the roles the policy allows, needs a purpose and is audited, every language is complete."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from sotekeskus.pathways.clients import clients
from sotekeskus.pathways.clients import suppress as suppress_clients
from sotekeskus.pathways.continuity import continuity
from sotekeskus.pathways.followup import follow_up, follow_up_worklist
from sotekeskus.pathways.segments import profiles, transitions
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.pathways.store_log import store_flow
from sotekeskus.store import audit
from tests.web.helpers import number, table_rows, visible_text
from tests.web.test_i18n import english_only, switch

END = date(2025, 6, 30)


@pytest.fixture
def source(region_url: str):  # type: ignore[no-untyped-def]
    src = EpisodeSource.from_store(region_url)
    yield src
    src.close()


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def raw(value: object) -> str:
    return "" if value is None else str(value)


# ------------------------------------------------------------------------ clients

def test_clients_are_the_librarys(region_client, source) -> None:  # type: ignore[no-untyped-def]
    c = region_client("leadership")
    page = c.get(f"/pathways?to={END}")
    assert page.status_code == 200
    want = clients(source, END).rows
    got = csv_rows(c.get(f"/pathways/clients/export/clients.csv?to={END}").text)
    assert [(r["unit_id"], r["age_group"]) for r in got] == \
        [(w["unit_id"], w["age_group"]) for w in want]
    for g, w in zip(got, want, strict=True):
        assert g["clients"] == raw(w["clients"])
        assert g["high_users_pct"] == raw(w["high_users_pct"])
    region = table_rows(page.text, "pathways-clients")[-1]
    assert number(region["clients"]) == want[-1]["clients"]
    assert page.text.count('class="chart"') == 1


def test_clients_by_role(region_client, source) -> None:  # type: ignore[no-untyped-def]
    want = clients(source, END).rows
    manager = csv_rows(region_client("manager").get(
        f"/pathways/clients/export/clients.csv?to={END}").text)
    assert {r["unit_id"] for r in manager} == {"U001"}
    assert [r["clients"] for r in manager] == [raw(w["clients"]) for w in want
                                               if w["unit_id"] == "U001"]
    analyst = csv_rows(region_client("analyst").get(
        f"/pathways/clients/export/clients.csv?to={END}").text)
    assert [r["high_users"] for r in analyst] == [raw(w["high_users"])
                                                 for w in suppress_clients(want)]
    assert "<5" in {r["high_users"] for r in analyst}
    assert region_client("manager").get("/pathways?unit=U002").status_code == 403


# ------------------------------------------------------------------------ continuity

def test_continuity_is_the_librarys(region_client, source) -> None:  # type: ignore[no-untyped-def]
    c = region_client("leadership")
    query = "from=2024-07-01&to=2025-06-30"
    page = c.get(f"/pathways/continuity?{query}")
    assert page.status_code == 200
    want = continuity(source, date(2024, 7, 1), date(2025, 6, 30)).rows
    got = table_rows(page.text, "pathways-continuity")
    assert len(got) == len(want) > 10
    assert [number(r["mean_coc"]) for r in got] == [w["mean_coc"] for w in want]
    manager = table_rows(region_client("manager").get(f"/pathways/continuity?{query}").text,
                         "pathways-continuity")
    assert len(manager) == len([w for w in want if w["unit_id"] == "U001"]) > 0
    svg = c.get(f"/pathways/continuity/chart/continuity.svg?{query}")
    assert svg.status_code == 200 and "<svg" in svg.text


def test_continuity_without_professionals_says_so(client) -> None:  # type: ignore[no-untyped-def]
    page = client("leadership").get("/pathways/continuity")
    assert page.status_code == 200
    assert "professional_id" in page.text  # the web test region is contract version 1


# ------------------------------------------------------------------------ flow

CASE = "neuropsychiatric_assessment"


def test_flow_is_the_librarys_with_a_graph(region_client, source) -> None:  # type: ignore[no-untyped-def]
    c = region_client("leadership")
    page = c.get(f"/pathways/flow?case_type={CASE}")
    assert page.status_code == 200
    want = store_flow(source, CASE).to_dict(detail=True)
    got = csv_rows(c.get(f"/pathways/flow/export/flow_edges.csv?case_type={CASE}").text)
    assert [(r["from"], r["to"], int(r["count"]), float(r["median_hours"])) for r in got] == \
        [(e["from"], e["to"], e["count"], e["median_hours"]) for e in want["edges"]]
    bottlenecks = table_rows(page.text, "pathways-bottlenecks")
    assert len(bottlenecks) == len(want["bottlenecks"])
    svg = c.get(f"/pathways/flow/chart/graph.svg?case_type={CASE}")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg")
    assert "<svg" in svg.text and f">{want['edges'][0]['count']}" in svg.text
    assert c.get("/pathways/flow?case_type=teleportation").status_code == 400


def test_a_managers_flow_is_their_units(region_client, source) -> None:  # type: ignore[no-untyped-def]
    con = source.con
    episodes = con.execute("SELECT * FROM episodes WHERE unit_id = 'U001'").fetch_arrow_table()
    events = con.execute("SELECT * FROM case_events WHERE unit_id = 'U001'").fetch_arrow_table()
    own = EpisodeSource.from_arrow(episodes, events)
    want = store_flow(own, "primary_access").to_dict(detail=True)
    got = csv_rows(region_client("manager").get(
        "/pathways/flow/export/flow_edges.csv?case_type=primary_access").text)
    assert [(r["from"], r["to"], int(r["count"])) for r in got] == \
        [(e["from"], e["to"], e["count"]) for e in want["edges"]]
    region = store_flow(source, "primary_access").to_dict()
    assert sum(e["count"] for e in want["edges"]) < sum(e["count"] for e in region["edges"])


def test_analysts_get_a_suppressed_flow(region_client, source) -> None:  # type: ignore[no-untyped-def]
    got = csv_rows(region_client("analyst").get(
        "/pathways/flow/export/flow_edges.csv?case_type=specialist_referral").text)
    want = store_flow(source, "specialist_referral").to_dict(detail=True, suppress=True)
    assert [r["count"] for r in got] == [raw(e["count"]) for e in want["edges"]]
    assert "<5" in {r["count"] for r in got}


# ------------------------------------------------------------------------ segments

def test_segments_are_the_librarys(region_client, source) -> None:  # type: ignore[no-untyped-def]
    c = region_client("leadership")
    page = c.get("/pathways/segments?year=2024")
    assert page.status_code == 200
    want = profiles(source, 2024).rows
    got = csv_rows(c.get("/pathways/segments/export/segments.csv?year=2024").text)
    assert [(r["segment"], r["persons"], r["mean_age"]) for r in got] == \
        [(w["segment"], raw(w["persons"]), raw(w["mean_age"])) for w in want]
    moves = csv_rows(c.get("/pathways/segments/export/segment_transitions.csv?year=2024").text)
    assert [int(r["persons"]) for r in moves] == [m["persons"] for m in transitions(source, 2023)]
    assert "Hauraus" in page.text  # the rule table's own names, in the page's language
    assert c.get("/pathways/segments/chart/moves.svg?year=2024").status_code == 200
    assert c.get("/pathways/segments?year=20x4").status_code == 400


def test_segments_are_for_whole_region_roles(region_client) -> None:  # type: ignore[no-untyped-def]
    page = region_client("manager").get("/pathways/segments?year=2024")
    assert page.status_code == 200 and 'id="pathways-segments"' not in page.text
    assert region_client("manager").get(
        "/pathways/segments/export/segments.csv?year=2024").status_code == 404
    analyst = csv_rows(region_client("analyst").get(
        "/pathways/segments/export/segment_transitions.csv?year=2024").text)
    assert "<5" in {r["persons"] for r in analyst}


# ------------------------------------------------------------------------ follow-up

def test_follow_up_counts_are_the_librarys(region_client, source) -> None:  # type: ignore[no-untyped-def]
    c = region_client("leadership")
    page = c.get(f"/pathways/follow-up?on={END}")
    assert page.status_code == 200
    want = follow_up(source, END).rows
    got = csv_rows(c.get(f"/pathways/follow-up/export/follow_up.csv?on={END}").text)
    assert [(r["unit_id"], r["condition"], r["persons"], r["lapsed"]) for r in got] == \
        [(w["unit_id"], w["condition"], raw(w["persons"]), raw(w["lapsed"])) for w in want]
    assert "/pathways/follow-up/worklist" not in page.text
    mine = csv_rows(region_client("manager").get(
        f"/pathways/follow-up/export/follow_up.csv?on={END}&condition=diabetes").text)
    assert {(r["unit_id"], r["condition"]) for r in mine} == {("U001", "diabetes")}
    assert c.get("/pathways/follow-up?condition=gout").status_code == 400


@pytest.mark.parametrize("role", ["leadership", "analyst", "admin"])
def test_the_worklist_is_not_for_this_role(region_client, role: str) -> None:  # type: ignore[no-untyped-def]
    c = region_client(role)
    assert c.get("/pathways/follow-up/worklist?purpose=contact_patients").status_code == 403
    assert c.get("/pathways/follow-up/worklist.csv?purpose=contact_patients").status_code == 403


def test_a_manager_reads_the_worklist_with_a_purpose_audited(  # type: ignore[no-untyped-def]
        region_client, region_app, source, tmp_path) -> None:
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade

    engine = region_app.state.engine
    c = region_client("manager")
    before = len(audit.events(engine, action=audit.READ_PERSONS))
    form = c.get(f"/pathways/follow-up/worklist?on={END}")
    assert form.status_code == 200 and 'id="pathways-worklist"' not in form.text
    assert len(audit.events(engine, action=audit.READ_PERSONS)) == before  # nothing read yet
    page = c.get(f"/pathways/follow-up/worklist?on={END}&purpose=contact_patients")
    assert page.status_code == 200
    scratch = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(scratch)
    want = follow_up_worklist(source, END, actor="test", purpose="test",
                              audit_engine=scratch, units=["U001"])
    rows = table_rows(page.text, "pathways-worklist")
    assert [r["person_id"] for r in rows] == [w["person_id"] for w in want] and want
    assert number(rows[0]["days_overdue"]) == want[0]["days_overdue"]
    assert "päivää myöhässä" in rows[0]["reason"]
    read = audit.events(engine, action=audit.READ_PERSONS)
    shown = {w["person_id"] for w in want}
    assert len(read) == before + 1 + len(shown)  # the summary and one row per person
    first = read[len(shown)]
    assert first.target == "follow_up_worklist" and "purpose=contact_patients" in \
        first.detail and f"persons={len(want)}" in first.detail
    export = c.get(f"/pathways/follow-up/worklist.csv?on={END}&purpose=plan_capacity")
    assert [r["person_id"] for r in csv_rows(export.text)] == [w["person_id"] for w in want]
    assert audit.events(engine, action=audit.EXPORT_PERSONS)[0].target == \
        "follow_up_worklist.csv"
    assert c.get("/pathways/follow-up/worklist?purpose=curiosity").status_code == 400
    assert c.get("/pathways/follow-up/worklist.csv").status_code == 400
    assert c.get("/pathways/follow-up/worklist?purpose=contact_patients&unit=U002"
                 ).status_code == 403


# ------------------------------------------------------------------------ languages

@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_pathways_pages_are_translated(region_client, lang: str) -> None:  # type: ignore[no-untyped-def]
    forbidden = english_only(lang) if lang != "en" else set()
    for role, paths in (("leadership", ["/pathways", "/pathways/continuity",
                                        f"/pathways/flow?case_type={CASE}",
                                        "/pathways/segments?year=2024",
                                        "/pathways/follow-up"]),
                        ("manager", ["/pathways/segments",
                                     "/pathways/follow-up/worklist?purpose=check_records"])):
        c = region_client(role)
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
