"""50 residents (threads, each with its own client and session) race over HTTP for 10 free
slots of the same service: exactly 10 bookings, 40 clear refusals (409 "no longer free",
naming nobody), no slot held twice — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.care.persons import register_person
from sotekeskus.domain.workflow.hetu import synthetic_hetu
from sotekeskus.store.database import resolve_url
from sotekeskus.store.models import Appointment, ScheduleSlot
from tests.care.conftest import add_slots, make_region
from tests.resident.conftest import SERVICE, FrontDoor, csrf_of

RESIDENTS = 50
SLOTS = 10


def test_fifty_residents_race_for_ten_slots(any_db: str) -> None:
    from sotekeskus.web.app import create_app
    from tests.care.conftest import NOW

    url = resolve_url(any_db)
    region = make_region(url, 3)
    with Session(region.engine) as s, s.begin():
        for i in range(3, RESIDENTS):
            region.persons.append(register_person(
                s, synthetic_hetu(date(1950 + i, 1 + i % 12, 1 + i % 28), 900 + i),
                name=f"Kilpailija {i}", synthetic_only=True, now=datetime(2025, 6, 1)).id)
    add_slots(region, region.nurse, SERVICE, weekday=1, start="09:00", end="12:20",
              minutes=20)
    app = create_app(url, secret_key="k", secure_cookies=False)
    app.state.security.clock = lambda: NOW
    fd = FrontDoor(region, app)
    try:
        slots = fd.free_slot_ids()
        assert len(slots) == SLOTS
        cases = [fd.routed_case(i) for i in range(RESIDENTS)]
        clients = [fd.signed_in(i) for i in range(RESIDENTS)]
        tokens = [csrf_of(c.get(f"/asiointi/omat/{cases[i]}").text)
                  for i, c in enumerate(clients)]
        barrier = threading.Barrier(RESIDENTS)
        results: list[tuple[int, str]] = [(0, "")] * RESIDENTS

        def run(i: int) -> None:
            barrier.wait()
            r = clients[i].post(f"/asiointi/omat/{cases[i]}/varaa",
                                data={"slot_id": slots[i % SLOTS], "csrf_token": tokens[i]},
                                follow_redirects=False)
            results[i] = (r.status_code, r.text)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(RESIDENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        codes = [code for code, _ in results]
        assert codes.count(303) == SLOTS, codes
        refusals = [text for code, text in results if code == 409]
        assert len(refusals) == RESIDENTS - SLOTS, codes
        assert all("Aika ei ole enää vapaa" in t and "resident:" not in t for t in refusals)
        with Session(region.engine) as s:
            live = s.execute(select(Appointment.slot_id, func.count()).where(
                Appointment.status == "booked").group_by(Appointment.slot_id)).all()
            assert sorted(slot for slot, _ in live) == sorted(slots)
            assert all(n == 1 for _, n in live)
            assert s.scalar(select(func.count()).select_from(ScheduleSlot).where(
                ScheduleSlot.status == "free", ScheduleSlot.service_id == SERVICE)) == 0
    finally:
        region.engine.dispose()
        app.state.engine.dispose()
