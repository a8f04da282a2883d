"""The risk models in the product (issue 16 §7): the model card page shows the stored
evaluation (what ``sotekeskus models evaluate --store`` printed), the professional's list is
only for the roles that may see persons of those units, needs a purpose, writes one audit row
per person shown (purpose and ``subject_person_id``), and the justified / not-justified
marks are stored and counted into the share of justified marks."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.pathways.models.cards import run as evaluate_models
from sotekeskus.pathways.models.scoring import listed
from sotekeskus.pathways.models.stored import latest_run, save_run
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.store.models import AuditEvent, RiskMark
from tests.web.conftest import PASSWORDS, csrf_from, sign_in
from tests.web.helpers import table_rows
from tests.web.test_i18n import switch

ON = date(2025, 6, 30)
MODEL = "home_care"


@pytest.fixture(scope="module")
def stored(region_app, region_url):  # type: ignore[no-untyped-def]
    """Both models evaluated on a small synthetic region and stored in the web's store,
    and a manager of the unit with the most persons listed on ``ON``."""
    from sotekeskus.store.users import create_user

    engine = region_app.state.engine
    if latest_run(engine, MODEL) is None:
        save_run(engine, evaluate_models(1500, date(2019, 1, 1), date(2024, 12, 31), 1, 50),
                 created_by="test")
    run = latest_run(engine, MODEL)
    src = EpisodeSource.from_store(region_url)
    try:
        rows = listed(src, run, ON)
    finally:
        src.close()
    unit = Counter(r["unit_id"] for r in rows).most_common(1)[0][0]
    try:
        create_user(engine, "riskmanager", PASSWORDS["manager"], "manager", [unit])
    except Exception:  # noqa: BLE001 - the user exists from an earlier module run
        pass
    return {"run": run, "rows": rows, "unit": unit}


def manager(region_app) -> TestClient:  # type: ignore[no-untyped-def]
    c = TestClient(region_app, base_url="https://testserver")
    return sign_in(c, "riskmanager", PASSWORDS["manager"])


def test_the_card_page_shows_the_stored_evaluation(region_client, stored) -> None:  # type: ignore[no-untyped-def]
    c = region_client("analyst")
    page = c.get(f"/pathways/models/{MODEL}")
    assert page.status_code == 200
    ev = stored["run"].evaluation
    metrics = list(csv.DictReader(io.StringIO(c.get(
        f"/pathways/models/{MODEL}/export/{MODEL}_metrics.csv").text)))
    auroc = next(r for r in metrics if r["scorer"] == "model" and r["figure"] == "auroc")
    assert float(auroc["value"]) == round(ev["metrics"]["model"]["auroc"], 3)
    assert float(auroc["lo"]) == round(ev["metrics"]["model"]["auroc_lo"], 3)
    calibration = table_rows(page.text, "pathways-model-calibration")
    assert len(calibration) == 10
    subgroups = table_rows(page.text, "pathways-model-subgroups")
    assert len(subgroups) == sum(len(g) for g in ev["subgroups"].values())
    assert "labels no one" in page.text and stored["run"].card[:20] in page.text
    assert c.get("/pathways/models/astrology").status_code == 400


@pytest.mark.parametrize("role", ["leadership", "analyst", "admin"])
def test_the_list_is_not_for_this_role(region_client, stored, role: str) -> None:  # type: ignore[no-untyped-def]
    c = region_client(role)
    person = stored["rows"][0]["person_id"]
    for path in (f"/pathways/models/{MODEL}/list?purpose=assess_need&on={ON}",
                 f"/pathways/models/{MODEL}/list.csv?purpose=assess_need&on={ON}",
                 "/pathways/models/readmission/list?purpose=assess_need"):
        r = c.get(path)
        assert r.status_code == 403 and person not in r.text, path
    page = c.get(f"/pathways/models/{MODEL}")
    r = c.post(f"/pathways/models/{MODEL}/list/mark",
               data={"csrf_token": csrf_from(page.text), "person_id": person,
                     "on": ON.isoformat(), "justified": "yes"})
    assert r.status_code == 403 and person not in r.text


def test_a_manager_reads_the_list_audited_and_marks_it(region_app, stored) -> None:  # type: ignore[no-untyped-def]
    engine = region_app.state.engine
    c = manager(region_app)
    mine = [r for r in stored["rows"] if r["unit_id"] == stored["unit"]]
    assert mine
    form = c.get(f"/pathways/models/{MODEL}/list?on={ON}")
    assert form.status_code == 200 and 'id="pathways-risk-list"' not in form.text
    with Session(engine) as s:
        before = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    page = c.get(f"/pathways/models/{MODEL}/list?on={ON}&purpose=assess_need")
    assert page.status_code == 200
    assert "eikä leimaa ketään" in page.text and f'href="/pathways/models/{MODEL}"' in page.text
    rows = table_rows(page.text, "pathways-risk-list")
    assert [r["person_id"] for r in rows] == [r["person_id"] for r in mine]
    assert rows[0]["factors_text"] not in ("", "–")
    with Session(engine) as s:
        reads = s.scalars(select(AuditEvent).where(AuditEvent.id > before,
                                                   AuditEvent.target == f"risk_list:{MODEL}"))
        reads = list(reads)
    assert sorted(a.subject_person_id for a in reads if a.subject_person_id) == \
        sorted(r["person_id"] for r in mine)
    assert [a.detail for a in reads if not a.subject_person_id] == \
        [f"on={ON}; units={stored['unit']}; persons={len(mine)}"]
    assert {a.purpose for a in reads} == {"assess_need"}
    assert {a.actor for a in reads} == {"riskmanager"}
    # marks: the first two justified, the first one re-marked not justified, a third not
    token = csrf_from(page.text)
    people = [r["person_id"] for r in mine][:3]
    plan = [(people[0], "yes"), (people[0], "no")] + [(p, "yes") for p in people[1:2]] + \
        [(p, "no") for p in people[2:3]]
    for person, mark in plan:
        r = c.post(f"/pathways/models/{MODEL}/list/mark", follow_redirects=False,
                   data={"csrf_token": token, "person_id": person, "on": ON.isoformat(),
                         "justified": mark, "note": "seen", "purpose": "assess_need"})
        assert r.status_code == 303, r.text
    with Session(engine) as s:
        marks = list(s.scalars(select(RiskMark).where(RiskMark.model == MODEL)
                               .order_by(RiskMark.id)))
    assert [(m.person_id, m.justified) for m in marks][-len(plan):] == \
        [(p, v == "yes") for p, v in plan]
    assert {m.marked_by for m in marks} == {"riskmanager"} and marks[-1].note == "seen"
    current = {p: v for p, v in plan}
    yes = sum(v == "yes" for v in current.values())
    share = list(csv.DictReader(io.StringIO(c.get(
        f"/pathways/models/{MODEL}/export/justified_share.csv").text)))
    row = next(r for r in share if r["model"] == MODEL)
    assert int(row["marked"]) == len(current) and int(row["justified"]) == yes
    assert float(row["justified_pct"]) == round(100 * yes / len(current), 1)
    shown = table_rows(c.get(f"/pathways/models/{MODEL}/list?on={ON}&purpose=assess_need"
                             ).text, "pathways-risk-list")
    assert shown[0]["mark"] in ("Ei perusteltu", "Perusteltu")
    # a person who is not on the list, an unknown mark: refused, nothing stored
    bad = c.post(f"/pathways/models/{MODEL}/list/mark",
                 data={"csrf_token": token, "person_id": "P-nobody", "on": ON.isoformat(),
                       "justified": "yes"})
    assert bad.status_code == 400
    assert c.post(f"/pathways/models/{MODEL}/list/mark",
                  data={"csrf_token": token, "person_id": people[0], "on": ON.isoformat(),
                        "justified": "maybe"}).status_code == 400
    others = [r for r in stored["rows"] if r["unit_id"] != stored["unit"]]
    if others:
        r = c.post(f"/pathways/models/{MODEL}/list/mark",
                   data={"csrf_token": token, "person_id": others[0]["person_id"],
                         "on": ON.isoformat(), "justified": "yes"})
        assert r.status_code == 403
    with Session(engine) as s:
        assert len(list(s.scalars(select(RiskMark).where(RiskMark.model == MODEL)))) == \
            len(marks)
    export = c.get(f"/pathways/models/{MODEL}/list.csv?on={ON}&purpose=plan_follow_up")
    assert [r["person_id"] for r in csv.DictReader(io.StringIO(export.text))] == \
        [r["person_id"] for r in mine]
    assert c.get(f"/pathways/models/{MODEL}/list?purpose=gossip").status_code == 400
    switch(c, "sv")  # the factors are text in the reader's language
    try:
        swedish = table_rows(c.get(f"/pathways/models/{MODEL}/list?on={ON}&purpose="
                                   "assess_need").text, "pathways-risk-list")
        assert any(w in swedish[0]["factors_text"] for w in ("besök", "ålder", "sjukdomar"))
    finally:
        switch(c, "fi")


PERSON = re.compile(r"\bP[0-9a-f]{10}\b")


def test_no_page_or_export_shows_persons_to_a_role_that_may_not(  # type: ignore[no-untyped-def]
        region_client, stored) -> None:
    """Every clients-and-pathways page and every export linked from it, for every role the
    access policy keeps from person-level data: no person pseudonym anywhere."""
    pages = ["/pathways", "/pathways/continuity", "/pathways/flow",
             "/pathways/flow?case_type=neuropsychiatric_assessment", "/pathways/segments",
             "/pathways/follow-up", "/pathways/outcomes", "/pathways/experience",
             "/pathways/cost", "/pathways/models", f"/pathways/models/{MODEL}",
             "/pathways/models/readmission"]
    for role in ("leadership", "analyst", "admin"):
        c = region_client(role)
        seen: set[str] = set()
        for path in pages:
            r = c.get(path)
            assert r.status_code == 200, (role, path)
            assert not PERSON.findall(r.text), (role, path)
            links = re.findall(r'href="(/pathways[^"]*\.(?:csv|xlsx|svg)[^"]*)"', r.text)
            for link in links:
                link = link.replace("&amp;", "&")
                if link in seen:
                    continue
                seen.add(link)
                e = c.get(link)
                assert e.status_code in (200, 403), (role, link)
                body = e.text if not link.split("?")[0].endswith(".xlsx") else \
                    e.content.decode("latin-1")
                assert not PERSON.findall(body), (role, link)
        assert len(seen) > 10
        for path in ("/pathways/follow-up/worklist?purpose=contact_patients",
                     "/pathways/follow-up/worklist.csv?purpose=contact_patients",
                     f"/pathways/models/{MODEL}/list?purpose=assess_need",
                     f"/pathways/models/{MODEL}/list.xlsx?purpose=assess_need"):
            r = c.get(path)
            assert r.status_code == 403 and not PERSON.findall(r.text), (role, path)
