"""A resident's page is not a session write: ``last_seen_at`` is refreshed at most once per
``TOUCH_INTERVAL`` (60 s); the idle lifetime counts from that refresh (exact to 60 s); a live
stream's re-check (``touch=False``) never refreshes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from sotekeskus.store import resident_sessions as store
from sotekeskus.store.models import ResidentSession
from tests.care.conftest import NOW
from tests.resident.conftest import FrontDoor

LIFE = store.Lifetimes(timedelta(minutes=20), timedelta(hours=4))


@contextmanager
def session_writes(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The UPDATE statements on ``resident_sessions`` issued inside the block."""
    seen: list[str] = []

    def listen(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE RESIDENT_SESSIONS"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _last_seen(front_door: FrontDoor, token: str):  # type: ignore[no-untyped-def]
    with Session(front_door.engine) as s:
        return s.scalar(select(ResidentSession.last_seen_at)
                        .where(ResidentSession.id == store.key_of(token)))


def test_two_requests_within_the_interval_write_one_touch(front_door: FrontDoor) -> None:
    token = store.start(front_door.engine, front_door.region.persons[0], now=NOW)
    with session_writes(front_door.engine) as writes:
        assert store.resolve(front_door.engine, token, LIFE, NOW + timedelta(seconds=70))
        assert store.resolve(front_door.engine, token, LIFE, NOW + timedelta(seconds=100))
    assert len(writes) == 1  # the first refreshed it; the second, 30 s later, wrote nothing
    assert _last_seen(front_door, token) == NOW + timedelta(seconds=70)
    with session_writes(front_door.engine) as writes:
        assert store.resolve(front_door.engine, token, LIFE, NOW + timedelta(seconds=131))
    assert len(writes) == 1 and _last_seen(front_door, token) == NOW + timedelta(seconds=131)


def test_pages_within_a_minute_do_not_write_the_session(front_door: FrontDoor) -> None:
    from sotekeskus.web.resident.deps import RESIDENT_COOKIE

    c = front_door.signed_in(0)
    token = c.cookies.get(RESIDENT_COOKIE)
    front_door.app.state.security.clock = lambda: NOW + timedelta(minutes=1)
    with session_writes(front_door.app.state.engine) as writes:
        for _ in range(3):
            assert c.get("/asiointi/omat").status_code == 200
    assert len(writes) == 1  # one touch for three pages within the interval
    assert _last_seen(front_door, token) == NOW + timedelta(minutes=1)


def test_idle_expiry_counts_from_the_last_touch(front_door: FrontDoor) -> None:
    token = store.start(front_door.engine, front_door.region.persons[0], now=NOW)
    # a request 59 s after the start does not refresh last_seen_at ...
    assert store.resolve(front_door.engine, token, LIFE, NOW + timedelta(seconds=59))
    assert _last_seen(front_door, token) == NOW
    # ... so the 20-minute idle lifetime runs from NOW: exact to the 60 s granularity
    assert store.resolve(front_door.engine, token, LIFE,
                         NOW + timedelta(minutes=20) - timedelta(seconds=1))
    fresh = store.start(front_door.engine, front_door.region.persons[0], now=NOW)
    assert store.resolve(front_door.engine, fresh, LIFE, NOW + timedelta(seconds=59))
    assert store.resolve(front_door.engine, fresh, LIFE, NOW + timedelta(minutes=20)) is None


def test_a_streams_recheck_does_not_keep_the_session_alive(front_door: FrontDoor) -> None:
    token = store.start(front_door.engine, front_door.region.persons[0], now=NOW)
    t = NOW
    for _ in range(10):  # a chat stream re-checking every 2 minutes for 20 minutes
        t += timedelta(minutes=2)
        found = store.resolve(front_door.engine, token, LIFE, t - timedelta(seconds=1),
                              touch=False)
        assert found is not None
    assert _last_seen(front_door, token) == NOW
    assert store.resolve(front_door.engine, token, LIFE, t, touch=False) is None  # idle
