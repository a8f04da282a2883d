"""FHIR searchset paging: ``Bundle.link`` self / next / previous carrying ``_count`` and
``_offset``; walking ``next`` returns every match exactly once, the access policy applies on
every page, every page is valid R4 and audited; bad paging values are 400s naming them.

The hand-built store (the care region of tests/care/conftest.py: units U001, U002):

* residents 0–6: 0, 1, 2, 3 have a case in U001; 4, 5 in U002; 6 has none;
* slots: 7 in U001 (Mon 2025-06-16 09:00, 09:20, …, 11:00), 4 in U002 (Tue 09:00 …);
* episodes with a visit: E01–E05 in U001, F01–F03 in U002 (visit 2025-03-0<n> 10:00).

The client is a professional of U001 (scope ``system/*.read``): it sees residents 0–3, the
7 U001 slots and the 5 U001 encounters; a leadership client sees all 11 slots.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.cases.commands import Contact, open_case
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.interop.fhir.clients import create_client
from sotekeskus.interop.fhir.validate import validate_r4
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import AuditEvent, Episode, Person, ScheduleSlot
from tests.care.conftest import NOW, OPERATOR, Region, make_region

U001_SLOTS, U002_SLOTS = 7, 4


@pytest.fixture
def region(any_db: str) -> Iterator[Region]:
    """The store on SQLite and on PostgreSQL (both must give the same stable order)."""
    made = make_region(resolve_url(any_db), residents=7)
    for i, unit in enumerate(["U001"] * 4 + ["U002"] * 2):
        with UnitOfWork(made.engine, OPERATOR, "contact") as uow:
            open_case(uow, Contact(made.persons[i], "phone", unit, "Kipu"), now=NOW)
    with Session(made.engine) as session, session.begin():
        for unit, n, day, who in (("U001", U001_SLOTS, 16, made.physician.user_id),
                                  ("U002", U002_SLOTS, 17, made.nurse.user_id)):
            for k in range(n):
                start = datetime(2025, 6, day, 9, 0) + timedelta(minutes=20 * k)
                session.add(ScheduleSlot(
                    user_id=who, unit_id=unit, service_id="remote_physician",
                    professional_group="physician", start_at=start,
                    end_at=start + timedelta(minutes=20), mode="remote", kind="non_urgent",
                    status="free"))
        for prefix, unit, n in (("E", "U001", 5), ("F", "U002", 3)):
            for k in range(1, n + 1):
                session.add(Episode(
                    episode_id=f"{prefix}{k:02d}", person_id=f"P-{prefix}{k}",
                    birth_date=date(1980, 1, 1), unit_id=unit, service_area="medical",
                    professional_group="nurse", urgency="non_urgent",
                    contact_at=datetime(2025, 3, 1, 8), assessed_at=datetime(2025, 3, 1, 9),
                    visit_at=datetime(2025, 3, k, 10), contact_mode="in_person",
                    status="done", plan_based=False))
    yield made
    made.engine.dispose()


@pytest.fixture
def api(region: Region, tmp_path, monkeypatch) -> Iterator:  # noqa: ANN001
    from sotekeskus.web.app import create_app

    monkeypatch.setenv("SOTEKESKUS_ANALYTICS_DIR", str(tmp_path / "analytics"))
    application = create_app(region.url, secret_key="test-secret", secure_cookies=False)
    application.state.workdesk_now = lambda: NOW
    yield application
    application.state.engine.dispose()


def bearer(app, name: str, role: str = "professional", units: list[str] | None = None,
           scopes: list[str] | None = None) -> dict[str, str]:
    _, secret = create_client(app.state.engine, name, role, ["U001"] if units is None
                              else units, scopes or ["system/*.read"])
    return {"Authorization": f"Bearer {secret}"}


def links(bundle: dict) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle.get("link", [])}


def walk(client: TestClient, headers: dict, url: str) -> list[dict]:
    """Every page of a search, following ``next`` from ``url``; each page checked."""
    pages = []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        bundle = response.json()
        validate_r4(bundle)
        pages.append(bundle)
        url = links(bundle).get("next", "")
        assert len(pages) < 50
    return pages


def ids(pages: list[dict]) -> list[str]:
    return [e["resource"]["id"] for p in pages for e in p.get("entry", [])]


def person_ids(region: Region) -> list[str]:
    with Session(region.engine) as session:
        by_pk = {pk: pid for pk, pid in session.execute(select(Person.id, Person.person_id))}
    return [by_pk[pk] for pk in region.persons]


def test_slot_pages_return_every_match_once_in_order(api, region: Region) -> None:  # noqa: ANN001
    client, headers = TestClient(api), bearer(api, "pager")
    pages = walk(client, headers, "/fhir/Slot?status=free&_count=3")
    assert [len(p.get("entry", [])) for p in pages] == [3, 3, 1]
    assert all(p["total"] == U001_SLOTS for p in pages)
    with Session(region.engine) as session:
        expected = [str(i) for i in session.scalars(
            select(ScheduleSlot.id).where(ScheduleSlot.unit_id == "U001")
            .order_by(ScheduleSlot.start_at, ScheduleSlot.id))]
    assert ids(pages) == expected  # each once, by start: the U002 slots never appear
    first, middle, last = (links(p) for p in pages)
    assert "previous" not in first and "next" not in last
    assert parse_qs(urlsplit(first["next"]).query) == {
        "status": ["free"], "_count": ["3"], "_offset": ["3"]}
    assert parse_qs(urlsplit(middle["previous"]).query)["_offset"] == ["0"]
    assert parse_qs(urlsplit(last["self"]).query)["_offset"] == ["6"]
    assert last["previous"].endswith("_offset=3")
    # a whole-region role walks all 11 with the same links
    lead = bearer(api, "lead", role="leadership", units=[])
    assert len(ids(walk(client, lead, "/fhir/Slot?status=free&_count=4"))) == \
        U001_SLOTS + U002_SLOTS


def test_patient_pages_apply_the_unit_restriction_on_every_page(api, region: Region) -> None:  # noqa: ANN001,E501
    client, headers = TestClient(api), bearer(api, "pager")
    everyone = person_ids(region)
    # residents 4, 5 (U002) and 6 (no case) are not the client's: left out of every page
    url = "/fhir/Patient?_id=" + ",".join(reversed(everyone)) + "&_count=2"
    pages = walk(client, headers, url)
    assert [len(p.get("entry", [])) for p in pages] == [2, 2]
    assert all(p["total"] == 4 for p in pages)
    assert sorted(ids(pages)) == sorted(everyone[:4])
    assert len(set(ids(pages))) == 4
    # every page audited: one read row per resident returned, the page's own query as target
    with Session(region.engine) as session:
        rows = list(session.scalars(select(AuditEvent).where(
            AuditEvent.actor == "api:pager", AuditEvent.target.like("fhir:Patient?%"))))
    assert len(rows) == 4
    assert sorted(r.subject_person_id for r in rows) == sorted(everyone[:4])
    assert sum("_offset=2" in r.target for r in rows) == 2  # the second page's two


def test_encounter_pages(api, region: Region) -> None:  # noqa: ANN001
    client, headers = TestClient(api), bearer(api, "pager")
    pages = walk(client, headers, "/fhir/Encounter?date=ge2025-03-01&_count=2")
    assert [len(p.get("entry", [])) for p in pages] == [2, 2, 1]
    assert ids(pages) == [f"enc-E{k:02d}" for k in range(1, 6)]  # by visit time; no U002
    with Session(region.engine) as session:
        audited = session.scalar(select(AuditEvent.id).where(
            AuditEvent.actor == "api:pager", AuditEvent.target.like("fhir:Encounter?%"),
            AuditEvent.subject_person_id == "P-E5"))
    assert audited is not None  # the last page's resident was audited


def test_every_kind_carries_self_and_stays_valid(api) -> None:  # noqa: ANN001
    from sotekeskus.web.api.fhir_search import KINDS

    client, headers = TestClient(api), bearer(api, "pager")
    admin = bearer(api, "admin", role="admin", units=[])
    queries = {"Patient": "_id=x", "Task": "patient=Patient/x",
               "Appointment": "patient=Patient/x", "Communication": "about=Task/1",
               "Slot": "status=free", "MeasureReport": "period=2025-03"}
    for kind in KINDS:
        who = admin if kind.name in ("AuditEvent", "MeasureReport") else headers
        query = queries.get(kind.name, "")
        response = client.get(f"/fhir/{kind.name}?{query}&_count=1".replace("?&", "?"),
                              headers=who)
        assert response.status_code == 200, (kind.name, response.text)
        bundle = response.json()
        validate_r4(bundle)
        found = links(bundle)
        assert "_count=1" in found["self"] and "_offset=0" in found["self"], kind.name
        assert ("next" in found) == (bundle["total"] > 1), kind.name


def test_practitioner_and_role_pages(api) -> None:  # noqa: ANN001
    client, lead = TestClient(api), bearer(api, "lead", role="leadership", units=[])
    all_at_once = ids([client.get("/fhir/PractitionerRole", headers=lead).json()])
    assert len(all_at_once) >= 4
    assert ids(walk(client, lead, "/fhir/PractitionerRole?_count=3")) == all_at_once


def test_audit_event_walk_is_pinned_to_its_first_page(api, region: Region) -> None:  # noqa: ANN001,E501
    client, admin = TestClient(api), bearer(api, "admin", role="admin", units=[])
    for _ in range(3):  # some rows to page over (each search adds its own audit row)
        client.get("/fhir/Slot?status=free", headers=admin)
    pages = walk(client, admin, "/fhir/AuditEvent?_count=2")
    assert len(pages) >= 3
    snapshot = parse_qs(urlsplit(links(pages[0])["self"]).query)["_snapshot"][0]
    assert all(f"_snapshot={snapshot}" in links(p)["self"] for p in pages)
    with Session(region.engine) as session:
        expected = [str(i) for i in session.scalars(select(AuditEvent.id).where(
            AuditEvent.id <= int(snapshot)).order_by(AuditEvent.id.desc()))]
        newest = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    # the walk's own reads are newer than its snapshot: nothing repeated, nothing skipped
    assert ids(pages) == expected
    assert newest > int(snapshot)


@pytest.mark.parametrize(("param", "value"), [
    ("_offset", "-1"), ("_offset", "x"), ("_offset", "1000001"), ("_count", "0"),
    ("_count", "1001"), ("_snapshot", "abc")])
def test_bad_paging_values_are_400_naming_the_parameter(api, param: str, value: str) -> None:  # noqa: ANN001,E501
    response = TestClient(api).get(f"/fhir/Slot?status=free&{param}={value}",
                                   headers=bearer(api, "pager"))
    assert response.status_code == 400
    outcome = response.json()
    validate_r4(outcome)
    assert outcome["issue"][0]["diagnostics"].startswith(f"{param}:")


def test_an_offset_past_the_end_is_an_empty_page_linking_back(api) -> None:  # noqa: ANN001
    response = TestClient(api).get("/fhir/Slot?status=free&_count=3&_offset=30",
                                   headers=bearer(api, "pager"))
    bundle = response.json()
    validate_r4(bundle)
    assert bundle["total"] == U001_SLOTS and "entry" not in bundle
    assert links(bundle)["previous"].endswith("_offset=4") and "next" not in links(bundle)
