# ruff: noqa: F811 - the region fixtures are imported from tests/web/manage/conftest.py
"""The clinical worklists on the workdesk (issue 16 §4 and §7): a professional of unit U reads
the follow-up-gap worklist and the risk model's persons to consider of U only, a purpose is
required before anything is shown, one audit row per person shown (purpose and
``subject_person_id``), and the justified / not-justified mark is stored and counted in the
model's justified share. Other units, schedulers, analysts and leadership: 403 and no
person id."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.pathways.followup import follow_up_worklist
from sotekeskus.pathways.models.cards import run as evaluate_models
from sotekeskus.pathways.models.scoring import listed
from sotekeskus.pathways.models.stored import justified_share, latest_run, save_run
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.store import audit
from sotekeskus.store.models import AuditEvent, RiskMark
from tests.web.conftest import PASSWORDS, ROLE_USERS, csrf_from, sign_in
from tests.web.helpers import table_rows
from tests.web.manage.conftest import region_app, region_url  # noqa: F401

ON = date(2025, 6, 30)
MODEL = "home_care"
PERSON = re.compile(r"\bP[0-9a-f]{10}\b")
NURSE_PASSWORD = "worklist-nurse-1"


@pytest.fixture(scope="module")
def world(region_app, region_url, tmp_path_factory):  # type: ignore[no-untyped-def]  # noqa: F811
    """Both models stored; a nurse of the unit U with the most persons listed on ``ON``, a
    nurse of the next unit V, a scheduler of U; the expected lists computed by the library."""
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.users import create_user

    engine = region_app.state.engine
    if latest_run(engine, MODEL) is None:
        save_run(engine, evaluate_models(1500, date(2019, 1, 1), date(2024, 12, 31), 1, 50),
                 created_by="test")
    run = latest_run(engine, MODEL)
    scratch = make_engine(f"sqlite:///{tmp_path_factory.mktemp('audit') / 'audit.db'}")
    upgrade(scratch)
    src = EpisodeSource.from_store(region_url)
    try:
        rows = listed(src, run, ON)
        (u, _), (v, _) = Counter(r["unit_id"] for r in rows).most_common(2)
        gaps = follow_up_worklist(src, ON, actor="test", purpose="test", audit_engine=scratch,
                                  units=[u])
    finally:
        src.close()
    scratch.dispose()
    for name, role, units in (("wl_nurse_u", "professional", [u]),
                              ("wl_nurse_v", "professional", [v]),
                              ("wl_scheduler", "scheduler", [u])):
        create_user(engine, name, NURSE_PASSWORD, role, units, language="en")
    return {"run": run, "rows": rows, "u": u, "v": v, "gaps": gaps,
            "mine": [r for r in rows if r["unit_id"] == u],
            "theirs": [r for r in rows if r["unit_id"] == v]}


def client(app, user: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = TestClient(app, base_url="https://testserver")
    if user in ROLE_USERS:
        return sign_in(c, ROLE_USERS[user], PASSWORDS[user])
    return sign_in(c, user, NURSE_PASSWORD)


def last_audit_id(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


def reads_since(engine, before: int, target: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.id > before,
                                                       AuditEvent.target == target)))


def test_the_nurse_reads_the_follow_up_gaps_of_her_unit_audited(region_app, world) -> None:  # type: ignore[no-untyped-def]
    engine = region_app.state.engine
    c = client(region_app, "wl_nurse_u")
    home = c.get("/workdesk")
    assert 'href="/workdesk/follow-up"' in home.text and f'href="/workdesk/risk/{MODEL}"' \
        in home.text
    before = last_audit_id(engine)
    form = c.get(f"/workdesk/follow-up?on={ON}")
    assert form.status_code == 200 and 'id="workdesk-follow-up"' not in form.text
    assert not PERSON.findall(form.text) and reads_since(engine, before,
                                                         "follow_up_worklist") == []
    page = c.get(f"/workdesk/follow-up?on={ON}&purpose=contact_patients")
    assert page.status_code == 200
    rows = table_rows(page.text, "workdesk-follow-up")
    want = world["gaps"]
    assert want and [r["person_id"] for r in rows] == [w["person_id"] for w in want]
    assert int(rows[0]["days_overdue"].replace(",", "")) == want[0]["days_overdue"]  # en: 1,542
    assert "days overdue" in rows[0]["reason"] and "labels no one" in page.text
    reads = reads_since(engine, before, "follow_up_worklist")
    assert sorted(a.subject_person_id for a in reads if a.subject_person_id) == \
        sorted({w["person_id"] for w in want})
    assert {a.purpose for a in reads} == {"contact_patients"}
    assert {a.action for a in reads} == {audit.READ_PERSONS}  # what "who read my data" lists
    assert {a.actor for a in reads} == {"wl_nurse_u"}
    summary = [a.detail for a in reads if not a.subject_person_id]
    assert len(summary) == 1 and f"units={world['u']}" in summary[0]
    # another unit, an unknown purpose: refused, nothing shown
    other = c.get(f"/workdesk/follow-up?on={ON}&purpose=contact_patients&unit={world['v']}")
    assert other.status_code == 403 and not PERSON.findall(other.text)
    assert c.get("/workdesk/follow-up?purpose=curiosity").status_code == 400


def test_the_nurse_reads_the_risk_list_of_her_unit_audited(region_app, world) -> None:  # type: ignore[no-untyped-def]
    engine = region_app.state.engine
    c = client(region_app, "wl_nurse_u")
    before = last_audit_id(engine)
    form = c.get(f"/workdesk/risk/{MODEL}?on={ON}")
    assert form.status_code == 200 and 'id="workdesk-risk-list"' not in form.text
    assert not PERSON.findall(form.text)
    assert reads_since(engine, before, f"risk_list:{MODEL}") == []
    page = c.get(f"/workdesk/risk/{MODEL}?on={ON}&purpose=assess_need")
    assert page.status_code == 200
    rows = table_rows(page.text, "workdesk-risk-list")
    mine = world["mine"]
    assert [r["person_id"] for r in rows] == [r["person_id"] for r in mine] and mine
    assert rows[0]["factors_text"] not in ("", "–")
    assert "labels no one" in page.text
    assert world["run"].card[:40] in page.text.replace("&#39;", "'")  # the card, inline
    assert not {r["person_id"] for r in world["theirs"]} & set(PERSON.findall(page.text))
    reads = reads_since(engine, before, f"risk_list:{MODEL}")
    assert sorted(a.subject_person_id for a in reads if a.subject_person_id) == \
        sorted(r["person_id"] for r in mine)
    assert {a.purpose for a in reads} == {"assess_need"}
    assert {a.action for a in reads} == {audit.READ_PERSONS}
    assert [a.detail for a in reads if not a.subject_person_id] == \
        [f"on={ON}; units={world['u']}; persons={len(mine)}"]
    assert c.get(f"/workdesk/risk/{MODEL}?purpose=gossip").status_code == 400
    assert c.get("/workdesk/risk/astrology?purpose=assess_need").status_code == 400
    other = c.get(f"/workdesk/risk/{MODEL}?on={ON}&purpose=assess_need&unit={world['v']}")
    assert other.status_code == 403 and not PERSON.findall(other.text)


def test_a_mark_is_stored_and_counted_in_the_justified_share(region_app, world) -> None:  # type: ignore[no-untyped-def]
    engine = region_app.state.engine
    c = client(region_app, "wl_nurse_u")
    page = c.get(f"/workdesk/risk/{MODEL}?on={ON}&purpose=assess_need")
    token = csrf_from(page.text)
    people = [r["person_id"] for r in world["mine"]][:2]
    start = justified_share(engine, MODEL, unit_ids=(world["u"],))[0]
    plan = [(people[0], "yes"), (people[-1], "no")] if len(people) > 1 else \
        [(people[0], "yes")]
    for person, mark in plan:
        r = c.post(f"/workdesk/risk/{MODEL}/mark", follow_redirects=False,
                   data={"csrf_token": token, "person_id": person, "on": ON.isoformat(),
                         "justified": mark, "note": "called", "purpose": "assess_need"})
        assert r.status_code == 303, r.text
        assert r.headers["location"].startswith(f"/workdesk/risk/{MODEL}?on={ON}")
    with Session(engine) as s:
        marks = list(s.scalars(select(RiskMark).where(RiskMark.marked_by == "wl_nurse_u")
                               .order_by(RiskMark.id)))
    assert [(m.person_id, m.justified, m.note, m.unit_id) for m in marks] == \
        [(p, v == "yes", "called", world["u"]) for p, v in plan]
    share = justified_share(engine, MODEL, unit_ids=(world["u"],))[0]
    assert share["marked"] == start["marked"] + len(plan)
    assert share["justified"] == start["justified"] + 1
    again = c.get(f"/workdesk/risk/{MODEL}?on={ON}&purpose=assess_need")
    shown = {r["person_id"]: r["mark"] for r in table_rows(again.text, "workdesk-risk-list")}
    assert shown[people[0]] == "Justified"
    assert f"{share['justified']} justified of {share['marked']} marked" in again.text
    # a person of another unit (403), a person not listed, an unknown mark (400): nothing
    theirs = world["theirs"][0]["person_id"]
    refused = c.post(f"/workdesk/risk/{MODEL}/mark",
                     data={"csrf_token": token, "person_id": theirs, "on": ON.isoformat(),
                           "justified": "yes"})
    assert refused.status_code == 403
    assert c.post(f"/workdesk/risk/{MODEL}/mark",
                  data={"csrf_token": token, "person_id": "P0000000000", "on": ON.isoformat(),
                        "justified": "yes"}).status_code == 400
    assert c.post(f"/workdesk/risk/{MODEL}/mark",
                  data={"csrf_token": token, "person_id": people[0], "on": ON.isoformat(),
                        "justified": "maybe"}).status_code == 400
    assert c.post(f"/workdesk/risk/{MODEL}/mark",
                  data={"person_id": people[0], "on": ON.isoformat(),
                        "justified": "yes"}).status_code in (400, 403)  # no CSRF token
    with Session(engine) as s:
        assert len(list(s.scalars(select(RiskMark).where(
            RiskMark.marked_by == "wl_nurse_u")))) == len(plan)


@pytest.mark.parametrize("user", ["wl_scheduler", "analyst", "leadership"])
def test_other_roles_get_403_and_no_person(region_app, world, user: str) -> None:  # type: ignore[no-untyped-def]
    engine = region_app.state.engine
    c = client(region_app, user)
    before = last_audit_id(engine)
    person = world["mine"][0]["person_id"]
    for path in (f"/workdesk/follow-up?on={ON}&purpose=contact_patients",
                 f"/workdesk/risk/{MODEL}?on={ON}&purpose=assess_need",
                 "/workdesk/risk/readmission?purpose=assess_need"):
        r = c.get(path)
        assert r.status_code == 403, (user, path)
        assert not PERSON.findall(r.text), (user, path)
    token = csrf_from(c.get("/workdesk/follow-up").text)  # every page carries it
    r = c.post(f"/workdesk/risk/{MODEL}/mark",
               data={"csrf_token": token, "person_id": person, "on": ON.isoformat(),
                     "justified": "yes"})
    assert r.status_code == 403 and person not in r.text
    assert reads_since(engine, before, f"risk_list:{MODEL}") == []
    assert reads_since(engine, before, "follow_up_worklist") == []


def test_a_nurse_of_another_unit_sees_none_of_u(region_app, world) -> None:  # type: ignore[no-untyped-def]
    c = client(region_app, "wl_nurse_v")
    mine = {r["person_id"] for r in world["mine"]}
    page = c.get(f"/workdesk/risk/{MODEL}?on={ON}&purpose=assess_need")
    assert page.status_code == 200
    ids = {r["person_id"] for r in table_rows(page.text, "workdesk-risk-list")}
    assert ids == {r["person_id"] for r in world["theirs"]} and not ids & mine
    gaps = c.get(f"/workdesk/follow-up?on={ON}&purpose=contact_patients")
    assert not set(PERSON.findall(gaps.text)) & {g["person_id"] for g in world["gaps"]}
    for path in (f"/workdesk/risk/{MODEL}?on={ON}&purpose=assess_need&unit={world['u']}",
                 f"/workdesk/follow-up?on={ON}&purpose=contact_patients&unit={world['u']}"):
        r = c.get(path)
        assert r.status_code == 403 and not PERSON.findall(r.text)
