"""Synthetic operations for the demo: staff with demo accounts, schedules with part-full
diaries, a live morning in every channel worked through the real use cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotekeskus.domain.workflow.hetu import parse_hetu
from sotekeskus.store.database import make_engine
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import CareCase, Episode, Person, ScheduleSlot, Unit
from sotekeskus.store.users import authenticate
from sotekeskus.synth.operations import DEMO_STAFF, seed_operations

NOW = datetime(2025, 6, 16, 10, 30)


def test_a_live_morning_for_the_demo(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add_all(Unit(unit_id=f"U{i:03d}", name=f"Unit {i}", municipality="K")
                        for i in range(1, 20))
    accounts = seed_operations(engine, NOW)
    assert [(a[0], a[1], a[2]) for a in accounts] == [(u, p, r) for u, p, r, _ in DEMO_STAFF]
    for username, password, _, _ in DEMO_STAFF:
        assert authenticate(engine, username, password).account is not None
    assert authenticate(engine, "sh01", "!").account is None  # other staff cannot sign in
    with Session(engine) as session:
        channels = set(session.scalars(select(CareCase.channel).distinct()))
        states = dict(session.execute(select(CareCase.state, func.count())
                                      .group_by(CareCase.state)).all())
        cases = session.scalar(select(func.count()).select_from(CareCase))
        episodes = session.scalar(select(func.count()).select_from(Episode).where(
            Episode.episode_id.like("W-%")))
        codes = list(session.scalars(select(Person.hetu)))
        slots = dict(session.execute(select(ScheduleSlot.status, func.count())
                                     .group_by(ScheduleSlot.status)).all())
        overdue = session.scalar(select(func.count()).select_from(CareCase).where(
            CareCase.due_on < NOW.date(), CareCase.state != "closed"))
    assert channels == {"phone", "chat", "message", "e_form", "questionnaire", "walk_in"}
    assert {"new", "claimed", "assessed", "routed", "booked", "closed"} <= set(states)
    assert cases == episodes == 186  # 3 h × 60 contacts + 6 of the previous weekday
    assert all(parse_hetu(code).is_test_identity for code in codes)
    assert slots["free"] > 0 and slots["booked"] > 0
    assert overdue == 6
    seed_operations(engine, NOW)  # the same day again: nothing new
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(CareCase)) == 186
    engine.dispose()
