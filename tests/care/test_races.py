"""Atomic claims and bookings under concurrency, on SQLite and PostgreSQL: 50 clients (threads,
each with its own database connection) race for 1 case and for 10 slots. Exactly one winner
per case and per slot; every loser is told why and who has it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.care.booking.appointments import book
from sotekeskus.care.cases.commands import AssessmentInput, Contact, assess, claim, open_case
from sotekeskus.care.errors import Conflict
from sotekeskus.care.staff import Staff, set_profile, staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.store.database import make_engine
from sotekeskus.store.models import (
    Appointment,
    CareCase,
    CaseTransition,
    ScheduleSlot,
    User,
    UserUnit,
)
from tests.care.conftest import NOW, OPERATOR, Region, add_slots

CLIENTS = 50


def professionals(region: Region, n: int) -> list[Staff]:
    ids = []
    with Session(region.engine) as session, session.begin():
        for i in range(n):
            user = User(username=f"racer{i:02d}", display_name=f"Racer {i}", password_hash="-",
                        role="professional", language="fi", active=True, failed_logins=0)
            user.units = [UserUnit(unit_id="U001")]
            session.add(user)
            session.flush()
            ids.append(user.id)
    for user_id in ids:
        set_profile(region.engine, user_id, "nurse")
    return [staff(region.engine, i) for i in ids]


def race(region: Region, work: Callable[[int, object], object]) -> list[object]:
    """Run ``work(i, engine)`` in CLIENTS threads released together; results or errors."""
    barrier = threading.Barrier(CLIENTS)
    results: list[object] = [None] * CLIENTS

    def run(i: int) -> None:
        engine = make_engine(region.url)  # a connection of its own
        try:
            barrier.wait()
            results[i] = work(i, engine)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[i] = exc
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def new_case(region: Region, person: int = 0) -> int:
    with UnitOfWork(region.engine, OPERATOR, "contact") as uow:
        return open_case(uow, Contact(region.persons[person], "phone", "U001", "Kipu"),
                         now=NOW).id


def test_fifty_clients_claim_one_case_exactly_one_wins(any_region: Region) -> None:
    region = any_region
    case_id = new_case(region)
    racers = professionals(region, CLIENTS)

    def attempt(i: int, engine: object) -> object:
        with UnitOfWork(engine, racers[i].actor, "care") as uow:  # type: ignore[arg-type]
            return claim(uow, racers[i], case_id, now=NOW)

    results = race(region, attempt)
    winners = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    winner = racers[winners[0]].username
    assert len(losers) == CLIENTS - 1
    for exc in losers:
        assert isinstance(exc, Conflict), repr(exc)
        assert str(exc) == f"case {case_id} is already claimed by {winner}"
        assert exc.holder == winner
    with Session(region.engine) as session:
        owner = session.scalar(select(User.username).join(
            CareCase, CareCase.owner_user_id == User.id).where(CareCase.id == case_id))
        claims = session.scalar(select(func.count()).select_from(CaseTransition).where(
            CaseTransition.case_id == case_id, CaseTransition.transition == "claim"))
    assert owner == winner and claims == 1


def test_fifty_clients_book_ten_slots_one_winner_per_slot(any_region: Region) -> None:
    region = any_region
    add_slots(region, region.physician, "physician_in_person", mode="in_person",
              start="08:00", end="11:20")  # Tuesday: 10 slots of 20 minutes
    with Session(region.engine) as session:
        slot_ids = list(session.scalars(select(ScheduleSlot.id).order_by(ScheduleSlot.start_at)))
    assert len(slot_ids) == 10
    racers = professionals(region, CLIENTS)
    cases = []
    for i, racer in enumerate(racers):
        case_id = new_case(region, person=i % len(region.persons))
        with UnitOfWork(region.engine, racer.actor, "care") as uow:
            claim(uow, racer, case_id, now=NOW)
            assess(uow, racer, case_id, AssessmentInput(
                "non_urgent", "Polvikipu", "medical", "physician"), now=NOW)
        cases.append(case_id)

    def attempt(i: int, engine: object) -> object:
        with UnitOfWork(engine, racers[i].actor, "booking") as uow:  # type: ignore[arg-type]
            return book(uow, racers[i], cases[i], slot_ids[i % 10],
                        now=NOW + timedelta(minutes=1))

    results = race(region, attempt)
    wins = [(i, r) for i, r in enumerate(results) if not isinstance(r, Exception)]
    losses = [(i, r) for i, r in enumerate(results) if isinstance(r, Exception)]
    assert len(wins) == 10, [r for _, r in losses if not isinstance(r, Conflict)]
    assert sorted(i % 10 for i, _ in wins) == list(range(10))  # one winner per slot
    winner_of = {i % 10: racers[i].username for i, _ in wins}
    for i, exc in losses:
        assert isinstance(exc, Conflict), repr(exc)
        assert f"slot {slot_ids[i % 10]} (" in str(exc)
        assert str(exc).endswith(f"is already booked by {winner_of[i % 10]}")
    with Session(region.engine) as session:
        live = session.execute(select(Appointment.slot_id, func.count())
                               .where(Appointment.status == "booked")
                               .group_by(Appointment.slot_id)).all()
        booked_cases = session.scalar(select(func.count()).select_from(CareCase).where(
            CareCase.state == "booked"))
        slot_states = set(session.scalars(select(ScheduleSlot.status)))
    assert sorted(live) == [(s, 1) for s in sorted(slot_ids)]
    assert booked_cases == 10 and slot_states == {"booked"}
