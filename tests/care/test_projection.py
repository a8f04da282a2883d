"""Projection: a case worked through the workdesk is an episode row at every moment, and the
access report, the waiting list and the situation picture see it — computed by the same
definitions as imported history, without any import."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sotekeskus.analytics.engine import Analytics
from sotekeskus.care.booking.appointments import book, record_visit
from sotekeskus.care.cases.commands import (
    AssessmentInput,
    Contact,
    assess,
    claim,
    open_case,
    route,
)
from sotekeskus.care.cases.queue import bookable_slots
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.cli import app
from tests.care.conftest import NOW, OPERATOR, Region, add_slots


def contact(region: Region, person: int, at: datetime) -> int:
    with UnitOfWork(region.engine, OPERATOR, "contact") as uow:
        return open_case(uow, Contact(region.persons[person], "phone", "U001", "Selkäkipu"),
                         now=at).id


def assessed(region: Region, case_id: int, at: datetime) -> None:
    with UnitOfWork(region.engine, region.nurse.actor, "care") as uow:
        claim(uow, region.nurse, case_id, now=at)
        assess(uow, region.nurse, case_id, AssessmentInput(
            "non_urgent", "Selkäkipu 2 viikkoa", "medical", "physician"), now=at)


def test_workdesk_cases_appear_in_the_reports_with_the_expected_wait(region: Region,
                                                                     runner) -> None:
    add_slots(region, region.physician, "physician_in_person", mode="in_person")
    # Case A: contact and assessment Monday 2025-06-16, visit Tuesday 09:00 → wait 1 day.
    a = contact(region, 0, NOW)
    assessed(region, a, NOW + timedelta(minutes=10))
    with UnitOfWork(region.engine, region.nurse.actor, "booking") as uow:
        slot = bookable_slots(uow, region.nurse, a, now=NOW)[0]
        book(uow, region.nurse, a, slot.slot_id, now=NOW + timedelta(minutes=12))
    with UnitOfWork(region.engine, region.physician.actor, "visit") as uow:
        record_visit(uow, region.physician, a, now=datetime(2025, 6, 17, 9, 30))
    # Case B: assessed Monday, routed, still waiting. Case C: contact only (not assessed).
    b = contact(region, 1, NOW + timedelta(minutes=20))
    assessed(region, b, NOW + timedelta(minutes=30))
    with UnitOfWork(region.engine, region.nurse.actor, "routing") as uow:
        route(uow, region.nurse, b, now=NOW + timedelta(minutes=31))
    contact(region, 2, NOW + timedelta(minutes=40))

    result = runner.invoke(app, ["report", "access", "--db", region.url, "--month", "2025-06",
                                 "--format", "json", "--no-suppress"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    (row,) = [r for r in rows if r["service_area"] == "medical"
              and r["professional_group"] == "physician"]
    assert row["visits"] == 1 and row["median_wait_days"] == 1
    assert row["within_7d_pct"] == 100.0 and row["legal_breaches"] == 0

    an = Analytics.open(region.url)
    try:
        waiting = an.waiting_list(date(2025, 6, 17))
        (only,) = waiting.rows
        assert only["episode_id"] == f"W-{b}" and only["days_waited"] == 1
        # born 1981-03-02: 23 or over → 3 months from 2025-06-16
        assert only["legal_deadline"] == date(2025, 9, 16)
        contacts = an.contacts_by_channel(date(2025, 6, 16))
        assert sum(r["contacts"] for r in contacts) == 3
    finally:
        an.close()


def test_an_open_analytics_follows_the_workdesk_incrementally(region: Region) -> None:
    """The live path: the snapshot of an open analytics service (as in the web process)
    follows a case opened, assessed, booked and visited through the workdesk by incremental
    refreshes, and the access report and the waiting list then show it with its wait."""
    add_slots(region, region.physician, "physician_in_person", mode="in_person")
    an = Analytics.open(region.url)
    try:
        assert an.waiting_list(date(2025, 6, 17)).rows == []
        backend = an._backend
        a = contact(region, 0, NOW)
        assessed(region, a, NOW + timedelta(minutes=10))
        an.refresh_if_stale(force=True)
        assert backend.last_refresh[0] == "incremental"
        (waiting,) = an.waiting_list(date(2025, 6, 16)).rows
        assert waiting["episode_id"] == f"W-{a}" and waiting["days_waited"] == 0
        with UnitOfWork(region.engine, region.nurse.actor, "booking") as uow:
            slot = bookable_slots(uow, region.nurse, a, now=NOW)[0]
            book(uow, region.nurse, a, slot.slot_id, now=NOW + timedelta(minutes=12))
        with UnitOfWork(region.engine, region.physician.actor, "visit") as uow:
            record_visit(uow, region.physician, a, now=datetime(2025, 6, 17, 9, 30))
        an.refresh_if_stale(force=True)
        assert backend.last_refresh[0] == "incremental"
        assert an.waiting_list(date(2025, 6, 17)).rows == []
        (row,) = [r for r in an.access_report() if r["service_area"] == "medical"]
        assert row["visits"] == 1 and row["median_wait_days"] == 1
    finally:
        an.close()
